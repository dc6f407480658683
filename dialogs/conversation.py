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

from dialogs import callback, lexicon, menu, needs, operator, policy, prompts
from dialogs.backend import Backend, BackendError, Rejected
from dialogs.balance import balance
from dialogs.channel import Channel, Hangup
from dialogs.context import BackToMenu, Call, CallerLeaves, CallTimeUp, Escalate, SwitchTopic
from dialogs.offices import offices
from dialogs.options import DialogOptions
from dialogs.promotion import promotion, topic_of
from dialogs.readings import readings
from dialogs.record import Outcome, close_own, record_of

log = logging.getLogger(__name__)

# Outcomes stored with the call (PATCH /calls/{id} outcome): one enum, shared with ivr.
COMPLETED = Outcome.COMPLETED
HANGUP = Outcome.HANGUP
OPERATOR = Outcome.OPERATOR
OPERATOR_CLOSED = Outcome.OPERATOR_CLOSED
OPERATOR_FAILED = Outcome.OPERATOR_FAILED
CALLBACK = Outcome.CALLBACK
TIME_LIMIT = Outcome.TIME_LIMIT
SERVICE_ERROR = Outcome.SERVICE_ERROR

# Escalations at night that get no callback offer: a silent caller, an account service that is down.
NO_CALLBACK_OFFER = ("backend_error", "no_input")

# Beyond the soft limit checked before each sentence, a hard stop for a channel that hangs; the
# goodbye after it has as long again. A channel's own hard limit must leave room for both.
HARD_LIMIT_GRACE_SECONDS = 30.0
LIMIT_GRACE_SECONDS = 2 * HARD_LIMIT_GRACE_SECONDS + 5.0
# At the end of a call without a channel's record (text chat, tests): how long to wait for the API.
SETTLE_SECONDS = 5.0

Flow = Callable[[Call, str, str], Awaitable[None]]


async def _readings_window(call: Call, topic: str, said: str) -> None:
    if await needs.readings_window(call):
        await readings(call)


async def _callback(call: Call, topic: str, said: str) -> None:
    await callback.offer(call, "caller_request", ask_first=False)


# Each subject the caller can ask about → what answers it (`said`: the caller's words).
FLOWS: dict[str, Flow] = {
    lexicon.BALANCE: lambda call, topic, said: balance(call),
    lexicon.READINGS: lambda call, topic, said: readings(call),
    lexicon.READINGS_WINDOW: _readings_window,
    lexicon.PROMOTION: lambda call, topic, said: promotion(call),
    lexicon.OFFICES: lambda call, topic, said: offices(call, said),
    lexicon.PAY: lambda call, topic, said: needs.tell(call, "pay"),
    lexicon.RECEIPT: lambda call, topic, said: needs.tell(call, "receipt"),
    lexicon.REGISTER: lambda call, topic, said: needs.tell(call, "register"),
    lexicon.REGISTER_OFFLINE: lambda call, topic, said: needs.register_offline(call),
    lexicon.PENALTIES: lambda call, topic, said: needs.tell(call, "penalties"),
    lexicon.HOTLINE_NUMBER: lambda call, topic, said: needs.tell(call, "hotline_number"),
    lexicon.RECALCULATION: lambda call, topic, said: needs.to_operator(call, "recalculation"),
    lexicon.INSTALMENTS: lambda call, topic, said: needs.to_operator(call, "instalments"),
    lexicon.OPERATOR_HOURS: lambda call, topic, said: needs.operator_hours(call),
    lexicon.CALLBACK: _callback,
}
# The promotion's own topics («какие призы», «я участвую?») answered straight away.
for _intent in (
    lexicon.PROMO_PARTICIPANTS, lexicon.PROMO_TERRITORIES, lexicon.PROMO_PERIOD, lexicon.PROMO_PRIZE,
    lexicon.PROMO_DRAW, lexicon.PROMO_COLLECT, lexicon.PROMO_UNCLAIMED, lexicon.PROMO_STATUS,
    lexicon.PROMO_WINNER,
):
    FLOWS[_intent] = lambda call, topic, said: promotion(call, topic_of(topic))


async def run_conversation(channel: Channel, backend: Backend, options: DialogOptions) -> str:
    """Hold the whole conversation; returns the call's outcome.

    The call record is the channel's (`channel.record`, e.g. ivr.CallSession's, which ends it
    itself if the conversation is cancelled); a channel without one gets a record of its own here,
    sent behind in memory and waited for (briefly) at the end."""
    record, own = await record_of(channel, backend)
    call = Call(channel, backend, options, record=record)
    outcome: str = HANGUP
    cancelled = False
    try:
        await call.start()
        async with asyncio.timeout(options.max_call_seconds + HARD_LIMIT_GRACE_SECONDS):
            outcome = await _converse(call)
    except Hangup:
        outcome = _hung_up(call)
    except (CallTimeUp, TimeoutError):
        outcome = TIME_LIMIT
        await _last_words(call, prompts.TIME_LIMIT)
    except asyncio.CancelledError:
        cancelled = True  # whoever cancelled us knows why the call ended, and writes it
        raise
    finally:
        if not cancelled or own is not None:
            await call.finish(outcome)
        if own is not None:
            await asyncio.shield(close_own(own, call.call_id, SETTLE_SECONDS))
    log.info("call %s ended: %s", call.call_id, outcome)
    return outcome


def _hung_up(call: Call) -> str:
    """A hang-up at "anything else?" after a finished task is a call that did its job."""
    if call.callback_requested:
        return CALLBACK
    return COMPLETED if call.resting and call.tasks_done else HANGUP


def _left(call: Call) -> str:
    return CALLBACK if call.callback_requested else COMPLETED


async def _converse(call: Call) -> str:
    await call.say(prompts.GREETING)
    question = prompts.MENU
    while True:
        try:
            if call.pending:
                topics: tuple[str, ...] = (call.pending.pop(0),)
            else:
                topics = await menu.ask_topics(call, question, resting=question is prompts.MENU_AGAIN)
            topic, call.pending[:0] = topics[0], list(topics[1:])
            if topic == menu.GOODBYE:
                await _goodbye(call, prompts.GOODBYE)
                return _left(call)
            question = prompts.MENU_AGAIN
            if topic == menu.MORE:
                await call.say(prompts.MENU_MORE)
                continue
            if topic == menu.LISTENING:
                await call.say(prompts.LISTENING)
                question = prompts.MENU
                continue
            await call.step(topic)
            await FLOWS[topic](call, topic, call.last_heard)
            call.tasks_done += 1
        except SwitchTopic as switch:
            call.note_topics(switch.topics)
            call.pending[:0] = list(switch.topics)
            question = prompts.MENU_AGAIN
        except BackToMenu as back:
            call.pending[:0] = list(back.topics)
            if not back.topics:
                await call.say(prompts.BACK_TO_MENU)
                question = prompts.MENU
        except CallerLeaves:
            await _goodbye(call, prompts.GOODBYE)
            return _left(call)
        except Escalate as escalation:
            outcome = await _operator(call, escalation.reason)
            if outcome is not None:
                return outcome
            question = prompts.MENU_AGAIN
        except (BackendError, Rejected) as exc:
            log.warning("call %s: account service failed: %s", call.call_id, exc)
            return await _service_down(call)


async def _operator(call: Call, reason: str) -> str | None:
    """Hand over; None when the caller goes on with the robot (operators closed, callback offered)."""
    result = await operator.hand_over(call, reason)
    if result == operator.TRANSFERRED:
        return OPERATOR
    # A silent caller, or an account service that is down, gets no callback offer: only the hours.
    if result == operator.CLOSED and not call.callback_offered and reason not in NO_CALLBACK_OFFER:
        return await _night(call, reason)
    await _goodbye(call, prompts.CALL_LATER)
    if call.callback_requested:
        return CALLBACK
    return OPERATOR_CLOSED if result == operator.CLOSED else OPERATOR_FAILED


async def _night(call: Call, reason: str) -> str | None:
    """Operators closed: offer a callback, then what the robot itself can do — never just hang up."""
    try:
        stored = await callback.offer(call, reason)
    except CallerLeaves:
        await _goodbye(call, prompts.GOODBYE)
        return _left(call)
    except Escalate:  # no answer to the offer either
        await _goodbye(call, prompts.CALL_LATER)
        return OPERATOR_CLOSED
    except (BackToMenu, SwitchTopic) as other:  # «меню», or another subject: go on with the robot
        stored = False
        call.pending[:0] = list(other.topics)
    if reason == "no_match" and not stored:
        await _goodbye(call, prompts.CALL_LATER)
        return OPERATOR_CLOSED
    await call.say(prompts.WHAT_ROBOT_CAN)
    return None


async def _service_down(call: Call) -> str:
    kept = call.record.kept_readings > 0  # only then is anything promised
    await call.say(prompts.SERVICE_DOWN_READINGS_KEPT if kept else prompts.SERVICE_DOWN)
    try:
        wants_operator = await policy.confirm(call, prompts.OFFER_OPERATOR)
    except Escalate:
        wants_operator = True
    except (CallerLeaves, BackToMenu, SwitchTopic):
        wants_operator = False
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
