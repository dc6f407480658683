"""The IVR notices a down account API once, tells callers at once, and recovers on its own."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from dialogs.backend import BackendError, known_down
from ivr.api_client import ApiClient


class Switchable(httpx.AsyncBaseTransport):
    """An API that can be switched off (connection refused) and on; counts what reached it."""

    def __init__(self) -> None:
        self.up = True
        self.requests: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request.url.path)
        if not self.up:
            raise httpx.ConnectError("connection refused", request=request)
        if request.url.path == "/healthz":
            return httpx.Response(200, json={"status": "ok"})
        return httpx.Response(200, json={"accounts": ["001110011-7"]})


async def test_a_refused_connection_opens_the_circuit_and_a_healthy_probe_closes_it():
    api = Switchable()
    async with ApiClient("http://api", "t", transport=api, probe_interval=0.05, retry_delay=0) as client:
        assert await client.accounts_for_phone("79001110011") == ["001110011-7"]
        api.up = False
        with pytest.raises(BackendError):
            await client.accounts_for_phone("79001110011")
        assert known_down(client)
        reached = len([p for p in api.requests if p != "/healthz"])
        with pytest.raises(BackendError, match="circuit open"):  # the next caller is told at once
            await client.accounts_for_phone("79001110011")
        assert len([p for p in api.requests if p != "/healthz"]) == reached  # nothing was sent
        api.up = True
        for _ in range(100):
            if not known_down(client):
                break
            await asyncio.sleep(0.02)
        assert not known_down(client)
        assert await client.accounts_for_phone("79001110011") == ["001110011-7"]


async def test_one_slow_answer_does_not_cut_off_every_call():
    calls = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise httpx.ReadTimeout("slow", request=request)
        return httpx.Response(200, json={"accounts": []})

    async with ApiClient("http://api", "t", transport=httpx.MockTransport(handler)) as client:
        with pytest.raises(BackendError):
            await client.accounts_for_phone("79001110011")
        assert not known_down(client)
        assert await client.accounts_for_phone("79001110011") == []


async def test_three_server_errors_in_a_row_open_the_circuit():
    async def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/healthz":
            return httpx.Response(503)
        return httpx.Response(500, json={"detail": "database unavailable"})

    transport = httpx.MockTransport(handler)
    async with ApiClient("http://api", "t", transport=transport, probe_interval=0.05) as client:
        for _ in range(3):
            with pytest.raises(BackendError):
                await client.accounts_for_phone("79001110011")
        assert known_down(client)
        await asyncio.sleep(0.2)
        assert known_down(client)  # the probe's 503 keeps it open
