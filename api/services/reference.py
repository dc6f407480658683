"""What any token may read: territories with their offices, accounts of a phone, the promotion."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from api import schemas
from api.errors import ApiError
from api.models import Account, Office, Phone, Territory
from api.promotion import current_promotion, promotion_out


def office_out(office: Office | None) -> schemas.Office | None:
    if office is None:
        return None
    return schemas.Office(
        city=office.city,
        address=office.address,
        hours=[
            schemas.OpeningHours(
                days=h.days.split(","),
                open=h.opens,
                close=h.closes,
                break_=[h.break_start, h.break_end] if h.break_start else None,
            )
            for h in office.hours
        ],
    )


def territories(session: Session) -> list[schemas.Territory]:
    rows = session.scalars(
        select(Territory)
        .options(selectinload(Territory.office).selectinload(Office.hours))
        .order_by(Territory.suffix)
    )
    return [schemas.Territory(suffix=t.suffix, name=t.name, office=office_out(t.office)) for t in rows]


def accounts_of_phone(session: Session, phone: str) -> list[Account]:
    """Accounts whose phones on file include `phone` (normalised), in account order."""
    row = session.scalar(select(Phone).where(Phone.number == phone).options(selectinload(Phone.accounts)))
    return sorted(row.accounts, key=lambda a: (a.number, a.suffix)) if row else []


def phone_accounts(phone: str, accounts: list[Account]) -> schemas.PhoneAccounts:
    return schemas.PhoneAccounts(phone=phone, accounts=[a.text for a in accounts])


def promotion(session: Session, today: date) -> schemas.Promotion:
    """The promotion running today with its terms; 404 `no_promotion` if none."""
    promo = current_promotion(session, today)
    if promo is None:
        raise ApiError(404, "no_promotion", "No promotion is running today.")
    return promotion_out(promo)
