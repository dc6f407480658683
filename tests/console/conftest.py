"""Fixtures of the console tests: a demo database per test, an operator, a logged-in client.

The database is a copy of one migrated template filled with the demo data
(`api.demo.fill`) for 2025-11-20, a day inside the readings window; the app's
clock is frozen at that day (tests move it), so figures and expiry are exact.
"""

from __future__ import annotations

import re
import shutil
import warnings
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.console import auth
from api.db import upgrade
from api.demo import fill
from api.settings import ApiSettings

TZ = "Asia/Novokuznetsk"
DEMO_DAY = date(2025, 11, 20)
IVR_TOKEN, OP_TOKEN = "ivr-secret", "op-secret"
IVR = {"Authorization": f"Bearer {IVR_TOKEN}"}
OP = {"Authorization": f"Bearer {OP_TOKEN}"}
PASSWORD = "correct horse 1"
TEST_ROUNDS = 4  # bcrypt cost for test operators: the same code path, a fraction of the time
ACCOUNT = "001110011-7"  # demo: Иванова Мария Петровна, phone 79001110011, four meters

warnings.filterwarnings("ignore", message=".*httpx.*starlette.testclient.*")


def pytest_configure(config):
    config.addinivalue_line("filterwarnings", "ignore:.*httpx2.*")


@dataclass
class FakeClock:
    """2025-11-20 17:00 in Novokuznetsk (UTC+7)."""

    now: datetime = field(default_factory=lambda: datetime(2025, 11, 20, 10, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory):
    path = tmp_path_factory.mktemp("console-tpl") / "demo.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    app = create_app(url, make_settings(path.parent, url))
    with app.state.sessions() as session:
        fill(session, DEMO_DAY, ZoneInfo(TZ))
        session.commit()
    app.state.engine.dispose()
    return path


def make_settings(data_dir, url: str, **overrides) -> ApiSettings:
    return ApiSettings(
        data_dir=data_dir,
        database_url=url,
        ivr_token=IVR_TOKEN,
        operator_tokens={OP_TOKEN: "token-op"},
        timezone=TZ,
        **overrides,
    )


@pytest.fixture
def db_url(tmp_path, demo_template) -> str:
    path = tmp_path / "hotline.db"
    shutil.copy(demo_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def settings(tmp_path, db_url) -> ApiSettings:
    return make_settings(tmp_path, db_url, console_session_minutes=60)


@pytest.fixture
def app(db_url, settings, clock):
    application = create_app(db_url, settings, clock=clock)
    with application.state.sessions() as session:
        for name in ("anna", "boris"):
            auth.add_operator(session, name, PASSWORD, clock(), rounds=TEST_ROUNDS)
    yield application
    application.state.engine.dispose()


def new_client(app) -> TestClient:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return TestClient(app)


def hidden_token(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no csrf_token field in the page"
    return match.group(1)


def page_csrf(html: str) -> str:
    match = re.search(r'"X-CSRF-Token": "([^"]+)"', html)
    assert match, "no X-CSRF-Token in the page"
    return match.group(1)


@dataclass
class Operator:
    """A logged-in browser-less operator: TestClient with the session cookie and the page's CSRF token."""

    client: TestClient
    csrf: str

    def post(self, path: str, data: dict | None = None, **kwargs):
        headers = {"X-CSRF-Token": self.csrf, "HX-Request": "true", **kwargs.pop("headers", {})}
        return self.client.post(path, data=data, headers=headers, **kwargs)


def submit_login(client: TestClient, name: str, password: str, next_path: str = ""):
    """Open the login form (it sets its token cookie) and post it; the response, redirects not followed."""
    form = client.get("/console/login")
    return client.post(
        "/console/login",
        data={"name": name, "password": password, "csrf_token": hidden_token(form.text), "next": next_path},
        follow_redirects=False,
    )


def log_in(app, name: str = "anna", password: str = PASSWORD) -> Operator:
    client = new_client(app)
    r = submit_login(client, name, password)
    assert r.status_code == 303, r.text
    page = client.get("/console/escalations")
    assert page.status_code == 200
    return Operator(client, page_csrf(page.text))


@pytest.fixture
def anna(app) -> Operator:
    return log_in(app, "anna")


@pytest.fixture
def boris(app) -> Operator:
    return log_in(app, "boris")


def escalate(
    client: TestClient,
    call_id: str,
    *,
    caller="+7 900 111-00-11",
    account=ACCOUNT,
    reason="caller_request",
    verified=True,
    lines=(("robot", "Здравствуйте! Назовите лицевой счёт."), ("caller", "оператора")),
) -> int:
    """A call handed over through the API with the IVR token, as the dialogs do; returns the escalation id."""
    assert (
        client.post("/api/v1/calls", headers=IVR, json={"id": call_id, "caller": caller}).status_code == 201
    )
    for speaker, text in lines:
        r = client.post(
            f"/api/v1/calls/{call_id}/transcript", headers=IVR, json={"speaker": speaker, "text": text}
        )
        assert r.status_code == 201
    r = client.post(
        "/api/v1/escalations",
        headers=IVR,
        json={
            "call_id": call_id,
            "reason": reason,
            "account": account,
            "verified": verified,
            "summary": "Причина: абонент попросил оператора.",
        },
    )
    assert r.status_code == 201, r.text
    return r.json()["id"]
