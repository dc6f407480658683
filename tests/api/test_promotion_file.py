"""A promotion as data the utility loads: `hotline promotion load FILE` / `show`, the shipped file."""

from __future__ import annotations

import tomllib
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.promotion_file import (
    PromotionFileError,
    load_promotion_file,
    parse_promotion,
    shipped_promotion_file,
)
from api.reference import PROMOTION_TOPICS
from ivr.cli import main
from tests.api.conftest import IVR, OP_TOKEN

V1 = "/api/v1"
SEED = tomllib.loads(shipped_promotion_file().read_text(encoding="utf-8"))


@pytest.fixture
def env(monkeypatch, tmp_path, db_url):
    monkeypatch.setenv("HOTLINE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("HOTLINE_DATABASE_URL", db_url)
    monkeypatch.setenv("HOTLINE_OPERATOR_TOKENS", f"anna:{OP_TOKEN}")
    monkeypatch.setenv("HOTLINE_IVR_TOKEN", "ivr-secret")
    return db_url


def _toml_value(value) -> str:
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return str(value).lower() if isinstance(value, bool) else str(value)


def write_promotion(path: Path, data: dict) -> Path:
    """A promotion file from data (enough TOML for this shape: strings, ints, lists, two arrays of tables)."""
    lines = [f"{k} = {_toml_value(v)}" for k, v in data.items() if not isinstance(v, list) or
             not v or not isinstance(v[0], dict)]
    for key in ("territories", "terms"):
        for table in data.get(key) or []:
            lines.append(f"[[{key}]]")
            lines += [f"{k} = {_toml_value(v)}" for k, v in table.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _current(db_url, day: date):
    """GET /promotions/current as the IVR, on the day given."""
    app = create_app(db_url)
    app.state.clock = lambda: datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
    try:
        with TestClient(app) as client:
            return client.get(f"{V1}/promotions/current", headers=IVR)
    finally:
        app.state.engine.dispose()


# --- the shipped file ----------------------------------------------------------------------------------

def test_shipped_file_has_the_seed_terms_and_no_dates():
    assert SEED["name"] == "Хорошая привычка – твой Личный кабинет!"
    assert SEED["starts_on"] == "" and SEED["ends_on"] == ""  # the regulation leaves them blank
    assert "10 000" in SEED["prize"] and "Приложение №2" in SEED["prize_source"]
    assert [t["topic"] for t in SEED["terms"]] == list(PROMOTION_TOPICS)
    assert all(t["source"].startswith("000 ") for t in SEED["terms"])
    assert len(SEED["territories"]) == 6  # §1.2: «Всего определено 6 территорий»
    assert sorted(s for g in SEED["territories"] for s in g["suffixes"]) == list(range(10))


def test_shipped_file_needs_dates():
    with pytest.raises(PromotionFileError, match="starts_on"):
        load_promotion_file(shipped_promotion_file())
    spec = load_promotion_file(shipped_promotion_file(), starts_on=date(2025, 9, 1),
                               ends_on=date(2025, 12, 31))
    period = next(t for t in spec.terms if t.topic == "period")
    assert "с 1 сентября 2025 года по 31 декабря 2025 года" in period.answer
    assert spec.suffixes == list(range(10))


# --- refusing bad files --------------------------------------------------------------------------------

def _with(**changes) -> dict:
    data = {**SEED, "starts_on": "2025-09-01", "ends_on": "2025-12-31"}
    data.update(changes)
    return data


@pytest.mark.parametrize(("data", "message"), [
    (_with(starts_on=""), "не указана дата начала акции"),
    (_with(ends_on=""), "ends_on is missing"),
    (_with(starts_on="2026-01-01"), "позже, чем заканчивается"),
    (_with(starts_on="01.09.2025"), "is not a date"),
    (_with(prize=""), "prize is missing"),
    (_with(name=" "), "name is missing"),
    (_with(territories=[{"name": "где-то", "suffixes": [12]}]), "unknown territory suffix 12"),
    (_with(territories=[{"name": "где-то", "suffixes": ["7"]}]), "неизвестный суффикс"),
    (_with(territories=[{"name": "а", "suffixes": [7]}, {"name": "б", "suffixes": [7]}]), "given twice"),
    (_with(territories=[]), "no territories"),
    (_with(terms=[{"topic": "lottery", "answer": "да", "source": "000"}]), "unknown topic 'lottery'"),
    (_with(terms=[{"topic": "prize", "answer": "приз", "source": ""}]), "source is missing"),
    (_with(terms=[{"topic": "prize", "answer": "с {start}", "source": "000"}]), "bad placeholder"),
    (_with(terms=[]), "no terms"),
])
def test_bad_promotions_are_refused(data, message):
    with pytest.raises(PromotionFileError, match=message):
        parse_promotion(data)


def test_not_a_toml_file(tmp_path):
    bad = tmp_path / "promo.toml"
    bad.write_text("name = \n", encoding="utf-8")
    with pytest.raises(PromotionFileError, match="not a TOML file"):
        load_promotion_file(bad)
    with pytest.raises(PromotionFileError, match="cannot read"):
        load_promotion_file(tmp_path / "missing.toml")


# --- the commands ------------------------------------------------------------------------------------

def test_no_promotion_loaded(env, capsys):
    assert main(["promotion", "show"]) == 1
    assert "no promotion loaded" in capsys.readouterr().out
    r = _current(env, date(2025, 11, 20))
    assert r.status_code == 404 and r.json()["detail"]["reason"] == "no_promotion"


def test_load_and_show(env, tmp_path, capsys):
    shipped = str(shipped_promotion_file())
    assert main(["promotion", "load", shipped, "--starts-on", "2025-09-01", "--ends-on", "31.12.2025"]) == 0
    assert "8 terms, territories 0, 1, 2, 3, 4, 5, 6, 7, 8, 9" in capsys.readouterr().out

    body = _current(env, date(2025, 11, 20)).json()
    assert (body["name"], body["starts_on"], body["ends_on"]) == (SEED["name"], "2025-09-01", "2025-12-31")
    assert body["territories"] == list(range(10))
    assert [t["topic"] for t in body["terms"]] == list(PROMOTION_TOPICS)
    assert {t["topic"]: t["source"] for t in body["terms"]}["unclaimed"] == "000 §3.5"
    assert all(set(t) >= {"topic", "question", "answer", "source"} for t in body["terms"])
    assert _current(env, date(2026, 1, 1)).status_code == 404  # over: nothing to tell callers

    # a new version of the file replaces the old one (same name): dates, territories, terms
    edited = write_promotion(tmp_path / "promo.toml", _with(
        starts_on="2025-10-01", ends_on="2025-10-31",
        territories=[{"name": "Калтан", "suffixes": [7], "source": "000 §1.2 (6)"}],
        terms=[{"topic": "prize", "question": "Приз?", "answer": "Сертификат.",
                "source": "000 Приложение №2"}]))
    assert main(["promotion", "load", str(edited)]) == 0
    body = _current(env, date(2025, 10, 15)).json()
    assert body["territories"] == [7]
    assert body["terms"] == [{"topic": "prize", "question": "Приз?", "answer": "Сертификат.",
                              "source": "000 Приложение №2"}]

    capsys.readouterr()
    assert main(["promotion", "show"]) == 0  # today (the real date) is past October 2025
    out = capsys.readouterr().out
    assert "no promotion runs today" in out and "2025-10-01 – 2025-10-31" in out
    assert "000 Приложение №2" in out


def test_a_refused_file_changes_nothing(env, tmp_path, capsys):
    assert main(["promotion", "load", str(shipped_promotion_file()), "--starts-on", "2025-09-01",
                 "--ends-on", "2025-12-31"]) == 0
    capsys.readouterr()
    for data, says in [
        (_with(starts_on=""), "не указана дата начала акции (starts_on)"),
        (_with(territories=[{"name": "x", "suffixes": [10]}]), "unknown territory suffix 10"),
        (_with(starts_on="2025-12-31", ends_on="2025-09-01"),
         "starts_on 2025-12-31 is after ends_on 2025-09-01"),
    ]:
        path = write_promotion(tmp_path / "bad.toml", data)
        assert main(["promotion", "load", str(path)]) == 1
        err = capsys.readouterr().err
        assert says in err and "nothing was loaded" in err
    assert main(["promotion", "load", str(shipped_promotion_file())]) == 1  # the shipped file has no dates
    assert "--starts-on" in capsys.readouterr().err
    body = _current(env, date(2025, 11, 20)).json()
    assert (body["starts_on"], body["ends_on"]) == ("2025-09-01", "2025-12-31")
    assert body["territories"] == list(range(10))


def test_demo_uses_the_shipped_file(env, capsys):
    assert main(["demo-data"]) == 0
    capsys.readouterr()
    assert main(["promotion", "show"]) == 0
    out = capsys.readouterr().out
    assert SEED["name"] in out and "(000 §3.5)" in out
