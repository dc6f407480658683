"""What dialogs need from the account service, as a protocol.

Why: dialogs must not know SQL or HTTP. `ivr.api_client.ApiClient` implements this
over the account API; tests use the same client against the real API app
in-process. All shapes below are the JSON the API returns (see README, API).
Money and readings are decimal strings ("729.51"); dates are ISO strings.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Protocol


class BackendError(Exception):
    """The account service could not answer (down, timed out, 5xx). Dialogs say
    "the service is unavailable" and offer the operator; nothing is lost."""


class Rejected(Exception):
    """The service refused a request with a machine-readable reason (422/409/403/404/423/429)."""

    def __init__(self, status: int, reason: str, message: str = "", data: dict[str, Any] | None = None):
        super().__init__(f"{status} {reason}: {message}")
        self.status = status
        self.reason = reason
        self.message = message
        self.data = data or {}


def known_down(backend: object) -> bool:
    """True when the backend already knows the service is down (`available` is False, e.g. the
    IVR's client with its circuit breaker open): say so before asking the caller for anything."""
    return getattr(backend, "available", True) is False


class Backend(Protocol):
    async def accounts_for_phone(self, phone: str) -> list[str]:
        """Accounts whose phones on file include `phone` (any spelling: +7…, 8…)."""

    async def account(self, account: str, *, call_id: str | None = None) -> dict[str, Any] | None:
        """Summary {"account", "territory": {"suffix", "name"}, ...} or None if unknown. `call_id`
        lets the API's enumeration guard count unknown numbers per call (429 past its limit)."""

    async def verify(
        self, account: str, *, call_id: str, caller: str | None, last_payment: Decimal | None = None
    ) -> dict[str, Any]:
        """{"verified": bool, "method": "phone"|"last_payment"|None, "attempts_left": int,
        "locked": bool, "locked_until": str|None}."""

    async def balance(self, account: str, *, call_id: str, period: str | None = None) -> dict[str, Any]:
        """The balance JSON of GET /accounts/{account}/balance."""

    async def meters(self, account: str, *, call_id: str) -> list[dict[str, Any]]:
        """[{"id", "service", "service_name", "serial", "unit", "verification_due", "last_reading"}]."""

    async def submit_reading(
        self, account: str, meter_id: int, value: Decimal, *, call_id: str, idempotency_key: str | None = None
    ) -> dict[str, Any]:
        """Stores a confirmed reading (idempotent per call and meter). Raises Rejected with
        reason below_previous / implausible_use / outside_window / verification_overdue / duplicate."""

    async def promotion(self) -> dict[str, Any] | None:
        """The current promotion with its terms, or None."""

    async def promotion_status(self, account: str, *, call_id: str) -> dict[str, Any]:
        """{"participating": bool, "reasons": [str]} for an identified caller."""

    async def territories(self) -> list[dict[str, Any]]:
        """[{"suffix", "name", "office": {"address", "hours": [{"days", "open", "close", "break"}]}}]."""

    # Writes below take an `idempotency_key` (kept by dialogs.record's outbox across retries and
    # restarts): a repeat with the same key is stored once.
    async def start_call(
        self,
        call_id: str,
        *,
        caller: str | None,
        channel: str | None = None,
        idempotency_key: str | None = None,
    ) -> None: ...

    async def update_call(
        self,
        call_id: str,
        *,
        account: str | None = None,
        step: str | None = None,
        outcome: str | None = None,
        idempotency_key: str | None = None,
    ) -> None: ...

    async def add_transcript(
        self, call_id: str, speaker: str, text: str, *, idempotency_key: str | None = None
    ) -> None: ...

    async def add_transcript_lines(self, call_id: str, lines: list[dict[str, Any]]) -> None:
        """Several lines in order, each {"speaker", "text", "idempotency_key"}, in one request."""

    async def end_call(self, call_id: str, *, outcome: str, idempotency_key: str | None = None) -> None: ...

    async def escalate(
        self,
        call_id: str,
        *,
        reason: str,
        account: str | None,
        verified: bool,
        summary: str = "",
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """Stores the escalation with the call's context before the handover."""
