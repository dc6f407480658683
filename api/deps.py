"""Request-scoped helpers: database session, who is calling, the clock, account look-up.

Why one place: every endpoint must authenticate the same way, look accounts up
through the same enumeration guard, and check the same per-call verification.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Annotated

from fastapi import Depends, Header, Request
from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.accounts import mask_account, mask_phone, normalize_phone, parse_account
from api.call_facts import CallFacts
from api.capacity import admitted_session
from api.errors import ApiError
from api.models import Account, AccountLookup, Call, CallVerification
from api.settings import ApiSettings

log = logging.getLogger("api.security")


def settings_of(request: Request) -> ApiSettings:
    settings: ApiSettings = request.app.state.settings
    return settings


def now(request: Request) -> datetime:
    """The app's clock (aware, UTC); tests replace `app.state.clock`."""
    return request.app.state.clock()


def local_today(request: Request) -> date:
    return now(request).astimezone(settings_of(request).zone).date()


async def get_session(request: Request) -> AsyncIterator[Session]:
    """The request's session, once admitted (at most db.POOL_SIZE at once; see api.capacity)."""
    state = request.app.state
    async with admitted_session(state.sessions, state.ensure_schema, state.schema_ready) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


@dataclass(frozen=True)
class Principal:
    kind: str  # "ivr" | "operator"
    name: str

    @property
    def is_operator(self) -> bool:
        return self.kind == "operator"


def principal_of(settings: ApiSettings, authorization: str | None) -> Principal:
    """Bearer token → the IVR service or a named operator; ApiError 401 otherwise."""
    if not authorization:
        raise ApiError(401, "unauthorized", "Missing bearer token (Authorization: Bearer <token>).")
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise ApiError(401, "unauthorized", "Use Authorization: Bearer <token>.")
    found: Principal | None = None
    ivr_token = settings.ivr_token.get_secret_value() if settings.ivr_token else None
    if ivr_token and secrets.compare_digest(token.encode(), ivr_token.encode()):
        found = Principal("ivr", "ivr")
    operator_name = settings.operator_name(token)
    if operator_name is not None:
        found = Principal("operator", operator_name)
    if found is None:
        raise ApiError(401, "unauthorized", "Unknown token.")
    return found


async def principal(request: Request, authorization: Annotated[str | None, Header()] = None) -> Principal:
    """Who is calling (see `principal_of`).

    Why `async`: these checks are a few comparisons; run on the event loop they cost no
    worker-thread hop (FastAPI runs every plain `def` dependency in a worker thread)."""
    return principal_of(settings_of(request), authorization)


PrincipalDep = Annotated[Principal, Depends(principal)]


async def operator(who: PrincipalDep) -> Principal:
    if not who.is_operator:
        raise ApiError(403, "operator_only", "This endpoint is for operators.")
    return who


async def ivr(who: PrincipalDep) -> Principal:
    if who.kind != "ivr":
        raise ApiError(403, "ivr_only", "This endpoint is for the IVR service.")
    return who


OperatorDep = Annotated[Principal, Depends(operator)]
IvrDep = Annotated[Principal, Depends(ivr)]


async def account_text(account: str) -> str:
    """Path parameter check: `NNNNNNNNN-S` or a 422 `invalid_account`."""
    if parse_account(account) is None:
        raise ApiError(
            422,
            "invalid_account",
            "Account must be nine digits, a dash and the territory suffix 0-9, e.g. 001110011-7.",
        )
    return account


AccountText = Annotated[str, Depends(account_text)]
CallIdHeader = Annotated[str | None, Header(alias="X-Call-Id", max_length=64)]


# Built once (building it cost more than running it); territory and phones load when first read.
_ACCOUNT_BY_TEXT = select(Account).where(
    Account.number == bindparam("number"), Account.suffix == bindparam("suffix")
)


def find_account(session: Session, text: str) -> Account | None:
    parsed = parse_account(text)
    if parsed is None:
        return None
    number, suffix = parsed
    return session.scalar(_ACCOUNT_BY_TEXT, {"number": number, "suffix": suffix})


def facts_of(request: Request) -> CallFacts:
    """The app's memory of call facts that never become untrue (see `api.call_facts`)."""
    facts = getattr(request.app.state, "call_facts", None)
    if facts is None:
        facts = request.app.state.call_facts = CallFacts()
    return facts


@dataclass(frozen=True)
class CallScope:
    """Who is asking, for the enumeration guard: a registered call, or the shared no-call bucket."""

    key: str  # "call:<id>" | "nocall:<window>"
    call_id: str | None  # the registered call's id
    caller: str | None  # the number the call was registered with (normalised), never one a client names


def call_scope(request: Request, session: Session, call_id: str | None, at: datetime) -> CallScope:
    """The registered call behind `call_id`; an unknown or missing id counts as no call.

    Why not trust any id: a fresh random call id per request made every request a
    "first" one. Requests without a registered call share one bucket per window of
    HOTLINE_VERIFY_LOCK_MINUTES, so they are limited all together.
    """
    if call_id:
        known, caller = facts_of(request).caller(call_id)
        if known:
            return CallScope(f"call:{call_id}", call_id, caller)
        call = session.get(Call, call_id)
        if call is not None:
            caller = normalize_phone(call.caller) or call.caller
            facts_of(request).registered(call.id, caller)
            return CallScope(f"call:{call.id}", call.id, caller)
    window = max(1, settings_of(request).verify_lock_minutes) * 60
    return CallScope(f"nocall:{int(at.timestamp()) // window}", None, None)


def _lookup_key(request: Request) -> bytes:
    """Key of the hashes that stand for accounts and phones in `account_lookups` (stable per token)."""
    key = getattr(request.app.state, "lookup_key", None)
    if key is None:
        token = settings_of(request).ivr_token
        secret = token.get_secret_value() if token else secrets.token_hex(16)
        key = request.app.state.lookup_key = hashlib.sha256(b"hotline-lookups:" + secret.encode()).digest()
    return key


def lookup_subject(request: Request, kind: str, text: str) -> str:
    """What stands for an account or phone in `account_lookups` (a keyed hash, never the number)."""
    return hmac.new(_lookup_key(request), f"{kind}:{text}".encode(), hashlib.sha256).hexdigest()[:40]


def _refuse_enumeration(scope: CallScope, masked: str, why: str) -> ApiError:
    log.warning(
        "enumeration guard: refused %s for %s caller %s (%s)",
        masked,
        scope.key,
        mask_phone(scope.caller),
        why,
    )
    return ApiError(
        429,
        "too_many_unknown_accounts",
        "Too many account or phone look-ups from this call, number or service; ask an operator.",
        why=why,
    )


def guard_lookup(
    request: Request, session: Session, scope: CallScope, *, kind: str, text: str, known: bool
) -> None:
    """Count one IVR question about an account or phone; 429 past a limit.

    Limits: per call (or the no-call bucket) at most HOTLINE_CALL_LOOKUPS_LIMIT
    distinct accounts and phones, of which HOTLINE_UNKNOWN_ACCOUNTS_LIMIT unknown
    accounts; per caller number HOTLINE_UNKNOWN_ACCOUNTS_LIMIT unknown accounts within
    HOTLINE_VERIFY_LOCK_MINUTES; over the whole IVR token HOTLINE_IVR_LOOKUPS_PER_MINUTE
    new questions a minute. A question asked again in the same call is answered as the
    first time. Atomic without a table lock: the row is inserted and committed first,
    then counted, so a request sees itself and everything committed before it — of N
    concurrent requests at most the limit see a count within it. Refused questions are
    not counted (a verdict only ever goes from undecided to answered or refused), so a
    flood of refused requests cannot use up the limit that real calls share.
    """
    at = now(request)
    subject = lookup_subject(request, kind, text)
    facts = facts_of(request)
    if facts.allowed(scope.key, subject):  # asked and allowed before in this call: answered as then
        return
    masked = mask_account(text) if kind == "account" else mask_phone(text)

    def existing() -> AccountLookup | None:
        return session.scalar(
            select(AccountLookup)
            .where(AccountLookup.scope == scope.key, AccountLookup.subject == subject)
            .execution_options(populate_existing=True)
        )

    row = existing()
    if row is None:
        row = AccountLookup(
            scope=scope.key,
            subject=subject,
            kind=kind,
            known=known,
            allowed=None,
            caller=scope.caller,
            masked=masked,
            at=at,
        )
        session.add(row)
        try:
            session.commit()
        except IntegrityError:  # the same question of the same call, concurrently: wait for its verdict
            session.rollback()
            row = None
        else:
            why = _decide(request, session, scope, row, at)
            if why:
                raise _refuse_enumeration(scope, masked, why)
            facts.allow(scope.key, subject)
            return
    waited = 0.0
    while row is None or row.allowed is None:
        if waited >= PENDING_SECONDS and row is not None:  # its first asker never decided: decide now
            why = _decide(request, session, scope, row, at)
            if why:
                raise _refuse_enumeration(scope, masked, why)
            return
        time.sleep(0.02)
        waited += 0.02
        row = existing()
    if not row.allowed:
        raise _refuse_enumeration(scope, masked, "refused before in this call")
    facts.allow(scope.key, subject)


PENDING_SECONDS = 2.0


def _decide(
    request: Request, session: Session, scope: CallScope, row: AccountLookup, at: datetime
) -> str | None:
    """Count after our row is committed; store the verdict; the limit reached, or None."""
    settings = settings_of(request)

    def count(*conditions) -> int:
        """Questions answered or still being decided (refused ones give nothing away, and must not
        let a flood of refused requests use up the limits of real calls)."""
        return (
            session.scalar(
                select(func.count())
                .select_from(AccountLookup)
                .where(AccountLookup.allowed.is_not(False), *conditions)
            )
            or 0
        )

    unknown_account = (AccountLookup.kind == "account", AccountLookup.known.is_(False))
    mine_unknown = 1 if (row.kind == "account" and not row.known) else 0
    account_question = row.kind == "account"  # the unknown-account limits stop account questions
    why = None
    if count(AccountLookup.scope == scope.key) > settings.call_lookups_limit:
        why = "call_lookups_limit"
    elif account_question and count(AccountLookup.scope == scope.key, *unknown_account) - mine_unknown >= (
        settings.unknown_accounts_limit
    ):
        why = "unknown_accounts_limit"
    elif (
        account_question
        and scope.caller
        and (
            count(
                AccountLookup.caller == scope.caller,
                AccountLookup.at > at - timedelta(minutes=settings.verify_lock_minutes),
                *unknown_account,
            )
            - mine_unknown
            >= settings.unknown_accounts_limit
        )
    ):
        why = "unknown_accounts_limit (caller number)"
    elif count(AccountLookup.at > at - timedelta(minutes=1)) > settings.ivr_lookups_per_minute:
        why = "ivr_lookups_per_minute"
    row.allowed = why is None
    if row.id % 500 == 0:  # now and then, forget questions older than a day
        session.execute(delete(AccountLookup).where(AccountLookup.at < at - timedelta(days=1)))
    session.commit()
    if not why and not row.known:
        log.info(
            "unknown %s %s asked by %s caller %s", row.kind, row.masked, scope.key, mask_phone(scope.caller)
        )
    return why


def lookup_account(
    request: Request, session: Session, who: Principal, text: str, *, call_id: str | None = None
) -> Account:
    """The account, or 404; IVR look-ups pass the enumeration guard first (see `guard_lookup`)."""
    account = find_account(session, text)
    if not who.is_operator:
        at = now(request)
        scope = call_scope(request, session, call_id, at)
        guard_lookup(request, session, scope, kind="account", text=text, known=account is not None)
    if account is None:
        raise ApiError(
            404, "account_not_found", f"No account {text}." if who.is_operator else "No such account."
        )
    return account


def verified_account(
    request: Request, session: Session, who: Principal, text: str, call_id: str | None
) -> Account:
    """The account, if the caller may see it: operators always, the IVR only within a verified call."""
    account = lookup_account(request, session, who, text, call_id=call_id)
    if who.is_operator:
        return account
    if not call_id:
        raise ApiError(403, "not_verified", "X-Call-Id of a call verified for this account is required.")
    facts = facts_of(request)
    if facts.verified(call_id, account.id):
        return account
    ok = session.get(CallVerification, (call_id, account.id))
    if ok is None:
        log.info("not verified: account %s call %s", mask_account(text), call_id)
        raise ApiError(403, "not_verified", "This call has not verified ownership of the account.")
    facts.verify(call_id, account.id)
    return account


def _verified_account_dep(
    request: Request,
    account: AccountText,
    session: SessionDep,
    who: PrincipalDep,
    call_id: CallIdHeader = None,
) -> Account:
    return verified_account(request, session, who, account, call_id)


# The path's account, once the caller may see it (see `verified_account`).
VerifiedAccount = Annotated[Account, Depends(_verified_account_dep)]
