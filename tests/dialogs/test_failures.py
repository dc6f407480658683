"""The account service failing at any step: a plain sentence, the operator offered, nothing lost."""

from __future__ import annotations

import pytest

from tests.dialogs.demo_api import PHONE
from tests.dialogs.failing import Failing
from tests.dialogs.talk import converse, keys

# For each service call the dialogs make: a script that reaches it (the failing answer is the last).
REACHES = {
    "accounts_for_phone": [("что вас интересует", "баланс")],
    "account": [("что вас интересует", "баланс"), ("Назовите номер", "#0022200220#"), ("Верно?", "да")],
    "verify": [("что вас интересует", "баланс"), ("оканчивается на", "да")],
    "balance": [("что вас интересует", "баланс"), ("оканчивается на", "да")],
    "meters": [("что вас интересует", "показания"), ("оканчивается на", "да")],
    "submit_reading": [("что вас интересует", "показания"), ("оканчивается на", "да"),
                       ("Назовите новое показание", keys("700")), ("Верно?", "да")],
    "promotion": [("что вас интересует", "акция")],
    "promotion_status": [("что вас интересует", "акция"), ("Что рассказать", "участвую ли я"),
                         ("оканчивается на", "да")],
    "territories": [("что вас интересует", "офисы")],
}
WITHOUT_PHONE = {"account", "promotion", "territories"}


@pytest.mark.parametrize("method", sorted(REACHES))
async def test_service_down_offers_the_operator(api, method):
    talk = await converse(Failing(api.backend, method), REACHES[method] + [
        (("Извините, сервис сейчас не отвечает.", "Соединить вас с оператором?"), "да"),
    ], end="Соединяю с оператором", outcome="operator", caller=None if method in WITHOUT_PHONE else PHONE)
    [escalation] = await api.escalations()
    assert escalation["reason"] == "backend_error"
    assert (await api.call(talk.channel.call_id))["outcome"] == "operator"


async def test_service_down_and_no_operator_wanted_ends_politely(api):
    talk = await converse(Failing(api.backend, "balance"), REACHES["balance"] + [
        ("Соединить вас с оператором?", "нет"),
    ], end="позвоните позже. До свидания!", outcome="service_error", caller=PHONE)
    assert talk.channel.hung_up


async def test_call_record_failing_does_not_stop_the_call(api):
    backend = Failing(api.backend, "start_call", "add_transcript", "update_call", "end_call")
    await converse(backend, [
        ("что вас интересует", "баланс"),
        ("оканчивается на", "да"),
        # the call never registered its number, so the API cannot trust it: the knowledge question
        ("сумму последнего платежа", "семьсот двадцать девять рублей пятьдесят одна копейка"),
        ("Сейчас к оплате", "нет"),
        ("Чем ещё могу помочь", "до свидания"),
    ], end="До свидания", outcome="completed", caller=PHONE)


async def test_escalation_not_stored_still_transfers(api):
    talk = await converse(Failing(api.backend, "escalate"), [("что вас интересует", "оператор")],
                          end="Соединяю", outcome="operator")
    assert talk.channel.transferred


async def test_transcript_marks_keys_and_silence(api):
    talk = await converse(api.backend, [
        ("что вас интересует", "#4"),
        ("Офис какого города", ""),
        ("Я вас не слышу", None),
    ])
    call = await api.call(talk.channel.call_id)
    lines = [(line["speaker"], line["text"]) for line in call["transcript"]]
    assert ("caller", "(нажато: 4)") in lines and ("caller", "(молчание)") in lines
    assert call["outcome"] == "hangup" and not call["active"]
