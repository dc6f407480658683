"""Callback requests: their own queue beside the escalations; take, note, and the result of a call.

Why their own queue: a caller who asked to be called back is not on the line, so
minutes "waiting" mean nothing; what matters is the number to call and when.
A callback is an escalation with reason `callback_request`, so taking and noting
go through the service layer's `change_escalation` (atomic take, ownership). The
result is one guarded UPDATE too (status `taken` by this operator): "reached"
and "wrong number" close it; "no answer" puts it back in the queue, open to
every operator, from the retry time on.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

import anyio.from_thread
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from api.accounts import normalize_phone
from api.console import queue_truth, texts
from api.console.escalations import (
    CLOSED_SHOWN,
    CLOSED_WITHIN,
    EscalationId,
    accounts_by_phone,
    caller_accounts,
    on_file,
)
from api.console.phone import ConsolePhone, PhoneError
from api.console.web import CheckedUser, ConsoleUser, OperatorUser, local, render
from api.deps import SessionDep, find_account, now, settings_of
from api.errors import ApiError
from api.models import Call, Escalation
from api.routes.calls import EscalationUpdate
from api.services import escalations as escalation_service
from api.services.escalations import CALLBACK_REASON, NOTE_MAX

router = APIRouter(prefix="/callbacks")


def callbacks(session: Session, at: datetime) -> tuple[list[Escalation], list[Escalation], list[Escalation]]:
    """(to call now: in work first, then due, oldest first; later: after "no answer", by retry
    time; closed in the last hours, newest first)."""
    active = list(
        session.scalars(
            select(Escalation)
            .where(Escalation.reason == CALLBACK_REASON, Escalation.status.in_(("open", "taken")))
            .options(selectinload(Escalation.call))
            .order_by(func.coalesce(Escalation.retry_at, Escalation.created_at), Escalation.id)
        )
    )
    later = [e for e in active if e.status == "open" and e.retry_at is not None and e.retry_at > at]
    now_ = [e for e in active if e not in later]
    closed = list(
        session.scalars(
            select(Escalation)
            .where(
                Escalation.reason == CALLBACK_REASON,
                Escalation.status == "closed",
                Escalation.closed_at >= at - CLOSED_WITHIN,
            )
            .options(selectinload(Escalation.call))
            .order_by(Escalation.closed_at.desc(), Escalation.id.desc())
            .limit(CLOSED_SHOWN)
        )
    )
    return now_, later, closed


def _context(session: Session, at: datetime) -> dict:
    due, later, closed = callbacks(session, at)
    return {
        "due": due,
        "later": later,
        "closed": closed,
        "by_phone": on_file(session, due + later),
        "caller_accounts": caller_accounts,
        "minutes_since": lambda esc: max(0, int((at - esc.created_at).total_seconds() // 60)),
    }


@router.get("", include_in_schema=False)
def callbacks_page(request: Request, session: SessionDep, user: OperatorUser, open: int | None = None):
    selected = _panel_context(session, open) if open else None
    return render(
        request,
        "callbacks.html",
        user,
        section="callbacks",
        selected=selected,
        **_panel_options(request),
        **_context(session, now(request)),
    )


def _panel_options(request: Request) -> dict:
    """What the callback's panel needs besides the callback, on its own or inside the page."""
    return {
        "retry_choices": texts.RETRY_CHOICES,
        "retry_default": texts.RETRY_DEFAULT,
        "phone_ready": getattr(request.app.state, "console_phone", None) is not None,
    }


@router.get("/queue", include_in_schema=False)
def queue_fragment(request: Request, session: SessionDep, user: OperatorUser):
    return render(request, "_callbacks.html", user, **_context(session, now(request)))


def _panel_context(session: Session, esc_id: int) -> dict | None:
    esc = session.scalar(
        select(Escalation)
        .where(Escalation.id == esc_id, Escalation.reason == CALLBACK_REASON)
        .options(selectinload(Escalation.call).selectinload(Call.lines))
    )
    if esc is None:
        return None
    account = find_account(session, esc.account) if esc.account else None
    number = normalize_phone(esc.call.caller if esc.call else None)
    found = [] if esc.account else accounts_by_phone(session, {number}).get(number or "", [])
    return {"esc": esc, "account": account, "by_phone_accounts": found}


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
    session.expire_all()
    selected = _panel_context(session, esc_id)
    if selected is None:
        return render(request, "_panel_missing.html", user, status_code=404)
    headers = {"HX-Trigger": "callbacks-changed"} if changed else None
    return render(
        request,
        "_callback.html",
        user,
        status_code=status_code,
        headers=headers,
        error=error,
        **_panel_options(request),
        **selected,
    )


@router.get("/{esc_id}/panel", include_in_schema=False)
def panel(request: Request, esc_id: EscalationId, session: SessionDep, user: OperatorUser):
    return _panel(request, session, user, esc_id)


def _is_callback(session: Session, esc_id: int) -> bool:
    return session.scalar(select(Escalation.reason).where(Escalation.id == esc_id)) == CALLBACK_REASON


def _api_update(
    request: Request, session: Session, user: ConsoleUser, esc_id: int, action: str, **fields: str | None
) -> HTMLResponse:
    if not _is_callback(session, esc_id):
        return render(request, "_panel_missing.html", user, status_code=404)
    try:
        body = EscalationUpdate(**fields)
    except ValidationError:
        return _panel(
            request,
            session,
            user,
            esc_id,
            error="Слишком длинный текст или недопустимые символы.",
            status_code=422,
        )
    try:
        escalation_service.change_escalation(
            session, esc_id, user.name, status=body.status, edits=body.edits(), at=now(request)
        )
    except ApiError as exc:
        session.rollback()
        message = texts.escalation_refusal(exc.reason, exc.data, action)
        return _panel(request, session, user, esc_id, error=message, status_code=exc.status, changed=True)
    return _panel(request, session, user, esc_id, changed=True)


@router.post("/{esc_id}/take", include_in_schema=False)
def take(request: Request, esc_id: EscalationId, session: SessionDep, user: CheckedUser):
    return _api_update(request, session, user, esc_id, "take", status="taken")


@router.post("/{esc_id}/note", include_in_schema=False)
def note(
    request: Request,
    esc_id: EscalationId,
    session: SessionDep,
    user: CheckedUser,
    note: Annotated[str, Form()] = "",
):
    return _api_update(request, session, user, esc_id, "note", note=note.strip() or None)


def _refusal(esc: Escalation, who: str) -> tuple[int, str]:
    """Why `who` may not act on this callback now, as (status, message for the operator)."""
    exc = escalation_service.refusal(esc, who)
    return exc.status, texts.escalation_refusal(exc.reason, exc.data, "result")


@router.post("/{esc_id}/dial", include_in_schema=False)
def dial(request: Request, esc_id: EscalationId, session: SessionDep, user: CheckedUser):
    """«Позвонить»: Asterisk rings the operator's softphone, then the resident (AMI Originate
    through the console's own link); the try is noted on the callback, Asterisk's progress follows.
    Only the operator who took the callback may place it."""
    if not _is_callback(session, esc_id):
        return render(request, "_panel_missing.html", user, status_code=404)
    phone: ConsolePhone | None = getattr(request.app.state, "console_phone", None)
    if phone is None:
        return _panel(request, session, user, esc_id, error=texts.CALLBACK_NO_PHONE, status_code=503)
    esc = session.get(Escalation, esc_id)
    assert esc is not None
    if esc.status != "taken" or esc.operator != user.name:
        status, message = _refusal(esc, user.name)
        return _panel(request, session, user, esc_id, error=message, status_code=status)
    number = esc.callback_phone or normalize_phone(esc.call.caller if esc.call else None)
    if not number:
        return _panel(request, session, user, esc_id, error=texts.CALLBACK_NO_NUMBER, status_code=422)
    # Noted before the call is placed: Asterisk's news about it comes right after.
    zone = settings_of(request).zone
    endpoint = phone.settings.endpoint_for(user.name)
    placed = texts.callback_placed(endpoint, number)
    queue_truth.append_note(session, esc_id, queue_truth.note_line(now(request), zone, user.name, placed))
    try:
        anyio.from_thread.run(phone.place, esc_id, user.name, number)
    except PhoneError as exc:
        message = texts.callback_refused(str(exc))
        queue_truth.append_note(session, esc_id, queue_truth.note_line(now(request), zone, "АТС", message))
        return _panel(request, session, user, esc_id, error=message, status_code=502, changed=True)
    return _panel(request, session, user, esc_id, changed=True)


@router.post("/{esc_id}/result", include_in_schema=False)
def result(
    request: Request,
    esc_id: EscalationId,
    session: SessionDep,
    user: CheckedUser,
    result: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
    retry_minutes: Annotated[int, Form(ge=1, le=7 * 24 * 60)] = texts.RETRY_DEFAULT,
):
    """Record one try at calling back. Only the operator who took the callback may (one guarded
    UPDATE: status `taken` and this operator), so a result can never land on someone else's."""
    if not _is_callback(session, esc_id):
        return render(request, "_panel_missing.html", user, status_code=404)
    label = texts.CALLBACK_RESULTS.get(result)
    if label is None:
        return _panel(request, session, user, esc_id, error="Выберите результат звонка.", status_code=422)
    typed = note.strip()
    if len(typed) > NOTE_MAX or any(ord(ch) < 32 and ch not in "\n\r\t" for ch in typed):
        return _panel(
            request,
            session,
            user,
            esc_id,
            error="Слишком длинный текст или недопустимые символы.",
            status_code=422,
        )
    at = now(request)
    shown = local(request, at)
    try:
        escalation_service.record_callback_try(
            session,
            esc_id,
            user.name,
            attempt=f"{shown:%d.%m %H:%M} {user.name}: {label.lower()}" if shown else label,
            note=typed,
            closed_as=None if result == "no_answer" else label,
            retry_at=at + timedelta(minutes=retry_minutes),
            at=at,
        )
    except ApiError as exc:
        message = texts.escalation_refusal(exc.reason, exc.data, "result")
        return _panel(request, session, user, esc_id, error=message, status_code=exc.status, changed=True)
    return _panel(request, session, user, esc_id, changed=True)
