"""Meter readings: each meter in turn, the value read back, stored only after "да".

Why so careful: a reading stored wrongly becomes a wrong bill. The value is
said back and confirmed before it is sent; the API stores it once per call and
meter (a repeat answers `duplicate`), and a refusal is explained with what the
caller can do about it.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from dialogs import answers, policy, prompts, spoken
from dialogs.backend import BackendError, Rejected
from dialogs.context import Call, Escalate
from dialogs.prompts import Question
from dialogs.verify import identified_and_verified

SKIP = "skip"
MAX_TRIES_PER_METER = 3  # read-backs refused or values rejected before we stop guessing


class _StopReadings(Exception):
    """No meter can take a reading now (outside the submission window)."""


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


async def readings(call: Call) -> None:
    if not window_open(call):  # said before the caller names the account and dictates values
        start, end = call.options.readings_window
        await call.say(
            prompts.reading_outside_window(
                spoken.say_day_of_month(start, "genitive"), spoken.say_day_of_month(end, "accusative")
            )
        )
        return
    account = await identified_and_verified(call)
    meters = await call.backend.meters(account, call_id=call.call_id)
    if not meters:
        await call.say(prompts.NO_METERS)
        return
    if all(meter["id"] in call.stored_meters for meter in meters):
        await call.say(prompts.READINGS_ALL_STORED)
        return
    if len(meters) > 1:
        await call.say(prompts.meters_count(len(meters), spoken.say_number(len(meters))))
    try:
        for number, meter in enumerate(meters):
            await _one_meter(call, account, meter, prompts.READING if number == 0 else prompts.READING_NEXT)
    except _StopReadings:
        return
    if len(meters) > 1:
        await call.say(prompts.READINGS_DONE)


async def _one_meter(call: Call, account: str, meter: dict[str, Any], question: Question) -> None:
    if meter["id"] in call.stored_meters:
        await call.say(prompts.meter_intro(meter["service_name"], None, None))
        await call.say(prompts.READING_ALREADY)
        return
    due = _day(meter.get("verification_due"))
    if due is not None and due < call.options.now().date():  # refused by the API anyway: say so first
        await call.say(prompts.meter_intro(meter["service_name"], None, None))
        await call.say(prompts.reading_verification_overdue(spoken.say_date(due)))
        return
    last = meter.get("last_reading") or {}
    previous = last.get("value")
    taken = _local_day(last.get("taken_at"), call.options.timezone)
    await call.say(
        prompts.meter_intro(
            meter["service_name"],
            spoken.say_reading(Decimal(str(previous)), meter.get("unit")) if previous is not None else None,
            spoken.say_date(taken) if taken else None,
        )
    )
    for _ in range(MAX_TRIES_PER_METER):
        value = await policy.ask(
            call, question, answers.reading, dtmf=policy.DECIMAL_KEYS, keys_are_data=True
        )
        if value == SKIP:
            await call.say(prompts.READING_SKIPPED)
            return
        assert isinstance(value, Decimal)
        said = spoken.say_reading(value, meter.get("unit"))
        if not await policy.confirm(call, prompts.reading_readback(said, meter["service_name"])):
            await call.say(prompts.READING_SAY_AGAIN)
            continue
        if await _submit(call, account, meter, value):
            return
    await call.say(prompts.READING_SKIPPED)


async def _submit(call: Call, account: str, meter: dict[str, Any], value: Decimal) -> bool:
    """Store one confirmed reading. True when this meter is done (stored, or no use asking again)."""
    unit = meter.get("unit")
    try:
        stored = await call.backend.submit_reading(account, meter["id"], value, call_id=call.call_id)
    except Rejected as refusal:
        return await _explain(call, meter, refusal)
    except BackendError as exc:
        return await _keep(call, account, meter, value, exc)
    call.stored_meters.add(meter["id"])
    consumption = stored.get("consumption")
    await call.say(
        prompts.reading_stored(
            spoken.say_reading(Decimal(str(consumption)), unit) if consumption is not None else None
        )
    )
    return True


async def _keep(
    call: Call, account: str, meter: dict[str, Any], value: Decimal, failure: BackendError
) -> bool:
    """The service did not answer: keep the confirmed reading on the robot's side (the call record's
    outbox, on disk in production) and say so only once it is kept; it is sent when the API is back.
    If even that fails, the caller hears the service is down and nothing is promised."""
    try:
        await call.record.keep_reading(account, meter["id"], value, verified=call.verified)
    except Exception as exc:
        raise failure from exc
    call.stored_meters.add(meter["id"])
    await call.say(prompts.READING_KEPT)
    return True


async def _explain(call: Call, meter: dict[str, Any], refusal: Rejected) -> bool:
    data, unit = refusal.data, meter.get("unit")
    if refusal.reason == "duplicate":
        call.stored_meters.add(meter["id"])
        await call.say(prompts.READING_DUPLICATE)
        return True
    if refusal.reason == "below_previous":
        previous = data.get("previous")
        await call.say(prompts.reading_below_previous(spoken.say_reading(Decimal(str(previous)), unit)))
        return False
    if refusal.reason == "implausible_use":
        limit = data.get("max_expected")
        await call.say(
            prompts.reading_implausible(spoken.say_reading(Decimal(str(limit)), unit) if limit else None)
        )
        if await policy.confirm(call, prompts.OFFER_OPERATOR):
            raise Escalate("reading_implausible")
        return False
    if refusal.reason == "outside_window":
        window = data.get("window") or {}
        start, end = _window_day(window.get("start")), _window_day(window.get("end"))
        await call.say(
            prompts.reading_outside_window(
                spoken.say_day_of_month(start, "genitive") if start else None,
                spoken.say_day_of_month(end, "accusative") if end else None,
            )
        )
        raise _StopReadings
    if refusal.reason == "verification_overdue":
        due = _day(meter.get("verification_due") or data.get("verification_due"))
        await call.say(prompts.reading_verification_overdue(spoken.say_date(due) if due else None))
        return True
    if refusal.reason == "invalid_value":
        await call.say(prompts.READING_INVALID)
        return False
    raise refusal


def window_open(call: Call) -> bool:
    """Today is a day of the readings window (its end clamped to the month, as the API does)."""
    start, end = call.options.readings_window
    today = call.options.now()
    last = calendar.monthrange(today.year, today.month)[1]
    return min(start, last) <= today.day <= min(end, last)


def _local_day(value: Any, timezone: str) -> date | None:
    """The local date of an API timestamp ("2025-10-20T20:00:00+00:00" is the 21st in Novokuznetsk)."""
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    if moment.tzinfo is None:
        return moment.date()
    return moment.astimezone(ZoneInfo(timezone)).date()


def _window_day(value: Any) -> int | None:
    """The window's edge as a day of the month: the API may give a day number or a date."""
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    day = _day(value)
    return day.day if day else None
