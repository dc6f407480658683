"""Request-scoped helpers: database session, who is calling, the clock, account look-up.

Why one place: every endpoint must authenticate the same way, look accounts up
through the same enumeration guard, and check the same per-call verification.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Depends, Header, Request
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from api.accounts import mask_account, mask_phone, normalize_phone, parse_account
from api.errors import ApiError
from api.models import Account, Call, CallVerification, UnknownAccountLookup
from ivr.settings import Settings

log = logging.getLogger("api.security")


def settings_of(request: Request) -> Settings:
    return request.app.state.settings


def now(request: Request) -> datetime:
    """The app's clock (aware, UTC); tests replace `app.state.clock`."""
    return request.app.state.clock()


def local_today(request: Request) -> date:
    return now(request).astimezone(ZoneInfo(settings_of(request).timezone)).date()


def get_session(request: Request) -> Iterator[Session]:
    request.app.state.ensure_schema()
    with request.app.state.sessions() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


@dataclass(frozen=True)
class Principal:
    kind: str  # "ivr" | "operator"
    name: str

    @property
    def is_operator(self) -> bool:
        return self.kind == "operator"


def principal(request: Request, authorization: Annotated[str | None, Header()] = None) -> Principal:
    """Bearer token → the IVR service or a named operator; 401 otherwise."""
    if not authorization:
        raise ApiError(401, "unauthorized", "Missing bearer token (Authorization: Bearer <token>).")
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise ApiError(401, "unauthorized", "Use Authorization: Bearer <token>.")
    settings = settings_of(request)
    found: Principal | None = None
    if settings.ivr_token and secrets.compare_digest(token.encode(), settings.ivr_token.encode()):
        found = Principal("ivr", "ivr")
    for op_token, name in settings.operator_tokens.items():
        if secrets.compare_digest(token.encode(), op_token.encode()):
            found = Principal("operator", name)
    if found is None:
        raise ApiError(401, "unauthorized", "Unknown token.")
    return found


PrincipalDep = Annotated[Principal, Depends(principal)]


def operator(who: PrincipalDep) -> Principal:
    if not who.is_operator:
        raise ApiError(403, "operator_only", "This endpoint is for operators.")
    return who


def ivr(who: PrincipalDep) -> Principal:
    if who.kind != "ivr":
        raise ApiError(403, "ivr_only", "This endpoint is for the IVR service.")
    return who


OperatorDep = Annotated[Principal, Depends(operator)]
IvrDep = Annotated[Principal, Depends(ivr)]


def account_text(account: str) -> str:
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


def find_account(session: Session, text: str) -> Account | None:
    parsed = parse_account(text)
    if parsed is None:
        return None
    number, suffix = parsed
    return session.scalar(
        select(Account)
        .where(Account.number == number, Account.suffix == suffix)
        .options(selectinload(Account.phones), selectinload(Account.territory))
    )


def lookup_account(
    request: Request,
    session: Session,
    who: Principal,
    text: str,
    *,
    call_id: str | None = None,
    caller: str | None = None,
) -> Account:
    """The account, or 404; IVR look-ups pass the enumeration guard first.

    The guard counts unknown accounts asked for within one call (any time) and
    from one caller number (within HOTLINE_VERIFY_LOCK_MINUTES); past
    HOTLINE_UNKNOWN_ACCOUNTS_LIMIT every further look-up is refused with 429.
    """
    if who.is_operator:
        account = find_account(session, text)
        if account is None:
            raise ApiError(404, "account_not_found", f"No account {text}.")
        return account
    settings = settings_of(request)
    at = now(request)
    if caller is None and call_id:
        caller = session.scalar(select(Call.caller).where(Call.id == call_id))
    caller = normalize_phone(caller) or caller
    limit = settings.unknown_accounts_limit
    counts = []
    if call_id:
        counts.append(
            session.scalar(
                select(func.count())
                .select_from(UnknownAccountLookup)
                .where(UnknownAccountLookup.call_id == call_id)
            )
        )
    if caller:
        since = at - timedelta(minutes=settings.verify_lock_minutes)
        counts.append(
            session.scalar(
                select(func.count())
                .select_from(UnknownAccountLookup)
                .where(UnknownAccountLookup.caller == caller, UnknownAccountLookup.at > since)
            )
        )
    if counts and max(counts) >= limit:
        log.warning(
            "enumeration guard: refused account %s for call %s caller %s (%d unknown accounts)",
            mask_account(text),
            call_id or "-",
            mask_phone(caller),
            max(counts),
        )
        raise ApiError(
            429,
            "too_many_unknown_accounts",
            "Too many unknown account numbers from this call or number; ask an operator.",
        )
    account = find_account(session, text)
    if account is None:
        session.add(
            UnknownAccountLookup(call_id=call_id, caller=caller, account_masked=mask_account(text), at=at)
        )
        session.commit()
        log.info(
            "unknown account %s asked by call %s caller %s",
            mask_account(text),
            call_id or "-",
            mask_phone(caller),
        )
        raise ApiError(404, "account_not_found", "No such account.")
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
    ok = session.get(CallVerification, (call_id, account.id))
    if ok is None:
        log.info("not verified: account %s call %s", mask_account(text), call_id)
        raise ApiError(403, "not_verified", "This call has not verified ownership of the account.")
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
