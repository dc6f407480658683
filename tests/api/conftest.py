"""Fixtures of the account API tests: one database per test, on SQLite and on PostgreSQL 15.

PostgreSQL: `HOTLINE_TEST_PG` may point at a server we can create databases on
(`postgresql+psycopg://user:pw@host:port/db`); otherwise a throwaway cluster is
started once per session from Debian's postgresql-15 (as the `postgres` user
when we are root: initdb refuses root), on a free port of 127.0.0.1 with its
socket and data in a temp folder, and stopped at the end. Each test gets a copy
of a migrated database: SQLite copies a template file, PostgreSQL empties the
session's database (TRUNCATE) and the app re-seeds the reference data.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
import warnings
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from api.app import create_app
from api.db import upgrade
from api.models import Account, Base, Charge, Meter, Payment, Penalty, Phone, Reading
from api.reference import ensure_promotion
from api.settings import ApiSettings
from telephony.sandbox import free_port

PG_BIN = Path("/usr/lib/postgresql/15/bin")
IVR_TOKEN = "ivr-secret"
OP_TOKEN, OP2_TOKEN = "op-secret", "op2-secret"

warnings.filterwarnings("ignore", message=".*httpx.*starlette.testclient.*")


def pytest_configure(config):
    config.addinivalue_line("filterwarnings", "ignore:.*httpx2.*")


# ---------------------------------------------------------------- PostgreSQL


class PgCluster:
    """A throwaway PostgreSQL cluster: initdb, pg_ctl start, pg_ctl stop."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="hotline-pg-"))
        self.port = free_port()
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def _run(self, *args: str) -> None:
        subprocess.run([*self.as_user, *args], check=True, capture_output=True, text=True)

    def start(self) -> str:
        if self.as_user:
            shutil.chown(self.root, "postgres", "postgres")
        data, sock = self.root / "data", self.root / "sock"
        self._run("mkdir", "-p", str(sock))
        self._run(
            str(PG_BIN / "initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        )
        opts = (
            f"-p {self.port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        self._run(
            str(PG_BIN / "pg_ctl"), "-D", str(data), "-o", opts, "-l", str(self.root / "log"), "-w", "start"
        )
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def stop(self) -> None:
        try:
            self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.root / "data"), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_server():
    """URL of a PostgreSQL server (maintenance database) for the whole session."""
    url = os.environ.get("HOTLINE_TEST_PG")
    if url:
        yield url
        return
    if not (PG_BIN / "initdb").exists():
        pytest.skip(f"PostgreSQL 15 not installed ({PG_BIN}); set HOTLINE_TEST_PG or run scripts/setup.sh")
    cluster = PgCluster()
    try:
        url = cluster.start()
    except subprocess.CalledProcessError as exc:
        cluster.stop()
        pytest.fail(f"could not start PostgreSQL: {exc.stderr or exc}")
    yield url
    cluster.stop()


def _pg_admin(server_url: str, *statements: str) -> None:
    engine = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            for sql in statements:
                conn.execute(text(sql))
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def pg_database(pg_server):
    """One database migrated once for the session; each test starts from emptied tables."""
    name = f"hotline_test_{uuid.uuid4().hex[:8]}"
    _pg_admin(pg_server, f'CREATE DATABASE "{name}"')
    url = make_url(pg_server).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    engine = create_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    yield url, engine, tables
    engine.dispose()
    _pg_admin(pg_server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    path = tmp_path_factory.mktemp("tpl") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request, tmp_path):
    """A fresh, migrated database for one test."""
    if request.param == "sqlite":
        path = tmp_path / "hotline.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    url, engine, tables = request.getfixturevalue("pg_database")
    with engine.begin() as conn:  # faster than a database per test (CREATE DATABASE takes ~0.4 s)
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    yield url


# ---------------------------------------------------------------- app


@dataclass
class FakeClock:
    """The app's clock, set by tests: 2025-11-20 17:00 in Novokuznetsk (UTC+7) by default."""

    now: datetime = field(default_factory=lambda: datetime(2025, 11, 20, 10, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def set_local(self, year: int, month: int, day: int, hour: int = 12) -> None:
        self.now = datetime(year, month, day, hour, tzinfo=UTC) - timedelta(hours=7)

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def settings(tmp_path, db_url) -> ApiSettings:
    return ApiSettings(
        data_dir=tmp_path,
        database_url=db_url,
        ivr_token=IVR_TOKEN,
        operator_tokens={OP_TOKEN: "anna", OP2_TOKEN: "boris"},
        readings_window_start=15,
        readings_window_end=25,
        verify_max_attempts=3,
        verify_lock_minutes=30,
        unknown_accounts_limit=5,
    )


@pytest.fixture
def app(db_url, settings, clock):
    application = create_app(db_url, settings, clock=clock)
    yield application
    application.state.engine.dispose()


@pytest.fixture
def client(app):
    from fastapi.testclient import TestClient

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return TestClient(app)


def auth(token: str, call_id: str | None = None) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token}"}
    if call_id:
        headers["X-Call-Id"] = call_id
    return headers


IVR = auth(IVR_TOKEN)
OP = auth(OP_TOKEN)
OP2 = auth(OP2_TOKEN)


# ---------------------------------------------------------------- a small known world

A, B = "001110011-7", "002220022-0"
PHONE_A1, PHONE_A2 = "79001110011", "79001110012"


@dataclass
class World:
    cold_meter: int
    day_meter: int
    b_meter: int


def add_account(
    session,
    text_: str,
    *,
    phones=(),
    opening="0.00",
    registered: date | None = None,
    owner="Иванова Мария Петровна",
    address="г. Калтан, ул. Горького, 5, кв. 12",
) -> Account:
    number, suffix = text_.split("-")
    acc = Account(
        number=number,
        suffix=int(suffix),
        owner_name=owner,
        address=address,
        area=Decimal("42.70"),
        web_registered_on=registered,
        e_receipt=True,
        opening_balance=Decimal(opening),
    )
    for p in phones:
        phone = session.query(Phone).filter_by(number=p).one_or_none() or Phone(number=p)
        acc.phones.append(phone)
    session.add(acc)
    session.flush()
    return acc


def charge(session, acc, period: str, service: str, charged: str, recalc="0.00", tariff=None, qty=None):
    y, m = map(int, period.split("-"))
    session.add(
        Charge(
            account_id=acc.id,
            period=date(y, m, 1),
            service_code=service,
            charged=Decimal(charged),
            recalculation=Decimal(recalc),
            tariff=Decimal(tariff) if tariff else None,
            quantity=Decimal(qty) if qty else None,
        )
    )


@pytest.fixture
def world(app) -> World:
    """Account A (Калтан, two phones, charges Sep–Oct 2025, payments, two meters) and B (phone shared with A).

    Figures for A, October 2025, worked out by hand in the tests that use them.
    """
    with app.state.sessions() as s, s.begin():
        a = add_account(s, A, phones=[PHONE_A1, PHONE_A2], opening="100.00", registered=date(2025, 10, 1))
        b = add_account(
            s,
            B,
            phones=[PHONE_A1],
            registered=date(2025, 5, 1),
            owner="Петров Пётр",
            address="г. Новокузнецк, ул. Кирова, 1",
        )
        charge(s, a, "2025-09", "waste", "200.00")
        charge(s, a, "2025-09", "cold_water", "150.00", tariff="50", qty="3")
        charge(s, a, "2025-10", "waste", "200.00", recalc="-20.00")
        charge(s, a, "2025-10", "cold_water", "100.00", tariff="50", qty="2")
        charge(s, b, "2025-10", "waste", "90.00")
        s.add(Penalty(account_id=a.id, period=date(2025, 10, 1), amount=Decimal("5.50")))
        s.add_all(
            [
                Payment(
                    account_id=a.id, paid_on=date(2025, 9, 10), amount=Decimal("300.00"), channel="Сбербанк"
                ),
                Payment(
                    account_id=a.id, paid_on=date(2025, 10, 15), amount=Decimal("250.00"), channel="касса"
                ),
                Payment(
                    account_id=a.id, paid_on=date(2025, 11, 5), amount=Decimal("123.45"), channel="онлайн"
                ),
            ]
        )
        cold = Meter(
            account_id=a.id, service_code="cold_water", serial="CW-1", verification_due=date(2030, 1, 1)
        )
        day = Meter(
            account_id=a.id, service_code="electricity_day", serial="EL-1", verification_due=date(2025, 1, 1)
        )
        bm = Meter(account_id=b.id, service_code="hot_water", serial="HW-9", verification_due=None)
        s.add_all([cold, day, bm])
        s.flush()
        s.add(
            Reading(
                meter_id=cold.id,
                value=Decimal("100.000"),
                source="import",
                taken_at=datetime(2025, 10, 20, 5, 0, tzinfo=UTC),
            )
        )
        ensure_promotion(s, date(2025, 9, 1), date(2025, 12, 31))
        return World(cold_meter=cold.id, day_meter=day.id, b_meter=bm.id)


def register_call(client, call_id: str, caller: str | None = None) -> None:
    """POST /calls as the IVR does when Asterisk reports a call: the number verification trusts."""
    r = client.post("/api/v1/calls", headers=IVR, json={"id": call_id, "caller": caller})
    assert r.status_code in (200, 201), r.text


def verify_by_phone(client, account=A, call_id="call-1", caller=PHONE_A1) -> dict:
    register_call(client, call_id, caller)
    r = client.post(
        f"/api/v1/accounts/{account}/verify", headers=IVR, json={"call_id": call_id, "caller": caller}
    )
    assert r.status_code == 200, r.text
    assert r.json()["verified"] is True
    return r.json()
