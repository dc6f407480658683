"""What the operators' side of Asterisk says on AMI: callers who leave the queue, callbacks dialled.

Why here: the console (in the API process) acts on these, but the event names, fields and
dialplan contexts are Asterisk's business; the console gets plain records and never parses AMI.
Nothing here knows accounts or escalations: a call is its hotline id, a callback its tag.
"""

from __future__ import annotations

from dataclasses import dataclass

from telephony.ami import AmiClient, AmiEvent

CALLBACK_CONTEXT = "callbacks"  # extensions.conf: rings the resident once the operator answers
CALLBACK_EVENT = "HotlineCallback"
ACTION_PREFIX = "hotline-callback-"

# OriginateResponse's Reason (Asterisk's AST_CONTROL_*): why the operator's phone did not answer.
ORIGINATE_REASONS = {"0": "FAILED", "1": "HANGUP", "3": "NOANSWER", "5": "BUSY", "8": "CONGESTION"}


@dataclass(frozen=True)
class QueueAbandon:
    """A caller hung up in the operators' queue before any operator answered."""

    call_id: str  # the dialplan's HOTLINE_ID
    channel: str
    queue: str
    waited_seconds: int


def queue_abandon(event: AmiEvent) -> QueueAbandon | None:
    """`QueueCallerAbandon` of a hotline call (manager.conf's `channelvars = HOTLINE_ID`)."""
    if event.name != "QueueCallerAbandon":
        return None
    call_id = (event.variables.get("HOTLINE_ID") or "").strip()
    if not call_id:
        return None
    try:
        waited = int(event.get("HoldTime") or 0)
    except ValueError:
        waited = 0
    return QueueAbandon(call_id, event.get("Channel") or "", event.get("Queue") or "", waited)


@dataclass(frozen=True)
class CallbackProgress:
    """How a callback placed by `place_callback` goes.

    stage: `operator_unanswered` (the operator's phone did not answer: detail NOANSWER, BUSY…),
    `dialling` (the operator answered; the resident's number is ringing), `ended` (the dial is
    over: detail is Asterisk's DIALSTATUS — ANSWER means the two were connected and talked)."""

    tag: str
    stage: str
    detail: str = ""


def callback_progress(event: AmiEvent) -> CallbackProgress | None:
    if event.name == "UserEvent" and event.get("UserEvent") == CALLBACK_EVENT:
        tag, status = event.get("Id") or "", (event.get("Status") or "").upper()
        if not tag or not status:
            return None
        if status == "DIALLING":
            return CallbackProgress(tag, "dialling")
        return CallbackProgress(tag, "ended", status)
    if event.name == "OriginateResponse":
        action_id = event.get("ActionID") or ""
        if not action_id.startswith(ACTION_PREFIX) or event.get("Response") == "Success":
            return None
        reason = ORIGINATE_REASONS.get(event.get("Reason") or "", "FAILED")
        return CallbackProgress(action_id.removeprefix(ACTION_PREFIX), "operator_unanswered", reason)
    return None


async def place_callback(
    ami: AmiClient,
    *,
    tag: str,
    operator_endpoint: str,
    number: str,
    caller_id: str | None = None,
    operator_ring_seconds: int = 30,
) -> None:
    """Ring `operator_endpoint` (e.g. `PJSIP/anna`); when they answer, the dialplan's `callbacks`
    context dials `number`. Returns once Asterisk has queued the call; progress comes as events
    carrying `tag` (see `callback_progress`). Raises AmiError when Asterisk refuses."""
    await ami.originate(
        operator_endpoint,
        context=CALLBACK_CONTEXT,
        exten=number,
        caller_id=caller_id,
        variables={"HOTLINE_CALLBACK_ID": tag},
        timeout_ms=operator_ring_seconds * 1000,
        action_id=f"{ACTION_PREFIX}{tag}",
    )
