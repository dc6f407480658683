"""Endpoints anyone with a token may call: territories and offices, the promotion, phone look-up."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from api.accounts import normalize_phone
from api.deps import PrincipalDep, SessionDep, local_today
from api.errors import ApiError
from api.models import Account, Office, Phone, Territory
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
def phone_accounts(number: str, session: SessionDep, _who: PrincipalDep) -> dict[str, Any]:
    phone = normalize_phone(number)
    if phone is None:
        raise ApiError(
            422, "invalid_phone", "Phone must be a Russian number: +7 900 111-00-11, 8900..., 900..."
        )
    row = session.scalar(select(Phone).where(Phone.number == phone).options(selectinload(Phone.accounts)))
    accounts: list[Account] = sorted(row.accounts, key=lambda a: (a.number, a.suffix)) if row else []
    return {"phone": phone, "accounts": [a.text for a in accounts]}


@router.get("/promotions/current", summary="The promotion running today, with its terms")
def promotion_current(request: Request, session: SessionDep, _who: PrincipalDep) -> dict[str, Any]:
    promo = current_promotion(session, local_today(request))
    if promo is None:
        raise ApiError(404, "no_promotion", "No promotion is running today.")
    return promotion_json(promo)
