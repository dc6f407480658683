"""All settings of the hotline, read from environment variables in one place.

Why one module: the README documents one table of variables, and every package
(api, speech, telephony, dialogs through ivr) reads the same object, so a value
can never be spelled two ways. This module imports nothing from the project.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _int(name: str, default: int) -> int:
    raw = _env(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be an integer, got {raw!r}") from exc


def _float(name: str, default: float) -> float:
    raw = _env(name)
    if raw is None:
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be a number, got {raw!r}") from exc


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


@dataclass(frozen=True)
class Settings:
    """Immutable snapshot of the environment; build with `Settings.from_env()`."""

    data_dir: Path
    database_url: str
    api_host: str = "127.0.0.1"
    api_port: int = 8080
    api_url: str = "http://127.0.0.1:8080"
    ivr_token: str | None = None
    operator_tokens: dict[str, str] = field(default_factory=dict)
    timezone: str = "Asia/Novokuznetsk"
    # Meter readings: accepted from day `readings_window_start` to `readings_window_end` of the month.
    readings_window_start: int = 15
    readings_window_end: int = 25
    # The reference facts the robot tells residents (dialogs/facts.toml when unset).
    facts_file: Path | None = None
    verify_max_attempts: int = 3
    verify_lock_minutes: int = 30
    # Speech
    models_dir: Path = Path("var/models")
    vosk_model: str | None = None
    tts_voice: str = "ru"
    tts_rate: int = 140
    tts_cache_dir: Path = Path("var/tts-cache")
    # Telephony
    audiosocket_host: str = "127.0.0.1"
    audiosocket_port: int = 9092
    ami_host: str = "127.0.0.1"
    ami_port: int = 5038
    ami_user: str = "hotline"
    ami_secret: str | None = None
    asterisk_root: Path = Path("/var/cache/hotline/asterisk-sid")
    # Dialogs
    operator_hours: str = "mon-fri 08:00-20:00; sat 09:00-15:00"
    max_call_seconds: int = 600
    no_input_timeout: float = 6.0
    log_level: str = "INFO"
    # Telephony (added by the telephony issue): the sandbox's SIP port for softphones, the demo
    # softphone's password (generated and kept in the sandbox when unset), and how long a
    # silent AudioSocket peer is kept before its call is closed as half-open.
    sip_port: int = 5060
    sip_demo_password: str | None = None
    audiosocket_idle_timeout: float = 10.0
    # Account API: unknown account numbers one call or one caller number may ask for before
    # further account look-ups are refused (429 too_many_unknown_accounts).
    unknown_accounts_limit: int = 5
    # Enumeration guard (issue 12): distinct accounts and phones one call may ask about, and new
    # account/phone questions the IVR token may ask per minute over all calls together.
    call_lookups_limit: int = 10
    ivr_lookups_per_minute: int = 60
    # Console logins: failed logins per operator name and per client address within the window,
    # after which logins are refused (429) until the window has slid past them.
    console_login_failures_per_name: int = 5
    console_login_failures_per_address: int = 20
    console_login_window_minutes: int = 15
    # Operator console: a login lasts this long (a shift), then the operator logs in again;
    # open pages refresh the escalation queue and live calls every `console_poll_seconds`.
    console_session_minutes: int = 720
    console_poll_seconds: float = 2.0
    # Speech (added by the speech issue): where `hotline models download` fetches archives from
    # (None = Vosk's official site; a mirror or a test server otherwise), and the slower
    # words-per-minute rate used when a caller asked the robot to speak slowly.
    model_base_url: str | None = None
    tts_slow_rate: int = 110

    @classmethod
    def from_env(cls) -> Settings:
        data_dir = Path(_env("HOTLINE_DATA_DIR", "var")).absolute()
        return cls(
            data_dir=data_dir,
            database_url=_env("HOTLINE_DATABASE_URL", f"sqlite:///{data_dir / 'hotline.db'}"),
            api_host=_env("HOTLINE_API_HOST", "127.0.0.1"),
            api_port=_int("HOTLINE_API_PORT", 8080),
            api_url=_env(
                "HOTLINE_API_URL",
                f"http://{_env('HOTLINE_API_HOST', '127.0.0.1')}:{_int('HOTLINE_API_PORT', 8080)}",
            ),
            ivr_token=_env("HOTLINE_IVR_TOKEN"),
            operator_tokens=parse_operator_tokens(_env("HOTLINE_OPERATOR_TOKENS")),
            timezone=_env("HOTLINE_TIMEZONE", "Asia/Novokuznetsk"),
            readings_window_start=_int("HOTLINE_READINGS_WINDOW_START", 15),
            readings_window_end=_int("HOTLINE_READINGS_WINDOW_END", 25),
            facts_file=Path(f) if (f := _env("HOTLINE_FACTS_FILE")) else None,
            verify_max_attempts=_int("HOTLINE_VERIFY_MAX_ATTEMPTS", 3),
            verify_lock_minutes=_int("HOTLINE_VERIFY_LOCK_MINUTES", 30),
            models_dir=Path(_env("HOTLINE_MODELS_DIR", str(data_dir / "models"))),
            vosk_model=_env("HOTLINE_VOSK_MODEL"),
            tts_voice=_env("HOTLINE_TTS_VOICE", "ru"),
            tts_rate=_int("HOTLINE_TTS_RATE", 140),
            tts_cache_dir=Path(_env("HOTLINE_TTS_CACHE_DIR", str(data_dir / "tts-cache"))),
            audiosocket_host=_env("HOTLINE_AUDIOSOCKET_HOST", "127.0.0.1"),
            audiosocket_port=_int("HOTLINE_AUDIOSOCKET_PORT", 9092),
            ami_host=_env("HOTLINE_AMI_HOST", "127.0.0.1"),
            ami_port=_int("HOTLINE_AMI_PORT", 5038),
            ami_user=_env("HOTLINE_AMI_USER", "hotline"),
            ami_secret=_env("HOTLINE_AMI_SECRET"),
            asterisk_root=Path(_env("HOTLINE_ASTERISK_ROOT", "/var/cache/hotline/asterisk-sid")),
            operator_hours=_env("HOTLINE_OPERATOR_HOURS", "mon-fri 08:00-20:00; sat 09:00-15:00"),
            max_call_seconds=_int("HOTLINE_MAX_CALL_SECONDS", 600),
            no_input_timeout=_float("HOTLINE_NO_INPUT_TIMEOUT", 6.0),
            log_level=_env("HOTLINE_LOG_LEVEL", "INFO"),
            sip_port=_int("HOTLINE_SIP_PORT", 5060),
            sip_demo_password=_env("HOTLINE_SIP_DEMO_PASSWORD"),
            audiosocket_idle_timeout=_float("HOTLINE_AUDIOSOCKET_IDLE_TIMEOUT", 10.0),
            unknown_accounts_limit=_int("HOTLINE_UNKNOWN_ACCOUNTS_LIMIT", 5),
            call_lookups_limit=_int("HOTLINE_CALL_LOOKUPS_LIMIT", 10),
            ivr_lookups_per_minute=_int("HOTLINE_IVR_LOOKUPS_PER_MINUTE", 60),
            console_login_failures_per_name=_int("HOTLINE_CONSOLE_LOGIN_FAILURES_PER_NAME", 5),
            console_login_failures_per_address=_int("HOTLINE_CONSOLE_LOGIN_FAILURES_PER_ADDRESS", 20),
            console_login_window_minutes=_int("HOTLINE_CONSOLE_LOGIN_WINDOW_MINUTES", 15),
            console_session_minutes=_int("HOTLINE_CONSOLE_SESSION_MINUTES", 720),
            console_poll_seconds=_float("HOTLINE_CONSOLE_POLL_SECONDS", 2.0),
            model_base_url=_env("HOTLINE_MODEL_BASE_URL"),
            tts_slow_rate=_int("HOTLINE_TTS_SLOW_RATE", 110),
        )
