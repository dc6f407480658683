"""The balance the IVR asks on most calls, answered without FastAPI when every check is already known true.

Why: FastAPI's own work per request (resolving dependencies, validating, serialising, routing)
cost about twice the balance's own database work (issue 13). This ASGI middleware answers
`GET /api/v1/accounts/{account}/balance[?period=YYYY-MM]` itself, but decides nothing new: it
answers only when

- the bearer token is valid (checked on every request, as the route checks it: `deps.principal_of`);
- for the IVR: the `X-Call-Id` call is registered, its look-up of this account was allowed, and it
  verified this account — facts this process has seen and that never become untrue
  (`api.call_facts`); operators may read every account, as in the route;

and then gives the answer kept in `api.balance_cache`, or computes and keeps it in one
worker-thread hop (`services.accounts.balance_answer`, the route's own function) when a place at
the database is free at once. Anything else — a refusal, an unknown call, a look-up or
verification not yet seen, an unknown account or month, every place at the database taken — goes
to the full route (`api/routes/accounts.py`), which decides, waits its turn and answers. A
database that is down is the same 503 `service_unavailable` (`errors.database_unavailable`).
Control characters are refused before this runs (`api.strings.RefuseControlChars` is the outer
middleware).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from api.balance_cache import BalanceCache
from api.capacity import DatabaseBusy, admitted_session, in_worker
from api.deps import Principal, facts_of, find_account, local_today, lookup_subject, principal_of, settings_of
from api.errors import DATABASE_DOWN, ApiError, database_unavailable
from api.services.accounts import balance_answer

_PATH = re.compile(r"/api/v1/accounts/([0-9]{9}-[0-9])/balance")
_QUERY = re.compile(rb"period=([0-9]{4}-[0-9]{2})")
MAX_CALL_ID = 64  # as the route's X-Call-Id header


@dataclass(frozen=True)
class _Asked:
    """A balance request whose asker is known: an operator, or an IVR call allowed to look the account up."""

    request: Request
    account: str
    period: str | None
    who: Principal
    call_id: str | None
    today: date

    def may_read(self, account_id: int) -> bool:
        """Operators always; the IVR when this call verified this account (seen by this process)."""
        if self.who.is_operator:
            return True
        return self.call_id is not None and facts_of(self.request).verified(self.call_id, account_id)


class BalanceFastLane:
    """ASGI middleware: the balance when it may be given at once; everything else passes through."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        asked = _asked(scope) if scope["type"] == "http" and scope["method"] == "GET" else None
        answer = None if asked is None else await _answer(asked)
        if answer is None:
            await self.app(scope, receive, send)
            return
        if isinstance(answer, Response):
            await answer(scope, receive, send)
            return
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-length", str(len(answer)).encode()),
                    (b"content-type", b"application/json"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": answer})


def _asked(scope: Scope) -> _Asked | None:
    """The balance request, if it is one this lane may answer (see the module's docstring)."""
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
    if not who.is_operator:
        if not call_id or len(call_id) > MAX_CALL_ID:
            return None
        facts = facts_of(request)
        if not facts.caller(call_id)[0]:  # not seen registered here: the route decides (no-call bucket)
            return None
        if not facts.allowed(f"call:{call_id}", lookup_subject(request, "account", account)):
            return None
    return _Asked(request, account, period, who, call_id, local_today(request))


async def _answer(asked: _Asked) -> bytes | Response | None:
    """The kept answer; else computed in one hop when the database has a free place; else None."""
    state = asked.request.app.state
    cache: BalanceCache = state.balance_cache
    kept = cache.answer((asked.account, asked.period, asked.today))
    if kept is not None:
        return kept[1] if asked.may_read(kept[0]) else None

    def work() -> bytes | None:
        acc = find_account(session, asked.account)
        if acc is None or not asked.may_read(acc.id):
            return None  # the route answers 404, or reads the call's verification
        try:
            return balance_answer(session, cache, acc, asked.account, asked.period, asked.today)
        except ApiError:
            return None  # a month not on record: the route says so

    try:
        async with admitted_session(
            state.sessions, state.ensure_schema, state.schema_ready, wait=False
        ) as session:
            return await in_worker(session, work)
    except DatabaseBusy:
        return None  # the route waits its turn (and answers 503 busy past it)
    except DATABASE_DOWN as exc:
        return database_unavailable("GET", asked.request.url.path, exc)


def _headers(scope: Scope, names: tuple[bytes, ...]) -> list[str | None] | None:
    """The named headers' values (None when absent); None overall when one is sent twice."""
    values: list[str | None] = [None] * len(names)
    for key, value in scope["headers"]:
        if key in names:
            i = names.index(key)
            if values[i] is not None:
                return None
            values[i] = value.decode("latin-1")
    return values
