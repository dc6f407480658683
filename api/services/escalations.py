"""Escalations and callback requests: opened once per key, taken atomically, changed only by their owner.

Why every change is one guarded UPDATE: an escalation belongs to the operator who took it;
another operator's note or outcome is refused (403 `not_yours`), a closed escalation is
read-only (409 `already_closed`), and a check made before a separate write could be
overtaken by a concurrent take or close. The API's PATCH and the console's buttons (the
escalation queue and the callbacks queue) all come here.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from api import schemas
from api.accounts import mask_account, normalize_phone
from api.db import rowcount
from api.errors import ApiError
from api.models import Call, Escalation
from api.services.calls import call_with_transcript, ensure_call

log = logging.getLogger("api.calls")

CALLBACK_REASON = "callback_request"
NOTE_MAX = 4000
_CALLBACK_PHONE_RE = re.compile(r"Перезвонить на номер\s*([+0-9][0-9 ()+-]{9,20}[0-9])")


def escalation_out(esc: Escalation) -> schemas.EscalationOut:
    return schemas.EscalationOut(**_fields(esc))


def escalation_with_call(esc: Escalation) -> schemas.EscalationWithCall:
    return schemas.EscalationWithCall(**_fields(esc), call=call_with_transcript(esc.call))


def _fields(esc: Escalation) -> dict[str, Any]:
    return {
        "id": esc.id,
        "call_id": esc.call_id,
        "reason": esc.reason,
        "account": esc.account,
        "verified": esc.verified,
        "summary": esc.summary,
        "status": esc.status,
        "operator": esc.operator,
        "note": esc.note,
        "outcome": esc.outcome,
        "created_at": esc.created_at.isoformat(),
        "taken_at": esc.taken_at.isoformat() if esc.taken_at else None,
        "closed_at": esc.closed_at.isoformat() if esc.closed_at else None,
        "callback_phone": esc.callback_phone,
        "retry_at": esc.retry_at.isoformat() if esc.retry_at else None,
        "attempts": esc.attempts,
    }


def callback_phone(reason: str, summary: str, given: str | None) -> str | None:
    """The number to call back: the one given, or the one the dialogs' summary names.

    Why the summary too: IVR clients that predate the field keep working (their summary
    starts «Перезвонить на номер 7XXXXXXXXXX. Причина: …»).
    """
    if given is not None:
        phone = normalize_phone(given)
        if phone is None:
            raise ApiError(422, "invalid_phone", "callback_phone must be a Russian phone number.")
        return phone
    if reason != CALLBACK_REASON:
        return None
    match = _CALLBACK_PHONE_RE.search(summary)
    return normalize_phone(match.group(1)) if match else None


def open_escalation(
    session: Session,
    *,
    call_id: str,
    reason: str,
    account: str | None,
    verified: bool,
    summary: str,
    phone: str | None,
    key: str | None,
    at: datetime,
) -> tuple[schemas.EscalationOut, bool]:
    """Hand a call to operators (once per key); True with it when this was a replay."""
    # The call's start may not have reached us; the escalation must not be lost for that.
    ensure_call(session, call_id, at)

    def stored() -> Escalation | None:
        if key is None:
            return None
        esc = session.scalar(
            select(Escalation).where(Escalation.call_id == call_id, Escalation.idempotency_key == key)
        )
        if esc is not None and (esc.reason, esc.account, esc.verified, esc.summary) != (
            reason,
            account,
            verified,
            summary,
        ):
            raise ApiError(
                409, "idempotency_conflict", "This idempotency key was used for another escalation."
            )
        return esc

    if (esc := stored()) is not None:
        return escalation_out(esc), True
    esc = Escalation(
        call_id=call_id,
        reason=reason,
        account=account,
        verified=verified,
        summary=summary,
        status="open",
        created_at=at,
        idempotency_key=key,
        callback_phone=phone,
    )
    session.add(esc)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        if (esc := stored()) is None:
            raise
        return escalation_out(esc), True
    log.info(
        "escalation %s opened for call %s account %s reason %s",
        esc.id,
        esc.call_id,
        mask_account(esc.account),
        esc.reason,
    )
    return escalation_out(esc), False


def find_escalation(session: Session, esc_id: int, with_call: bool = False) -> Escalation:
    """The escalation, or 404 `escalation_not_found`."""
    query = select(Escalation).where(Escalation.id == esc_id)
    if with_call:
        query = query.options(selectinload(Escalation.call).selectinload(Call.lines))
    esc = session.scalar(query)
    if esc is None:
        raise ApiError(404, "escalation_not_found", f"No escalation {esc_id}.")
    return esc


def list_escalations(session: Session, *, status: str | None, limit: int) -> list[schemas.EscalationOut]:
    """Escalations, oldest first."""
    query = select(Escalation).order_by(Escalation.created_at, Escalation.id).limit(limit)
    if status:
        query = query.where(Escalation.status == status)
    return [escalation_out(e) for e in session.scalars(query)]


def get_escalation(session: Session, esc_id: int) -> schemas.EscalationWithCall:
    return escalation_with_call(find_escalation(session, esc_id, with_call=True))


def refusal(esc: Escalation, who: str) -> ApiError:
    """Why `who` may not change `esc` now (it was read after the guarded UPDATE found nothing)."""
    if esc.status == "closed":
        return ApiError(
            409,
            "already_closed",
            f"Escalation {esc.id} is closed by {esc.operator or 'nobody'}; it can no longer be changed.",
            operator=esc.operator,
            status=esc.status,
        )
    if esc.status == "taken" and esc.operator != who:
        return ApiError(
            403,
            "not_yours",
            f"Escalation {esc.id} is taken by {esc.operator}; only they may change it.",
            operator=esc.operator,
            status=esc.status,
        )
    return ApiError(
        409,
        "not_taken",
        f"Escalation {esc.id} is not taken yet; take it before writing a note or an outcome.",
        operator=esc.operator,
        status=esc.status,
    )


def change_escalation(
    session: Session, esc_id: int, who: str, *, status: str | None, edits: dict[str, Any], at: datetime
) -> schemas.EscalationOut:
    """Take (status `taken`), close (`closed`) or annotate (`edits`: note, outcome) as operator `who`."""
    esc = find_escalation(session, esc_id)
    if status == "taken":
        # One UPDATE guarded by status: two operators racing cannot both take it.
        taken = rowcount(session.execute(
            update(Escalation)
            .where(Escalation.id == esc_id, Escalation.status == "open")
            .values(status="taken", operator=who, taken_at=at)
        ))
        session.commit()
        session.refresh(esc)
        if not taken and not (esc.status == "taken" and esc.operator == who):
            reason = "already_closed" if esc.status == "closed" else "already_taken"
            raise ApiError(
                409,
                reason,
                f"Escalation {esc_id} is {esc.status} by {esc.operator or 'nobody'}.",
                operator=esc.operator,
                status=esc.status,
            )
    if status == "closed":
        if (
            esc.status == "closed"
            and esc.operator == who
            and all(getattr(esc, name) == value for name, value in edits.items())
        ):
            return escalation_out(esc)  # the same close again (a double click, a retry)
        # Open (closing takes it) or taken by this operator; never closed, never someone else's.
        closed = rowcount(session.execute(
            update(Escalation)
            .where(
                Escalation.id == esc_id,
                (Escalation.status == "open")
                | ((Escalation.status == "taken") & (Escalation.operator == who)),
            )
            .values(
                status="closed",
                closed_at=at,
                operator=who,
                taken_at=func.coalesce(Escalation.taken_at, at),
                **edits,
            )
            .execution_options(synchronize_session=False)
        ))
        session.commit()
        session.refresh(esc)
        if not closed:
            raise refusal(esc, who)
    elif edits:
        changed = rowcount(session.execute(
            update(Escalation)
            .where(Escalation.id == esc_id, Escalation.status == "taken", Escalation.operator == who)
            .values(**edits)
            .execution_options(synchronize_session=False)
        ))
        session.commit()
        session.refresh(esc)
        if not changed:
            raise refusal(esc, who)
    return escalation_out(esc)


def record_callback_try(
    session: Session,
    esc_id: int,
    who: str,
    *,
    attempt: str,
    note: str,
    closed_as: str | None,
    retry_at: datetime | None,
    at: datetime,
) -> schemas.EscalationOut:
    """One try at calling back, by the operator who took it (one guarded UPDATE, like every change).

    `attempt` is the line added to the note (after `note`, or after the note so far when
    `note` is empty). `closed_as`: the outcome that closes it ("reached", "wrong number"
    in the operator's words); None puts it back in the queue, open to everyone, from `retry_at`.
    """
    esc = find_escalation(session, esc_id)
    base = note or (esc.note or "")
    new_note = (base + "\n" if base else "") + attempt
    values: dict[str, Any]
    if closed_as is None:
        values = {"status": "open", "operator": None, "taken_at": None, "retry_at": retry_at}
    else:
        values = {"status": "closed", "closed_at": at, "outcome": closed_as, "retry_at": None}
    changed = rowcount(session.execute(
        update(Escalation)
        .where(Escalation.id == esc_id, Escalation.status == "taken", Escalation.operator == who)
        .values(attempts=Escalation.attempts + 1, note=new_note[-NOTE_MAX:], **values)
        .execution_options(synchronize_session=False)
    ))
    session.commit()
    session.refresh(esc)
    if not changed:
        raise refusal(esc, who)
    return escalation_out(esc)
