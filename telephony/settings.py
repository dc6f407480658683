"""What telephony reads from the environment: AudioSocket, AMI and the Asterisk sandbox.

Why its own class: the AMI secret lives here and only processes that talk to Asterisk load it
(the account API never does); `ivr.settings.Settings` composes it with the other parts.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class TelephonySettings(BaseSettings):
    """The telephony part of the environment; `TelephonySettings()` reads it, keyword arguments override."""

    model_config = SettingsConfigDict(env_prefix="HOTLINE_", env_ignore_empty=True, frozen=True)

    audiosocket_host: str = "127.0.0.1"
    audiosocket_port: int = 9092
    # A silent AudioSocket peer is kept this long before its call is closed as half-open
    # (Asterisk sends a frame every 20 ms; it drops its own leg after 2 s without ours).
    audiosocket_idle_timeout: float = 3.0
    ami_host: str = "127.0.0.1"
    ami_port: int = 5038
    ami_user: str = "hotline"
    ami_secret: SecretStr | None = None
    asterisk_root: Path = Path("/var/cache/hotline/asterisk-sid")
    # The sandbox's SIP port for softphones, and the demo softphones' password (generated and
    # kept in the sandbox when unset).
    sip_port: int = 5060
    sip_demo_password: SecretStr | None = None
