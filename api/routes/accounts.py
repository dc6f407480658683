"""Account endpoints: summary, verification, balance, meters, readings, promotion status.

Each route reads the request (who asks, the call, the clock, the settings) and calls one
function of `api.services.accounts`; the console calls the same functions.
"""

from __future__ import annotations

import logging
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel, Field, StrictFloat, StrictInt, StrictStr

from api import schemas
from api.accounts import mask_phone, normalize_phone, parse_decimal
from api.balance_cache import BalanceCache
from api.capacity import in_worker
from api.deps import (
    AccountText,
    CallIdHeader,
    IvrDep,
    OperatorDep,
    PrincipalDep,
    SessionDep,
    VerifiedAccount,
    call_scope,
    facts_of,
    local_today,
    lookup_account,
    now,
    settings_of,
    verified_account,
)
from api.errors import ApiError
from api.readings import configured_window
from api.services import accounts as service
from api.strings import Ident
from api.verification import Policy

log = logging.getLogger("api.security")

router = APIRouter(prefix="/accounts", tags=["accounts"])
MeterId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.get(
    "/{account}",
    summary="Account summary (owner, address, phones for operators only)",
    response_model=schemas.AccountSummary,
    response_model_exclude_unset=True,
)
def account_summary(
    request: Request,
    account: AccountText,
    session: SessionDep,
    who: PrincipalDep,
    call_id: CallIdHeader = None,
) -> schemas.AccountSummary:
    acc = lookup_account(request, session, who, account, call_id=call_id)
    return service.summary(acc, for_operator=who.is_operator)


class VerifyBody(BaseModel):
    call_id: Ident = Field(min_length=1, max_length=64)
    # Accepted for compatibility and ignored: the number is the one the call was registered with.
    caller: Ident | None = Field(default=None, max_length=32)
    last_payment_amount: StrictStr | StrictInt | StrictFloat | None = None


@router.post("/{account}/verify", summary="Check that the caller owns the account (per call)")
def verify_account(
    request: Request, account: AccountText, body: VerifyBody, session: SessionDep, _who: IvrDep
) -> schemas.Verification:
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
    result = service.verify_call(
        session,
        acc,
        call_id=body.call_id,
        caller=scope.caller,
        amount=amount,
        at=at,
        today=local_today(request),
        policy=Policy(settings.verify_max_attempts, settings.verify_lock_minutes),
    )
    if result.verified:  # committed, and a verified call stays verified (api.call_facts)
        facts_of(request).verify(body.call_id, acc.id)
    return result


@router.get(
    "/{account}/balance",
    summary="Balance of a month (default: the latest closed month)",
    response_model=schemas.Balance,
)
async def account_balance(
    request: Request,
    account: AccountText,
    session: SessionDep,
    who: PrincipalDep,
    call_id: CallIdHeader = None,
    period: Annotated[str | None, Query(description="YYYY-MM")] = None,
) -> Response:
    """The IVR asks this on most calls: the check and the reads run in one worker-thread hop, and the
    answer is kept (`api.balance_cache`) for `api.balance_fast_lane` to repeat while it holds."""
    today = local_today(request)
    cache: BalanceCache = request.app.state.balance_cache

    def work() -> bytes:
        acc = verified_account(request, session, who, account, call_id)
        return service.balance_answer(session, cache, acc, account, period, today)

    return Response(await in_worker(session, work), media_type="application/json")


@router.get("/{account}/meters", summary="Meters with their last reading")
def account_meters(acc: VerifiedAccount, session: SessionDep) -> schemas.Meters:
    return service.meters(session, acc)


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
) -> schemas.ReadingOut:
    value = service.reading_value(body.value)
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
    return service.submit_reading(
        session,
        acc,
        meter_id,
        value,
        source=source,
        call_id=reading_call,
        operator=who.name if who.is_operator else None,
        at=now(request),
        today=local_today(request),
        window=configured_window(settings_of(request)),
    )


@router.get("/{account}/readings", summary="Reading history of every meter (operators)")
def account_readings(
    request: Request, account: AccountText, session: SessionDep, who: OperatorDep
) -> schemas.ReadingHistory:
    return service.reading_history(session, lookup_account(request, session, who, account))


@router.get("/{account}/promotion", summary="Whether the account takes part in the current promotion")
def account_promotion(request: Request, acc: VerifiedAccount, session: SessionDep) -> schemas.Participation:
    return service.promotion_status(session, acc, local_today(request))
