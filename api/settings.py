"""What the account API reads from the environment (HOTLINE_* variables), and nothing else.

Why its own class: the API process must not load what it does not need (the AMI secret,
the speech models); `ivr.settings.Settings` composes this part with the others for the
processes that run the whole hotline.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


def parse_operator_tokens(raw: str | None) -> dict[str, str]:
    """`name:token,name2:token2` → {token: name}. A bare token is named after its position."""
    tokens: dict[str, str] = {}
    if not raw:
        return tokens
    for i, item in enumerate(part.strip() for part in raw.split(",")):
        if not item:
            continue
        name, sep, token = item.partition(":")
        if not sep:
            name, token = f"operator{i + 1}", name
        if token:
            tokens[token.strip()] = name.strip()
    return tokens


class ApiSettings(BaseSettings):
    """The API's part of the environment; `ApiSettings()` reads it, keyword arguments override."""

    model_config = SettingsConfigDict(env_prefix="HOTLINE_", env_ignore_empty=True, frozen=True)

    data_dir: Path = Path("var")
    database_url: str = ""  # empty: the SQLite file hotline.db in data_dir
    api_host: str = "127.0.0.1"
    api_port: int = 8080
    ivr_token: SecretStr | None = None
    # token → operator name; HOTLINE_OPERATOR_TOKENS is `name:token,name2:token2`
    operator_tokens: Annotated[dict[SecretStr, str], NoDecode] = Field(default_factory=dict)
    timezone: str = "Asia/Novokuznetsk"
    # Meter readings: accepted from day `readings_window_start` to `readings_window_end` of the month.
    readings_window_start: int = 15
    readings_window_end: int = 25
    verify_max_attempts: int = 3
    verify_lock_minutes: int = 30
    # Calls unfinished for longer are not shown as live in the console.
    max_call_seconds: int = 600
    # Unknown account numbers one call or one caller number may ask for before further account
    # look-ups are refused (429 too_many_unknown_accounts).
    unknown_accounts_limit: int = 5
    # Enumeration guard: distinct accounts and phones one call may ask about, and new
    # account/phone questions the IVR token may ask per minute over all calls together.
    call_lookups_limit: int = 10
    ivr_lookups_per_minute: int = 60
    # Console logins: failed logins per operator name and per client address within the window.
    console_login_failures_per_name: int = 5
    console_login_failures_per_address: int = 20
    console_login_window_minutes: int = 15
    # A console login lasts this long (a shift); open pages refresh every `console_poll_seconds`.
    console_session_minutes: int = 720
    console_poll_seconds: float = 2.0
    # A balance answered from memory may be this old after another process (the billing import, another
    # API worker) changed what it is made of; changes made through this process are seen at once.
    # 0: read the database's data version on every balance request (api.balance_cache).
    balance_recheck_seconds: float = 1.0

    @field_validator("data_dir")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return value.absolute()

    @field_validator("operator_tokens", mode="before")
    @classmethod
    def _tokens_from_text(cls, value: Any) -> Any:
        return parse_operator_tokens(value) if isinstance(value, str) else value

    @model_validator(mode="before")
    @classmethod
    def _api_defaults(cls, data: Any) -> Any:
        """The database defaults to a SQLite file in the data directory."""
        if isinstance(data, dict) and not data.get("database_url"):
            folder = Path(data.get("data_dir") or "var").absolute()
            data = {**data, "database_url": f"sqlite:///{folder / 'hotline.db'}"}
        return data

    @cached_property
    def zone(self) -> ZoneInfo:
        """The utility's local time zone (HOTLINE_TIMEZONE), built once."""
        return ZoneInfo(self.timezone)

    def operator_name(self, token: str) -> str | None:
        """The operator whose static token this is, or None."""
        import secrets

        found = None
        for known, name in self.operator_tokens.items():
            if secrets.compare_digest(token.encode(), known.get_secret_value().encode()):
                found = name
        return found
