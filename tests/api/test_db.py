"""Schema and resilience: migrations match the models, upgrades are idempotent, a database down is 503."""

from datetime import UTC, datetime
from decimal import Decimal

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from fastapi.testclient import TestClient

from api.app import create_app
from api.db import make_engine, upgrade
from api.models import Base, Payment
from tests.api.conftest import IVR, OP, A


def test_migrations_match_the_models(db_url):
    upgrade(db_url)  # second upgrade is a no-op
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(
                MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata
            )
    finally:
        engine.dispose()
    assert diff == []


def test_money_is_exact_on_every_database(app, world):
    with app.state.sessions() as s, s.begin():
        s.add(
            Payment(account_id=1, paid_on=datetime(2025, 11, 1).date(), amount=Decimal("0.10"), channel="x")
        )
        s.add(
            Payment(account_id=1, paid_on=datetime(2025, 11, 1).date(), amount=Decimal("0.20"), channel="x")
        )
    with app.state.sessions() as s:
        amounts = sorted(p.amount for p in s.query(Payment).filter(Payment.channel == "x"))
    assert amounts == [Decimal("0.10"), Decimal("0.20")] and sum(amounts) == Decimal("0.30")


def test_database_down_at_start_is_503_json(settings, clock):
    app = create_app("postgresql+psycopg://nobody@127.0.0.1:1/none", settings, clock=clock)
    client = TestClient(app, raise_server_exceptions=False)
    for path in ("/api/v1/territories", f"/api/v1/accounts/{A}", "/api/v1/calls"):
        r = client.get(path, headers=OP)
        assert r.status_code == 503, path
        assert r.json()["detail"]["reason"] == "service_unavailable"


def test_database_going_away_is_503_and_coming_back_recovers(app, client, world, tmp_path):
    good_engine = app.state.engine
    from api.db import session_factory

    app.state.sessions = session_factory(make_engine("sqlite:////proc/hotline-no-such-dir/x.db"))
    r = client.get(f"/api/v1/accounts/{A}", headers=IVR)
    assert r.status_code == 503 and r.json()["detail"]["reason"] == "service_unavailable"
    app.state.sessions = session_factory(good_engine)
    assert client.get(f"/api/v1/accounts/{A}", headers=IVR).status_code == 200


def test_timestamps_come_back_aware(app, client):
    client.post("/api/v1/calls", headers=IVR, json={"id": "c1"})
    started = client.get("/api/v1/calls/c1", headers=OP).json()["started_at"]
    assert datetime.fromisoformat(started) == datetime(2025, 11, 20, 10, 0, tzinfo=UTC)


def test_unexpected_error_is_json_500(app, monkeypatch):
    import api.services.reference as reference

    def broken(_office):
        raise RuntimeError("boom")

    monkeypatch.setattr(reference, "office_out", broken)
    r = TestClient(app, raise_server_exceptions=False).get("/api/v1/territories", headers=OP)
    assert r.status_code == 500
    assert r.json()["detail"]["reason"] == "internal_error" and "boom" not in r.text
