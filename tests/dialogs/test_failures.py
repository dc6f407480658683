"""The account service failing at any step: a plain sentence, the operator offered, nothing lost."""

from __future__ import annotations

from decimal import Decimal

import pytest

from dialogs.record import CallRecord, Outbox
from dialogs.textchannel import ScriptedChannel
from ivr.outbox import SqliteStore
from tests.dialogs.demo_api import ACCOUNT, PHONE
from tests.dialogs.failing import Failing
from tests.dialogs.talk import converse, keys, reading

# For each service call the dialogs make: a script that reaches it (the failing answer is the last).
REACHES = {
    "accounts_for_phone": [("что вас интересует", "баланс")],
    "account": [("что вас интересует", "баланс"), ("Назовите номер", "#0022200220#"), ("Верно?", "да")],
    "verify": [("что вас интересует", "баланс"), ("оканчивается на", "да")],
    "balance": [("что вас интересует", "баланс"), ("оканчивается на", "да")],
    "meters": [("что вас интересует", "показания"), ("оканчивается на", "да")],
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


async def test_reading_confirmed_while_the_service_is_down_is_kept_and_stored_once_later(api, tmp_path):
    """The API fails at the moment the caller confirms: the robot keeps the reading on disk (the IVR's
    outbox file), says so truthfully, goes on; a later process sends it, and it is stored once."""
    meters = await api.meters(ACCOUNT)
    cold, hot = meters[0], meters[1]
    cold_now = Decimal(cold["last_reading"]["value"]) + 3
    hot_now = Decimal(hot["last_reading"]["value"]) + 1
    turns = [
        ("что вас интересует", "показания"),
        ("оканчивается на", "да"),
        ("Счётчик: холодная вода.", keys(cold_now)),
        (f"Показание {reading(cold_now, 'м³')}, счётчик: холодная вода. Верно?", "да"),
        (("Показание записано. Сервис сейчас не отвечает: мы передадим его, как только он заработает.",
          "Счётчик: горячая вода."), keys(hot_now)),
        ("Верно?", "да"),
        (("Показание записано.", "Счётчик: электроэнергия, день."), "пропустить"),
        ("Счётчик: электроэнергия, ночь.", "пропустить"),
        ("Чем ещё могу помочь?", "до свидания"),
    ]
    down = Failing(api.backend, "submit_reading")
    store = SqliteStore(tmp_path / "outbox.sqlite3")
    outbox = Outbox(down, store, retry_base=0.05, retry_max=0.1)
    await outbox.start()
    channel = ScriptedChannel([line for _, line in turns], caller=PHONE)
    channel.record = CallRecord(outbox, channel.call_id, caller=PHONE)
    talk = await converse(down, turns, end="До свидания", outcome="completed", channel=channel)
    call_id = talk.channel.call_id
    await outbox.settle(call_id, 5.0)
    await outbox.close(timeout=1.0)
    assert await api.readings_of_call(ACCOUNT, call_id) == []  # the API never took them
    await store.close()

    # The IVR restarts with the API back: what was kept is sent first, once, whatever the retries.
    for _ in range(2):
        store = SqliteStore(tmp_path / "outbox.sqlite3")
        again = Outbox(api.backend, store)
        await again.start()
        assert await again.settle(None, 10.0)
        await again.close()
        assert await store.count() == 0
        await store.close()
    taken = sorted((r["meter_id"], Decimal(r["value"])) for r in await api.readings_of_call(ACCOUNT, call_id))
    assert taken == [(cold["id"], cold_now), (hot["id"], hot_now)]
    assert (await api.call(call_id))["outcome"] == "completed"


async def test_service_down_says_kept_readings_are_kept(api):
    """Readings kept, then the service fails at another step: the robot says they are kept (true)."""
    meters = await api.meters(ACCOUNT)
    cold_now = Decimal(meters[0]["last_reading"]["value"]) + 3
    await converse(Failing(api.backend, "submit_reading", "balance"), [
        ("что вас интересует", "показания"),
        ("оканчивается на", "да"),
        ("Счётчик: холодная вода.", keys(cold_now)),
        ("Верно?", "да"),
        (("Показание записано.", "Счётчик: горячая вода."), "меню"),
        (("начнём сначала", "Баланс — один"), "баланс"),
        (("Показания, которые вы подтвердили, сохранены", "Соединить вас с оператором?"), "нет"),
    ], end="позвоните позже", outcome="service_error", caller=PHONE)


class _KnownDown(Failing):
    """The IVR's client with its circuit open: every request fails at once, and it says so."""

    available = False


async def test_a_service_known_down_is_said_before_the_caller_keys_an_account(api):
    backend = _KnownDown(api.backend, "accounts_for_phone", "account", "verify", "balance")
    talk = await converse(backend, [
        ("что вас интересует", "баланс"),
        (("Извините, сервис сейчас не отвечает.", "Соединить вас с оператором?"), "нет"),
    ], end="позвоните позже", outcome="service_error", caller=None)
    assert not talk.said("Назовите номер")
