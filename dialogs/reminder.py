"""The debt reminder call: the robot rang a debtor's number (ivr.dialer) and someone answered.

Why this order: whoever picks up may not be the account holder, so the robot says who calls and
why without any personal data, then asks to confirm the holder by the account's ending (the
number was on file for the account, as an inbound caller's phone on file) and passes the same
ownership check as inbound calls (`dialogs.verify`). Only then the debt, the penalties and how to
pay (the same reference facts as the inbound «как оплатить»), and what the resident wants: an
operator now (in hours), a callback, «я уже оплатил» (for the operator to check) or a promise
with its day. «Не звоните мне» or a wrong number puts the number on the opt-out list.

The outcome of the contact goes to the API (`debt_outcome`); the call record gets the usual
call outcome, like every other call.
"""

from __future__ import annotations

import asyncio
import calendar
import logging
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Protocol

from dialogs import answers, callback, operator, policy, prompts, spoken
from dialogs.backend import Backend, BackendError, Rejected
from dialogs.channel import Channel, DtmfSpec, Hangup, Reply
from dialogs.context import BackToMenu, Call, CallerLeaves, CallTimeUp, Escalate, SwitchTopic
from dialogs.identify import ending
from dialogs.options import DialogOptions
from dialogs.record import Outcome, close_own, record_of
from dialogs.verify import verify

log = logging.getLogger(__name__)

DAY_KEYS = DtmfSpec(max_digits=2, terminator="#", erase="*")
HARD_LIMIT_GRACE_SECONDS = 30.0
REGISTRATION_SECONDS = 2.0


class ReminderBackend(Backend, Protocol):
    """The account API as the reminder needs it: the inbound calls' methods and the contact's outcome."""

    async def debt_outcome(
        self, contact_id: int, outcome: str, *, promised_on: date | None = None
    ) -> None: ...


@dataclass(frozen=True)
class DebtCall:
    """What the dialer sent with the call (the dialplan's HotlineCall event)."""

    contact_id: int
    account: str


@dataclass
class _Result:
    debt: str = "answered"  # the contact's outcome (api.campaigns: confirmed, promised, refused, …)
    promised_on: date | None = None
    call: str = Outcome.COMPLETED  # the call record's outcome


def day_of_month(reply: Reply) -> int | None:
    """«до пятнадцатого», «двадцать пятого числа», «20», keys `15#` → the day of the month."""
    if reply.kind == "digits":
        return int(reply.digits) if reply.digits.isdigit() and 1 <= int(reply.digits) <= 31 else None
    if reply.kind != "speech":
        return None
    for day in range(31, 0, -1):  # «двадцать пятого» before «пятого»
        forms = {spoken.say_day_of_month(day, case) for case in ("genitive", "nominative", "accusative")}
        if answers.says_any(reply.text, forms):
            return day
    amount = spoken.parse_amount(reply.text)
    if amount is not None and amount == amount.to_integral_value() and 1 <= amount <= 31:
        return int(amount)
    return None


def next_date_with_day(today: date, day: int) -> date:
    """The first date from today on whose day is `day` (the month's last day where it is shorter)."""
    year, month = today.year, today.month
    if day < today.day:
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def _offer(reply: Reply) -> str | None:
    """Promise before paid: «оплачу» and «оплатил» share a lemma, so tense is told by the word's start."""
    if reply.kind == "digits":
        return next((c.name for c in prompts.REMINDER_OFFERS.choices if c.key == reply.digits), None)
    if answers.pick_choice((prompts.REMINDER_REFUSE,), reply):
        return prompts.REMINDER_REFUSE.name
    if reply.kind != "speech":
        return None
    for choice in (prompts.REMINDER_PROMISE, prompts.REMINDER_PAID, prompts.REMINDER_CALLBACK,
                   prompts.REMINDER_NOTHING):
        if answers.says_any(reply.text, (), choice.words):
            return choice.name
    return None


async def run_reminder(
    channel: Channel, backend: ReminderBackend, options: DialogOptions, debt: DebtCall
) -> str:
    """Hold the reminder call; returns the call record's outcome. Never raises for a hang-up."""
    record, own = await record_of(channel, backend)
    call = Call(channel, backend, options, record=record)
    result = _Result()
    cancelled = False
    try:
        await call.start()
        async with asyncio.timeout(options.max_call_seconds + HARD_LIMIT_GRACE_SECONDS):
            await _remind(call, debt, result)
    except Hangup:
        result.call = Outcome.HANGUP
    except (CallTimeUp, TimeoutError):
        result.call = Outcome.TIME_LIMIT
    except asyncio.CancelledError:
        cancelled = True
        raise
    finally:
        await _write_outcome(backend, debt, result)
        if not cancelled or own is not None:
            await call.finish(result.call)
        if own is not None:
            await close_own(own, call.call_id)
    log.info("reminder call %s (contact %d): %s, %s", call.call_id, debt.contact_id, result.call, result.debt)
    return result.call


async def _write_outcome(backend: ReminderBackend, debt: DebtCall, result: _Result) -> None:
    try:
        await backend.debt_outcome(debt.contact_id, result.debt, promised_on=result.promised_on)
    except (BackendError, Rejected) as exc:
        log.error("debt contact %d: outcome %s not stored: %s", debt.contact_id, result.debt, exc)


async def _remind(call: Call, debt: DebtCall, result: _Result) -> None:
    await call.say(prompts.REMINDER_GREETING)
    try:
        if not await _holder(call, debt, result):
            return
        await call.set_account(debt.account)
        # The API trusts only the number the call was registered with: let the registration land.
        await call.record.settle(REGISTRATION_SECONDS)
        await verify(call)
        result.debt = "confirmed"
        if not await _tell_debt(call, debt.account):
            await _goodbye(call, prompts.REMINDER_NO_DEBT)
            return
        await _offers(call, result)
    except Escalate as escalation:
        result.call = await _operator(call, escalation.reason)
    except (CallerLeaves, BackToMenu, SwitchTopic):
        await _goodbye(call, prompts.REMINDER_GOODBYE)
    except (BackendError, Rejected) as exc:
        log.warning("reminder call %s: account service failed: %s", call.call_id, exc)
        result.call = Outcome.SERVICE_ERROR
        await _goodbye(call, prompts.CALL_LATER)


async def _holder(call: Call, debt: DebtCall, result: _Result) -> bool:
    """True when the holder said it is them; otherwise the call ends here, nothing told."""
    question = prompts.reminder_holder(ending(debt.account))
    try:
        answer = await policy.choose(call, question)
    except Escalate as unanswered:
        if unanswered.reason not in ("no_input", "no_match"):
            raise  # asked for a person: handed over, nothing of the account said
        # Silence: an answering machine or nobody at the phone (`voicemail`, planned again
        # another day); noise: the holder not confirmed. Either way nothing of the account is said.
        result.debt = "voicemail" if unanswered.reason == "no_input" else "answered"
        await _goodbye(call, prompts.REMINDER_UNANSWERED)
        return False
    if answer in (prompts.REMINDER_REFUSE.name, prompts.REMINDER_WRONG_NUMBER.name):
        result.debt = "refused" if answer == prompts.REMINDER_REFUSE.name else "wrong_number"
        await _goodbye(call, prompts.REMINDER_OPTED_OUT)
        return False
    if answer == prompts.NO.name:
        result.debt = "not_holder"
        await _goodbye(call, prompts.REMINDER_NOT_HOLDER)
        return False
    return True


async def _tell_debt(call: Call, account: str) -> bool:
    """The debt, its penalties, how to pay; False when there is no debt any more (paid since)."""
    data = await call.backend.balance(account, call_id=call.call_id)
    month = int(str(data["period"])[5:7])
    closing = Decimal(str(data["closing"]))
    paid_since = Decimal(str(data.get("paid_since") or 0))
    due = Decimal(str(data.get("due_now", closing - paid_since))) if paid_since > 0 else closing
    if due <= 0:
        return False
    await call.say(prompts.reminder_debt(spoken.say_money(closing), month))
    if paid_since > 0:
        await call.say(prompts.reminder_due_now(spoken.say_money(due)))
    penalties = Decimal(str(data.get("penalties") or 0))
    if penalties:
        await call.say(prompts.balance_penalties(spoken.say_money(penalties)))
    facts = call.options.facts
    await call.say(facts["penalties"].text)
    await call.say(facts["pay"].text)
    return True


async def _offers(call: Call, result: _Result) -> None:
    choice = await policy.ask(call, prompts.REMINDER_OFFERS, _offer, dtmf=policy.CHOICE_KEYS)
    if choice == prompts.REMINDER_REFUSE.name:
        result.debt = "refused"
        await _goodbye(call, prompts.REMINDER_OPTED_OUT)
    elif choice == prompts.REMINDER_PAID.name:
        result.debt = "paid"
        await _goodbye(call, prompts.REMINDER_PAID_NOTED)
    elif choice == prompts.REMINDER_PROMISE.name:
        await _promise(call, result)
    elif choice == prompts.REMINDER_CALLBACK.name:
        await callback.offer(call, "callback_request", ask_first=False)
        result.call = Outcome.CALLBACK if call.callback_requested else Outcome.COMPLETED
        await _goodbye(call, prompts.REMINDER_GOODBYE)
    else:
        await _goodbye(call, prompts.REMINDER_GOODBYE)


async def _promise(call: Call, result: _Result) -> None:
    try:
        question = prompts.REMINDER_PROMISE_DAY
        day = await policy.ask(call, question, day_of_month, dtmf=DAY_KEYS, keys_are_data=True)
    except Escalate as no_day:
        if no_day.reason not in ("no_input", "no_match"):
            raise
        await _goodbye(call, prompts.REMINDER_PROMISE_NO_DAY)
        return
    result.debt = "promised"
    result.promised_on = next_date_with_day(call.options.now().date(), day)
    await _goodbye(call, prompts.reminder_promise_noted(spoken.say_date(result.promised_on)))


async def _operator(call: Call, reason: str) -> str:
    handed = await operator.hand_over(call, reason)
    if handed == operator.TRANSFERRED:
        return Outcome.OPERATOR
    await _goodbye(call, prompts.REMINDER_GOODBYE)
    return Outcome.OPERATOR_CLOSED if handed == operator.CLOSED else Outcome.OPERATOR_FAILED


async def _goodbye(call: Call, text: str) -> None:
    await call.say(text, check_time=False)
    if text != prompts.REMINDER_GOODBYE and text != prompts.CALL_LATER:
        await call.say(prompts.REMINDER_GOODBYE, check_time=False)
    await call.channel.hangup()
