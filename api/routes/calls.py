"""Calls and escalations: the IVR writes them, the operator console reads and takes them."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from api.accounts import mask_account, normalize_phone, parse_account
from api.deps import IvrDep, OperatorDep, SessionDep, now
from api.errors import ApiError
from api.models import Call, Escalation, TranscriptLine

log = logging.getLogger("api.calls")
router = APIRouter(tags=["calls"])

CallId = Annotated[str, Path(min_length=1, max_length=64)]
EscalationId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def _check_account(value: str | None) -> None:
    if value is not None and parse_account(value) is None:
        raise ApiError(
            422,
            "invalid_account",
            "account must be nine digits, a dash and the territory suffix 0-9, e.g. 001110011-7.",
        )


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
    id: str = Field(min_length=1, max_length=64)
    caller: str | None = Field(default=None, max_length=32)
    channel: str | None = Field(default=None, max_length=200)


@router.post("/calls", status_code=201, summary="Register a call (idempotent on id)")
def start_call(request: Request, body: NewCall, session: SessionDep, _who: IvrDep) -> dict[str, Any]:
    caller = normalize_phone(body.caller) or body.caller
    return call_json(ensure_call(session, body.id, now(request), caller=caller, channel=body.channel))


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
    account: str | None = None
    step: str | None = Field(default=None, max_length=64)
    outcome: str | None = Field(default=None, max_length=64)
    ended: bool | None = None


@router.patch("/calls/{call_id}", summary="Update a call: account, dialog step, outcome, ended")
def update_call(
    request: Request, call_id: CallId, body: CallUpdate, session: SessionDep, _who: IvrDep
) -> dict[str, Any]:
    _check_account(body.account)
    call = _call(session, call_id)
    for name in ("account", "step", "outcome"):
        if name in body.model_fields_set:
            setattr(call, name, getattr(body, name))
    if body.ended and call.ended_at is None:
        call.ended_at = now(request)
    session.commit()
    return call_json(call)


class TranscriptBody(BaseModel):
    speaker: Literal["robot", "caller"]
    text: str = Field(min_length=1, max_length=4000)


@router.post("/calls/{call_id}/transcript", status_code=201, summary="Append a transcript line")
def add_transcript(
    request: Request, call_id: CallId, body: TranscriptBody, session: SessionDep, _who: IvrDep
) -> dict[str, Any]:
    call = _call(session, call_id)
    line = TranscriptLine(call_id=call.id, at=now(request), speaker=body.speaker, text=body.text)
    session.add(line)
    session.commit()
    return {
        "id": line.id,
        "call_id": call.id,
        "at": line.at.isoformat(),
        "speaker": line.speaker,
        "text": line.text,
    }


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
    }
    if with_call:
        body["call"] = call_json(esc.call, with_transcript=True)
    return body


class NewEscalation(BaseModel):
    call_id: str = Field(min_length=1, max_length=64)
    reason: str = Field(min_length=1, max_length=200)
    account: str | None = None
    verified: bool = False
    summary: str = Field(default="", max_length=4000)


@router.post("/escalations", status_code=201, summary="Hand a call to operators, with its context")
def create_escalation(
    request: Request, body: NewEscalation, session: SessionDep, _who: IvrDep
) -> dict[str, Any]:
    _check_account(body.account)
    at = now(request)
    # The call's start may not have reached us; the escalation must not be lost for that.
    ensure_call(session, body.call_id, at)
    esc = Escalation(
        call_id=body.call_id,
        reason=body.reason,
        account=body.account,
        verified=body.verified,
        summary=body.summary,
        status="open",
        created_at=at,
    )
    session.add(esc)
    session.commit()
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
    note: str | None = Field(default=None, max_length=4000)
    outcome: str | None = Field(default=None, max_length=200)


@router.patch("/escalations/{esc_id}", summary="Take (atomically), close, or annotate an escalation")
def update_escalation(
    request: Request, esc_id: EscalationId, body: EscalationUpdate, session: SessionDep, who: OperatorDep
) -> dict[str, Any]:
    at = now(request)
    esc = _escalation(session, esc_id)
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
    elif body.status == "closed":
        if esc.status == "taken" and esc.operator != who.name:
            raise ApiError(
                409,
                "already_taken",
                f"Escalation {esc_id} is taken by {esc.operator}.",
                operator=esc.operator,
                status=esc.status,
            )
        if esc.status != "closed":
            esc.status, esc.closed_at = "closed", at
            esc.operator = esc.operator or who.name
    if "note" in body.model_fields_set:
        esc.note = body.note
    if "outcome" in body.model_fields_set:
        esc.outcome = body.outcome
    session.commit()
    return escalation_json(esc)
