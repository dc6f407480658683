"""`hotline serve --workers N`: N IVR processes on one AudioSocket port, one per core.

Why processes: speech recognition and the dialogs are Python work that one process runs on one
core. Each worker is a whole `hotline serve` (its own Vosk model, API client, AMI link and
outbox file `outbox-<port>-w<i>.sqlite3`) listening on the same port with SO_REUSEPORT: the
kernel spreads new connections over the workers. A worker that dies takes only its own calls;
its listening socket goes with it, so Asterisk's next calls reach the others, and this
supervisor starts a new one in its place (which closes the dead one's call records from its
outbox file). SIGTERM is passed on to every worker, each drains its calls as a single process does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys

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


async def supervise(count: int, stop: asyncio.Event, *, use_ami: bool = True) -> None:
    """Run `count` workers until `stop`; restart any that exits on its own."""
    workers: dict[int, asyncio.subprocess.Process] = {}

    async def start(index: int) -> None:
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
