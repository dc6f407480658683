"""The account card: search, balance by month, payments, meters, reading history, a reading entered
on the resident's behalf; the account's calls, escalations and callbacks, and its ownership check
(locks can be lifted with a reason, `story.py`).

Everything the card shows or stores comes from the API's service layer
(`api.services.accounts`: balances, meters, reading history, submitting a reading),
so a reading entered here passes exactly the hotline's checks and is stored with
source `operator` and the operator's name.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.accounts import parse_account
from api.balance import balance, periods_on_record
from api.console import search, story, texts
from api.console.web import CheckedUser, ConsoleUser, OperatorUser, render
from api.deps import SessionDep, find_account, local_today, now, settings_of
from api.errors import ApiError
from api.models import Account, Payment
from api.readings import configured_window
from api.services import accounts as service
from speech.russian import MONTHS_NOMINATIVE

router = APIRouter(prefix="/accounts")
MeterId = Annotated[int, Path(ge=1, le=2**31 - 1)]
MONTHS_SHOWN = 12
PAYMENTS_SHOWN = 24
HISTORY_SHOWN = 24  # newest readings in the card (six months of four meters)


def month_name(period: str) -> str:
    """ "2025-10" → "октябрь 2025"."""
    year, month = period.split("-")
    return f"{MONTHS_NOMINATIVE[int(month) - 1]} {year}"


def iso_time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


@router.get("", include_in_schema=False)
def search_page(request: Request, session: SessionDep, user: OperatorUser, q: str = ""):
    return _search(request, session, user, q)


@router.post("/search", include_in_schema=False)
def search_form(request: Request, session: SessionDep, user: CheckedUser, q: Annotated[str, Form()] = ""):
    """The search box posts: what an operator types (accounts, phones) stays out of URLs and access logs."""
    return _search(request, session, user, q)


def _search(request: Request, session: Session, user: ConsoleUser, q: str):
    query = q.strip()[: search.MAX_QUERY]
    results = search.find(session, query) if query else []
    if len(results) == 1:
        return RedirectResponse(_card_url(results[0].account.text), status_code=303)
    return render(request, "accounts.html", user, section="accounts", q=query, results=results)


def _card_url(account: str) -> str:
    return f"/console/accounts/{quote(account)}"


def _account(session: Session, text: str) -> Account | None:
    return find_account(session, text) if parse_account(text) else None


def _meters_context(
    request: Request, session: Session, user: ConsoleUser, acc: Account, **extra: Any
) -> dict[str, Any]:
    window = configured_window(settings_of(request))
    today = local_today(request)
    start, end = window.around(today)
    return {
        "acc": acc,
        "meters": service.meters(session, acc).meters,
        "history": service.reading_history(session, acc).readings,
        "window": {"open": window.contains(today), "start": start, "end": end},
        "today": today,
        "history_shown": HISTORY_SHOWN,
        "iso_time": iso_time,
        "date_of": date.fromisoformat,
        **extra,
    }


@router.get("/{account}", include_in_schema=False)
def card(
    request: Request, account: Annotated[str, Path(max_length=60)], session: SessionDep, user: OperatorUser
):
    acc = _account(session, account)
    if acc is None:  # another spelling in the address bar: search for it
        return _search(request, session, user, account)
    today = local_today(request)
    periods = periods_on_record(session, acc.id)[-MONTHS_SHOWN:]
    months = [balance(session, acc, period, today) for period in reversed(periods)]
    payments = list(
        session.scalars(
            select(Payment)
            .where(Payment.account_id == acc.id)
            .order_by(Payment.paid_on.desc(), Payment.id.desc())
            .limit(PAYMENTS_SHOWN)
        )
    )
    calls = story.calls_of(session, acc)
    return render(
        request,
        "account.html",
        user,
        section="accounts",
        months=months,
        month_name=month_name,
        payments=payments,
        calls=calls,
        story_escalations=story.escalations_of(session, acc, [c.id for c, _ in calls]),
        **{**_verification_context(request, session, acc), **_meters_context(request, session, user, acc)},
    )


def _verification_context(request: Request, session: Session, acc: Account, **extra: Any) -> dict[str, Any]:
    settings = settings_of(request)
    return {
        "acc": acc,
        **story.verification_context(session, acc, now(request), settings.verify_max_attempts),
        **extra,
    }


@router.post("/{account}/verification/lift", include_in_schema=False)
def lift_lock(
    request: Request,
    account: Annotated[str, Path(max_length=60)],
    session: SessionDep,
    user: CheckedUser,
    scope: Annotated[str, Form(max_length=10)] = "account",
    key: Annotated[str, Form(max_length=32)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
):
    """Lift a payment-guess lock for the real owner (an operator who knows the caller), with a reason."""
    acc = _account(session, account)
    if acc is None:
        return render(request, "_panel_missing.html", user, status_code=404)
    try:
        done = story.lift(
            session, acc, scope=scope, key=key, reason=reason, operator=user.name, at=now(request)
        )
    except story.LiftRefused as exc:
        session.rollback()
        context = _verification_context(request, session, acc, error=str(exc), typed=reason)
        return render(request, "_verification.html", user, status_code=422, **context)
    message = f"Блокировка снята ({texts.label(texts.LOCK_SCOPES, done.scope).lower()}), причина записана."
    context = _verification_context(request, session, acc, success=message)
    return render(request, "_verification.html", user, **context)


@router.post("/{account}/meters/{meter_id}/readings", include_in_schema=False)
def enter_reading(
    request: Request,
    account: Annotated[str, Path(max_length=60)],
    meter_id: MeterId,
    session: SessionDep,
    user: CheckedUser,
    value: Annotated[str, Form()] = "",
):
    acc = _account(session, account)
    if acc is None:
        return render(request, "_panel_missing.html", user, status_code=404)
    value = value.strip()
    try:
        if len(value) > 30:
            raise ApiError(422, "invalid_value", "value too long")
        stored = service.submit_reading(
            session,
            acc,
            meter_id,
            service.reading_value(value),
            source="operator",
            call_id=None,
            operator=user.name,
            at=now(request),
            today=local_today(request),
            window=configured_window(settings_of(request)),
        )
    except ApiError as exc:
        session.rollback()
        message = texts.reading_refusal(exc.reason, exc.message, exc.data)
        context = _meters_context(
            request, session, user, acc, error=message, error_meter=meter_id, typed=value
        )
        return render(request, "_meters.html", user, status_code=exc.status, **context)
    message = f"Показание {texts.plain_ru(stored.value)} принято"
    if stored.consumption is not None:
        message += f", расход {texts.plain_ru(stored.consumption)}"
    context = _meters_context(request, session, user, acc, success=message + ".", success_meter=meter_id)
    return render(request, "_meters.html", user, status_code=201, **context)
