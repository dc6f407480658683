"""The queue's truth from Asterisk: a caller who left the operators' queue, and callback calls.

Why: the IVR's call record ends when the call is redirected to the queue (outcome `operator`),
so from the database alone a caller who then hung up in the queue looked like one still
waiting («Ожидает 3 мин») until an operator tried to answer. The console's AMI link
(`phone.py`) hears `QueueCallerAbandon` at once and calls `caller_left_queue`; a caller who
waited past the limit becomes a callback request, so nobody who gave up is forgotten.
The functions here are plain database work (one transaction each), called off the event loop.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from api.accounts import normalize_phone
from api.console import texts
from api.db import rowcount
from api.models import Call, Escalation
from api.services.escalations import CALLBACK_REASON


def caller_left_queue(
    session: Session, call_id: str, waited_seconds: int, at: datetime, *, callback_after_seconds: int
) -> Escalation | None:
    """Close the call's escalations still waiting (outcome: the caller left after N min); when the
    caller waited at least `callback_after_seconds` and their number is known, store a callback
    request (unless the call already has one open). Returns the callback request made, if any."""
    waiting = list(
        session.scalars(
            select(Escalation).where(
                Escalation.call_id == call_id,
                Escalation.reason != CALLBACK_REASON,
                Escalation.status.in_(("open", "taken")),
            )
        )
    )
    if not waiting:
        return None
    minutes = max(0, waited_seconds) // 60
    outcome = texts.caller_left_queue(minutes, max(0, waited_seconds) % 60)
    for esc in waiting:
        esc.status, esc.closed_at, esc.outcome = "closed", at, outcome
    callback = None
    call = session.get(Call, call_id)
    number = normalize_phone(call.caller if call else None)
    has_callback = session.scalar(
        select(func.count())
        .select_from(Escalation)
        .where(
            Escalation.call_id == call_id,
            Escalation.reason == CALLBACK_REASON,
            Escalation.status.in_(("open", "taken")),
        )
    )
    if waited_seconds >= callback_after_seconds and number and not has_callback:
        first = waiting[0]
        callback = Escalation(
            call_id=call_id,
            reason=CALLBACK_REASON,
            account=first.account,
            verified=first.verified,
            summary=texts.left_queue_callback_summary(number, first.reason, minutes),
            status="open",
            created_at=at,
            callback_phone=number,
        )
        session.add(callback)
    session.commit()
    return callback


def note_line(at: datetime, zone: ZoneInfo, who: str, text: str) -> str:
    return f"{at.astimezone(zone):%d.%m %H:%M} {who}: {text}"


def append_note(session: Session, esc_id: int, line: str) -> bool:
    """Add a line to a callback's notes in one UPDATE (events and the operator may write at once)."""
    changed = rowcount(session.execute(
        update(Escalation)
        .where(Escalation.id == esc_id)
        .values(note=func.coalesce(Escalation.note + "\n", "") + line)
        .execution_options(synchronize_session=False)
    ))
    session.commit()
    return bool(changed)
