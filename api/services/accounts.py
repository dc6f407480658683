"""Accounts as the IVR and operators see them: summary, ownership check, meters, readings, promotion."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from api import readings, schemas
from api.accounts import parse_decimal
from api.balance import balance, parse_period, resolve_period
from api.balance_cache import BalanceCache
from api.errors import ApiError
from api.models import Account, Meter, Reading
from api.promotion import current_promotion, participation
from api.verification import Policy, verify


def summary(acc: Account, *, for_operator: bool) -> schemas.AccountSummary:
    """The account's head; the owner, address, area and phones only for operators (left unset otherwise,
    so the IVR's answer does not even name them)."""
    fields = {
        "account": acc.text,
        "territory": schemas.TerritoryRef(suffix=acc.territory.suffix, name=acc.territory.name),
        "web_registered_on": acc.web_registered_on.isoformat() if acc.web_registered_on else None,
        "e_receipt": acc.e_receipt,
    }
    if for_operator:
        fields.update(
            owner_name=acc.owner_name,
            address=acc.address,
            area=str(acc.area) if acc.area is not None else None,
            phones=[p.number for p in acc.phones],
        )
    return schemas.AccountSummary(**fields)


def verify_call(
    session: Session,
    acc: Account,
    *,
    call_id: str,
    caller: str | None,
    amount: Decimal | None,
    at: datetime,
    today: date,
    policy: Policy,
) -> schemas.Verification:
    """One ownership check of a call (see `api.verification`); a concurrent check of the same call
    and account is answered from the verification it stored."""

    def attempt() -> schemas.Verification:
        return schemas.Verification(
            **verify(
                session, acc, call_id=call_id, caller=caller, amount=amount, at=at, today=today, policy=policy
            )
        )

    try:
        result = attempt()
        session.commit()
    except IntegrityError:
        session.rollback()
        result = attempt()
        session.commit()
    return result


def meters_of(session: Session, account_id: int) -> list[Meter]:
    return list(
        session.scalars(
            select(Meter)
            .where(Meter.account_id == account_id)
            .options(selectinload(Meter.service))
            .order_by(Meter.id)
        )
    )


def meters(session: Session, acc: Account) -> schemas.Meters:
    """The account's meters, each with its last reading."""
    found = []
    for m in meters_of(session, acc.id):
        last = readings.previous_reading(session, m.id)
        found.append(
            schemas.MeterOut(
                id=m.id,
                service=m.service_code,
                service_name=m.service.name,
                serial=m.serial,
                unit=m.service.unit,
                verification_due=m.verification_due.isoformat() if m.verification_due else None,
                last_reading=None
                if last is None
                else schemas.LastReading(
                    value=readings.plain(last.value), taken_at=last.taken_at.isoformat(), source=last.source
                ),
            )
        )
    return schemas.Meters(account=acc.text, meters=found)


def reading_history(session: Session, acc: Account) -> schemas.ReadingHistory:
    """Every reading of every meter of the account, newest first, with the use since the one before."""
    by_id = {m.id: m for m in meters_of(session, acc.id)}
    rows: Iterable[Reading] = (
        session.scalars(
            select(Reading)
            .where(Reading.meter_id.in_(by_id))
            .order_by(Reading.meter_id, Reading.taken_at, Reading.id)
        )
        if by_id
        else []
    )
    history = []
    previous: dict[int, Reading] = {}
    for r in rows:
        meter = by_id[r.meter_id]
        history.append(
            schemas.HistoryReading(
                **readings.reading_out(r, previous.get(r.meter_id)).model_dump(),
                service=meter.service_code,
                serial=meter.serial,
                operator=r.operator,
            )
        )
        previous[r.meter_id] = r
    history.sort(key=lambda item: (item.taken_at, item.id), reverse=True)
    return schemas.ReadingHistory(account=acc.text, readings=history)


def reading_value(raw: object) -> Decimal:
    """A reading as typed or said ("123,45", 123.45) → Decimal; 422 `invalid_value` otherwise."""
    value = parse_decimal(raw, places=3)
    if value is None or value < 0 or value > readings.MAX_VALUE:
        raise ApiError(422, "invalid_value", "value must be a non-negative number with at most 3 decimals.")
    return value


def submit_reading(
    session: Session,
    acc: Account,
    meter_id: int,
    value: Decimal,
    *,
    source: str,
    call_id: str | None,
    operator: str | None,
    at: datetime,
    today: date,
    window: readings.Window,
) -> schemas.ReadingOut:
    """Check and store a reading of one of the account's meters (422 with the rule it breaks)."""
    meter = session.scalar(
        select(Meter)
        .where(Meter.id == meter_id, Meter.account_id == acc.id)
        .options(selectinload(Meter.account), selectinload(Meter.service))
    )
    if meter is None:
        raise ApiError(404, "meter_not_found", f"Account {acc.text} has no meter {meter_id}.")
    return readings.submit(
        session,
        meter,
        value,
        source=source,
        call_id=call_id,
        operator=operator,
        at=at,
        today=today,
        window=window,
    )


def month_balance(session: Session, acc: Account, period: str | None, today: date) -> schemas.Balance:
    """The balance of `period` (YYYY-MM; default the latest closed month on record)."""
    wanted = None
    if period is not None:
        wanted = parse_period(period)
        if wanted is None:
            raise ApiError(422, "invalid_period", "period must be YYYY-MM, e.g. 2025-10.")
    resolved = resolve_period(session, acc.id, wanted, today)
    if resolved is None:
        raise ApiError(
            404, "period_not_found", f"No charges on record for {period or 'the latest closed month'}."
        )
    return balance(session, acc, resolved, today)


def balance_answer(
    session: Session, cache: BalanceCache, acc: Account, text: str, period: str | None, today: date
) -> bytes:
    """`month_balance` as JSON: the answer kept for (text, period, today) while its data version
    stands, else computed and kept (see `api.balance_cache`). The caller has checked who may read it."""
    key = (text, period, today)
    kept = cache.answer(key)
    if kept is not None and kept[0] == acc.id:
        return kept[1]
    version = cache.version(session.connection())  # before the figures: never newer than they are
    body = month_balance(session, acc, period, today).model_dump_json().encode()
    cache.keep(key, version, acc.id, body)
    return body


def promotion_status(session: Session, acc: Account, today: date) -> schemas.Participation:
    """Whether the account takes part in the promotion running today; 404 `no_promotion` if none."""
    promo = current_promotion(session, today)
    if promo is None:
        raise ApiError(404, "no_promotion", "No promotion is running today.")
    return participation(promo, acc)
