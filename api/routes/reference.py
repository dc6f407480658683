"""Endpoints anyone with a token may call: territories and offices, the promotion, phone look-up."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

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
from api.models import Account, Call, Office, Phone, Territory
from api.promotion import current_promotion, promotion_json

router = APIRouter(tags=["reference"])


def office_json(office: Office | None) -> dict[str, Any] | None:
    if office is None:
        return None
    return {
        "city": office.city,
        "address": office.address,
        "hours": [
            {
                "days": h.days.split(","),
                "open": h.opens,
                "close": h.closes,
                "break": [h.break_start, h.break_end] if h.break_start else None,
            }
            for h in office.hours
        ],
    }


@router.get("/territories", summary="Territory suffixes with the office that serves each")
def territories(session: SessionDep, _who: PrincipalDep) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(Territory)
        .options(selectinload(Territory.office).selectinload(Office.hours))
        .order_by(Territory.suffix)
    )
    return [{"suffix": t.suffix, "name": t.name, "office": office_json(t.office)} for t in rows]


@router.get("/phones/{number}/accounts", summary="Accounts whose phones on file include this number")
def phone_accounts(
    request: Request,
    number: Annotated[str, Path(max_length=40)],
    session: SessionDep,
    who: PrincipalDep,
    call_id: CallIdHeader = None,
) -> dict[str, Any]:
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
    row = session.scalar(select(Phone).where(Phone.number == phone).options(selectinload(Phone.accounts)))
    accounts: list[Account] = sorted(row.accounts, key=lambda a: (a.number, a.suffix)) if row else []
    if not who.is_operator:
        at = now(request)
        if call_id is None:
            call_id = _call_in_progress_from(request, session, phone, at)
        scope = call_scope(request, session, call_id, at)
        guard_lookup(request, session, scope, kind="phone", text=phone, known=bool(accounts))
    return {"phone": phone, "accounts": [a.text for a in accounts]}


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
def promotion_current(request: Request, session: SessionDep, _who: PrincipalDep) -> dict[str, Any]:
    promo = current_promotion(session, local_today(request))
    if promo is None:
        raise ApiError(404, "no_promotion", "No promotion is running today.")
    return promotion_json(promo)
