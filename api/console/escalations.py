"""The escalation queue: calls the robot handed over, with their context; take, note, close.

Taking, noting and closing go through `api.services.escalations`, so the
atomic take (one guarded UPDATE; 409 `already_taken` for the second operator)
is the same code for the console and for operator tokens.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from api.accounts import normalize_phone
from api.console import texts
from api.console.web import CheckedUser, ConsoleUser, OperatorUser, render
from api.deps import SessionDep, find_account, now
from api.errors import ApiError
from api.models import Account, Call, Escalation, Phone
from api.routes.calls import EscalationUpdate
from api.services import escalations as escalation_service
from api.services.escalations import CALLBACK_REASON

router = APIRouter(prefix="/escalations")
EscalationId = Annotated[int, Path(ge=1, le=2**31 - 1)]
CLOSED_SHOWN = 10
CLOSED_WITHIN = timedelta(hours=12)


def callbacks_due(session: Session, at: datetime) -> int:
    """Callback requests to call now: open, and their retry time (if any) has come."""
    return (
        session.scalar(
            select(func.count())
            .select_from(Escalation)
            .where(
                Escalation.status == "open",
                Escalation.reason == CALLBACK_REASON,
                Escalation.retry_at.is_(None) | (Escalation.retry_at <= at),
            )
        )
        or 0
    )


def _with_call():
    return selectinload(Escalation.call).selectinload(Call.lines)


CALLBACK = CALLBACK_REASON


def queue(session: Session, at: datetime) -> tuple[list[Escalation], list[Escalation]]:
    """(waiting or in work, oldest first, callers who hung up last; closed in the last hours, newest
    first). Callback requests are not here: they have their own queue (`callbacks.py`)."""
    waiting = list(
        session.scalars(
            select(Escalation)
            .where(Escalation.status.in_(("open", "taken")), Escalation.reason != CALLBACK)
            .options(selectinload(Escalation.call))
            .order_by(Escalation.created_at, Escalation.id)
        )
    )
    waiting.sort(key=caller_gone)  # stable: the oldest waiting caller stays first
    closed = list(
        session.scalars(
            select(Escalation)
            .where(
                Escalation.status == "closed",
                Escalation.closed_at >= at - CLOSED_WITHIN,
                Escalation.reason != CALLBACK,
            )
            .options(selectinload(Escalation.call))
            .order_by(Escalation.closed_at.desc(), Escalation.id.desc())
            .limit(CLOSED_SHOWN)
        )
    )
    return waiting, closed


# The IVR ends its call record when the call leaves the robot; with outcome `operator` the caller
# was redirected to the operators' queue and is still on the line. Any other end: nobody waits.
STILL_ON_THE_LINE = ("operator",)


def caller_gone(esc: Escalation) -> bool:
    """An open escalation whose call has ended other than by the transfer: nobody waits for it."""
    call = esc.call
    return (
        esc.status == "open"
        and call is not None
        and call.ended_at is not None
        and call.outcome not in STILL_ON_THE_LINE
    )


def waiting_count(session: Session) -> int:
    """Callers waiting for an operator now: open, not a callback, call not ended (or transferred)."""
    return (
        session.scalar(
            select(func.count())
            .select_from(Escalation)
            .join(Call, Call.id == Escalation.call_id)
            .where(
                Escalation.status == "open",
                Escalation.reason != CALLBACK,
                Call.ended_at.is_(None) | Call.outcome.in_(STILL_ON_THE_LINE),
            )
        )
        or 0
    )


def minutes_waiting(esc: Escalation, at: datetime) -> int:
    return max(0, int((at - esc.created_at).total_seconds() // 60))


def on_file(session: Session, escalations: list[Escalation]) -> dict[str, list[Account]]:
    """For escalations without a named account: the accounts their caller's number is on file for."""
    numbers = {
        normalize_phone(esc.call.caller)
        for esc in escalations
        if not esc.account and esc.call is not None and esc.call.caller
    } - {None}
    return accounts_by_phone(session, numbers)


def accounts_by_phone(session: Session, numbers: set[str | None]) -> dict[str, list[Account]]:
    """number → its accounts (one query for the whole queue)."""
    found: dict[str, list[Account]] = {}
    wanted = [n for n in numbers if n]
    if not wanted:
        return found
    rows = session.scalars(
        select(Phone).where(Phone.number.in_(wanted)).options(selectinload(Phone.accounts))
    )
    for phone in rows:
        found[phone.number] = sorted(phone.accounts, key=lambda a: (a.number, a.suffix))
    return found


def caller_accounts(esc: Escalation, by_phone: dict[str, list[Account]]) -> list[Account]:
    """The accounts of the caller's number on file, when the call named none (template helper)."""
    if esc.account or esc.call is None:
        return []
    return by_phone.get(normalize_phone(esc.call.caller) or "", [])


def _queue_context(session: Session, at: datetime) -> dict:
    waiting, closed = queue(session, at)
    return {
        "waiting": waiting,
        "closed": closed,
        "minutes_waiting": minutes_waiting,
        "caller_gone": caller_gone,
        "by_phone": on_file(session, waiting),
        "caller_accounts": caller_accounts,
    }


@router.get("", include_in_schema=False)
def escalations_page(request: Request, session: SessionDep, user: OperatorUser, open: int | None = None):
    selected = _panel_context(session, open) if open else None
    return render(
        request, "escalations.html", user, selected=selected, **_queue_context(session, now(request))
    )


@router.get("/queue", include_in_schema=False)
def queue_fragment(request: Request, session: SessionDep, user: OperatorUser):
    return render(request, "_queue.html", user, **_queue_context(session, now(request)))


@router.get("/badge", include_in_schema=False)
def badge(request: Request, session: SessionDep, user: OperatorUser):
    return render(
        request,
        "_badge.html",
        user,
        count=waiting_count(session),
        callbacks=callbacks_due(session, now(request)),
    )


def _panel_context(session: Session, esc_id: int) -> dict | None:
    esc = session.scalar(select(Escalation).where(Escalation.id == esc_id).options(_with_call()))
    if esc is None:
        return None
    account = find_account(session, esc.account) if esc.account else None
    by_phone = on_file(session, [esc])
    return {
        "esc": esc,
        "account": account,
        "gone": caller_gone(esc),
        "by_phone_accounts": caller_accounts(esc, by_phone),
    }


def _panel(
    request: Request,
    session: Session,
    user: ConsoleUser,
    esc_id: int,
    *,
    error: str | None = None,
    status_code: int = 200,
    changed: bool = False,
) -> HTMLResponse:
    session.expire_all()  # the API's update committed through the same session; read it fresh
    selected = _panel_context(session, esc_id)
    if selected is None:
        return render(request, "_panel_missing.html", user, status_code=404)
    headers = {"HX-Trigger": "queue-changed"} if changed else None
    return render(
        request, "_escalation.html", user, status_code=status_code, headers=headers, error=error, **selected
    )


@router.get("/{esc_id}/panel", include_in_schema=False)
def panel(request: Request, esc_id: EscalationId, session: SessionDep, user: OperatorUser):
    return _panel(request, session, user, esc_id)


def _update(
    request: Request, session: Session, user: ConsoleUser, esc_id: int, action: str, **fields: str | None
) -> HTMLResponse:
    """Change an escalation through the service layer (as the API's PATCH does): ownership, the closed
    escalation's read-only state and the atomic take are checked there, in one guarded UPDATE."""
    try:
        body = EscalationUpdate(**fields)
    except ValidationError as exc:
        too_long = any(e.get("type") in ("string_too_long", "too_long") for e in exc.errors())
        error = "Слишком длинный текст." if too_long else "В тексте недопустимые символы."
        return _panel(request, session, user, esc_id, error=error, status_code=422)
    try:
        escalation_service.change_escalation(
            session, esc_id, user.name, status=body.status, edits=body.edits(), at=now(request)
        )
    except ApiError as exc:
        session.rollback()
        if exc.status == 404:
            return render(request, "_panel_missing.html", user, status_code=404)
        message = texts.escalation_refusal(exc.reason, exc.data, action)
        return _panel(request, session, user, esc_id, error=message, status_code=exc.status, changed=True)
    return _panel(request, session, user, esc_id, changed=True)


@router.post("/{esc_id}/take", include_in_schema=False)
def take(request: Request, esc_id: EscalationId, session: SessionDep, user: CheckedUser):
    return _update(request, session, user, esc_id, "take", status="taken")


@router.post("/{esc_id}/note", include_in_schema=False)
def note(
    request: Request,
    esc_id: EscalationId,
    session: SessionDep,
    user: CheckedUser,
    note: Annotated[str, Form()] = "",
):
    return _update(request, session, user, esc_id, "note", note=note.strip() or None)


@router.post("/{esc_id}/close", include_in_schema=False)
def close(
    request: Request,
    esc_id: EscalationId,
    session: SessionDep,
    user: CheckedUser,
    outcome: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
):
    if not outcome.strip():
        return _panel(request, session, user, esc_id, error="Укажите итог разговора.", status_code=422)
    fields = {"status": "closed", "outcome": outcome.strip()}
    if note.strip():
        fields["note"] = note.strip()
    return _update(request, session, user, esc_id, "close", **fields)
