"""What a conversation needs to know besides the channel and the backend.

Why a separate object of plain values: dialogs read no environment and import no
settings; the call path composes them from the hotline's settings
(`ivr.settings.Settings.dialog_options`), and tests, where the clock is fixed and
limits are small, build them directly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from dialogs.facts import Facts, load_facts
from dialogs.hours import Hours, parse_schedule


@dataclass(frozen=True)
class DialogOptions:
    operator_hours: str = "mon-fri 08:00-20:00; sat 09:00-15:00"
    timezone: str = "Asia/Novokuznetsk"
    max_call_seconds: float = 600.0
    no_input_timeout: float = 6.0
    # Returns "now"; naive results are taken as local time in `timezone`.
    clock: Callable[[], datetime] | None = None
    # No-input/no-match: misses on one question before the operator; misses in the whole call.
    question_misses: int = 3
    call_misses: int = 8
    # Unknown or misheard account numbers before the operator.
    account_tries: int = 3
    # Days of the month when readings are taken (the API enforces the same settings).
    readings_window: tuple[int, int] = (15, 25)
    # The reference facts file (None: the shipped dialogs/facts.toml).
    facts_file: str | None = None
    operator_schedule: Hours = field(init=False, repr=False, compare=False)
    facts: Facts = field(init=False, repr=False, compare=False)
    zone: ZoneInfo = field(init=False, repr=False, compare=False)  # `timezone`, built once

    def __post_init__(self) -> None:
        object.__setattr__(self, "zone", ZoneInfo(self.timezone))  # a misspelt zone fails at start
        object.__setattr__(self, "operator_schedule", parse_schedule(self.operator_hours))
        object.__setattr__(self, "facts", load_facts(self.facts_file))  # a broken file fails at start

    def now(self) -> datetime:
        """Local time in the hotline's timezone."""
        zone = self.zone
        if self.clock is None:
            return datetime.now(zone)
        now = self.clock()
        return now.replace(tzinfo=zone) if now.tzinfo is None else now.astimezone(zone)
