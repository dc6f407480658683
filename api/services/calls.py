"""Calls and their transcripts: registered, updated and written once per idempotency key."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from api import schemas
from api.errors import ApiError
from api.models import Call, CallRequest, TranscriptLine


def call_out(call: Call) -> schemas.CallOut:
    return schemas.CallOut(**_call_fields(call))


def call_with_transcript(call: Call) -> schemas.CallWithTranscript:
    return schemas.CallWithTranscript(
        **_call_fields(call),
        transcript=[
            schemas.SpokenLine(at=line.at.isoformat(), speaker=line.speaker, text=line.text)
            for line in call.lines
        ],
    )


def _call_fields(call: Call) -> dict[str, Any]:
    return {
        "id": call.id,
        "caller": call.caller,
        "channel": call.channel,
        "started_at": call.started_at.isoformat(),
        "ended_at": call.ended_at.isoformat() if call.ended_at else None,
        "active": call.ended_at is None,
        "account": call.account,
        "step": call.step,
        "outcome": call.outcome,
    }


def line_out(line: TranscriptLine) -> schemas.TranscriptLineOut:
    return schemas.TranscriptLineOut(
        id=line.id, call_id=line.call_id, at=line.at.isoformat(), speaker=line.speaker, text=line.text
    )


def find_call(session: Session, call_id: str, with_lines: bool = False) -> Call:
    """The call, or 404 `call_not_found`."""
    query = select(Call).where(Call.id == call_id)
    if with_lines:
        query = query.options(selectinload(Call.lines))
    call = session.scalar(query)
    if call is None:
        raise ApiError(404, "call_not_found", f"No call {call_id}.")
    return call


def ensure_call(session: Session, call_id: str, at: datetime, **fields: Any) -> Call:
    """The call, registered now if it is not yet; a concurrent registration of the same id wins."""
    call = session.get(Call, call_id)
    if call is not None:
        return call
    session.add(Call(id=call_id, started_at=at, **fields))
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
    return find_call(session, call_id)


def _record_request(session: Session, call_id: str, key: str, kind: str, at: datetime) -> bool:
    """Store the key of a call write in the current transaction and commit; False if it was there."""
    if session.get(CallRequest, (call_id, key)) is not None:
        session.rollback()
        return False
    session.add(CallRequest(call_id=call_id, key=key, kind=kind, at=at))
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return False
    return True


def start_call(
    session: Session, call_id: str, *, caller: str | None, channel: str | None, key: str | None, at: datetime
) -> tuple[schemas.CallOut, bool]:
    """Register a call (idempotent on its id and on the key); True with it when this was a replay."""
    call = ensure_call(session, call_id, at, caller=caller, channel=channel)
    replayed = key is not None and not _record_request(session, call.id, key, "start", at)
    return call_out(call), replayed


def update_call(
    session: Session, call_id: str, changes: dict[str, Any], *, ended: bool, key: str | None, at: datetime
) -> tuple[schemas.CallOut, bool]:
    """Apply `changes` (account, step, outcome) and the end once per key; True when a replay.

    Why once per key: a retry that arrives after a later update (step "menu" retried after
    step "balance") must not undo it.
    """
    call = find_call(session, call_id)
    if key is not None and session.get(CallRequest, (call.id, key)) is not None:
        return call_out(call), True
    for name, value in changes.items():
        setattr(call, name, value)
    if ended and call.ended_at is None:
        call.ended_at = at
    if key is not None:
        session.add(CallRequest(call_id=call.id, key=key, kind="update", at=at))
    try:
        session.commit()
    except IntegrityError:  # the same key, concurrently: the other request applied it
        session.rollback()
        return call_out(find_call(session, call_id)), True
    return call_out(call), False


class SpokenText(Protocol):
    """A line to store: who spoke, what, and its idempotency key (the request bodies have these)."""

    @property
    def speaker(self) -> str: ...

    @property
    def text(self) -> str: ...

    @property
    def idempotency_key(self) -> str | None: ...


def add_lines(
    session: Session, call_id: str, lines: Sequence[SpokenText], at: datetime
) -> list[tuple[schemas.TranscriptLineOut, bool]]:
    """Append lines in order, each once per its key: (the stored line, whether it was there already).

    A retried list stores only the lines missing; a key reused for other words is 409.
    """
    call = find_call(session, call_id)
    return [_store_line(session, call, line, at) for line in lines]


def _store_line(
    session: Session, call: Call, body: SpokenText, at: datetime
) -> tuple[schemas.TranscriptLineOut, bool]:
    key = body.idempotency_key

    def stored() -> TranscriptLine | None:
        if key is None:
            return None
        line = session.scalar(
            select(TranscriptLine).where(
                TranscriptLine.call_id == call.id, TranscriptLine.idempotency_key == key
            )
        )
        if line is not None and (line.speaker, line.text) != (body.speaker, body.text):
            raise ApiError(409, "idempotency_conflict", "This idempotency key was used for another line.")
        return line

    if (line := stored()) is not None:
        return line_out(line), True
    line = TranscriptLine(call_id=call.id, at=at, speaker=body.speaker, text=body.text, idempotency_key=key)
    session.add(line)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        if (line := stored()) is None:
            raise
        return line_out(line), True
    return line_out(line), False


def list_calls(session: Session, *, active: bool | None, limit: int) -> list[schemas.CallOut]:
    """Calls, newest first; active=True: still going on, False: ended."""
    query = select(Call).order_by(Call.started_at.desc(), Call.id).limit(limit)
    if active is True:
        query = query.where(Call.ended_at.is_(None))
    elif active is False:
        query = query.where(Call.ended_at.is_not(None))
    return [call_out(c) for c in session.scalars(query)]


def get_call(session: Session, call_id: str) -> schemas.CallWithTranscript:
    return call_with_transcript(find_call(session, call_id, with_lines=True))
