"""Opening hours: operators' hours from settings and offices' hours from the API, one shape.

Why one shape: the API gives office hours as
`[{"days": ["mon", ...], "open": "08:30", "close": "17:30", "break": ["12:00", "13:00"] | None}]`;
operators' hours come from the setting `mon-fri 08:00-20:00; sat 09:00-15:00`.
Parsing the setting into the same shape lets one function speak both and one
function tell whether the operators answer now and when they answer next.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from dialogs import prompts, spoken

Hours = list[dict[str, Any]]

_DAY = "|".join(prompts.DAY_CODES)
_SPEC = re.compile(
    rf"^\s*(?P<days>(?:{_DAY})(?:\s*-\s*(?:{_DAY}))?(?:\s*,\s*(?:{_DAY})(?:\s*-\s*(?:{_DAY}))?)*)"
    r"\s+(?P<open>\d{1,2}:\d{2})\s*-\s*(?P<close>\d{1,2}:\d{2})\s*$"
)


def parse_schedule(text: str) -> Hours:
    """`mon-fri 08:00-20:00; sat 09:00-15:00` → hours in the API's shape. ValueError on nonsense,
    so a wrong HOTLINE_OPERATOR_HOURS stops the service at start, not mid-call."""
    hours: Hours = []
    for part in filter(None, (p.strip() for p in text.lower().split(";"))):
        match = _SPEC.match(part)
        if not match:
            raise ValueError(f"operator hours: cannot read {part!r}; expected like 'mon-fri 08:00-20:00'")
        days: list[str] = []
        for item in match["days"].split(","):
            first, _, last = (x.strip() for x in item.partition("-"))
            a = prompts.DAY_CODES.index(first)
            b = prompts.DAY_CODES.index(last) if last else a
            if b < a:
                raise ValueError(f"operator hours: day range {item.strip()!r} runs backwards")
            days.extend(prompts.DAY_CODES[a : b + 1])
        opens, closes = _time(match["open"]), _time(match["close"])
        if closes <= opens:
            raise ValueError(f"operator hours: {part!r} closes before it opens")
        hours.append({"days": days, "open": match["open"], "close": match["close"], "break": None})
    return hours


def _time(hhmm: str) -> time:
    hh, mm = hhmm.split(":")
    return time(int(hh), int(mm))


def _day_spans(hours: Hours, weekday: int) -> list[tuple[time, time]]:
    """Working spans of one weekday, the break cut out."""
    spans: list[tuple[time, time]] = []
    code = prompts.DAY_CODES[weekday]
    for entry in hours:
        if code not in entry.get("days", []):
            continue
        start, end = _time(entry["open"]), _time(entry["close"])
        pause = entry.get("break")
        if pause:
            spans += [(start, _time(pause[0])), (_time(pause[1]), end)]
        else:
            spans.append((start, end))
    return spans


def is_open(hours: Hours, now: datetime) -> bool:
    return any(start <= now.time() < end for start, end in _day_spans(hours, now.weekday()))


@dataclass(frozen=True)
class Opening:
    days_ahead: int  # 0 today, 1 tomorrow, ...
    weekday: int
    at: str  # "08:00"


def next_opening(hours: Hours, now: datetime) -> Opening | None:
    """The next time the hours begin after `now` (within a week), or None if never."""
    for ahead in range(0, 8):
        day = now + timedelta(days=ahead)
        for start, _end in sorted(_day_spans(hours, day.weekday())):
            if ahead > 0 or start > now.time():
                return Opening(ahead, day.weekday(), start.strftime("%H:%M"))
    return None


def say_hours(hours: Hours, *, mention_no_break: bool = True) -> str:
    """Hours as a caller hears them: "с понедельника по пятницу с восьми до двадцати, без перерыва"."""
    parts = []
    for entry in hours:
        days = [prompts.DAY_CODES.index(d) for d in entry.get("days", []) if d in prompts.DAY_CODES]
        if not days:
            continue
        parts.append(f"{prompts.say_days(days)} {_span(entry, mention_no_break and _never_breaks(hours))}")
    return prompts.join_hours(parts)


def say_next_opening(opening: Opening) -> str:
    at = spoken.say_clock_genitive(opening.at)
    if opening.days_ahead == 0:
        return prompts.next_open_today(at)
    if opening.days_ahead == 1:
        return prompts.next_open_tomorrow(at)
    return prompts.next_open_on(opening.weekday, at)


def say_today(hours: Hours, now: datetime, *, mention_no_break: bool = True) -> str | None:
    """Today's hours as a span ("с восьми тридцати до семнадцати, перерыв …"), None on a day off."""
    code = prompts.DAY_CODES[now.weekday()]
    for entry in hours:
        if code not in entry.get("days", []):
            continue
        return _span(entry, mention_no_break and _never_breaks(hours))
    return None


def _never_breaks(hours: Hours) -> bool:
    """«без перерыва» is said only of an office with no break on any day (Прокопьевск: «Без обеда»);
    a short day without a break in the table (Мыски on Friday) is not said to have none."""
    return not any(entry.get("break") for entry in hours)


def _span(entry: dict[str, Any], mention_no_break: bool) -> str:
    pause = entry.get("break")
    return prompts.hours_span(
        spoken.say_clock_genitive(entry["open"]),
        spoken.say_clock_genitive(entry["close"]),
        (spoken.say_clock_genitive(pause[0]), spoken.say_clock_genitive(pause[1])) if pause else None,
        mention_no_break=mention_no_break,
    )
