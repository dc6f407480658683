"""Calls and escalations: the IVR writes them, the operator console reads and takes them.

Each route reads the request (who asks, the idempotency key, the clock) and calls one
function of `api.services.calls` or `api.services.escalations`; the console calls the same.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Header, Path, Query, Request, Response
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from api import schemas
from api.accounts import normalize_phone, parse_account
from api.deps import IvrDep, OperatorDep, SessionDep, now
from api.errors import ApiError
from api.services import calls as call_service
from api.services import escalations as escalation_service
from api.strings import FreeText, Ident

router = APIRouter(tags=["calls"])

CallId = Annotated[Ident, Path(min_length=1, max_length=64)]
EscalationId = Annotated[int, Path(ge=1, le=2**31 - 1)]
T = TypeVar("T")


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


def _answer(response: Response, result: tuple[T, bool]) -> T:
    """The stored row; a repeat of a write already done is 200 (not 201), marked as a replay."""
    body, replayed = result
    if replayed:
        response.status_code = 200
        response.headers["Idempotent-Replayed"] = "true"
    return body


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
) -> schemas.CallOut:
    key = idempotency_key(key_header, body.idempotency_key)
    caller = normalize_phone(body.caller) or body.caller
    return _answer(
        response,
        call_service.start_call(
            session, body.id, caller=caller, channel=body.channel, key=key, at=now(request)
        ),
    )


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
) -> schemas.CallOut:
    """Apply the update once per idempotency key (see `services.calls.update_call`)."""
    key = idempotency_key(key_header, body.idempotency_key)
    _check_account(body.account)
    changes: dict[str, Any] = {
        n: getattr(body, n) for n in ("account", "step", "outcome") if n in body.model_fields_set
    }
    return _answer(
        response,
        call_service.update_call(session, call_id, changes, ended=bool(body.ended), key=key, at=now(request)),
    )


class TranscriptBody(BaseModel):
    speaker: Literal["robot", "caller"]
    text: FreeText = Field(min_length=1, max_length=4000)
    idempotency_key: IdemKey = None


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
) -> schemas.TranscriptLineOut | list[schemas.TranscriptLineOut]:
    """One line, or a list (the IVR's outbox sends a call's lines in a handful of requests). In a
    list each line carries its own `idempotency_key`: a retried list stores only the lines missing.
    One line is a list of one with the key of the header or of its body."""
    if isinstance(body, list):
        if key_header is not None:
            raise ApiError(
                422, "invalid_idempotency_key", "A list of lines carries one idempotency_key per line."
            )
        lines = body
    else:
        key = idempotency_key(key_header, body.idempotency_key)
        lines = [body.model_copy(update={"idempotency_key": key})]
    stored = call_service.add_lines(session, call_id, lines, now(request))
    replayed = all(again for _, again in stored)
    answer = [line for line, _ in stored]
    return _answer(response, (answer if isinstance(body, list) else answer[0], replayed))


@router.get("/calls", summary="Calls, newest first (active=true: calls still going on)")
def list_calls(
    session: SessionDep,
    _who: OperatorDep,
    active: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[schemas.CallOut]:
    return call_service.list_calls(session, active=active, limit=limit)


@router.get("/calls/{call_id}", summary="One call with its transcript")
def get_call(call_id: CallId, session: SessionDep, _who: OperatorDep) -> schemas.CallWithTranscript:
    return call_service.get_call(session, call_id)


class NewEscalation(BaseModel):
    call_id: Ident = Field(min_length=1, max_length=64)
    reason: Ident = Field(min_length=1, max_length=200)
    account: Ident | None = None
    verified: bool = False
    summary: FreeText = Field(default="", max_length=4000)
    # A callback request's number; when absent, taken from a summary «Перезвонить на номер 7…».
    callback_phone: Ident | None = Field(default=None, max_length=32)
    idempotency_key: IdemKey = None


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
) -> schemas.EscalationOut:
    key = idempotency_key(key_header, body.idempotency_key)
    _check_account(body.account)
    phone = escalation_service.callback_phone(body.reason, body.summary, body.callback_phone)
    return _answer(
        response,
        escalation_service.open_escalation(
            session,
            call_id=body.call_id,
            reason=body.reason,
            account=body.account,
            verified=body.verified,
            summary=body.summary,
            phone=phone,
            key=key,
            at=now(request),
        ),
    )


@router.get("/escalations", summary="Escalations, oldest first (status=open: waiting for an operator)")
def list_escalations(
    session: SessionDep,
    _who: OperatorDep,
    status: Literal["open", "taken", "closed"] | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[schemas.EscalationOut]:
    return escalation_service.list_escalations(session, status=status, limit=limit)


@router.get("/escalations/{esc_id}", summary="One escalation with the call's transcript")
def get_escalation(
    esc_id: EscalationId, session: SessionDep, _who: OperatorDep
) -> schemas.EscalationWithCall:
    return escalation_service.get_escalation(session, esc_id)


class EscalationUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Literal["taken", "closed"] | None = None
    note: FreeText | None = Field(default=None, max_length=4000)
    outcome: FreeText | None = Field(default=None, max_length=200)

    def edits(self) -> dict[str, str | None]:
        """The note and outcome this update names (named as null: cleared)."""
        return {name: getattr(self, name) for name in ("note", "outcome") if name in self.model_fields_set}


@router.patch("/escalations/{esc_id}", summary="Take (atomically), close, or annotate an escalation")
def update_escalation(
    request: Request, esc_id: EscalationId, body: EscalationUpdate, session: SessionDep, who: OperatorDep
) -> schemas.EscalationOut:
    """Take, close, note: one guarded UPDATE each (see `services.escalations`)."""
    return escalation_service.change_escalation(
        session, esc_id, who.name, status=body.status, edits=body.edits(), at=now(request)
    )
