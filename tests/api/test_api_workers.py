"""`hotline api --workers 2`: two processes on one port, each with its own memory, one database.

What must hold across processes (issue 13): a call verified through one worker reads its balance
through either; a payment the billing import (a process of its own) stores is in every worker's
answers within HOTLINE_BALANCE_RECHECK_SECONDS.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from api.db import make_engine, session_factory
from api.models import Account, Payment
from telephony.sandbox import free_port

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "ivr-secret"


@pytest.fixture
def two_workers(tmp_path):
    """`hotline api --workers 2` over the demo data; (base url, database url)."""
    url = f"sqlite:///{tmp_path / 'hotline.db'}"
    env = {
        **os.environ,
        "HOTLINE_DATA_DIR": str(tmp_path),
        "HOTLINE_DATABASE_URL": url,
        "HOTLINE_IVR_TOKEN": TOKEN,
        "HOTLINE_BALANCE_RECHECK_SECONDS": "0.5",
        "HOTLINE_LOG_LEVEL": "WARNING",
    }
    hotline = [sys.executable, "-m", "ivr.cli"]
    subprocess.run([*hotline, "demo-data"], env=env, cwd=ROOT, check=True, capture_output=True)
    port = free_port()
    log = open(tmp_path / "api.log", "w")
    proc = subprocess.Popen(
        [*hotline, "api", "--port", str(port), "--workers", "2", "--no-access-log"],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, (tmp_path / "api.log").read_text()
            time.sleep(0.3)
        yield base, url
    finally:
        proc.terminate()
        proc.wait(20)
        log.close()


def test_two_workers_answer_one_call_and_see_another_process_write(two_workers):
    base, url = two_workers
    account, phone = "001110011-7", "79001110011"  # a demo account and its number
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=f"{base}/api/v1", headers=auth, timeout=10) as api:
        api.post("/calls", json={"id": "w-1", "caller": phone}).raise_for_status()
        assert api.post(f"/accounts/{account}/verify", json={"call_id": "w-1"}).json()["verified"]
        headers = {**auth, "X-Call-Id": "w-1"}

        def balances() -> list[httpx.Response]:
            """20 asks, each on a new connection: the kernel hands them to either worker."""
            path = f"{base}/api/v1/accounts/{account}/balance"
            return [httpx.get(path, headers=headers) for _ in range(20)]

        first = balances()
        assert {r.status_code for r in first} == {200}
        assert len({r.json()["due_now"] for r in first}) == 1
        due = Decimal(first[0].json()["due_now"])

        engine = make_engine(url)  # the billing import: a process of its own
        try:
            with session_factory(engine)() as s, s.begin():
                acc = s.scalar(select(Account).where(Account.number == account.split("-")[0]))
                s.add(Payment(account_id=acc.id, paid_on=date.today(), amount=Decimal("1"), channel="касса"))
        finally:
            engine.dispose()
        time.sleep(0.6)
        after = balances()
        assert {Decimal(r.json()["due_now"]) for r in after} == {due - Decimal("1.00")}
