"""Making sure the caller may hear the account's data, as the personal-account manuals do.

A caller whose number is on file for the account passes at once; anyone else
names the amount of the last payment. The API counts the attempts (per account
and per caller number) and locks after too many; the dialog then hands over to
the operator rather than letting anyone guess on.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from dialogs import answers, policy, prompts, spoken
from dialogs.backend import Rejected
from dialogs.channel import Reply
from dialogs.context import Call, Escalate
from dialogs.identify import identify

DONT_KNOW = "dont_know"
REGISTRATION_WAIT_SECONDS = 2.0


def _amount_or_dont_know(reply: Reply) -> Decimal | str | None:
    return DONT_KNOW if answers.dont_know(reply) else answers.amount(reply)


async def _check(call: Call, account: str, amount: Decimal | None) -> dict[str, Any]:
    try:
        return await call.backend.verify(
            account, call_id=call.call_id, caller=call.channel.caller, last_payment=amount
        )
    except Rejected:  # locked or rate-limited by the API
        return {"verified": False, "locked": True, "attempts_left": 0}


async def verify(call: Call) -> None:
    """Returns once the caller is verified for call.account; raises Escalate otherwise."""
    if call.verified:
        return
    account = call.account
    assert account is not None, "identify before verify"
    # Without an amount the API checks the caller's number and reports a lock; it counts no attempt.
    # It trusts only the number the call was registered with: let the call's start reach it first
    # (bounded; at once when it already has, no wait when the service is down). Not the whole record:
    # transcript lines still on their way to a slow API must not become silence here.
    await call.record.registered(REGISTRATION_WAIT_SECONDS)
    result = await _check(call, account, None)
    if result.get("verified"):
        call.verified = True
        return
    if result.get("locked"):
        await call.say(prompts.VERIFY_LOCKED)
        raise Escalate("verify_locked")
    await call.say(prompts.VERIFY_INTRO)
    while True:
        amount = await policy.ask(
            call, prompts.LAST_PAYMENT, _amount_or_dont_know, dtmf=policy.DECIMAL_KEYS, keys_are_data=True
        )
        if not isinstance(amount, Decimal):  # DONT_KNOW (policy.ask returns only an answer)
            await call.say(prompts.VERIFY_DONT_KNOW)
            raise Escalate("dont_know_payment")
        result = await _check(call, account, amount)
        if result.get("verified"):
            call.verified = True
            await call.say(prompts.VERIFY_OK)
            return
        left = int(result.get("attempts_left") or 0)
        if result.get("locked") or left <= 0:
            await call.say(prompts.VERIFY_LOCKED)
            raise Escalate("verify_locked")
        await call.say(prompts.verify_wrong(left, spoken.say_count_feminine(left)))


async def identified_and_verified(call: Call) -> str:
    """The account of a caller allowed to hear it: what balance, readings and participation need."""
    account = await identify(call)
    await verify(call)
    return account
