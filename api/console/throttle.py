"""Console logins: throttled per name and per address, passwords checked off the event loop.

Why: 416 password guesses a minute went through unthrottled, and each bcrypt
check (cost 12, ~0.25 s of CPU) ran in the process that also serves the IVR,
whose median latency went from 6 to 232 ms during the attack.

- Every login attempt takes a slot of a moving window (the `limits` library,
  in memory) for its name and for its client address *before* the password is
  checked, so a burst cannot slip through between a check and its count; a
  successful login frees its name's slots (an operator's own typos are not held
  against the next login). Past a limit the attempt is refused (429) without
  running bcrypt.
- bcrypt runs in its own small thread pool (`PASSWORD_WORKERS` threads); at most
  `PASSWORD_QUEUE` checks may wait for it, beyond that the login answers 503
  at once. The event loop and the API's own thread pool are never held by it.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

T = TypeVar("T")

PASSWORD_WORKERS = 2
PASSWORD_QUEUE = 8


class PasswordPoolBusy(Exception):
    """More password checks are waiting than the pool may queue."""


@dataclass(frozen=True)
class Refusal:
    """Why a login is refused before its password is checked; `retry_after` in seconds."""

    scope: str  # "name" | "address"
    retry_after: int


class LoginThrottle:
    """Moving-window limits on login attempts per operator name and per client address."""

    def __init__(self, per_name: int, per_address: int, window_minutes: int):
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        minutes = max(1, window_minutes)
        self._name = RateLimitItemPerMinute(max(1, per_name), minutes)
        self._address = RateLimitItemPerMinute(max(1, per_address), minutes)

    @staticmethod
    def _name_key(name: str) -> str:
        return name.strip().casefold()[:100]

    def reserve(self, name: str, address: str) -> Refusal | None:
        """Take one attempt for this name and address, or say which limit refuses it."""
        if not self._limiter.hit(self._address, "console-login-address", address):
            return Refusal("address", self._retry_after(self._address, "console-login-address", address))
        key = self._name_key(name)
        if not self._limiter.hit(self._name, "console-login-name", key):
            return Refusal("name", self._retry_after(self._name, "console-login-name", key))
        return None

    def succeeded(self, name: str) -> None:
        """The right password: this name's earlier attempts no longer count."""
        self._limiter.clear(self._name, "console-login-name", self._name_key(name))

    def _retry_after(self, item: RateLimitItemPerMinute, *keys: str) -> int:
        reset, _remaining = self._limiter.get_window_stats(item, *keys)
        return max(1, int(reset - time.time()) + 1)


class PasswordPool:
    """A bounded pool for bcrypt: `PASSWORD_WORKERS` threads, at most `PASSWORD_QUEUE` waiting."""

    def __init__(self, workers: int = PASSWORD_WORKERS, queue: int = PASSWORD_QUEUE):
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="console-bcrypt")
        self._limit = workers + queue
        self._pending = 0
        self._lock = threading.Lock()

    async def run(self, fn: Callable[..., T], /, *args: object) -> T:
        """`fn(*args)` on the pool; PasswordPoolBusy at once when the pool is full."""
        with self._lock:
            if self._pending >= self._limit:
                raise PasswordPoolBusy
            self._pending += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)
        finally:
            with self._lock:
                self._pending -= 1

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
