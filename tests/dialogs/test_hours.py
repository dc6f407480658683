"""Opening hours: the operators' setting parsed, open or not, the next opening, hours in words."""

from __future__ import annotations

from datetime import datetime

import pytest

from dialogs import hours
from dialogs.options import DialogOptions

OPERATORS = "mon-fri 08:00-20:00; sat 09:00-15:00"
OSINNIKI = [
    {"days": ["mon", "tue", "thu", "fri"], "open": "08:30", "close": "17:30", "break": ["12:00", "13:00"]}
]


def test_parse_schedule_into_the_api_shape():
    assert hours.parse_schedule(OPERATORS) == [
        {"days": ["mon", "tue", "wed", "thu", "fri"], "open": "08:00", "close": "20:00", "break": None},
        {"days": ["sat"], "open": "09:00", "close": "15:00", "break": None},
    ]
    assert hours.parse_schedule("mon,wed-thu 9:00-12:00")[0]["days"] == ["mon", "wed", "thu"]


@pytest.mark.parametrize(
    "bad", ["weekdays 08:00-20:00", "mon-fri 8-20", "fri-mon 08:00-20:00", "mon 20:00-08:00"]
)
def test_nonsense_in_the_setting_is_refused_at_start(bad):
    with pytest.raises(ValueError):
        hours.parse_schedule(bad)
    with pytest.raises(ValueError):
        DialogOptions(operator_hours=bad)


@pytest.mark.parametrize(("when", "is_open"), [
    (datetime(2025, 11, 20, 7, 59), False),  # Thursday
    (datetime(2025, 11, 20, 8, 0), True),
    (datetime(2025, 11, 20, 19, 59), True),
    (datetime(2025, 11, 20, 20, 0), False),
    (datetime(2025, 11, 22, 10, 0), True),  # Saturday
    (datetime(2025, 11, 23, 10, 0), False),  # Sunday
])
def test_is_open(when, is_open):
    assert hours.is_open(hours.parse_schedule(OPERATORS), when) is is_open


def test_break_closes_the_office():
    assert hours.is_open(OSINNIKI, datetime(2025, 11, 20, 11, 59))
    assert not hours.is_open(OSINNIKI, datetime(2025, 11, 20, 12, 30))
    assert not hours.is_open(OSINNIKI, datetime(2025, 11, 19, 10, 0))  # Wednesday


@pytest.mark.parametrize(("when", "expected"), [
    (datetime(2025, 11, 20, 6, 0), "сегодня с восьми"),
    (datetime(2025, 11, 20, 21, 0), "завтра с восьми"),
    (datetime(2025, 11, 21, 21, 0), "завтра с девяти"),  # Friday night → Saturday
    (datetime(2025, 11, 22, 16, 0), "в понедельник с восьми"),
])
def test_next_opening_in_words(when, expected):
    opening = hours.next_opening(hours.parse_schedule(OPERATORS), when)
    assert hours.say_next_opening(opening) == expected


def test_hours_in_words():
    assert hours.say_hours(OSINNIKI) == (
        "понедельник, вторник, четверг и пятница с восьми тридцати до семнадцати тридцати, "
        "перерыв с двенадцати до тринадцати"
    )
    assert hours.say_hours(hours.parse_schedule(OPERATORS), mention_no_break=False) == (
        "с понедельника по пятницу с восьми до двадцати; в субботу с девяти до пятнадцати"
    )


def test_options_clock_is_local_time():
    options = DialogOptions(timezone="Asia/Novokuznetsk", clock=lambda: datetime(2025, 11, 20, 12, 0))
    assert options.now().utcoffset().total_seconds() == 7 * 3600
