"""Endpoints anyone with a token may call: territories and offices, the promotion, phone look-up."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Path, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from api import schemas
from api.accounts import normalize_phone
from api.deps import (
    CallIdHeader,
    PrincipalDep,
    SessionDep,
    call_scope,
    guard_lookup,
    local_today,
    now,
    settings_of,
)
from api.errors import ApiError
from api.models import Call
from api.services import reference as service

router = APIRouter(tags=["reference"])


@router.get("/territories", summary="Territory suffixes with the office that serves each")
def territories(session: SessionDep, _who: PrincipalDep) -> list[schemas.Territory]:
    return service.territories(session)


@router.get("/phones/{number}/accounts", summary="Accounts whose phones on file include this number")
def phone_accounts(
    request: Request,
    number: Annotated[str, Path(max_length=40)],
    session: SessionDep,
    who: PrincipalDep,
    call_id: CallIdHeader = None,
) -> schemas.PhoneAccounts:
    """Accounts on file for a phone; for the IVR, counted by the enumeration guard.

    Why the guard here too: this endpoint answered 19,382 look-ups a minute. The
    dialogs ask it for the caller's own number without naming the call, so a
    question without `X-Call-Id` is counted against the call in progress from
    that number when there is one, and against the shared no-call bucket otherwise.
    """
    phone = normalize_phone(number)
    if phone is None:
        raise ApiError(
            422, "invalid_phone", "Phone must be a Russian number: +7 900 111-00-11, 8900..., 900..."
        )
    accounts = service.accounts_of_phone(session, phone)
    if not who.is_operator:
        at = now(request)
        if call_id is None:
            call_id = _call_in_progress_from(request, session, phone, at)
        scope = call_scope(request, session, call_id, at)
        guard_lookup(request, session, scope, kind="phone", text=phone, known=bool(accounts))
    return service.phone_accounts(phone, accounts)


def _call_in_progress_from(request: Request, session: Session, phone: str, at: datetime) -> str | None:
    """The latest unfinished call registered with this caller number (within the longest call)."""
    since = at - timedelta(seconds=max(60, settings_of(request).max_call_seconds))
    return session.scalar(
        select(Call.id)
        .where(Call.caller == phone, Call.ended_at.is_(None), Call.started_at >= since)
        .order_by(Call.started_at.desc())
        .limit(1)
    )


@router.get("/promotions/current", summary="The promotion running today, with its terms")
def promotion_current(request: Request, session: SessionDep, _who: PrincipalDep) -> schemas.Promotion:
    return service.promotion(session, local_today(request))
