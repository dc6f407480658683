"""The escalation queue: what it shows, taking (also racing), notes and closing."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from tests.console.conftest import OP, escalate, log_in


def test_queue_shows_caller_account_verification_reason(app, anna):
    escalate(anna.client, "call-1", caller="8 (900) 111-00-11", reason="no_match", verified=True)
    escalate(
        anna.client, "call-2", caller="79005550055", account=None, reason="caller_request", verified=False
    )
    escalate(
        anna.client,
        "call-3",
        caller="79007770077",
        account="002220022-0",
        reason="verify_failed",
        verified=False,
    )
    html = anna.client.get("/console/escalations/queue", headers={"HX-Request": "true"}).text
    assert "+7 900 111-00-11" in html and "001110011-7" in html and "✔ подтверждён" in html
    assert "Робот не понял ответы" in html and "Попросил оператора" in html
    assert "счёт не назван" in html
    assert "002220022-0" in html and "✖ не подтверждён" in html and "Не прошёл проверку" in html
    assert html.index("№1") < html.index("№2") < html.index("№3")  # oldest first


def test_panel_shows_the_transcript_and_the_owner(app, anna):
    esc = escalate(
        anna.client,
        "call-1",
        lines=[("robot", "Назовите номер лицевого счёта."), ("caller", "ноль ноль один <b>сто</b>")],
    )
    html = anna.client.get(f"/console/escalations/{esc}/panel", headers={"HX-Request": "true"}).text
    assert "Назовите номер лицевого счёта." in html
    assert "ноль ноль один &lt;b&gt;сто&lt;/b&gt;" in html  # what callers say is text, never markup
    assert "Иванова Мария Петровна" in html
    assert "Причина: абонент попросил оператора." in html
    assert "Взять звонок" in html


def test_take_then_the_other_operator_sees_it_taken_and_cannot_take_it(app, anna, boris):
    esc = escalate(anna.client, "call-1")
    r = anna.post(f"/console/escalations/{esc}/take")
    assert r.status_code == 200 and "В работе: anna" in r.text and "Закрыть с итогом" in r.text
    assert r.headers["HX-Trigger"] == "queue-changed"
    queue = boris.client.get("/console/escalations/queue", headers={"HX-Request": "true"}).text
    assert "Взял: anna" in queue
    r = boris.post(f"/console/escalations/{esc}/take")
    assert r.status_code == 409
    assert "Этот звонок уже взял оператор anna." in r.text
    assert "Закрыть с итогом" not in r.text
    api = anna.client.get(f"/api/v1/escalations/{esc}", headers=OP).json()
    assert api["status"] == "taken" and api["operator"] == "anna"


def test_console_and_bearer_tokens_share_the_one_atomic_take(app, anna):
    esc = escalate(anna.client, "call-1")
    assert (
        anna.client.patch(f"/api/v1/escalations/{esc}", headers=OP, json={"status": "taken"}).status_code
        == 200
    )
    r = anna.post(f"/console/escalations/{esc}/take")
    assert r.status_code == 409 and "уже взял оператор token-op" in r.text


def test_take_race_has_exactly_one_winner_per_escalation(app):
    operators = [log_in(app, name) for name in ("anna", "boris")]
    ids = [escalate(operators[0].client, f"call-{i}") for i in range(6)]
    for esc in ids:
        barrier = threading.Barrier(len(operators))

        def take(op, esc=esc, barrier=barrier):
            barrier.wait()
            return op.post(f"/console/escalations/{esc}/take").status_code

        with ThreadPoolExecutor(len(operators)) as pool:
            codes = sorted(pool.map(take, operators))
        assert codes == [200, 409], (esc, codes)
    taken_by = [
        operators[0].client.get(f"/api/v1/escalations/{e}", headers=OP).json()["operator"] for e in ids
    ]
    assert set(taken_by) <= {"anna", "boris"} and None not in taken_by


def test_note_and_close_with_an_outcome(app, anna, boris):
    esc = escalate(anna.client, "call-1")
    anna.post(f"/console/escalations/{esc}/take")
    r = anna.post(f"/console/escalations/{esc}/note", data={"note": "Просит перерасчёт за октябрь"})
    assert r.status_code == 200 and "Просит перерасчёт за октябрь" in r.text
    r = anna.post(f"/console/escalations/{esc}/close", data={"outcome": "  ", "note": "x"})
    assert r.status_code == 422 and "Укажите итог разговора" in r.text
    r = boris.post(f"/console/escalations/{esc}/close", data={"outcome": "Вопрос решён"})
    assert r.status_code == 403 and "Закрывает оператор, взявший звонок: anna" in r.text
    r = boris.post(f"/console/escalations/{esc}/note", data={"note": "чужая заметка"})
    assert r.status_code == 403 and "пишет оператор, взявший звонок: anna" in r.text
    r = anna.post(
        f"/console/escalations/{esc}/close", data={"outcome": "Вопрос решён", "note": "Перерасчёт оформлен"}
    )
    assert r.status_code == 200 and "Закрыто" in r.text
    api = anna.client.get(f"/api/v1/escalations/{esc}", headers=OP).json()
    assert (api["status"], api["outcome"], api["note"], api["operator"]) == (
        "closed",
        "Вопрос решён",
        "Перерасчёт оформлен",
        "anna",
    )
    queue = anna.client.get("/console/escalations/queue", headers={"HX-Request": "true"}).text
    assert "Недавно закрытые" in queue and "Вопрос решён" in queue and "Очередь пуста" in queue
    r = anna.post(f"/console/escalations/{esc}/take")
    assert r.status_code == 409 and "уже закрыт" in r.text


def test_too_long_note_is_refused_not_crashed(app, anna):
    esc = escalate(anna.client, "call-1")
    anna.post(f"/console/escalations/{esc}/take")
    r = anna.post(f"/console/escalations/{esc}/note", data={"note": "я" * 5000})
    assert r.status_code == 422 and "Слишком длинный текст" in r.text
    assert anna.client.get(f"/api/v1/escalations/{esc}", headers=OP).json()["note"] is None


def test_unknown_escalation_is_404_in_russian(app, anna):
    assert anna.post("/console/escalations/999/take").status_code == 404
    r = anna.client.get("/console/escalations/999/panel", headers={"HX-Request": "true"})
    assert r.status_code == 404 and "Такого звонка в очереди нет" in r.text


def test_badge_counts_waiting_calls(app, anna):
    assert 'data-open-count="0"' in anna.client.get("/console/escalations/badge").text
    first = escalate(anna.client, "call-1")
    escalate(anna.client, "call-2")
    assert 'data-open-count="2"' in anna.client.get("/console/escalations/badge").text
    anna.post(f"/console/escalations/{first}/take")
    assert 'data-open-count="1"' in anna.client.get("/console/escalations/badge").text


def test_a_closed_escalation_is_read_only_and_text_with_control_characters_is_refused(app, anna, boris):
    esc = escalate(anna.client, "call-ro")
    anna.post(f"/console/escalations/{esc}/take")
    r = anna.post(f"/console/escalations/{esc}/note", data={"note": "строка\x00с нулём"})
    assert r.status_code == 422 and "недопустимые символы" in r.text
    anna.post(f"/console/escalations/{esc}/close", data={"outcome": "Вопрос решён", "note": "готово"})
    for who in (anna, boris):
        r = who.post(f"/console/escalations/{esc}/note", data={"note": "переписать задним числом"})
        assert r.status_code == 409 and "заметку и итог менять нельзя" in r.text
    api = anna.client.get(f"/api/v1/escalations/{esc}", headers=OP).json()
    assert (api["note"], api["outcome"]) == ("готово", "Вопрос решён")
