"""`hotline serve --workers N`: N IVR processes on one AudioSocket port, one per core.

Why processes: speech recognition and the dialogs are Python work that one process runs on one
core. Each worker is a whole `hotline serve` (its own Vosk model, API client, AMI link and
outbox file `outbox-<port>-w<i>.sqlite3`) listening on the same port with SO_REUSEPORT: the
kernel spreads new connections over the workers. A worker that dies takes only its own calls;
its listening socket goes with it, so Asterisk's next calls reach the others, and this
supervisor starts a new one in its place (which closes the dead one's call records from its
outbox file). SIGTERM is passed on to every worker, each drains its calls as a single process does.

`shared_model=True` (`--shared-model`): the workers are forked from a forkserver that loaded the
Vosk model once (`ivr.shared_model`), instead of each loading its own: the model's pages are
shared, and a restarted worker is answering in a fraction of a second instead of reloading it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import multiprocessing.context
import multiprocessing.process
import os
import signal
import sys
from typing import Protocol

from speech.tts_pool import default_workers

log = logging.getLogger(__name__)

RESTART_DELAY = 1.0  # seconds before a dead worker is started again


def worker_command(index: int, *, use_ami: bool) -> list[str]:
    """The command line of worker `index` (the same `hotline serve`, marked as a worker)."""
    command = [sys.executable, "-m", "ivr.cli", "serve", "--worker", str(index)]
    return command + ([] if use_ami else ["--no-ami"])


def worker_env(count: int) -> dict[str, str]:
    """The environment of each worker: the cores shared out for speech synthesis too, so N
    workers start N × (cores / N) render processes (speech.tts_pool), not N × cores;
    HOTLINE_TTS_WORKERS set by hand wins."""
    env = dict(os.environ)
    env.setdefault("HOTLINE_TTS_WORKERS", str(max(1, default_workers() // count)))
    return env


class Worker(Protocol):
    """A started worker process, whichever way it was started."""

    @property
    def pid(self) -> int | None: ...

    async def wait(self) -> int: ...

    def send_signal(self, sig: int) -> None: ...


class ForkedWorker:
    """A worker forked from the shared-model forkserver (`multiprocessing.Process`)."""

    def __init__(self, process: multiprocessing.process.BaseProcess):
        self.process = process
        self.pid = process.pid

    async def wait(self) -> int:
        """Until the process exits: its sentinel becomes readable (no thread blocked in join)."""
        loop = asyncio.get_running_loop()
        ended: asyncio.Future[None] = loop.create_future()
        sentinel = self.process.sentinel

        def readable() -> None:
            if not ended.done():
                ended.set_result(None)

        loop.add_reader(sentinel, readable)
        try:
            await ended
        finally:
            loop.remove_reader(sentinel)
        self.process.join()
        return self.process.exitcode if self.process.exitcode is not None else -1

    def send_signal(self, sig: int) -> None:
        if self.pid is not None:
            os.kill(self.pid, sig)


def _forked_worker_main(index: int, use_ami: bool) -> None:
    """A forked worker: the same `hotline serve --worker i` as a spawned one."""
    from ivr.cli import main

    sys.exit(main(worker_command(index, use_ami=use_ami)[3:]))


def _shared_model_context(count: int) -> multiprocessing.context.ForkServerContext:
    os.environ.update(worker_env(count))  # the forkserver, and so every worker, starts with it
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["ivr.shared_model"])
    return context


async def supervise(count: int, stop: asyncio.Event, *, use_ami: bool = True,
                    shared_model: bool = False) -> None:
    """Run `count` workers until `stop`; restart any that exits on its own."""
    workers: dict[int, Worker] = {}
    context = _shared_model_context(count) if shared_model else None

    async def start(index: int) -> None:
        if context is not None:
            process = context.Process(target=_forked_worker_main, args=(index, use_ami),
                                      name=f"hotline-ivr-{index}")
            process.start()  # a fork by the forkserver: milliseconds, and the supervisor serves no call
            workers[index] = ForkedWorker(process)
        else:
            workers[index] = await asyncio.create_subprocess_exec(
                *worker_command(index, use_ami=use_ami), env=worker_env(count)
            )
        log.info("IVR worker %d started (pid %d)", index, workers[index].pid)

    for index in range(count):
        await start(index)
    stopping = asyncio.ensure_future(stop.wait())
    try:
        while not stop.is_set():
            waits = {asyncio.ensure_future(p.wait()): i for i, p in workers.items()}
            done, _ = await asyncio.wait({*waits, stopping}, return_when=asyncio.FIRST_COMPLETED)
            for future in waits:
                if future not in done:
                    future.cancel()
            for future in done - {stopping}:
                index = waits[future]
                log.warning("IVR worker %d exited (%s); starting it again", index, future.result())
                await asyncio.sleep(RESTART_DELAY)
                if not stop.is_set():
                    await start(index)
    finally:
        stopping.cancel()
        for process in workers.values():
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
        await asyncio.gather(*(p.wait() for p in workers.values()), return_exceptions=True)
