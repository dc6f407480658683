"""Many requests at once are all answered; past capacity the answer is a quick 503 `busy`.

Issue 13: 64 balance requests at once got nothing for 20 s, then 500 `QueuePool limit`.
"""

from __future__ import annotations

import asyncio

import httpx

from api import capacity
from tests.api.conftest import IVR, A, verify_by_phone


async def test_sixty_four_balances_at_once_are_all_answered(app, client, world):
    verify_by_phone(client, A, "call-1")
    headers = {**IVR, "X-Call-Id": "call-1"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as c:
        answers = await asyncio.gather(
            *(c.get(f"/api/v1/accounts/{A}/balance", headers=headers) for _ in range(64))
        )
    assert [r.status_code for r in answers] == [200] * 64
    assert len({r.text for r in answers}) == 1


async def test_past_capacity_a_request_hears_busy_and_when_to_retry(app, client, world, monkeypatch):
    verify_by_phone(client, A, "call-1")
    monkeypatch.setattr(capacity, "POOL_SIZE", 1)
    monkeypatch.setattr(capacity, "ADMIT_SECONDS", 0.05)
    headers = {**IVR, "X-Call-Id": "call-1"}
    state = app.state
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as c:
        async with capacity.admitted_session(state.sessions, state.ensure_schema, state.schema_ready):
            busy = await c.get(f"/api/v1/accounts/{A}/balance", headers=headers)
        again = await c.get(f"/api/v1/accounts/{A}/balance", headers=headers)
    assert busy.status_code == 503
    assert busy.json()["detail"]["reason"] == "busy"
    assert busy.headers["Retry-After"] == "1"
    assert again.status_code == 200
