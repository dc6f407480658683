"""Balances answered from memory (api.balance_cache, api.balance_fast_lane): never stale past the data
version, never for a caller the route would refuse.

Issue 13: the balance path at 1,000 requests a second. The IVR asks the same balance several times a
call; the answer is repeated from memory while the database's data version (bumped by triggers on
accounts, charges, penalties, payments and services) stands.
"""

from __future__ import annotations

import time
from datetime import date
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text, update

from api.app import create_app
from api.db import make_engine, session_factory
from api.models import Account, Charge, Payment, Penalty, Service
from tests.api.conftest import OP, PHONE_A1, A, B, auth, register_call, verify_by_phone

V1 = "/api/v1"
CALL = auth("ivr-secret", "call-1")


def balance(client, headers=CALL, account=A, **params):
    return client.get(f"{V1}/accounts/{account}/balance", headers=headers, params=params)


def pay(sessions, amount: str, account=A) -> None:
    """A payment committed through `sessions` (the app's own, or another process's engine)."""
    number = account.split("-")[0]
    with sessions() as s, s.begin():
        acc = s.scalar(select(Account).where(Account.number == number))
        s.add(Payment(account_id=acc.id, paid_on=date(2025, 10, 20), amount=Decimal(amount), channel="касса"))


@pytest.fixture
def quick(db_url, settings, clock):
    """The app with a short recheck of the data version (0.3 s), and its test client."""
    quick_settings = settings.model_copy(update={"balance_recheck_seconds": 0.3})
    application = create_app(db_url, quick_settings, clock=clock)
    yield application, TestClient(application, raise_server_exceptions=False)
    application.state.engine.dispose()


def test_a_payment_through_this_process_is_in_the_next_answer(client, world):
    verify_by_phone(client)
    assert balance(client).json()["closing"] == "185.50"
    assert balance(client).json()["closing"] == "185.50"  # repeated from memory
    pay(client.app.state.sessions, "85.50")
    assert balance(client).json()["closing"] == "100.00"
    assert balance(client, OP).json()["closing"] == "100.00"


def test_a_payment_by_another_process_is_in_the_answer_after_the_recheck(quick, db_url, world):
    app, client = quick
    verify_by_phone(client)
    assert balance(client).json()["closing"] == "185.50"
    other = make_engine(db_url)  # the billing import runs in a process of its own
    try:
        pay(session_factory(other), "85.50")
    finally:
        other.dispose()
    time.sleep(0.35)
    assert balance(client).json()["closing"] == "100.00"


def test_a_kept_answer_is_for_one_month_and_one_day(client, world, clock):
    verify_by_phone(client)
    october = balance(client).json()
    september = balance(client, period="2025-09").json()
    assert (october["period"], september["period"]) == ("2025-10", "2025-09")
    assert september["opening"] == "100.00" and october["opening"] == "150.00"
    clock.advance(days=1)
    assert balance(client).json()["as_of"] == "2025-11-21"


def test_a_kept_answer_never_reaches_a_caller_the_route_refuses(client, world):
    verify_by_phone(client)  # call-1 verified for A
    assert balance(client).status_code == 200  # A's answer is kept now
    register_call(client, "call-2", "79990000000")  # a stranger's call, not verified
    verify_by_phone(client, B, "call-3", PHONE_A1)  # verified for B, not A
    for call in ("call-2", "call-3"):  # each has dictated A's number (an allowed look-up of A)
        assert client.get(f"{V1}/accounts/{A}", headers=auth("ivr-secret", call)).status_code == 200
    refused = {
        "not verified": balance(client, auth("ivr-secret", "call-2")),
        "verified for another account": balance(client, auth("ivr-secret", "call-3")),
        "unregistered call": balance(client, auth("ivr-secret", "call-9")),
        "no call": balance(client, auth("ivr-secret")),
        "wrong token": balance(client, auth("not-the-token", "call-1")),
        "no token": balance(client, {"X-Call-Id": "call-1"}),
    }
    assert {why: r.status_code for why, r in refused.items()} == {
        "not verified": 403,
        "verified for another account": 403,
        "unregistered call": 403,
        "no call": 403,
        "wrong token": 401,
        "no token": 401,
    }
    assert balance(client, {**CALL, "X-Call-Id": "call-1\x01"}).status_code == 422
    assert balance(client, auth("ivr-secret", "call-3"), account=B).json()["closing"] == "90.00"


def test_a_database_gone_is_503_once_the_recheck_is_due(quick, world):
    app, client = quick
    verify_by_phone(client)
    assert balance(client).status_code == 200
    app.state.sessions = session_factory(make_engine("sqlite:////proc/hotline-no-such-dir/x.db"))
    assert balance(client).status_code == 200  # from memory, within the recheck
    time.sleep(0.35)
    r = balance(client)
    assert r.status_code == 503 and r.json()["detail"]["reason"] == "service_unavailable"


def test_every_write_a_balance_is_made_of_bumps_the_data_version(app, world, db_url):
    other = make_engine(db_url)  # a process of its own, as the billing import is
    writes = {
        "payment": lambda s: s.add(
            Payment(account_id=1, paid_on=date(2025, 11, 1), amount=Decimal("1.00"), channel="x")
        ),
        "charge": lambda s: s.execute(update(Charge).values(charged=Charge.charged + 1)),
        "penalty": lambda s: s.execute(update(Penalty).values(amount=Penalty.amount + 1)),
        "account": lambda s: s.execute(update(Account).where(Account.id == 1).values(e_receipt=False)),
        "service": lambda s: s.execute(update(Service).where(Service.code == "waste").values(unit="м³")),
    }
    try:
        bumped = {}
        for name, write in writes.items():
            with other.connect() as conn:
                before = conn.execute(text("SELECT version FROM data_version")).scalar()
            with session_factory(other)() as s, s.begin():
                write(s)
            with other.connect() as conn:
                bumped[name] = conn.execute(text("SELECT version FROM data_version")).scalar() > before
    finally:
        other.dispose()
    assert bumped == dict.fromkeys(writes, True)
