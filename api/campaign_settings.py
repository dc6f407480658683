"""The debt campaign's settings (HOTLINE_CAMPAIGN_*): the law's calling limits and the dialer's pace.

Why its own module: the plan (`hotline campaign plan`, api) and the dialer (`hotline campaign
run`, ivr) must apply the same configured limits; both read them here. Defaults: 230-ФЗ art. 7
and seed 002 (400 accounts a day).
"""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Annotated

from pydantic import SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from api.campaigns import DEFAULT_DAILY_TOTAL, Limits


def _hours(text: str) -> tuple[time, time]:
    start, sep, end = text.partition("-")
    if not sep:
        raise ValueError(f"{text!r} is not HH:MM-HH:MM")
    return time.fromisoformat(start.strip()), time.fromisoformat(end.strip())


class CampaignSettings(BaseSettings):
    """`CampaignSettings()` reads the environment; keyword arguments override."""

    model_config = SettingsConfigDict(env_prefix="HOTLINE_CAMPAIGN_", env_ignore_empty=True, frozen=True)

    # The law (230-ФЗ art. 7), in the debtor's local time (HOTLINE_TIMEZONE).
    working_day_hours: str = "08:00-22:00"
    day_off_hours: str = "09:00-20:00"
    per_day: int = 1  # successful contacts per debtor
    per_week: int = 2
    per_month: int = 8
    holidays: Annotated[tuple[date, ...], NoDecode] = ()  # moved days off: 2026-01-09,2026-05-11
    # The dialer.
    caller_id: str = ""  # the utility's number shown to debtors; `campaign run` refuses to dial without
    dial: str = "PJSIP/{number}@provider"  # the channel that rings a debtor's {number}
    concurrency: int = 4
    daily_total: int = DEFAULT_DAILY_TOTAL
    ring_seconds: int = 30
    retry_minutes: int = 120
    attempts: int = 3
    # Its AMI login (HOTLINE_AMI_HOST/PORT): may Originate and hears OriginateResponse (read call);
    # unset: the sandbox's `dialer` user and kept secret.
    ami_user: str = "dialer"
    ami_secret: SecretStr | None = None

    @field_validator("holidays", mode="before")
    @classmethod
    def _dates(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(date.fromisoformat(d.strip()) for d in value.split(",") if d.strip())
        return value

    @field_validator("working_day_hours", "day_off_hours")
    @classmethod
    def _check_hours(cls, value: str) -> str:
        _hours(value)
        return value

    def limits(self) -> Limits:
        return Limits(
            working_day=_hours(self.working_day_hours),
            day_off=_hours(self.day_off_hours),
            per_day=self.per_day,
            per_week=self.per_week,
            per_month=self.per_month,
            holidays=frozenset(self.holidays),
        )

    @property
    def retry_after(self) -> timedelta:
        return timedelta(minutes=self.retry_minutes)
