"""Calls and escalations: the IVR writes them, the operator console reads and takes them."""

from __future__ import annotations

import logging
import re
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Path, Query, Request, Response
from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from api.accounts import mask_account, normalize_phone, parse_account
from api.deps import IvrDep, OperatorDep, SessionDep, now
from api.errors import ApiError
from api.models import Call, CallRequest, Escalation, TranscriptLine
from api.strings import FreeText, Ident

log = logging.getLogger("api.calls")
router = APIRouter(tags=["calls"])

CallId = Annotated[Ident, Path(min_length=1, max_length=64)]
EscalationId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def _check_account(value: str | None) -> None:
    if value is not None and parse_account(value) is None:
        raise ApiError(
            422,
            "invalid_account",
            "account must be nine digits, a dash and the territory suffix 0-9, e.g. 001110011-7.",
        )


_KEY_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")


def _check_key(value: str | None) -> str | None:
    if value is not None and not _KEY_RE.fullmatch(value):
        raise ValueError("an idempotency key is 1-64 characters: letters, digits, . _ : -")
    return value


IdemKey = Annotated[str | None, AfterValidator(_check_key)]
IdempotencyHeader = Annotated[str | None, Header(alias="Idempotency-Key", max_length=64)]


def idempotency_key(header: str | None, body: str | None) -> str | None:
    """The request's idempotency key, from the `Idempotency-Key` header or the body's `idempotency_key`.

    Why both: HTTP clients usually send the header; a durable outbox replaying a stored
    body carries it inside. They must agree when both are given.
    """
    if header is not None:
        try:
            _check_key(header)
        except ValueError as exc:
            raise ApiError(422, "invalid_idempotency_key", str(exc)) from None
        if body is not None and body != header:
            raise ApiError(
                422, "invalid_idempotency_key", "Idempotency-Key header and body idempotency_key differ."
            )
        return header
    return body


def _replayed(response: Response) -> None:
    """A repeat of a write already done: 200 with the original row, marked as a replay."""
    response.status_code = 200
    response.headers["Idempotent-Replayed"] = "true"


def call_json(call: Call, with_transcript: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {
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
    if with_transcript:
        body["transcript"] = [
            {"at": line.at.isoformat(), "speaker": line.speaker, "text": line.text} for line in call.lines
        ]
    return body


def _call(session: Session, call_id: str, with_lines: bool = False) -> Call:
    query = select(Call).where(Call.id == call_id)
    if with_lines:
        query = query.options(selectinload(Call.lines))
    call = session.scalar(query)
    if call is None:
        raise ApiError(404, "call_not_found", f"No call {call_id}.")
    return call


class NewCall(BaseModel):
    id: Ident = Field(min_length=1, max_length=64)
    caller: Ident | None = Field(default=None, max_length=32)
    channel: Ident | None = Field(default=None, max_length=200)
    idempotency_key: IdemKey = None


@router.post("/calls", status_code=201, summary="Register a call (idempotent on id and on its key)")
def start_call(
    request: Request,
    body: NewCall,
    session: SessionDep,
    _who: IvrDep,
    response: Response,
    key_header: IdempotencyHeader = None,
) -> dict[str, Any]:
    key = idempotency_key(key_header, body.idempotency_key)
    caller = normalize_phone(body.caller) or body.caller
    at = now(request)
    call = ensure_call(session, body.id, at, caller=caller, channel=body.channel)
    if key is not None and not _record_request(session, call.id, key, "start", at):
        _replayed(response)
    return call_json(call)


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
    return _call(session, call_id)


class CallUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    account: Ident | None = None
    step: Ident | None = Field(default=None, max_length=64)
    outcome: Ident | None = Field(default=None, max_length=64)
    ended: bool | None = None
    idempotency_key: IdemKey = None


@router.patch("/calls/{call_id}", summary="Update a call: account, dialog step, outcome, ended")
def update_call(
    request: Request,
    call_id: CallId,
    body: CallUpdate,
    session: SessionDep,
    _who: IvrDep,
    response: Response,
    key_header: IdempotencyHeader = None,
) -> dict[str, Any]:
    """Apply the update once per idempotency key: a retry that arrives after a later update
    (step "menu" retried after step "balance") must not undo it."""
    key = idempotency_key(key_header, body.idempotency_key)
    _check_account(body.account)
    call = _call(session, call_id)
    at = now(request)
    if key is not None and session.get(CallRequest, (call.id, key)) is not None:
        _replayed(response)
        return call_json(call)
    for name in ("account", "step", "outcome"):
        if name in body.model_fields_set:
            setattr(call, name, getattr(body, name))
    if body.ended and call.ended_at is None:
        call.ended_at = at
    if key is not None:
        session.add(CallRequest(call_id=call.id, key=key, kind="update", at=at))
    try:
        session.commit()
    except IntegrityError:  # the same key, concurrently: the other request applied it
        session.rollback()
        _replayed(response)
        return call_json(_call(session, call_id))
    return call_json(call)


class TranscriptBody(BaseModel):
    speaker: Literal["robot", "caller"]
    text: FreeText = Field(min_length=1, max_length=4000)
    idempotency_key: IdemKey = None


def _line_json(line: TranscriptLine) -> dict[str, Any]:
    return {
        "id": line.id,
        "call_id": line.call_id,
        "at": line.at.isoformat(),
        "speaker": line.speaker,
        "text": line.text,
    }


MAX_LINES_PER_REQUEST = 200
TranscriptLines = Annotated[list[TranscriptBody], Field(min_length=1, max_length=MAX_LINES_PER_REQUEST)]


@router.post(
    "/calls/{call_id}/transcript",
    status_code=201,
    summary="Append a transcript line, or a list of them in order (each once per key)",
)
def add_transcript(
    request: Request,
    call_id: CallId,
    body: TranscriptBody | TranscriptLines,
    session: SessionDep,
    _who: IvrDep,
    response: Response,
    key_header: IdempotencyHeader = None,
) -> Any:
    """One line, or a list (the IVR's outbox sends a call's lines in a handful of requests). In a
    list each line carries its own `idempotency_key`: a retried list stores only the lines missing."""
    call = _call(session, call_id)
    if isinstance(body, list):
        if key_header is not None:
            raise ApiError(
                422, "invalid_idempotency_key", "A list of lines carries one idempotency_key per line."
            )
        at = now(request)
        lines = [_store_line(session, call, line, line.idempotency_key, at) for line in body]
        if all(replayed for _, replayed in lines):
            _replayed(response)
        return [_line_json(line) for line, _ in lines]
    key = idempotency_key(key_header, body.idempotency_key)
    line, replayed = _store_line(session, call, body, key, now(request))
    if replayed:
        _replayed(response)
    return _line_json(line)


def _store_line(
    session: Session, call: Call, body: TranscriptBody, key: str | None, at: datetime
) -> tuple[TranscriptLine, bool]:
    """Store one line once per key; True with it when it was there already."""

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
        return line, True
    line = TranscriptLine(call_id=call.id, at=at, speaker=body.speaker, text=body.text, idempotency_key=key)
    session.add(line)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        if (line := stored()) is None:
            raise
        return line, True
    return line, False


@router.get("/calls", summary="Calls, newest first (active=true: calls still going on)")
def list_calls(
    session: SessionDep,
    _who: OperatorDep,
    active: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[dict[str, Any]]:
    query = select(Call).order_by(Call.started_at.desc(), Call.id).limit(limit)
    if active is True:
        query = query.where(Call.ended_at.is_(None))
    elif active is False:
        query = query.where(Call.ended_at.is_not(None))
    return [call_json(c) for c in session.scalars(query)]


@router.get("/calls/{call_id}", summary="One call with its transcript")
def get_call(call_id: CallId, session: SessionDep, _who: OperatorDep) -> dict[str, Any]:
    return call_json(_call(session, call_id, with_lines=True), with_transcript=True)


def escalation_json(esc: Escalation, with_call: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {
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
    if with_call:
        body["call"] = call_json(esc.call, with_transcript=True)
    return body


class NewEscalation(BaseModel):
    call_id: Ident = Field(min_length=1, max_length=64)
    reason: Ident = Field(min_length=1, max_length=200)
    account: Ident | None = None
    verified: bool = False
    summary: FreeText = Field(default="", max_length=4000)
    # A callback request's number; when absent, taken from a summary «Перезвонить на номер 7…».
    callback_phone: Ident | None = Field(default=None, max_length=32)
    idempotency_key: IdemKey = None


CALLBACK_REASON = "callback_request"
_CALLBACK_PHONE_RE = re.compile(r"Перезвонить на номер\s*([+0-9][0-9 ()+-]{9,20}[0-9])")


def callback_phone(body: NewEscalation) -> str | None:
    """The number to call back: the body's `callback_phone`, or the one the dialogs' summary names.

    Why the summary too: IVR clients that predate the field keep working (their summary
    starts «Перезвонить на номер 7XXXXXXXXXX. Причина: …»).
    """
    if body.callback_phone is not None:
        phone = normalize_phone(body.callback_phone)
        if phone is None:
            raise ApiError(422, "invalid_phone", "callback_phone must be a Russian phone number.")
        return phone
    if body.reason != CALLBACK_REASON:
        return None
    match = _CALLBACK_PHONE_RE.search(body.summary)
    return normalize_phone(match.group(1)) if match else None


@router.post(
    "/escalations", status_code=201, summary="Hand a call to operators, with its context (once per key)"
)
def create_escalation(
    request: Request,
    body: NewEscalation,
    session: SessionDep,
    _who: IvrDep,
    response: Response,
    key_header: IdempotencyHeader = None,
) -> dict[str, Any]:
    key = idempotency_key(key_header, body.idempotency_key)
    _check_account(body.account)
    phone = callback_phone(body)
    at = now(request)
    # The call's start may not have reached us; the escalation must not be lost for that.
    ensure_call(session, body.call_id, at)

    def stored() -> Escalation | None:
        if key is None:
            return None
        esc = session.scalar(
            select(Escalation).where(Escalation.call_id == body.call_id, Escalation.idempotency_key == key)
        )
        if esc is not None and (esc.reason, esc.account, esc.verified, esc.summary) != (
            body.reason,
            body.account,
            body.verified,
            body.summary,
        ):
            raise ApiError(
                409, "idempotency_conflict", "This idempotency key was used for another escalation."
            )
        return esc

    if (esc := stored()) is not None:
        _replayed(response)
        return escalation_json(esc)
    esc = Escalation(
        call_id=body.call_id,
        reason=body.reason,
        account=body.account,
        verified=body.verified,
        summary=body.summary,
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
        _replayed(response)
        return escalation_json(esc)
    log.info(
        "escalation %s opened for call %s account %s reason %s",
        esc.id,
        esc.call_id,
        mask_account(esc.account),
        esc.reason,
    )
    return escalation_json(esc)


def _escalation(session: Session, esc_id: int, with_call: bool = False) -> Escalation:
    query = select(Escalation).where(Escalation.id == esc_id)
    if with_call:
        query = query.options(selectinload(Escalation.call).selectinload(Call.lines))
    esc = session.scalar(query)
    if esc is None:
        raise ApiError(404, "escalation_not_found", f"No escalation {esc_id}.")
    return esc


@router.get("/escalations", summary="Escalations, oldest first (status=open: waiting for an operator)")
def list_escalations(
    session: SessionDep,
    _who: OperatorDep,
    status: Literal["open", "taken", "closed"] | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[dict[str, Any]]:
    query = select(Escalation).order_by(Escalation.created_at, Escalation.id).limit(limit)
    if status:
        query = query.where(Escalation.status == status)
    return [escalation_json(e) for e in session.scalars(query)]


@router.get("/escalations/{esc_id}", summary="One escalation with the call's transcript")
def get_escalation(esc_id: EscalationId, session: SessionDep, _who: OperatorDep) -> dict[str, Any]:
    return escalation_json(_escalation(session, esc_id, with_call=True), with_call=True)


class EscalationUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Literal["taken", "closed"] | None = None
    note: FreeText | None = Field(default=None, max_length=4000)
    outcome: FreeText | None = Field(default=None, max_length=200)


def _refusal(esc: Escalation, who: str) -> ApiError:
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


@router.patch("/escalations/{esc_id}", summary="Take (atomically), close, or annotate an escalation")
def update_escalation(
    request: Request, esc_id: EscalationId, body: EscalationUpdate, session: SessionDep, who: OperatorDep
) -> dict[str, Any]:
    """Take, close, note. Why every change is one guarded UPDATE: an escalation belongs to the
    operator who took it; another operator's note or outcome is refused (403 `not_yours`), a
    closed escalation is read-only (409 `already_closed`), and a check made before a separate
    write could be overtaken by a concurrent take or close."""
    at = now(request)
    esc = _escalation(session, esc_id)
    edits = {name: getattr(body, name) for name in ("note", "outcome") if name in body.model_fields_set}
    if body.status == "taken":
        # One UPDATE guarded by status: two operators racing cannot both take it.
        taken = session.execute(
            update(Escalation)
            .where(Escalation.id == esc_id, Escalation.status == "open")
            .values(status="taken", operator=who.name, taken_at=at)
        ).rowcount
        session.commit()
        session.refresh(esc)
        if not taken and not (esc.status == "taken" and esc.operator == who.name):
            reason = "already_closed" if esc.status == "closed" else "already_taken"
            raise ApiError(
                409,
                reason,
                f"Escalation {esc_id} is {esc.status} by {esc.operator or 'nobody'}.",
                operator=esc.operator,
                status=esc.status,
            )
    if body.status == "closed":
        if (
            esc.status == "closed"
            and esc.operator == who.name
            and all(getattr(esc, name) == value for name, value in edits.items())
        ):
            return escalation_json(esc)  # the same close again (a double click, a retry)
        # Open (closing takes it) or taken by this operator; never closed, never someone else's.
        closed = session.execute(
            update(Escalation)
            .where(
                Escalation.id == esc_id,
                (Escalation.status == "open")
                | ((Escalation.status == "taken") & (Escalation.operator == who.name)),
            )
            .values(
                status="closed",
                closed_at=at,
                operator=who.name,
                taken_at=func.coalesce(Escalation.taken_at, at),
                **edits,
            )
            .execution_options(synchronize_session=False)
        ).rowcount
        session.commit()
        session.refresh(esc)
        if not closed:
            raise _refusal(esc, who.name)
    elif edits:
        changed = session.execute(
            update(Escalation)
            .where(Escalation.id == esc_id, Escalation.status == "taken", Escalation.operator == who.name)
            .values(**edits)
            .execution_options(synchronize_session=False)
        ).rowcount
        session.commit()
        session.refresh(esc)
        if not changed:
            raise _refusal(esc, who.name)
    return escalation_json(esc)
