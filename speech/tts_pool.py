"""Render worker processes, so one call's new sentence never waits behind another call's.

Why processes: one pyttsx3/espeak-ng engine per process renders one text at a time
(`speech.tts_engine`), ≈25 sentences a second; twenty callers needing a new sentence at once
queued behind it for up to 370 ms. N processes render N texts at once. They are forked by
multiprocessing's forkserver, never from the IVR process itself, which is big and runs threads
(a fork would copy locks held by them); `speech.tts_engine` is added to the modules the server
imports once (others' preloads kept: the server is one per process), so a worker starts in a
fraction of a second. Where there is no forkserver (not Linux/macOS) they are spawned.

A worker that dies (killed, crashed in espeak-ng) breaks a `ProcessPoolExecutor` for good: the
renders it was running or holding fail with `SynthesisError`, and the next render gets a new pool.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import multiprocessing.context
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, InvalidStateError, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import forkserver
from pathlib import Path
from typing import TypeVar

from speech import tts_engine
from speech.tts_engine import SynthesisError

log = logging.getLogger(__name__)
T = TypeVar("T")


def default_workers() -> int:
    """One render process per core this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _context() -> multiprocessing.context.BaseContext:
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    preload = list(getattr(forkserver._forkserver, "_preload_modules", None) or ["__main__"])
    if "speech.tts_engine" not in preload:  # no effect once the server runs: then it is already set
        context.set_forkserver_preload([*preload, "speech.tts_engine"])
    return context


class RenderPool:
    """`workers` render processes, started on first use (or by `warm`), replaced when one dies."""

    def __init__(self, workers: int | None = None) -> None:
        self.workers = max(1, workers or default_workers())
        self._lock = threading.Lock()
        self._executor: ProcessPoolExecutor | None = None

    def submit(self, text: str, voice: str, rate: int, cache_path: Path) -> Future[tuple[bytes, bool]]:
        """Render `text` (already normalised) unless `cache_path` holds it: (PCM, rendered)."""
        return self._run(tts_engine.render, text, voice, rate, cache_path)

    def warm(self) -> list[Future[int]]:
        """Start every worker and its engine now, so the first caller does not wait for them."""
        return [self._run(tts_engine.ready) for _ in range(self.workers)]

    def pids(self) -> list[int]:
        """The worker processes running now (for tests and diagnostics)."""
        with self._lock:
            executor = self._executor
        return list(getattr(executor, "_processes", None) or {})  # the executor's own table of them

    def close(self) -> None:
        """Stop the workers (queued renders are cancelled); a later render starts new ones."""
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)

    def _current(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._executor is None:
                self._executor = ProcessPoolExecutor(
                    self.workers, mp_context=_context(), initializer=tts_engine.init_worker
                )
            return self._executor

    def _run(self, job: Callable[..., T], *args: object) -> Future[T]:
        """`job(*args)` in a worker; a broken pool becomes `SynthesisError` and is replaced."""
        executor = self._current()
        result: Future[T] = Future()
        try:
            inner = executor.submit(job, *args)
        except BrokenProcessPool:  # a worker died since the last render, the pool noticed first
            self._replace(executor)
            result.set_exception(SynthesisError("a render worker process died; the pool was restarted"))
            return result
        inner.add_done_callback(lambda done: self._settle(executor, done, result))
        return result

    def _settle(self, executor: ProcessPoolExecutor, done: Future[T], result: Future[T]) -> None:
        if done.cancelled():
            result.cancel()
            return
        exc = done.exception()
        if isinstance(exc, BrokenProcessPool):
            log.warning("tts: a render worker process died (%s); starting new ones", exc)
            self._replace(executor)
            exc = SynthesisError("a render worker process died during this render")
        with contextlib.suppress(InvalidStateError):  # the caller cancelled it meanwhile
            if exc is not None:
                result.set_exception(exc)
            else:
                result.set_result(done.result())

    def _replace(self, broken: ProcessPoolExecutor) -> None:
        """Drop a broken pool (once, whoever notices first); the next render makes a new one."""
        with self._lock:
            if self._executor is not broken:
                return
            self._executor = None
        broken.shutdown(wait=False, cancel_futures=True)
