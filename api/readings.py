"""Meter readings: the checks a reading must pass, and storing it exactly once per call.

Plausible use: a reading may exceed the previous one by at most the monthly
maximum of its service below, times the months since the previous reading
(calendar months, at least one). The defaults are generous for one household, so that only
slips of the tongue or keypad (an extra digit, a misplaced decimal point) are
caught; the caller then repeats or talks to an operator.
"""

from __future__ import annotations

import calendar
import logging
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api import schemas
from api.accounts import mask_account, plain
from api.balance import add_months
from api.errors import ApiError
from api.models import Meter, Reading
from api.settings import ApiSettings

log = logging.getLogger("api.readings")

# Highest plausible use per month for one household, by service.
MAX_MONTHLY_USE: dict[str, Decimal] = {
    "cold_water": Decimal("30"),  # m³ (a family of four uses about 12)
    "hot_water": Decimal("20"),  # m³
    "electricity_day": Decimal("1500"),  # kWh
    "electricity_night": Decimal("1000"),  # kWh
    "gas": Decimal("1500"),  # m³ (a private house heated by gas in winter)
    "heat": Decimal("10"),  # Gcal
}
DEFAULT_MAX_MONTHLY_USE = Decimal("1000")
MAX_VALUE = Decimal("99999999999.999")


@dataclass(frozen=True)
class Window:
    start_day: int
    end_day: int

    def around(self, today: date) -> tuple[date, date]:
        """This month's window, or next month's once this one is over."""
        month = today.replace(day=1)
        if today.day > min(self.end_day, calendar.monthrange(today.year, today.month)[1]):
            month = add_months(month, 1)
        last = calendar.monthrange(month.year, month.month)[1]
        return month.replace(day=min(self.start_day, last)), month.replace(day=min(self.end_day, last))

    def contains(self, today: date) -> bool:
        start, end = self.around(today)
        return start <= today <= end


def configured_window(settings: ApiSettings) -> Window:
    """The window of the API's settings (`readings_window_start` … `readings_window_end`)."""
    return Window(settings.readings_window_start, settings.readings_window_end)


def reading_out(reading: Reading, previous: Reading | None = None) -> schemas.ReadingOut:
    prev_value = previous.value if previous is not None else None
    return schemas.ReadingOut(
        id=reading.id,
        meter_id=reading.meter_id,
        value=plain(reading.value),
        previous=plain(prev_value),
        consumption=plain(reading.value - prev_value) if prev_value is not None else None,
        taken_at=reading.taken_at.isoformat(),
        source=reading.source,
        call_id=reading.call_id,
    )


def previous_reading(session: Session, meter_id: int, before_id: int | None = None) -> Reading | None:
    query = select(Reading).where(Reading.meter_id == meter_id)
    if before_id is not None:
        query = query.where(Reading.id != before_id)
    return session.scalar(query.order_by(Reading.taken_at.desc(), Reading.id.desc()).limit(1))


def duplicate_of(session: Session, meter: Meter, call_id: str | None) -> Reading | None:
    if not call_id:
        return None
    return session.scalar(select(Reading).where(Reading.call_id == call_id, Reading.meter_id == meter.id))


def _duplicate_error(session: Session, stored: Reading) -> ApiError:
    prev = session.scalar(
        select(Reading)
        .where(
            Reading.meter_id == stored.meter_id, Reading.taken_at <= stored.taken_at, Reading.id != stored.id
        )
        .order_by(Reading.taken_at.desc(), Reading.id.desc())
        .limit(1)
    )
    return ApiError(
        409,
        "duplicate",
        "This call has already sent a reading for this meter; it is stored once.",
        reading=reading_out(stored, prev).model_dump(),
    )


def months_between(earlier: date, later: date) -> int:
    """Calendar months from one reading to the next, at least one (readings come once a month)."""
    return max(1, (later.year * 12 + later.month) - (earlier.year * 12 + earlier.month))


def check(
    meter: Meter,
    value: Decimal,
    previous: Reading | None,
    *,
    at: datetime,
    today: date,
    window: Window | None,
) -> None:
    """Raise ApiError 422 with the first rule the reading breaks."""
    if meter.verification_due is not None and meter.verification_due < today:
        raise ApiError(
            422,
            "verification_overdue",
            "The meter is past its verification date; readings are not accepted.",
            verification_due=meter.verification_due.isoformat(),
        )
    if window is not None and not window.contains(today):
        start, end = window.around(today)
        raise ApiError(
            422,
            "outside_window",
            f"Readings are accepted from day {window.start_day} to day {window.end_day} of the month.",
            window={"start": start.isoformat(), "end": end.isoformat()},
        )
    if previous is None:
        return
    if value < previous.value:
        raise ApiError(
            422, "below_previous", "The reading is below the previous one.", previous=plain(previous.value)
        )
    months = months_between(previous.taken_at.date(), today)
    allowance = MAX_MONTHLY_USE.get(meter.service_code, DEFAULT_MAX_MONTHLY_USE) * months
    if value - previous.value > allowance:
        raise ApiError(
            422,
            "implausible_use",
            f"Use of {plain(value - previous.value)} in {months} month(s) is more than expected.",
            previous=plain(previous.value),
            max_expected=plain(previous.value + allowance),
            max_consumption=plain(allowance),
            months=months,
        )


def submit(
    session: Session,
    meter: Meter,
    value: Decimal,
    *,
    source: str,
    call_id: str | None,
    operator: str | None,
    at: datetime,
    today: date,
    window: Window | None,
) -> schemas.ReadingOut:
    """Validate and store one reading in its own transaction; 409 if this call already sent one."""
    stored = duplicate_of(session, meter, call_id)
    if stored is not None:
        raise _duplicate_error(session, stored)
    previous = previous_reading(session, meter.id)
    check(meter, value, previous, at=at, today=today, window=window)
    reading = Reading(
        meter_id=meter.id, value=value, taken_at=at, source=source, call_id=call_id, operator=operator
    )
    session.add(reading)
    try:
        session.commit()
    except IntegrityError:
        # A concurrent identical request won the race: answer as for any duplicate.
        session.rollback()
        stored = duplicate_of(session, meter, call_id)
        if stored is None:
            raise
        raise _duplicate_error(session, stored) from None
    log.info(
        "reading stored: account %s meter %s source %s call %s",
        mask_account(meter.account.text),
        meter.id,
        source,
        call_id or "-",
    )
    return reading_out(reading, previous)
