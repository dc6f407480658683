"""Handing the call to a person: the escalation stored first, then the transfer.

Why kept first: the operator console shows the caller's account, whether
they were verified, what they asked and the transcript the moment the call
rings there (the call record's outbox sends it ahead of the transfer, waited
for briefly, and keeps it on disk if the API is down). Outside the
operators' hours the caller hears when to call back.
"""

from __future__ import annotations

import logging

from dialogs import hours, prompts
from dialogs.context import Call

log = logging.getLogger(__name__)

TRANSFERRED, CLOSED, FAILED = "transferred", "closed", "failed"
CONTEXT_WAIT_SECONDS = 1.5  # at most, after «Соединяю с оператором», before the transfer


async def hand_over(call: Call, reason: str) -> str:
    """TRANSFERRED, CLOSED (outside operators' hours, caller told when to call) or FAILED."""
    schedule = call.options.operator_schedule
    now = call.options.now()
    if not hours.is_open(schedule, now):
        opening = hours.next_opening(schedule, now)
        await call.say(
            prompts.operators_closed(
                hours.say_hours(schedule, mention_no_break=False),
                hours.say_next_opening(opening) if opening else "",
            )
        )
        return CLOSED
    await call.say(prompts.OPERATOR_CONNECTING)
    summary = prompts.escalation_summary(reason, call.topics, call.account, call.verified)
    try:  # kept before the transfer, sent behind it: a slow or down API never delays the caller
        await call.record.keep_escalation(
            reason=reason, account=call.account, verified=call.verified, summary=summary
        )
    except Exception:  # the caller still gets a person, only without the context
        log.exception("call %s: escalation not kept; transferring anyway", call.call_id)
    # The console shows the context the moment the call rings there: give the API a moment to take
    # it (at once when it answers; no wait at all when it is known down: it is kept and sent later).
    await call.record.settle(CONTEXT_WAIT_SECONDS)
    await call.step("operator")
    if await call.channel.transfer_to_operator():
        return TRANSFERRED
    await call.say(prompts.OPERATOR_FAILED)
    return FAILED
