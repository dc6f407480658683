"""The IVR's client of the account API: implements `dialogs.backend.Backend` over HTTP.

Why here: `ivr` is the package that knows both sides; `api` must not import
dialogs. Errors come in two kinds, as the dialogs expect: `BackendError` when
the service cannot answer (connection refused, timeout, 5xx, a body that is not
JSON) and `Rejected` when it refused with a reason (4xx). Tests pass
`transport=httpx.ASGITransport(app=create_app(url))` to run the real API in-process.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import httpx

from dialogs.backend import BackendError, Rejected

log = logging.getLogger("ivr.api_client")

PREFIX = "/api/v1"


def _seg(value: object) -> str:
    """One URL path segment, whatever the caller or the recogniser produced."""
    return quote(str(value), safe="")


class ApiClient:
    """Async client for one IVR process; safe to share between calls (one connection pool)."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 5.0,
    ):
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/") + PREFIX,
            headers={"Authorization": f"Bearer {token}"},
            transport=transport,
            timeout=timeout,
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> ApiClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # ------------------------------------------------------------ transport

    async def _request(
        self,
        method: str,
        path: str,
        *,
        call_id: str | None = None,
        json: Any = None,
        params: dict[str, Any] | None = None,
    ) -> Any:
        headers = {"X-Call-Id": call_id} if call_id else None
        try:
            response = await self._http.request(method, path, json=json, params=params, headers=headers)
        except httpx.HTTPError as exc:
            log.warning("account API unreachable: %s %s: %s", method, path.split("/")[1], type(exc).__name__)
            raise BackendError(f"account API unreachable: {type(exc).__name__}: {exc}") from exc
        if response.status_code >= 500:
            raise BackendError(f"account API answered {response.status_code}")
        try:
            body = response.json() if response.content else None
        except ValueError as exc:
            raise BackendError(f"account API answered {response.status_code} without JSON") from exc
        if response.status_code >= 400:
            detail = body.get("detail") if isinstance(body, dict) else None
            if not isinstance(detail, dict):
                detail = {"reason": "http_error", "message": str(detail or "")}
            data = {k: v for k, v in detail.items() if k not in ("reason", "message")}
            raise Rejected(
                response.status_code,
                str(detail.get("reason", "http_error")),
                str(detail.get("message", "")),
                data,
            )
        return body

    async def _maybe(self, method: str, path: str, not_found: str, **kwargs: Any) -> Any:
        """The body, or None when the API answers 404 with reason `not_found`."""
        try:
            return await self._request(method, path, **kwargs)
        except Rejected as exc:
            if exc.status == 404 and exc.reason == not_found:
                return None
            raise

    # ------------------------------------------------------------ Backend

    async def accounts_for_phone(self, phone: str) -> list[str]:
        body = await self._request("GET", f"/phones/{_seg(phone)}/accounts")
        return list(body["accounts"])

    async def account(self, account: str, *, call_id: str | None = None) -> dict[str, Any] | None:
        """Summary or None. Pass `call_id` so the API's enumeration guard can count per call."""
        return await self._maybe("GET", f"/accounts/{_seg(account)}", "account_not_found", call_id=call_id)

    async def verify(
        self, account: str, *, call_id: str, caller: str | None, last_payment: Decimal | None = None
    ) -> dict[str, Any]:
        body = {
            "call_id": call_id,
            "caller": caller,
            "last_payment_amount": None if last_payment is None else f"{Decimal(last_payment):.2f}",
        }
        return await self._request("POST", f"/accounts/{_seg(account)}/verify", json=body)

    async def balance(self, account: str, *, call_id: str, period: str | None = None) -> dict[str, Any]:
        params = {"period": period} if period else None
        return await self._request(
            "GET", f"/accounts/{_seg(account)}/balance", call_id=call_id, params=params
        )

    async def meters(self, account: str, *, call_id: str) -> list[dict[str, Any]]:
        body = await self._request("GET", f"/accounts/{_seg(account)}/meters", call_id=call_id)
        return list(body["meters"])

    async def submit_reading(
        self, account: str, meter_id: int, value: Decimal, *, call_id: str
    ) -> dict[str, Any]:
        body = {"value": format(Decimal(value), "f"), "call_id": call_id, "source": "ivr"}
        return await self._request(
            "POST", f"/accounts/{_seg(account)}/meters/{_seg(meter_id)}/readings", call_id=call_id, json=body
        )

    async def promotion(self) -> dict[str, Any] | None:
        return await self._maybe("GET", "/promotions/current", "no_promotion")

    async def promotion_status(self, account: str, *, call_id: str) -> dict[str, Any]:
        return await self._request("GET", f"/accounts/{_seg(account)}/promotion", call_id=call_id)

    async def territories(self) -> list[dict[str, Any]]:
        return list(await self._request("GET", "/territories"))

    async def start_call(self, call_id: str, *, caller: str | None, channel: str | None = None) -> None:
        await self._request("POST", "/calls", json={"id": call_id, "caller": caller, "channel": channel})

    async def update_call(
        self, call_id: str, *, account: str | None = None, step: str | None = None, outcome: str | None = None
    ) -> None:
        body = {
            k: v for k, v in (("account", account), ("step", step), ("outcome", outcome)) if v is not None
        }
        await self._request("PATCH", f"/calls/{_seg(call_id)}", json=body)

    async def add_transcript(self, call_id: str, speaker: str, text: str) -> None:
        await self._request(
            "POST", f"/calls/{_seg(call_id)}/transcript", json={"speaker": speaker, "text": text}
        )

    async def end_call(self, call_id: str, *, outcome: str) -> None:
        await self._request("PATCH", f"/calls/{_seg(call_id)}", json={"ended": True, "outcome": outcome})

    async def escalate(
        self, call_id: str, *, reason: str, account: str | None, verified: bool, summary: str = ""
    ) -> dict[str, Any]:
        body = {
            "call_id": call_id,
            "reason": reason,
            "account": account,
            "verified": verified,
            "summary": summary,
        }
        return await self._request("POST", "/escalations", json=body)
