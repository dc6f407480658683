"""Callback requests as their own queue; callers who hung up; the caller's account known from the number."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from api.models import Escalation
from tests.console.conftest import IVR, OP, escalate

CALLBACK_SUMMARY = (
    "Перезвонить на номер 79005550055. Причина: перерасчёт, спорное начисление. "
    "Спрашивал: баланс. Счёт 001110011-7."
)


def request_callback(client, call_id: str, *, summary=CALLBACK_SUMMARY, caller="79001110011", **extra) -> int:
    """A callback request as the dialogs store it: an escalation with reason `callback_request`,
    the call then ended with outcome `callback`."""
    assert (
        client.post("/api/v1/calls", headers=IVR, json={"id": call_id, "caller": caller}).status_code == 201
    )
    body = {
        "call_id": call_id,
        "reason": "callback_request",
        "account": "001110011-7",
        "verified": True,
        "summary": summary,
        **extra,
    }
    r = client.post("/api/v1/escalations", headers=IVR, json=body)
    assert r.status_code == 201, r.text
    ended = client.patch(f"/api/v1/calls/{call_id}", headers=IVR, json={"outcome": "callback", "ended": True})
    assert ended.status_code == 200
    return r.json()["id"]


def end_call(client, call_id: str, outcome: str) -> None:
    r = client.patch(f"/api/v1/calls/{call_id}", headers=IVR, json={"outcome": outcome, "ended": True})
    assert r.status_code == 200


def _card(html: str, prefix: str, esc_id: int) -> str:
    match = re.search(rf'<li class="card[^"]*" id="{prefix}-{esc_id}".*?</li>', html, re.S)
    assert match, f"{prefix}-{esc_id} not in the page"
    return match.group(0)


# ---------------------------------------------------------------- the API side


def test_callback_phone_comes_from_the_summary_when_the_body_has_none(app, anna):
    esc = request_callback(anna.client, "cb-api-1")
    stored = anna.client.get(f"/api/v1/escalations/{esc}", headers=OP).json()
    assert stored["callback_phone"] == "79005550055" and stored["attempts"] == 0
    assert stored["retry_at"] is None


def test_callback_phone_in_the_body_is_normalised_and_wins(app, anna):
    esc = request_callback(anna.client, "cb-api-2", callback_phone="8 (900) 777-00-77")
    assert anna.client.get(f"/api/v1/escalations/{esc}", headers=OP).json()["callback_phone"] == "79007770077"
    r = anna.client.post(
        "/api/v1/escalations",
        headers=IVR,
        json={"call_id": "cb-api-2", "reason": "callback_request", "callback_phone": "12345"},
    )
    assert r.status_code == 422 and r.json()["detail"]["reason"] == "invalid_phone"


def test_an_ordinary_escalation_has_no_callback_phone(app, anna):
    esc = escalate(anna.client, "esc-no-cb")
    assert anna.client.get(f"/api/v1/escalations/{esc}", headers=OP).json()["callback_phone"] is None


# ---------------------------------------------------------------- the callbacks queue


def test_callbacks_have_their_own_queue_and_not_the_escalations(app, anna):
    cb = request_callback(anna.client, "cb-q-1")
    esc = escalate(anna.client, "esc-q-1")
    callbacks = anna.client.get("/console/callbacks").text
    queue = anna.client.get("/console/escalations").text
    assert f'id="cb-{cb}"' in callbacks and f'id="cb-{esc}"' not in callbacks
    assert f'id="esc-{esc}"' in queue and f'id="esc-{cb}"' not in queue
    card = _card(callbacks, "cb", cb)
    assert "+7 900 555-00-55" in card  # the number to call, from the summary
    assert "Причина: перерасчёт" in card and "Перезвонить на номер" not in card
    assert "Обратные звонки" in queue  # the menu
    badge = anna.client.get("/console/escalations/badge").text
    assert 'data-open-count="1"' in badge and 'data-callbacks-count="1"' in badge


def test_take_then_no_answer_puts_it_back_at_the_retry_time(app, clock, anna, boris):
    cb = request_callback(anna.client, "cb-na")
    r = anna.post(f"/console/callbacks/{cb}/take")
    assert r.status_code == 200 and "Записать результат" in r.text
    # boris can neither take it nor write its result
    assert "уже взял оператор anna" in boris.post(f"/console/callbacks/{cb}/take").text
    refused = boris.post(f"/console/callbacks/{cb}/result", {"result": "reached"})
    assert refused.status_code == 403 and "anna" in refused.text
    r = anna.post(
        f"/console/callbacks/{cb}/result",
        {"result": "no_answer", "retry_minutes": "30", "note": "Длинные гудки"},
    )
    assert r.status_code == 200
    with app.state.sessions() as session:
        esc = session.scalar(select(Escalation).where(Escalation.id == cb))
        assert (esc.status, esc.operator, esc.attempts) == ("open", None, 1)
        assert esc.retry_at == clock() + timedelta(minutes=30)
        assert esc.note.startswith("Длинные гудки\n") and "anna: не дозвонились" in esc.note
    page = anna.client.get("/console/callbacks").text
    card = _card(page, "cb", cb)
    assert 'data-later="1"' in card and "Перезвонить в 17:30" in card and "попыток: 1" in card
    assert 'data-callbacks-count="0"' in anna.client.get("/console/escalations/badge").text
    clock.advance(minutes=31)
    card = _card(anna.client.get("/console/callbacks/queue").text, "cb", cb)
    assert "data-later" not in card and "Позвонить снова" in card
    assert 'data-callbacks-count="1"' in anna.client.get("/console/escalations/badge").text
    # the next try may be anyone's: boris takes it and reaches the caller
    assert boris.post(f"/console/callbacks/{cb}/take").status_code == 200
    done = boris.post(f"/console/callbacks/{cb}/result", {"result": "reached"})
    assert done.status_code == 200 and "Дозвонились" in done.text
    stored = anna.client.get(f"/api/v1/escalations/{cb}", headers=OP).json()
    assert (stored["status"], stored["operator"], stored["outcome"], stored["attempts"]) == (
        "closed",
        "boris",
        "Дозвонились",
        2,
    )
    closed = anna.client.get("/console/callbacks/queue").text
    assert f'<li id="cb-{cb}" data-status="closed">' in closed
    again = boris.post(f"/console/callbacks/{cb}/result", {"result": "wrong_number"})
    assert again.status_code == 409 and "уже закрыт" in again.text


def test_wrong_number_closes_and_a_result_needs_a_take_and_a_choice(app, anna):
    cb = request_callback(anna.client, "cb-wrong")
    r = anna.post(f"/console/callbacks/{cb}/result", {"result": "reached"})
    assert r.status_code == 409 and "Сначала возьмите" in r.text
    anna.post(f"/console/callbacks/{cb}/take")
    assert anna.post(f"/console/callbacks/{cb}/result", {"result": "maybe"}).status_code == 422
    assert anna.post(f"/console/callbacks/{cb}/result", {"result": "wrong_number"}).status_code == 200
    stored = anna.client.get(f"/api/v1/escalations/{cb}", headers=OP).json()
    assert (stored["status"], stored["outcome"]) == ("closed", "Неверный номер")


def test_callback_pages_refuse_an_ordinary_escalation_and_need_csrf(app, anna):
    esc = escalate(anna.client, "esc-not-cb")
    assert anna.post(f"/console/callbacks/{esc}/take").status_code == 404
    assert anna.client.get(f"/console/callbacks/{esc}/panel").status_code == 404
    cb = request_callback(anna.client, "cb-csrf")
    r = anna.client.post(f"/console/callbacks/{cb}/take", headers={"HX-Request": "true"})
    assert r.status_code == 403


# ---------------------------------------------------------------- callers who hung up


def test_a_caller_who_hung_up_is_shown_gone_and_not_counted_as_waiting(app, clock, anna):
    gone = escalate(anna.client, "esc-gone")
    waiting = escalate(anna.client, "esc-waiting")
    transferred = escalate(anna.client, "esc-transferred")
    clock.advance(minutes=3)
    end_call(anna.client, "esc-gone", "hangup")
    end_call(anna.client, "esc-transferred", "operator")  # redirected to the operators' queue: on the line
    html = anna.client.get("/console/escalations/queue").text
    gone_card = _card(html, "esc", gone)
    assert "Абонент положил трубку" in gone_card and "Ожидает" not in gone_card
    assert 'data-gone="1"' in gone_card and "/take" not in gone_card
    assert "Ожидает 3 мин" in _card(html, "esc", waiting)
    assert "Ожидает 3 мин" in _card(html, "esc", transferred)
    assert html.index(f'id="esc-{waiting}"') < html.index(f'id="esc-{gone}"')  # the gone one last
    assert 'data-open-count="2"' in anna.client.get("/console/escalations/badge").text
    panel = anna.client.get(f"/console/escalations/{gone}/panel").text
    assert "Абонент положил трубку в 17:03" in panel


def test_a_night_caller_whose_call_ended_is_not_said_to_have_hung_up(app, anna):
    esc = escalate(anna.client, "esc-night")
    end_call(anna.client, "esc-night", "operator_closed")
    card = _card(anna.client.get("/console/escalations/queue").text, "esc", esc)
    assert "операторы не работали" in card and "Ожидает" not in card


# ---------------------------------------------------------------- the caller on file


def test_the_account_of_the_callers_number_is_shown_when_none_was_named(app, anna):
    one = escalate(anna.client, "esc-onfile-1", account=None, verified=False, caller="+7 900 111-00-11")
    several = escalate(anna.client, "esc-onfile-2", account=None, verified=False, caller="89003330033")
    unknown = escalate(anna.client, "esc-onfile-3", account=None, verified=False, caller="79990000000")
    html = anna.client.get("/console/escalations/queue").text
    card = _card(html, "esc", one)
    assert "001110011-7" in card and "по номеру телефона" in card and "счёт не назван" not in card
    card = _card(html, "esc", several)
    assert "по номеру телефона" in card and card.count('class="acct"') == 2
    assert "счёт не назван" in _card(html, "esc", unknown)
    panel = anna.client.get(f"/console/escalations/{one}/panel").text
    assert "по номеру телефона" in panel and "Иванова Мария Петровна" in panel


def test_account_numbers_are_not_in_a_monospace_font(app, anna):
    css = anna.client.get("/console/static/console.css").text
    assert "monospace" not in css


def test_the_migration_fills_callback_phone_of_stored_callback_requests(tmp_path):
    """Callback requests stored before 0005 get their number from the summary."""
    from alembic import command
    from sqlalchemy import text

    from api.db import alembic_config, make_engine

    url = f"sqlite:///{tmp_path / 'm.db'}"
    engine = make_engine(url)
    cfg = alembic_config()
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "0004_promotion_sources")
            conn.execute(text("INSERT INTO calls (id, started_at) VALUES ('old', '2025-11-20 10:00:00')"))
            for reason, summary in (
                ("callback_request", "Перезвонить на номер 79005550055. Причина: перерасчёт."),
                ("caller_request", "Перезвонить на номер 79005550056. Причина: просил."),
            ):
                conn.execute(
                    text(
                        "INSERT INTO escalations (call_id, reason, verified, summary, status, created_at) "
                        "VALUES ('old', :r, 0, :s, 'open', '2025-11-20 10:00:00')"
                    ),
                    {"r": reason, "s": summary},
                )
            command.upgrade(cfg, "head")
            rows = conn.execute(
                text("SELECT reason, callback_phone, attempts FROM escalations ORDER BY id")
            ).all()
        assert rows == [("callback_request", "79005550055", 0), ("caller_request", None, 0)]
    finally:
        engine.dispose()
