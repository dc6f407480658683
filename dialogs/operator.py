"""Handing the call to a person: the escalation stored first, then the transfer.

Why stored first: the operator console shows the caller's account, whether
they were verified, what they asked and the transcript the moment the call
rings there. Outside the operators' hours the caller hears when to call back.
"""

from __future__ import annotations

import logging

from dialogs import hours, prompts
from dialogs.backend import BackendError, Rejected
from dialogs.context import Call

log = logging.getLogger(__name__)

TRANSFERRED, CLOSED, FAILED = "transferred", "closed", "failed"


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
    try:
        await call.backend.escalate(
            call.call_id, reason=reason, account=call.account, verified=call.verified, summary=summary
        )
    except (BackendError, Rejected) as exc:  # the caller still gets a person, only without the context
        log.warning("call %s: escalation not stored (%s); transferring anyway", call.call_id, exc)
    await call.step("operator")
    if await call.channel.transfer_to_operator():
        return TRANSFERRED
    await call.say(prompts.OPERATOR_FAILED)
    return FAILED
