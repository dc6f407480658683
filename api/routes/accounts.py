"""Account endpoints: summary, verification, balance, meters, readings, promotion status."""

from __future__ import annotations

import logging
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, Field, StrictFloat, StrictInt, StrictStr
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from api import readings as readings_mod
from api.accounts import mask_phone, normalize_phone, parse_decimal
from api.balance import balance, parse_period, resolve_period
from api.deps import (
    AccountText,
    CallIdHeader,
    IvrDep,
    OperatorDep,
    PrincipalDep,
    SessionDep,
    VerifiedAccount,
    call_scope,
    local_today,
    lookup_account,
    now,
    settings_of,
)
from api.errors import ApiError
from api.models import Meter, Reading
from api.promotion import current_promotion, participation
from api.strings import Ident
from api.verification import Policy, verify

log = logging.getLogger("api.security")

router = APIRouter(prefix="/accounts", tags=["accounts"])
MeterId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.get("/{account}", summary="Account summary (owner, address, phones for operators only)")
def account_summary(
    request: Request,
    account: AccountText,
    session: SessionDep,
    who: PrincipalDep,
    call_id: CallIdHeader = None,
) -> dict[str, Any]:
    acc = lookup_account(request, session, who, account, call_id=call_id)
    body: dict[str, Any] = {
        "account": acc.text,
        "territory": {"suffix": acc.territory.suffix, "name": acc.territory.name},
        "web_registered_on": acc.web_registered_on.isoformat() if acc.web_registered_on else None,
        "e_receipt": acc.e_receipt,
    }
    if who.is_operator:
        body.update(
            owner_name=acc.owner_name,
            address=acc.address,
            area=str(acc.area) if acc.area is not None else None,
            phones=[p.number for p in acc.phones],
        )
    return body


class VerifyBody(BaseModel):
    call_id: Ident = Field(min_length=1, max_length=64)
    # Accepted for compatibility and ignored: the number is the one the call was registered with.
    caller: Ident | None = Field(default=None, max_length=32)
    last_payment_amount: StrictStr | StrictInt | StrictFloat | None = None


@router.post("/{account}/verify", summary="Check that the caller owns the account (per call)")
def verify_account(
    request: Request, account: AccountText, body: VerifyBody, session: SessionDep, _who: IvrDep
) -> dict[str, Any]:
    """Verify by the registered call's number on file, or by the amount of the last payment.

    Why the body's `caller` is ignored: anyone holding the IVR token could name a
    resident's number and read the balance. The number comes from `POST /calls`
    (what Asterisk reported); a call that was never registered has no number and can
    verify only by the last payment.
    """
    amount = None
    if body.last_payment_amount is not None:
        amount = parse_decimal(body.last_payment_amount, places=2)
        if amount is None or amount < 0:
            raise ApiError(422, "invalid_amount", 'last_payment_amount must be an amount like "123.45".')
    at = now(request)
    scope = call_scope(request, session, body.call_id, at)
    if body.caller is not None and (normalize_phone(body.caller) or body.caller) != scope.caller:
        log.warning(
            "verify: caller %s in the body ignored for call %s (registered: %s)",
            mask_phone(normalize_phone(body.caller) or body.caller),
            body.call_id,
            mask_phone(scope.caller),
        )
    acc = lookup_account(request, session, _who, account, call_id=body.call_id)
    settings = settings_of(request)

    def attempt() -> dict[str, Any]:
        return verify(
            session,
            acc,
            call_id=body.call_id,
            caller=scope.caller,
            amount=amount,
            at=at,
            today=local_today(request),
            policy=Policy(settings.verify_max_attempts, settings.verify_lock_minutes),
        )

    try:
        result = attempt()
        session.commit()
    except IntegrityError:
        # The same call verified this account concurrently: answer from the stored verification.
        session.rollback()
        result = attempt()
        session.commit()
    return result


@router.get("/{account}/balance", summary="Balance of a month (default: the latest closed month)")
def account_balance(
    request: Request,
    acc: VerifiedAccount,
    session: SessionDep,
    period: Annotated[str | None, Query(description="YYYY-MM")] = None,
) -> dict[str, Any]:
    wanted = None
    if period is not None:
        wanted = parse_period(period)
        if wanted is None:
            raise ApiError(422, "invalid_period", "period must be YYYY-MM, e.g. 2025-10.")
    today = local_today(request)
    resolved = resolve_period(session, acc.id, wanted, today)
    if resolved is None:
        raise ApiError(
            404, "period_not_found", f"No charges on record for {period or 'the latest closed month'}."
        )
    return balance(session, acc, resolved, today)


def _meters(session, account_id: int) -> list[Meter]:
    return list(
        session.scalars(
            select(Meter)
            .where(Meter.account_id == account_id)
            .options(selectinload(Meter.service))
            .order_by(Meter.id)
        )
    )


@router.get("/{account}/meters", summary="Meters with their last reading")
def account_meters(acc: VerifiedAccount, session: SessionDep) -> dict[str, Any]:
    meters = []
    for m in _meters(session, acc.id):
        last = readings_mod.previous_reading(session, m.id)
        meters.append(
            {
                "id": m.id,
                "service": m.service_code,
                "service_name": m.service.name,
                "serial": m.serial,
                "unit": m.service.unit,
                "verification_due": m.verification_due.isoformat() if m.verification_due else None,
                "last_reading": None
                if last is None
                else {
                    "value": readings_mod.plain(last.value),
                    "taken_at": last.taken_at.isoformat(),
                    "source": last.source,
                },
            }
        )
    return {"account": acc.text, "meters": meters}


class ReadingBody(BaseModel):
    value: StrictStr | StrictInt | StrictFloat
    call_id: Ident | None = Field(default=None, min_length=1, max_length=64)
    source: Literal["ivr", "operator"] | None = None


@router.post(
    "/{account}/meters/{meter_id}/readings",
    status_code=201,
    summary="Submit a reading (validated; stored once per call and meter)",
)
def submit_reading(
    request: Request,
    acc: VerifiedAccount,
    meter_id: MeterId,
    body: ReadingBody,
    session: SessionDep,
    who: PrincipalDep,
    call_id: CallIdHeader = None,
) -> dict[str, Any]:
    value = parse_decimal(body.value, places=3)
    if value is None or value < 0 or value > readings_mod.MAX_VALUE:
        raise ApiError(422, "invalid_value", "value must be a non-negative number with at most 3 decimals.")
    if who.is_operator:
        source = body.source or "operator"
        if source != "operator":
            raise ApiError(422, "invalid_source", 'Operators submit readings with source "operator".')
        reading_call = body.call_id
    else:
        if body.source not in (None, "ivr"):
            raise ApiError(422, "invalid_source", 'The IVR submits readings with source "ivr".')
        source = request.app.state.readings_source  # "ivr"; "chat" in `hotline chat`'s own API
        if body.call_id and call_id and body.call_id != call_id:
            raise ApiError(422, "call_id_mismatch", "call_id in the body differs from the X-Call-Id header.")
        reading_call = body.call_id or call_id
    meter = session.scalar(
        select(Meter)
        .where(Meter.id == meter_id, Meter.account_id == acc.id)
        .options(selectinload(Meter.account), selectinload(Meter.service))
    )
    if meter is None:
        raise ApiError(404, "meter_not_found", f"Account {acc.text} has no meter {meter_id}.")
    settings = settings_of(request)
    window = readings_mod.Window(settings.readings_window_start, settings.readings_window_end)
    return readings_mod.submit(
        session,
        meter,
        value,
        source=source,
        call_id=reading_call,
        operator=who.name if who.is_operator else None,
        at=now(request),
        today=local_today(request),
        window=window,
    )


@router.get("/{account}/readings", summary="Reading history of every meter (operators)")
def account_readings(
    request: Request, account: AccountText, session: SessionDep, who: OperatorDep
) -> dict[str, Any]:
    acc = lookup_account(request, session, who, account)
    meters = {m.id: m for m in _meters(session, acc.id)}
    rows = (
        session.scalars(
            select(Reading)
            .where(Reading.meter_id.in_(meters or [0]))
            .order_by(Reading.meter_id, Reading.taken_at, Reading.id)
        )
        if meters
        else []
    )
    history = []
    previous: dict[int, Reading] = {}
    for r in rows:
        item = readings_mod.reading_json(r, previous.get(r.meter_id))
        item.update(
            service=meters[r.meter_id].service_code, serial=meters[r.meter_id].serial, operator=r.operator
        )
        history.append(item)
        previous[r.meter_id] = r
    history.sort(key=lambda item: (item["taken_at"], item["id"]), reverse=True)
    return {"account": acc.text, "readings": history}


@router.get("/{account}/promotion", summary="Whether the account takes part in the current promotion")
def account_promotion(request: Request, acc: VerifiedAccount, session: SessionDep) -> dict[str, Any]:
    promo = current_promotion(session, local_today(request))
    if promo is None:
        raise ApiError(404, "no_promotion", "No promotion is running today.")
    return participation(promo, acc)
