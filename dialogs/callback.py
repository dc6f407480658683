"""A callback request: the number confirmed, the request stored with the call's context.

Why: a caller who needs a person when the operators are closed (or who asks to be called
back) must not simply be told to ring again. The request reaches the operators' queue in the
console with the number to call, the reason and what the caller asked about.
"""

from __future__ import annotations

import logging
import re

from dialogs import hours, policy, prompts, spoken
from dialogs.channel import Reply
from dialogs.context import Call
from dialogs.understanding import corrected

log = logging.getLogger(__name__)

MAX_NUMBER_TRIES = 2


def phone_number(digits: str) -> str | None:
    """A Russian phone number as stored ("7XXXXXXXXXX") from what the caller keyed or said:
    8 or 7 and ten digits, or the ten digits alone. None for anything else."""
    digits = re.sub(r"\D", "", digits or "")
    if len(digits) == 11 and digits[0] in "78":
        return "7" + digits[1:]
    if len(digits) == 10 and digits[0] == "9":
        return "7" + digits
    return None


def say_phone(phone: str) -> str:
    """ "79001110011" → "восемь, девятьсот, сто одиннадцать, ноль ноль, одиннадцать" — as printed."""
    groups = ("8", phone[1:4], phone[4:7], phone[7:9], phone[9:11])
    return ", ".join(spoken.say_digits(g) if g.startswith("0") else spoken.say_number(int(g)) for g in groups)


def _number_reply(reply: Reply) -> str | None:
    if reply.kind == "digits":
        return phone_number(reply.digits)
    if reply.kind == "speech":
        return phone_number(spoken.parse_digits(corrected(reply.text)) or "")
    return None


async def offer(call: Call, reason: str, *, ask_first: bool = True) -> bool:
    """Offer a callback (or take the caller's request for one); True when it was stored."""
    call.callback_offered = True
    if ask_first and not await policy.confirm(call, prompts.CALLBACK_OFFER):
        await call.say(prompts.NOT_TRANSFERRED)
        return False
    phone = await _number(call)
    if phone is None:
        await call.say(prompts.CALLBACK_NUMBER_GIVE_UP)
        return False
    summary = prompts.callback_summary(phone, reason, call.topics, call.account)
    try:  # kept on the robot's side first (sent when the API can take it): "принята" is then true
        await call.record.keep_escalation(
            reason="callback_request", account=call.account, verified=call.verified, summary=summary
        )
    except Exception:
        log.exception("call %s: callback request not kept", call.call_id)
        await call.say(prompts.CALLBACK_NOT_STORED)
        return False
    call.callback_requested = True
    opening = hours.next_opening(call.options.operator_schedule, call.options.now())
    when = hours.say_next_opening(opening) if opening else prompts.CALLBACK_DAYTIME
    await call.say(prompts.callback_stored(when))
    return True


async def _number(call: Call) -> str | None:
    own = phone_number(call.channel.caller or "")
    if own and await policy.confirm(call, prompts.callback_own_number(spoken.say_digits(own[-4:]))):
        return own
    for _ in range(MAX_NUMBER_TRIES):
        phone = await policy.ask(call, prompts.CALLBACK_NUMBER, _number_reply, dtmf=policy.PHONE_KEYS,
                                 keys_are_data=True)
        if await policy.confirm(call, prompts.callback_readback(say_phone(phone))):
            return phone
    return None
