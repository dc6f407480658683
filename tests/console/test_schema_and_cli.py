"""The console's migration (one head, matches the models, reversible) and `hotline operators ...`."""

from __future__ import annotations

import io

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, select

import api.console.models  # noqa: F401  (the console tables on the metadata compared below)
from api.console.models import Operator
from api.db import alembic_config, make_engine, upgrade
from api.models import Base
from ivr.cli import main
from tests.console.conftest import PASSWORD, new_client, submit_login


def test_one_alembic_head():
    assert len(ScriptDirectory.from_config(alembic_config()).get_heads()) == 1


def test_migrations_match_the_models_with_the_console_tables(tmp_path):
    url = f"sqlite:///{tmp_path / 'h.db'}"
    upgrade(url)
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            assert {"operators", "operator_sessions"} <= set(inspect(conn).get_table_names())
            diff = compare_metadata(
                MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata
            )
        assert diff == []
        cfg = alembic_config()
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0001")
        with engine.connect() as conn:
            assert "operators" not in inspect(conn).get_table_names()
    finally:
        engine.dispose()
    upgrade(url)  # and up again


@pytest.fixture
def env(monkeypatch, tmp_path, db_url):
    monkeypatch.setenv("HOTLINE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("HOTLINE_DATABASE_URL", db_url)
    return db_url


def _stdin(monkeypatch, text: str) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(text))


def _can_log_in(app, name: str, password: str) -> bool:
    return submit_login(new_client(app), name, password).status_code == 303


def test_operators_add_with_password_stdin_then_log_in(env, app, monkeypatch, capsys):
    _stdin(monkeypatch, "olga-secret-1\n")
    assert main(["operators", "add", "olga", "--password-stdin"]) == 0
    assert "operator olga added" in capsys.readouterr().out
    with app.state.sessions() as s:
        stored = s.scalar(select(Operator.password_hash).where(Operator.name == "olga"))
    assert stored.startswith("$2b$12$")  # bcrypt at the production cost
    assert _can_log_in(app, "olga", "olga-secret-1")
    assert not _can_log_in(app, "olga", "olga-secret-2")


def test_operators_add_asks_twice_without_stdin(env, app, monkeypatch, capsys):
    answers = iter(["typed-twice-1", "typed-twice-1"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    assert main(["operators", "add", "petr"]) == 0
    answers = iter(["first-try-11", "second-try-2"])
    assert main(["operators", "add", "ivan"]) == 1
    assert "the two passwords differ" in capsys.readouterr().err
    assert _can_log_in(app, "petr", "typed-twice-1")


@pytest.mark.parametrize(
    "argv, stdin, error",
    [
        (["operators", "add", "anna", "--password-stdin"], "whatever-123\n", "already exists"),
        (["operators", "add", "olga", "--password-stdin"], "short\n", "at least 8 characters"),
        (["operators", "add", "olga", "--password-stdin"], "я" * 40 + "\n", "at most 72 bytes"),
        (["operators", "add", "two words", "--password-stdin"], "long-enough-1\n", "without spaces"),
        (["operators", "passwd", "nobody", "--password-stdin"], "long-enough-1\n", "no operator 'nobody'"),
        (["operators", "disable", "nobody"], "", "no operator 'nobody'"),
    ],
)
def test_operators_refusals(env, app, monkeypatch, capsys, argv, stdin, error):
    _stdin(monkeypatch, stdin)
    assert main(argv) == 1
    assert error in capsys.readouterr().err


def test_passwd_and_disable_end_sessions(env, app, monkeypatch, capsys, anna):
    _stdin(monkeypatch, "brand-new-pass\n")
    assert main(["operators", "passwd", "anna", "--password-stdin"]) == 0
    assert anna.client.get("/console/escalations", follow_redirects=False).status_code == 303
    assert not _can_log_in(app, "anna", PASSWORD) and _can_log_in(app, "anna", "brand-new-pass")
    assert main(["operators", "disable", "anna"]) == 0
    assert not _can_log_in(app, "anna", "brand-new-pass")
    capsys.readouterr()
    assert main(["operators", "list"]) == 0
    listing = capsys.readouterr().out
    assert "anna\tdisabled" in listing and "boris\tactive" in listing


def test_console_settings_come_from_the_environment(monkeypatch):
    from ivr.settings import Settings

    monkeypatch.setenv("HOTLINE_CONSOLE_SESSION_MINUTES", "30")
    monkeypatch.setenv("HOTLINE_CONSOLE_POLL_SECONDS", "1.5")
    settings = Settings.from_env()
    assert (settings.console_session_minutes, settings.console_poll_seconds) == (30, 1.5)
    monkeypatch.setenv("HOTLINE_CONSOLE_SESSION_MINUTES", "half a day")
    with pytest.raises(ValueError, match="HOTLINE_CONSOLE_SESSION_MINUTES"):
        Settings.from_env()
