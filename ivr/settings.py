"""The whole hotline's settings: each package's part, composed here and only here.

Why composed in ivr: every package reads only its own part (`api.settings.ApiSettings`,
`speech.settings.SpeechSettings`, `telephony.settings.TelephonySettings`) and none imports
ivr; the processes that run the whole hotline (`hotline serve`, `demo`, `call`, `chat`) get
one object that is each part at once, plus what only the IVR reads (the API's address, the
conversation's limits and hours). Same HOTLINE_* variable names as the README's table.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self, TypeVar

from pydantic import ValidationError, model_validator
from pydantic_core import ErrorDetails
from pydantic_settings import BaseSettings, SettingsConfigDict

from api.settings import ApiSettings, parse_operator_tokens
from speech.settings import SpeechSettings
from telephony.settings import TelephonySettings

if TYPE_CHECKING:
    from dialogs.options import DialogOptions

__all__ = ["LogSettings", "Settings", "load", "parse_operator_tokens"]

ENV_PREFIX = "HOTLINE_"
Part = TypeVar("Part", bound=BaseSettings)


class LogSettings(BaseSettings):
    """HOTLINE_LOG_LEVEL: read by every `hotline` command before its own part."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_ignore_empty=True, frozen=True)

    log_level: str = "INFO"


class Settings(ApiSettings, SpeechSettings, TelephonySettings, LogSettings):
    """Every part at once (an `ApiSettings`, a `SpeechSettings`, …), plus the IVR's own values."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_ignore_empty=True, frozen=True)

    api_url: str = ""  # default: http://HOTLINE_API_HOST:HOTLINE_API_PORT
    # The conversation: the reference facts the robot tells (dialogs/facts.toml when unset),
    # the operators' hours, the longest call, and the silence before the robot asks again.
    facts_file: Path | None = None
    operator_hours: str = "mon-fri 08:00-20:00; sat 09:00-15:00"
    no_input_timeout: float = 6.0
    # Admission: calls served at once (over it a caller hears "all lines are busy"), and how long a
    # stopping IVR (SIGTERM) lets live calls finish before ending them with a sentence.
    max_calls: int = 30
    drain_seconds: float = 30.0
    # `hotline serve`: IVR processes sharing the AudioSocket port (one per core is the rule).
    ivr_workers: int = 1

    @model_validator(mode="before")
    @classmethod
    def _ivr_defaults(cls, data: Any) -> Any:
        """The IVR finds the API where the API listens unless told otherwise."""
        if isinstance(data, dict) and not data.get("api_url"):
            host = data.get("api_host") or "127.0.0.1"
            port = data.get("api_port") or 8080
            data = {**data, "api_url": f"http://{host}:{port}"}
        return data

    @classmethod
    def from_env(cls) -> Settings:
        """The settings from the environment; a bad value is a ValueError naming its variable."""
        return load(cls)

    def replace(self, **changes: Any) -> Self:
        """A copy with `changes`, checked like values from the environment (`"x"` → SecretStr)."""
        return self.model_validate({**self.model_dump(), **changes})

    def part(self, kind: type[Part]) -> Part:
        """Only one package's part (e.g. the API gets no AMI secret)."""
        return kind.model_validate(self.model_dump(include=set(kind.model_fields)))

    def dialog_options(self, *, clock: Callable[[], datetime] | None = None) -> DialogOptions:
        """The conversation's options from these settings (the dialogs package reads no environment)."""
        from dialogs.options import DialogOptions

        return DialogOptions(
            operator_hours=self.operator_hours,
            timezone=self.timezone,
            max_call_seconds=float(self.max_call_seconds),
            no_input_timeout=self.no_input_timeout,
            readings_window=(self.readings_window_start, self.readings_window_end),
            facts_file=str(self.facts_file) if self.facts_file else None,
            clock=clock,
        )


def load(kind: type[Part]) -> Part:
    """`kind` read from the environment; a bad value is a ValueError that names its variable."""
    try:
        return kind()
    except ValidationError as exc:
        problems = "; ".join(_problem(error) for error in exc.errors())
        raise ValueError(f"bad settings: {problems}") from None


def _problem(error: ErrorDetails) -> str:
    """`HOTLINE_API_PORT: Input should be …, got 'eighty'` (a secret's value is never repeated)."""
    name = str(error["loc"][0]) if error["loc"] else "?"
    secret = any(word in name for word in ("secret", "token", "password"))
    got = "" if secret else f", got {error.get('input')!r}"
    return f"{ENV_PREFIX}{name.upper()}: {error['msg']}{got}"
