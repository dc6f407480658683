"""A backend that fails on purpose: the real API client with chosen calls replaced."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dialogs.backend import BackendError


class Failing:
    """Wraps a backend; calls named in `down` raise BackendError (the service is down), calls in
    `replace` run the given coroutine function instead; everything else reaches the real API."""

    def __init__(self, backend: Any, *down: str, replace: dict[str, Callable[..., Any]] | None = None):
        self._backend = backend
        self._down = set(down)
        self._replace = replace or {}

    def __getattr__(self, name: str) -> Any:
        if name in self._down:
            async def unavailable(*_args: Any, **_kwargs: Any) -> Any:
                raise BackendError(f"{name}: service unavailable (test)")

            return unavailable
        if name in self._replace:
            return self._replace[name]
        return getattr(self._backend, name)
