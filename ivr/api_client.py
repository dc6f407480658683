"""The IVR's client of the account API: implements `dialogs.backend.Backend` over HTTP.

Why here: `ivr` is the package that knows both sides; `api` must not import
dialogs. Errors come in two kinds, as the dialogs expect: `BackendError` when
the service cannot answer (connection refused, timeout, 5xx, a body that is not
JSON) and `Rejected` when it refused with a reason (4xx). Tests pass
`transport=httpx.ASGITransport(app=create_app(url))` to run the real API in-process.

Every write carries an `Idempotency-Key`: one uuid made per logical write (or
given by the caller, e.g. a durable outbox replaying it), reused by each retry,
so a write that timed out after the API stored it is never stored twice. Writes
are retried a few times on a connection error, a timeout or a 502/503/504;
reads are not (the dialogs decide what to do when the service is down).

A request is never cancelled in flight: a caller that is cancelled (a hang-up stops the dialog)
stops waiting, but the request runs to its end under the client's own timeout. Cancelling
httpx mid-request leaks connection-pool slots under load; `aclose` waits for them.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import httpx

from dialogs.backend import BackendError, Rejected
from ivr.breaker import CircuitBreaker

log = logging.getLogger("ivr.api_client")

PREFIX = "/api/v1"
RETRY_STATUSES = (502, 503, 504)


def new_key() -> str:
    """A fresh idempotency key for one logical write."""
    return uuid.uuid4().hex


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
        write_retries: int = 2,
        retry_delay: float = 0.2,
        max_connections: int = 64,
        breaker_threshold: int = 3,
        probe_interval: float = 1.0,
    ):
        self._write_retries = max(0, write_retries)
        self._retry_delay = retry_delay
        self._timeout = timeout
        self._in_flight: set[asyncio.Task[httpx.Response]] = set()
        self._root = base_url.rstrip("/")
        self.breaker = CircuitBreaker(
            self._healthy, threshold=breaker_threshold, probe_interval=probe_interval
        )
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/") + PREFIX,
            headers={"Authorization": f"Bearer {token}"},
            transport=transport,
            # Connecting is quick or not at all; a whole request has `timeout`. Waiting for a free
            # connection counts against it too, so a busy pool is an error, not a hang.
            timeout=httpx.Timeout(timeout, connect=min(timeout, 2.0)),
            limits=httpx.Limits(
                max_connections=max_connections, max_keepalive_connections=max(1, max_connections // 2)
            ),
        )

    @property
    def available(self) -> bool:
        """False while the circuit breaker holds the API for down (see ivr.breaker)."""
        return not self.breaker.is_open

    async def _healthy(self) -> bool:
        """The breaker's probe: the API's health answer, under a short timeout."""
        try:
            response = await self._send("GET", f"{self._root}/healthz", timeout=min(self._timeout, 1.0))
        except httpx.HTTPError:
            return False
        return response.status_code == 200

    async def aclose(self) -> None:
        """Close once the requests still running (their callers gone) have finished."""
        await self.breaker.aclose()
        if self._in_flight:
            await asyncio.wait(set(self._in_flight), timeout=self._timeout + 1.0)
        await self._http.aclose()

    async def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One HTTP request that runs to its end even if our caller is cancelled meanwhile."""
        task = asyncio.ensure_future(self._http.request(method, path, **kwargs))
        self._in_flight.add(task)
        task.add_done_callback(_forget(self._in_flight))
        return await asyncio.shield(task)

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
        idempotency_key: str | None = None,
        retry_write: bool = False,
    ) -> Any:
        """One request; a write (with idempotency keys) is retried with the same keys."""
        if self.breaker.is_open:  # known down: the caller hears it now, not after a timeout
            raise BackendError("account API down (circuit open)")
        headers = {"X-Call-Id": call_id} if call_id else {}
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        attempts = 1 + (self._write_retries if idempotency_key is not None or retry_write else 0)
        for attempt in range(attempts):
            last = attempt == attempts - 1
            try:
                response = await self._send(method, path, json=json, params=params, headers=headers)
            except httpx.HTTPError as exc:
                log.warning(
                    "account API unreachable: %s %s: %s", method, path.split("/")[1], type(exc).__name__
                )
                if last:
                    self.breaker.failed(refused=isinstance(exc, httpx.ConnectError))
                    raise BackendError(f"account API unreachable: {type(exc).__name__}: {exc}") from exc
            else:
                if response.status_code not in RETRY_STATUSES or last:
                    break
            await asyncio.sleep(self._retry_delay * (attempt + 1))
        if response.status_code >= 500:
            self.breaker.failed()
            raise BackendError(f"account API answered {response.status_code}")
        self.breaker.succeeded()
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

    async def accounts_for_phone(self, phone: str, *, call_id: str | None = None) -> list[str]:
        """Accounts on file for `phone`; pass `call_id` so the enumeration guard counts this call."""
        body = await self._request("GET", f"/phones/{_seg(phone)}/accounts", call_id=call_id)
        return list(body["accounts"])

    async def account(self, account: str, *, call_id: str | None = None) -> dict[str, Any] | None:
        """Summary or None. Pass `call_id` so the API's enumeration guard can count per call."""
        answer: dict[str, Any] | None = await self._maybe(
            "GET", f"/accounts/{_seg(account)}", "account_not_found", call_id=call_id
        )
        return answer

    async def verify(
        self, account: str, *, call_id: str, caller: str | None, last_payment: Decimal | None = None
    ) -> dict[str, Any]:
        """The API checks the number the call was registered with; `caller` is sent but not trusted."""
        body = {
            "call_id": call_id,
            "caller": caller,
            "last_payment_amount": None if last_payment is None else f"{Decimal(last_payment):.2f}",
        }
        answer: dict[str, Any] = await self._request("POST", f"/accounts/{_seg(account)}/verify", json=body)
        return answer

    async def balance(self, account: str, *, call_id: str, period: str | None = None) -> dict[str, Any]:
        params = {"period": period} if period else None
        answer: dict[str, Any] = await self._request(
            "GET", f"/accounts/{_seg(account)}/balance", call_id=call_id, params=params
        )
        return answer

    async def meters(self, account: str, *, call_id: str) -> list[dict[str, Any]]:
        body = await self._request("GET", f"/accounts/{_seg(account)}/meters", call_id=call_id)
        return list(body["meters"])

    async def submit_reading(
        self, account: str, meter_id: int, value: Decimal, *, call_id: str, idempotency_key: str | None = None
    ) -> dict[str, Any]:
        """Store a reading; a retry is safe (the API stores one per call and meter: 409 `duplicate`)."""
        body = {"value": format(Decimal(value), "f"), "call_id": call_id, "source": "ivr"}
        answer: dict[str, Any] = await self._request(
            "POST",
            f"/accounts/{_seg(account)}/meters/{_seg(meter_id)}/readings",
            call_id=call_id,
            json=body,
            idempotency_key=idempotency_key or new_key(),
        )
        return answer

    async def promotion(self) -> dict[str, Any] | None:
        answer: dict[str, Any] | None = await self._maybe("GET", "/promotions/current", "no_promotion")
        return answer

    async def promotion_status(self, account: str, *, call_id: str) -> dict[str, Any]:
        answer: dict[str, Any] = await self._request(
            "GET", f"/accounts/{_seg(account)}/promotion", call_id=call_id
        )
        return answer

    async def territories(self) -> list[dict[str, Any]]:
        return list(await self._request("GET", "/territories"))

    async def start_call(
        self,
        call_id: str,
        *,
        caller: str | None,
        channel: str | None = None,
        idempotency_key: str | None = None,
    ) -> None:
        await self._request(
            "POST",
            "/calls",
            json={"id": call_id, "caller": caller, "channel": channel},
            idempotency_key=idempotency_key or new_key(),
        )

    async def update_call(
        self,
        call_id: str,
        *,
        account: str | None = None,
        step: str | None = None,
        outcome: str | None = None,
        idempotency_key: str | None = None,
    ) -> None:
        body = {
            k: v for k, v in (("account", account), ("step", step), ("outcome", outcome)) if v is not None
        }
        await self._request(
            "PATCH", f"/calls/{_seg(call_id)}", json=body, idempotency_key=idempotency_key or new_key()
        )

    async def add_transcript(
        self, call_id: str, speaker: str, text: str, *, idempotency_key: str | None = None
    ) -> None:
        await self._request(
            "POST",
            f"/calls/{_seg(call_id)}/transcript",
            json={"speaker": speaker, "text": text},
            idempotency_key=idempotency_key or new_key(),
        )

    async def add_transcript_lines(self, call_id: str, lines: list[dict[str, Any]]) -> None:
        """Several lines in one request, in order; each dict has speaker, text, idempotency_key."""
        body = [
            {
                "speaker": line["speaker"],
                "text": line["text"],
                "idempotency_key": line.get("idempotency_key") or new_key(),
            }
            for line in lines
        ]
        await self._request("POST", f"/calls/{_seg(call_id)}/transcript", json=body, retry_write=True)

    async def end_call(self, call_id: str, *, outcome: str, idempotency_key: str | None = None) -> None:
        await self._request(
            "PATCH",
            f"/calls/{_seg(call_id)}",
            json={"ended": True, "outcome": outcome},
            idempotency_key=idempotency_key or new_key(),
        )

    async def debt_outcome(self, contact_id: int, outcome: str, *, promised_on: date | None = None) -> None:
        """What came of a debt reminder call (the same outcome written again changes nothing)."""
        body = {"outcome": outcome, "promised_on": promised_on.isoformat() if promised_on else None}
        await self._request("POST", f"/debt-contacts/{int(contact_id)}/outcome", json=body, retry_write=True)

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
        body = {
            "call_id": call_id,
            "reason": reason,
            "account": account,
            "verified": verified,
            "summary": summary,
        }
        answer: dict[str, Any] = await self._request(
            "POST", "/escalations", json=body, idempotency_key=idempotency_key or new_key()
        )
        return answer


def _forget(tasks: set[asyncio.Task[httpx.Response]]) -> Callable[[asyncio.Task[httpx.Response]], None]:
    """A done callback: drop the task, and read its error so none is reported as never retrieved."""

    def done(task: asyncio.Task[httpx.Response]) -> None:
        tasks.discard(task)
        if not task.cancelled():
            task.exception()

    return done
