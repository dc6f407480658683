"""The real account API in-process over a copy of the demo database, for dialog tests.

Why a copy: filling the demo takes about a second, copying its SQLite file a few
milliseconds; every test gets the same fresh data and may change it freely.
The API's clock and the dialogs' clock say the same moment: Thursday
2025-11-20 12:00 in Novokuznetsk, inside the readings window (15th–25th), in
operators' hours, with October 2025 the latest closed month.
"""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from api.app import create_app
from api.demo import fill
from ivr.api_client import ApiClient
from ivr.settings import Settings

ZONE = ZoneInfo("Asia/Novokuznetsk")
TODAY = date(2025, 11, 20)
NOON_UTC = datetime(2025, 11, 20, 5, 0, tzinfo=UTC)  # 12:00 local
IVR_TOKEN, OPERATOR_TOKEN = "ivr-test-token", "operator-test-token"

# The demo's named accounts (api/demo.py, README "Demo data").
PHONE = "79001110011"
ACCOUNT = "001110011-7"  # Калтан; PHONE on file; four meters; registered during the promotion
LAST_PAYMENT = Decimal("729.51")  # ACCOUNT's latest payment, as the README tells testers
DEBTOR = "002220022-0"  # Новокузнецк; debtor with penalties; cold-water meter past its verification
SHARED_PHONE = "79003330033"
SHARED = ("003330033-1", "003330034-1")  # both on file for SHARED_PHONE; the first registered before


def settings(database_url: str) -> Settings:
    return Settings.from_env().replace(
        database_url=database_url,
        ivr_token=IVR_TOKEN,
        operator_tokens={OPERATOR_TOKEN: "tester"},
        timezone=str(ZONE),
        readings_window_start=15,
        readings_window_end=25,
        verify_max_attempts=3,
        verify_lock_minutes=30,
        unknown_accounts_limit=5,
    )


def build_template(directory: Path) -> Path:
    """Fill a demo database once; tests copy it."""
    path = directory / "demo.db"
    app = create_app(f"sqlite:///{path}", settings=settings(f"sqlite:///{path}"), clock=lambda: NOON_UTC)
    with app.state.sessions() as session:
        fill(session, TODAY, ZONE)
        session.commit()
    app.state.engine.dispose()  # WAL checkpointed into the file, so a plain copy is complete
    return path


class DemoApi:
    """One test's API: `backend` is the IVR's client (what dialogs get); the other methods read
    facts with an operator token, to check what a conversation stored."""

    def __init__(self, template: Path, directory: Path):
        path = directory / "hotline.db"
        shutil.copy(template, path)
        url = f"sqlite:///{path}"
        self.now = NOON_UTC
        self.app = create_app(url, settings=settings(url), clock=lambda: self.now)
        transport = httpx.ASGITransport(app=self.app)
        self.backend = ApiClient("http://api.test", IVR_TOKEN, transport=transport)
        self._operator = httpx.AsyncClient(
            base_url="http://api.test/api/v1",
            headers={"Authorization": f"Bearer {OPERATOR_TOKEN}"},
            transport=transport,
        )

    async def close(self) -> None:
        await self.backend.aclose()
        await self._operator.aclose()
        self.app.state.engine.dispose()

    async def _get(self, path: str, **params: Any) -> Any:
        response = await self._operator.get(path, params=params or None)
        response.raise_for_status()
        return response.json()

    async def balance(self, account: str) -> dict[str, Any]:
        return await self._get(f"/accounts/{account}/balance")

    async def meters(self, account: str) -> list[dict[str, Any]]:
        return (await self._get(f"/accounts/{account}/meters"))["meters"]

    async def readings_of_call(self, account: str, call_id: str) -> list[dict[str, Any]]:
        readings = (await self._get(f"/accounts/{account}/readings"))["readings"]
        return [r for r in readings if r.get("call_id") == call_id]

    async def escalations(self) -> list[dict[str, Any]]:
        return await self._get("/escalations")

    async def call(self, call_id: str) -> dict[str, Any]:
        return await self._get(f"/calls/{call_id}")

    async def promotion(self) -> dict[str, Any]:
        return await self._get("/promotions/current")
