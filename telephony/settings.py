"""What telephony reads from the environment: AudioSocket, AMI and the Asterisk sandbox.

Why its own class: the AMI secret lives here and only processes that talk to Asterisk load it
(the account API never does); `ivr.settings.Settings` composes it with the other parts.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class TelephonySettings(BaseSettings):
    """The telephony part of the environment; `TelephonySettings()` reads it, keyword arguments override."""

    model_config = SettingsConfigDict(env_prefix="HOTLINE_", env_ignore_empty=True, frozen=True)

    audiosocket_host: str = "127.0.0.1"
    audiosocket_port: int = 9092
    # Where Asterisk sends calls: the IVR hosts, `host:port,host:port` (round robin, failover to
    # the next when one refuses or dies mid-call). Unset: the one IVR at audiosocket_host:port.
    ivr_hosts: str = ""
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

    @field_validator("ivr_hosts")
    @classmethod
    def _hosts_have_ports(cls, value: str) -> str:
        for host in (h.strip() for h in value.split(",") if h.strip()):
            name, _, port = host.rpartition(":")
            if not name or not port.isdigit() or not 0 < int(port) < 65536 or "&" in host:
                raise ValueError(f"each IVR host is host:port, separated by commas; got {host!r}")
        return value

    @property
    def ivr_host_list(self) -> tuple[str, ...]:
        """The IVR hosts Asterisk dials, each `host:port` (HOTLINE_IVR_HOSTS, else this IVR's own)."""
        hosts = tuple(h.strip() for h in self.ivr_hosts.split(",") if h.strip())
        return hosts or (f"{self.audiosocket_host}:{self.audiosocket_port}",)
