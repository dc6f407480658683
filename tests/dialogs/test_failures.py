"""The account service failing at any step: a plain sentence, the operator offered, nothing lost."""

from __future__ import annotations

import pytest

from tests.dialogs.fake_backend import PHONE
from tests.dialogs.talk import converse

# For each service call the dialogs make: a script that reaches it (the failing answer is the last).
REACHES = {
    "accounts_for_phone": [("что вас интересует", "баланс")],
    "account": [("что вас интересует", "баланс"), ("Назовите номер", "#0022200220#"), ("Верно?", "да")],
    "verify": [("что вас интересует", "баланс"), ("оканчивается на", "да")],
    "balance": [("что вас интересует", "баланс"), ("оканчивается на", "да")],
    "meters": [("что вас интересует", "показания"), ("оканчивается на", "да")],
    "submit_reading": [("что вас интересует", "показания"), ("оканчивается на", "да"),
                       ("Назовите новое показание", "сто двадцать пять"), ("Верно?", "да")],
    "promotion": [("что вас интересует", "акция")],
    "promotion_status": [("что вас интересует", "акция"), ("Что рассказать", "участвую ли я"),
                         ("оканчивается на", "да")],
    "territories": [("что вас интересует", "офисы")],
}
NEEDS_PHONE = {"accounts_for_phone", "verify", "balance", "meters", "submit_reading", "promotion_status"}


@pytest.mark.parametrize("method", sorted(REACHES))
async def test_service_down_offers_the_operator(backend, method):
    backend.fail.add(method)
    await converse(backend, REACHES[method] + [
        (("Извините, сервис сейчас не отвечает.", "Соединить вас с оператором?"), "да"),
    ], end="Соединяю с оператором", outcome="operator", caller=PHONE if method in NEEDS_PHONE else None)
    assert backend.escalations[-1]["reason"] == "backend_error"
    assert backend.stored == []


async def test_service_down_and_no_operator_wanted_ends_politely(backend):
    backend.fail.add("balance")
    talk = await converse(backend, REACHES["balance"] + [
        ("Соединить вас с оператором?", "нет"),
    ], end="позвоните позже. До свидания!", outcome="service_error", caller=PHONE)
    assert talk.channel.hung_up


async def test_call_record_failing_does_not_stop_the_call(backend):
    backend.fail.update({"start_call", "add_transcript", "update_call", "end_call"})
    await converse(backend, [
        ("что вас интересует", "баланс"),
        ("оканчивается на", "да"),
        ("Ваш долг", "нет"),
        ("Чем ещё могу помочь", "до свидания"),
    ], end="До свидания", outcome="completed", caller=PHONE)


async def test_escalation_not_stored_still_transfers(backend):
    backend.fail.add("escalate")
    talk = await converse(backend, [("что вас интересует", "оператор")], end="Соединяю", outcome="operator")
    assert talk.channel.transferred


async def test_transcript_kept_in_the_call_record(backend):
    talk = await converse(backend, [
        ("что вас интересует", "#4"),
        ("Офис какого города", ""),
        ("Я вас не слышу", None),
    ])
    transcript = backend.calls[talk.channel.call_id]["transcript"]
    assert transcript[0][0] == "robot" and "Здравствуйте" in transcript[0][1]
    assert ("caller", "(нажато: 4)") in transcript
    assert ("caller", "(молчание)") in transcript
    assert backend.calls[talk.channel.call_id]["outcome"] == "hangup"
