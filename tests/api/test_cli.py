"""The api package's `hotline` commands: db upgrade, demo-data, import-registry, export-readings."""

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.app import create_app
from api.models import Account, Charge, Payment, Phone, Reading
from ivr.cli import main
from tests.api.conftest import OP, OP_TOKEN
from tests.api.test_registry import GOOD, write


@pytest.fixture
def env(monkeypatch, tmp_path, db_url):
    monkeypatch.setenv("HOTLINE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("HOTLINE_DATABASE_URL", db_url)
    monkeypatch.setenv("HOTLINE_OPERATOR_TOKENS", f"anna:{OP_TOKEN}")
    return db_url


def _counts(url):
    app = create_app(url)
    try:
        with app.state.sessions() as s:
            return tuple(
                s.scalar(select(func.count()).select_from(m))
                for m in (Account, Phone, Charge, Payment, Reading)
            )
    finally:
        app.state.engine.dispose()


def test_demo_data_is_complete_and_idempotent(env, capsys):
    assert main(["demo-data"]) == 0
    assert "001110011-7" in capsys.readouterr().out
    first = _counts(env)
    assert main(["demo-data"]) == 0
    assert _counts(env) == first

    app = create_app(env)
    client = TestClient(app)
    try:
        with app.state.sessions() as s:
            accounts = list(s.scalars(select(Account)))
            assert {a.suffix for a in accounts} == set(range(10))
            periods = s.scalars(select(Charge.period).distinct()).all()
            assert len(periods) == 12
            assert any(a.web_registered_on for a in accounts) and any(
                a.web_registered_on is None for a in accounts
            )
        assert client.get("/api/v1/phones/79001110011/accounts", headers=OP).json()["accounts"] == [
            "001110011-7"
        ]
        assert len(client.get("/api/v1/accounts/002220022-0", headers=OP).json()["phones"]) == 2
        assert client.get("/api/v1/phones/79003330033/accounts", headers=OP).json()["accounts"] == [
            "003330033-1",
            "003330034-1",
        ]
        closings = {
            a.text: client.get(f"/api/v1/accounts/{a.text}/balance", headers=OP).json()["closing"]
            for a in accounts
        }
        assert any(float(v) > 0 for v in closings.values()) and any(float(v) < 0 for v in closings.values())
        last = client.get("/api/v1/accounts/001110011-7/balance", headers=OP).json()["last_payment"]
        assert last["amount"] == "729.51"
        today = datetime.now(UTC).date().isoformat()
        meters = [
            m
            for a in accounts
            for m in client.get(f"/api/v1/accounts/{a.text}/meters", headers=OP).json()["meters"]
        ]
        assert len(meters) >= 5
        assert any(m["verification_due"] < today for m in meters)
        assert client.get("/api/v1/promotions/current", headers=OP).status_code == 200
    finally:
        app.state.engine.dispose()


def test_db_upgrade(env, capsys):
    assert main(["db", "upgrade"]) == 0
    assert "latest schema" in capsys.readouterr().out


def test_import_registry_cli(env, tmp_path, capsys):
    assert main(["import-registry", str(write(tmp_path, GOOD, "cp1251"))]) == 0
    assert "account: 1 new" in capsys.readouterr().out
    bad = write(tmp_path, GOOD[:3] + ["charge;005550055-3;;;;;;;;2025-10;waste;xx;;;;;;;;;;"], name="bad.csv")
    assert main(["import-registry", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "line 4" in err and "charged" in err and "nothing was imported" in err


def test_export_readings_cli(env, tmp_path, capsys):
    assert main(["demo-data"]) == 0
    out = tmp_path / "readings.csv"
    assert main(["export-readings", "--since", "01.01.2020", "--out", str(out), "--encoding", "cp1251"]) == 0
    # The demo holds imported readings only: the export (hotline readings) has just its header.
    assert out.read_text(encoding="cp1251").splitlines() == [
        "account;service;serial;value;taken_at;source;call_id"
    ]
    with pytest.raises(SystemExit):
        main(["export-readings", "--since", "yesterday"])


def test_unreachable_database_is_a_clear_error(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("HOTLINE_DATABASE_URL", "postgresql+psycopg://nobody:secret@127.0.0.1:1/none")
    assert main(["db", "upgrade"]) == 2
    err = capsys.readouterr().err
    assert "unavailable" in err and "secret" not in err
