"""What this process already knows about calls, remembered because it can never become untrue.

Why: the IVR asks for the balance, meters and promotion of a verified account with the
same `X-Call-Id` many times per call, and each request used to re-read the call's row,
its look-up verdict and its verification (three queries of eight; issue 13). All three
only ever go one way: a registered call keeps its caller number, a look-up answered
"allowed" stays allowed (see `deps.guard_lookup`), a verified call stays verified. So a
fact seen once is kept here, bounded and for an hour at most, and several API processes
over one database stay correct: each only skips re-reading what it has seen to be true.
Refusals and unknowns are never kept; they are read again every time.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

KEEP_SECONDS = 3600.0
MAX_FACTS = 20_000

_MISSING = object()


class _Bounded:
    """A thread-safe LRU of facts, each for at most `KEEP_SECONDS`."""

    def __init__(self) -> None:
        self._items: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
        self._size = MAX_FACTS
        self._keep = KEEP_SECONDS
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any:
        with self._lock:
            found = self._items.get(key)
            if found is None:
                return _MISSING
            at, value = found
            if time.monotonic() - at > self._keep:
                del self._items[key]
                return _MISSING
            self._items.move_to_end(key)
            return value

    def put(self, key: Hashable, value: Any) -> None:
        with self._lock:
            self._items[key] = (time.monotonic(), value)
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)


class CallFacts:
    """Registered callers, allowed look-ups and verified accounts of calls (one per app)."""

    def __init__(self) -> None:
        self._callers = _Bounded()
        self._allowed = _Bounded()
        self._verified = _Bounded()

    def caller(self, call_id: str) -> tuple[bool, str | None]:
        """(known, its registered number) — known False when this process has not seen the call."""
        value = self._callers.get(call_id)
        return (False, None) if value is _MISSING else (True, value)

    def registered(self, call_id: str, caller: str | None) -> None:
        self._callers.put(call_id, caller)

    def allowed(self, scope: str, subject: str) -> bool:
        return self._allowed.get((scope, subject)) is True

    def allow(self, scope: str, subject: str) -> None:
        self._allowed.put((scope, subject), True)

    def verified(self, call_id: str, account_id: int) -> bool:
        return self._verified.get((call_id, account_id)) is True

    def verify(self, call_id: str, account_id: int) -> None:
        self._verified.put((call_id, account_id), True)
