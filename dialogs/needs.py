"""Needs answered from the reference facts: how to pay, the receipt, penalties, the personal
account, the hotline's number, "did I win", when readings are taken, when operators answer.

Why short answers with an offer after them: an elderly caller keeps one or two facts at a
time, so the most useful fact comes first and the details only on «да»; needs the robot cannot
settle (a disputed charge, instalments) go to the operator with that reason, so the operator
sees why the caller rang.
"""

from __future__ import annotations

from dialogs import hours, policy, prompts, spoken
from dialogs.context import Call, Escalate
from dialogs.pieces import say_in_pieces
from dialogs.readings import window_open


async def tell(call: Call, name: str) -> None:
    """A fact from the reference file, then its details if the caller wants them."""
    fact = call.options.facts[name]
    await say_in_pieces(call, fact.text)
    if fact.more and await policy.confirm(call, prompts.FACT_MORE):
        await say_in_pieces(call, fact.more)


async def register_offline(call: Call) -> None:
    fact = call.options.facts["register_offline"]
    await call.say(fact.text)
    if fact.more:
        await call.say(fact.more)
    if await policy.confirm(call, prompts.REGISTER_HELP):
        raise Escalate("register_help")


async def to_operator(call: Call, name: str) -> None:
    """Needs only a person can settle: say so, then hand over with the need as the reason."""
    await call.say(call.options.facts[name].text)
    raise Escalate(name)


async def readings_window(call: Call) -> bool:
    """When readings are taken; True when the caller wants to give them now (inside the window)."""
    start, end = call.options.readings_window
    start_words = spoken.say_day_of_month(start, "genitive")
    await call.say(prompts.readings_window(start_words, spoken.say_day_of_month(end, "accusative")))
    return window_open(call) and await policy.confirm(call, prompts.READINGS_OPEN_NOW)


async def operator_hours(call: Call) -> None:
    schedule = call.options.operator_schedule
    await call.say(prompts.operators_hours(hours.say_hours(schedule, mention_no_break=False)))
    if hours.is_open(schedule, call.options.now()) and await policy.confirm(call, prompts.OFFER_OPERATOR):
        raise Escalate("caller_request")
