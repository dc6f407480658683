"""A circuit breaker for the account API: a down service is noticed once, not by every caller.

Why: without it each caller of a dead API waits out a timeout at each request (and keys a whole
account number first). After `threshold` failures in a row the circuit opens: requests fail at
once, the dialogs tell the caller straight away, and a background probe asks the API's health
every `probe_interval` seconds; the first healthy answer closes the circuit, with no restart.
A connection refused is proof enough (threshold 1); timeouts and 5xx need `threshold` in a row,
so one slow answer does not cut off every call.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


class CircuitBreaker:
    """Open after consecutive failures; closed again by a successful request or probe."""

    def __init__(
        self,
        probe: Callable[[], Awaitable[bool]],
        *,
        threshold: int = 3,
        probe_interval: float = 1.0,
    ):
        self._probe = probe
        self._threshold = max(1, threshold)
        self._interval = probe_interval
        self._failures = 0
        self._open = False
        self._prober: asyncio.Task[None] | None = None
        self.opened = 0  # times the circuit opened (for the log and tests)

    @property
    def is_open(self) -> bool:
        return self._open

    def succeeded(self) -> None:
        self._failures = 0
        if self._open:
            self._close()

    def failed(self, *, refused: bool = False) -> None:
        """One more failure; `refused` (nothing listens) opens the circuit at once."""
        self._failures += 1
        if not self._open and (refused or self._failures >= self._threshold):
            self._open = True
            self.opened += 1
            log.warning("account API down: failing requests at once until it answers again")
            self._start_probing()

    def _close(self) -> None:
        self._open = False
        self._failures = 0
        log.warning("account API answers again")

    def _start_probing(self) -> None:
        with contextlib.suppress(RuntimeError):  # no running loop: the next request re-checks
            if self._prober is None or self._prober.done():
                self._prober = asyncio.get_running_loop().create_task(self._probe_until_healthy())

    async def _probe_until_healthy(self) -> None:
        while self._open:
            await asyncio.sleep(self._interval)
            try:
                healthy = await self._probe()
            except Exception:
                healthy = False
            if healthy and self._open:
                self._close()

    async def aclose(self) -> None:
        if self._prober is not None:
            self._prober.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._prober
