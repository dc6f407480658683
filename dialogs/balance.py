"""The balance: debt or overpayment first, the details only if the caller wants them.

Why in this order: the one figure most callers ring for comes in the first
sentence; the month's charges, payments, penalties, recalculations, the lines
by service and the last payment follow on a "да".
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from dialogs import policy, prompts, spoken
from dialogs.channel import prepare
from dialogs.context import Call
from dialogs.pieces import pieces, say_in_pieces
from dialogs.verify import identified_and_verified


def _money(value: Any) -> Decimal:
    return Decimal(str(value))


async def balance(call: Call) -> None:
    account = await identified_and_verified(call)
    data = await call.backend.balance(account, call_id=call.call_id)
    month = int(str(data["period"])[5:7])
    closing = _money(data["closing"])
    paid_since = _money(data.get("paid_since") or 0)
    if paid_since > 0:
        due = _money(data.get("due_now", closing - paid_since))
        await _after_payment(call, closing, paid_since, due, month)
    elif closing > 0:
        await call.say(prompts.balance_debt(spoken.say_money(closing), month))
    elif closing < 0:
        await call.say(prompts.balance_overpaid(spoken.say_money(-closing), month))
    else:
        await call.say(prompts.balance_zero(month))
    details = _details(data, month)
    prepare(call.channel, pieces(details)[0])  # rendered while the caller is asked and answers
    if await policy.confirm(call, prompts.BALANCE_DETAILS):
        await say_in_pieces(call, details)


async def _after_payment(call: Call, closing: Decimal, paid_since: Decimal, due: Decimal, month: int) -> None:
    """The caller paid after the month's end: «я же заплатила!» — the remaining sum comes first."""
    paid = spoken.say_money(paid_since)
    if due > 0:  # the month closed in debt too: due = closing − paid_since
        owed = spoken.say_money(closing)
        for sentence in prompts.balance_due_now(spoken.say_money(due), month, owed, paid):
            await call.say(sentence)
    elif due == 0:
        await call.say(prompts.balance_paid_off(month, paid))
    else:
        await call.say(prompts.balance_overpaid_now(spoken.say_money(-due), month))


def _details(data: dict[str, Any], month: int) -> str:
    """The month in figures (said in pieces of a few sentences with «Продолжить?» between them)."""
    opening = _money(data["opening"])
    sentences = [
        prompts.balance_month(
            month,
            spoken.say_money(abs(opening)),
            opening >= 0,
            spoken.say_money(_money(data["charged"])),
            spoken.say_money(_money(data["paid"])),
        )
    ]
    recalculations = _money(data.get("recalculations") or 0)
    if recalculations:
        sentences.append(
            prompts.balance_recalculation(spoken.say_money(abs(recalculations)), recalculations < 0)
        )
    penalties = _money(data.get("penalties") or 0)
    if penalties:
        sentences.append(prompts.balance_penalties(spoken.say_money(penalties)))
    lines = data.get("lines") or []
    if len(lines) > 1:
        sentences.append(prompts.BALANCE_LINES)
        sentences.extend(
            prompts.balance_line(line["service_name"], spoken.say_money(_money(line["charged"])))
            for line in lines
        )
    payment = data.get("last_payment")
    if payment:
        sentences.append(
            prompts.last_payment(
                spoken.say_money(_money(payment["amount"])),
                spoken.say_date(date.fromisoformat(payment["date"][:10])),
            )
        )
    else:
        sentences.append(prompts.NO_PAYMENTS)
    return " ".join(sentences)
