"""The balance the IVR asks on most calls, repeated from memory when every check is already known true.

Why: FastAPI's own work per request (resolving dependencies, validating, serialising, a
worker-thread hop) cost more CPU than the balance itself (issue 13: ~2 ms of ~3 ms). This
ASGI middleware answers `GET /api/v1/accounts/{account}/balance[?period=YYYY-MM]` without it,
but decides nothing itself: it answers only when

- the bearer token is valid (checked on every request, as the route checks it: `deps.principal_of`);
- for the IVR: the `X-Call-Id` call is registered, its look-up of this account was allowed, and it
  verified this account — facts this process has seen and that never become untrue
  (`api.call_facts`);
- the answer is kept in `api.balance_cache` under the current data version.

Anything else — a refusal, an unknown call, a missing or stale answer, a database that is down
(its version cannot be read, so nothing is fresh past `HOTLINE_BALANCE_RECHECK_SECONDS`) — goes
to the full route (`api/routes/accounts.py`), which decides, answers and keeps. Control characters
are refused before this runs (`api.strings.RefuseControlChars` is the outer middleware).
"""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from api.balance_cache import BalanceCache
from api.deps import facts_of, local_today, lookup_subject, principal_of, settings_of
from api.errors import ApiError

_PATH = re.compile(r"/api/v1/accounts/([0-9]{9}-[0-9])/balance")
_QUERY = re.compile(rb"period=([0-9]{4}-[0-9]{2})")
MAX_CALL_ID = 64  # as the route's X-Call-Id header


class BalanceFastLane:
    """ASGI middleware: a kept balance answer when it may be given; everything else passes through."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = self._kept_answer(scope) if scope["type"] == "http" and scope["method"] == "GET" else None
        if body is None:
            await self.app(scope, receive, send)
            return
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-length", str(len(body)).encode()),
                    (b"content-type", b"application/json"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    def _kept_answer(self, scope: Scope) -> bytes | None:
        found = _PATH.fullmatch(scope["path"])
        if found is None:
            return None
        account = found.group(1)
        period = None
        if query := scope["query_string"]:
            asked = _QUERY.fullmatch(query)
            if asked is None:
                return None
            period = asked.group(1).decode()
        headers = _headers(scope, (b"authorization", b"x-call-id"))
        if headers is None:
            return None
        authorization, call_id = headers
        request = Request(scope)
        try:
            who = principal_of(settings_of(request), authorization)
        except ApiError:
            return None
        cache: BalanceCache = request.app.state.balance_cache
        kept = cache.answer((account, period, local_today(request)))
        if kept is None:
            return None
        account_id, body = kept
        if who.is_operator:
            return body
        if not call_id or len(call_id) > MAX_CALL_ID:
            return None
        facts = facts_of(request)
        if not facts.caller(call_id)[0]:  # not seen registered here: the route decides (no-call bucket)
            return None
        if not facts.allowed(f"call:{call_id}", lookup_subject(request, "account", account)):
            return None
        if not facts.verified(call_id, account_id):
            return None
        return body


def _headers(scope: Scope, names: tuple[bytes, ...]) -> list[Any] | None:
    """The named headers' values (None when absent); None overall when one is sent twice."""
    values: list[Any] = [None] * len(names)
    for key, value in scope["headers"]:
        if key in names:
            i = names.index(key)
            if values[i] is not None:
                return None
            values[i] = value.decode("latin-1")
    return values
