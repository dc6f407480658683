"""The escalation queue: calls the robot handed over, with their context; take, note, close.

Taking, noting and closing go through the API's own `update_escalation`, so the
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

from api.console import texts
from api.console.web import CheckedUser, ConsoleUser, OperatorUser, render
from api.deps import SessionDep, find_account, now
from api.errors import ApiError
from api.models import Call, Escalation
from api.routes.calls import EscalationUpdate, update_escalation

router = APIRouter(prefix="/escalations")
EscalationId = Annotated[int, Path(ge=1, le=2**31 - 1)]
CLOSED_SHOWN = 10
CLOSED_WITHIN = timedelta(hours=12)


def _with_call():
    return selectinload(Escalation.call).selectinload(Call.lines)


def queue(session: Session, at: datetime) -> tuple[list[Escalation], list[Escalation]]:
    """(waiting or in work, oldest first; closed in the last hours, newest first)."""
    waiting = list(
        session.scalars(
            select(Escalation)
            .where(Escalation.status.in_(("open", "taken")))
            .options(selectinload(Escalation.call))
            .order_by(Escalation.created_at, Escalation.id)
        )
    )
    closed = list(
        session.scalars(
            select(Escalation)
            .where(Escalation.status == "closed", Escalation.closed_at >= at - CLOSED_WITHIN)
            .options(selectinload(Escalation.call))
            .order_by(Escalation.closed_at.desc(), Escalation.id.desc())
            .limit(CLOSED_SHOWN)
        )
    )
    return waiting, closed


def minutes_waiting(esc: Escalation, at: datetime) -> int:
    return max(0, int((at - esc.created_at).total_seconds() // 60))


@router.get("", include_in_schema=False)
def escalations_page(request: Request, session: SessionDep, user: OperatorUser, open: int | None = None):
    waiting, closed = queue(session, now(request))
    selected = _panel_context(session, open) if open else None
    return render(
        request,
        "escalations.html",
        user,
        waiting=waiting,
        closed=closed,
        selected=selected,
        minutes_waiting=minutes_waiting,
    )


@router.get("/queue", include_in_schema=False)
def queue_fragment(request: Request, session: SessionDep, user: OperatorUser):
    waiting, closed = queue(session, now(request))
    return render(
        request, "_queue.html", user, waiting=waiting, closed=closed, minutes_waiting=minutes_waiting
    )


@router.get("/badge", include_in_schema=False)
def badge(request: Request, session: SessionDep, user: OperatorUser):
    count = session.scalar(select(func.count()).select_from(Escalation).where(Escalation.status == "open"))
    return render(request, "_badge.html", user, count=count or 0)


def _panel_context(session: Session, esc_id: int) -> dict | None:
    esc = session.scalar(select(Escalation).where(Escalation.id == esc_id).options(_with_call()))
    if esc is None:
        return None
    account = find_account(session, esc.account) if esc.account else None
    return {"esc": esc, "account": account}


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
    """Change an escalation through the API's own `update_escalation`: ownership, the closed
    escalation's read-only state and the atomic take are checked there, in one guarded UPDATE."""
    try:
        body = EscalationUpdate(**fields)
    except ValidationError as exc:
        too_long = any(e.get("type") in ("string_too_long", "too_long") for e in exc.errors())
        error = "Слишком длинный текст." if too_long else "В тексте недопустимые символы."
        return _panel(request, session, user, esc_id, error=error, status_code=422)
    try:
        update_escalation(request=request, esc_id=esc_id, body=body, session=session, who=user.principal)
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
