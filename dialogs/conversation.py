"""One call from the greeting to the goodbye: the menu loop around the flows.

`run_conversation` is what ivr.CallSession (over AudioSocket) and `hotline chat`
(over a text channel) run. It never raises for the caller hanging up, the
account service failing or the time running out: each ends the call with a
sentence and an outcome that is stored with the call.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from dialogs import menu, operator, policy, prompts
from dialogs.backend import Backend, BackendError, Rejected
from dialogs.balance import balance
from dialogs.channel import Channel, Hangup
from dialogs.context import Call, CallTimeUp, Escalate
from dialogs.offices import offices
from dialogs.options import DialogOptions
from dialogs.promotion import promotion
from dialogs.readings import readings

log = logging.getLogger(__name__)

# Outcomes stored with the call (PATCH /calls/{id} outcome).
COMPLETED = "completed"  # the caller had what they wanted and said goodbye
HANGUP = "hangup"  # the caller hung up
OPERATOR = "operator"  # handed over to an operator
OPERATOR_CLOSED = "operator_closed"  # needed an operator outside operators' hours
OPERATOR_FAILED = "operator_failed"  # the transfer did not happen
TIME_LIMIT = "time_limit"
SERVICE_ERROR = "service_error"  # the account service failed and the caller did not want an operator

# Beyond the soft limit checked before each sentence, a hard stop for a channel that hangs.
HARD_LIMIT_GRACE_SECONDS = 30.0

Flow = Callable[[Call, str], Awaitable[None]]
FLOWS: dict[str, Flow] = {
    "balance": lambda call, said: balance(call),
    "readings": lambda call, said: readings(call),
    "promotion": lambda call, said: promotion(call),
    "offices": offices,
}


async def run_conversation(channel: Channel, backend: Backend, options: DialogOptions) -> str:
    """Hold the whole conversation; returns the call's outcome."""
    call = Call(channel, backend, options)
    outcome = HANGUP
    try:
        await call.start()
        async with asyncio.timeout(options.max_call_seconds + HARD_LIMIT_GRACE_SECONDS):
            outcome = await _converse(call)
    except Hangup:
        outcome = HANGUP
    except (CallTimeUp, TimeoutError):
        outcome = TIME_LIMIT
        await _last_words(call, prompts.TIME_LIMIT)
    finally:
        await call.finish(outcome)
    log.info("call %s ended: %s", call.call_id, outcome)
    return outcome


async def _converse(call: Call) -> str:
    await call.say(prompts.GREETING)
    question = prompts.MENU
    while True:
        try:
            intent, said = await menu.ask_intent(call, question)
            question = prompts.MENU_AGAIN
            if intent == menu.GOODBYE:
                await _goodbye(call, prompts.GOODBYE)
                return COMPLETED
            await call.step(intent)
            await FLOWS[intent](call, said)
        except Escalate as escalation:
            outcome = await _operator(call, escalation.reason)
            if outcome is not None:
                return outcome
            question = prompts.MENU_AGAIN
        except (BackendError, Rejected) as exc:
            log.warning("call %s: account service failed: %s", call.call_id, exc)
            return await _service_down(call)


async def _operator(call: Call, reason: str) -> str | None:
    """Hand over; None when the caller asked for a person outside hours and may go on with the robot."""
    result = await operator.hand_over(call, reason)
    if result == operator.TRANSFERRED:
        return OPERATOR
    if result == operator.CLOSED and reason == "caller_request":
        return None
    await _goodbye(call, prompts.CALL_LATER)
    return OPERATOR_CLOSED if result == operator.CLOSED else OPERATOR_FAILED


async def _service_down(call: Call) -> str:
    await call.say(prompts.SERVICE_DOWN)
    try:
        wants_operator = await policy.confirm(call, prompts.OFFER_OPERATOR)
    except Escalate:
        wants_operator = True
    if wants_operator:
        return await _operator(call, "backend_error") or OPERATOR_CLOSED
    await _goodbye(call, prompts.CALL_LATER)
    return SERVICE_ERROR


async def _goodbye(call: Call, text: str) -> None:
    await call.say(text)
    await call.channel.hangup()


async def _last_words(call: Call, text: str) -> None:
    """Say goodbye past the time limit; a caller already gone or a stuck line is no error."""
    with contextlib.suppress(Hangup, TimeoutError, BackendError):
        async with asyncio.timeout(HARD_LIMIT_GRACE_SECONDS):
            await call.say(text, check_time=False)
            await call.channel.hangup()
