"""Meter readings: each meter in turn, read back, stored only after "да", refusals explained."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from dialogs.channel import Reply
from speech.numbers import say_date
from tests.dialogs.demo_api import ACCOUNT, DEBTOR, PHONE
from tests.dialogs.talk import converse, keys, reading

START = [
    ("что вас интересует", "передать показания"),
    ("оканчивается на", "да"),
]


async def meters(api, account=ACCOUNT):
    found = await api.meters(account)
    return found, [Decimal(m["last_reading"]["value"]) if m["last_reading"] else None for m in found]


async def stored(api, call_id, account=ACCOUNT) -> list[tuple[int, Decimal]]:
    return sorted((r["meter_id"], Decimal(r["value"])) for r in await api.readings_of_call(account, call_id))


async def test_meters_by_voice_and_by_keys_each_stored_once(api):
    (cold, hot, day, night), (cold_was, hot_was, _, _) = await meters(api)
    cold_now, hot_now = cold_was + Decimal("3.5"), hot_was + 2
    talk = await converse(api.backend, START + [
        (("По вашему счёту четыре счётчика.", "Счётчик: холодная вода.",
          f"Прошлое показание: {reading(cold_was, 'м³')}, от двадцатого октября.", "новое показание"),
         reading(cold_now)),
        (f"Показание {reading(cold_now, 'м³')}, счётчик: холодная вода. Верно?", "да"),
        ((f"Показание принято. Расход с прошлого показания: {reading(Decimal('3.5'), 'м³')}.",
          "Счётчик: горячая вода.", "Назовите показание этого счётчика."), keys(hot_now)),
        (f"Показание {reading(hot_now, 'м³')}, счётчик: горячая вода. Верно?", "#1"),
        (("Показание принято.", "Счётчик: электроэнергия, день."), "пропустить"),
        (("Хорошо, этот счётчик пропускаем.", "Счётчик: электроэнергия, ночь."), "дальше"),
        (("Все счётчики пройдены.", "Чем ещё могу помочь?"), "показания"),
        # the same call again: two meters are done, the other two are offered again
        (("Счётчик: холодная вода.", "Показание по этому счётчику в этом звонке уже принято.",
          "Счётчик: электроэнергия, день."), "пропустить"),
        ("Счётчик: электроэнергия, ночь.", "пропустить"),
        ("Чем ещё могу помочь?", "до свидания"),
    ], end="До свидания", outcome="completed", caller=PHONE)
    assert await stored(api, talk.channel.call_id) == [(cold["id"], cold_now), (hot["id"], hot_now)]
    assert {day["id"], night["id"]}.isdisjoint(m for m, _ in await stored(api, talk.channel.call_id))


async def test_nothing_is_stored_without_yes(api):
    _, (cold_was, *_) = await meters(api)
    talk = await converse(api.backend, START + [
        ("новое показание", keys(cold_was + 1)),
        ("Верно?", "нет"),
        (("Хорошо. Назовите показание ещё раз.", "новое показание"), keys(cold_was + 2)),
        (f"Показание {reading(cold_was + 2, 'м³')}, счётчик: холодная вода. Верно?", None),
    ], caller=PHONE)
    assert await stored(api, talk.channel.call_id) == []


async def test_confirmed_reading_after_a_correction_is_stored_once(api):
    (cold, *_), (cold_was, *_) = await meters(api)
    talk = await converse(api.backend, START + [
        ("новое показание", keys(cold_was + 1)),
        ("Верно?", "нет"),
        ("новое показание", keys(cold_was + 2)),
        ("Верно?", "да"),
        ("Показание принято", None),
    ], caller=PHONE)
    assert await stored(api, talk.channel.call_id) == [(cold["id"], cold_was + 2)]


async def test_reading_below_the_previous_is_explained_and_asked_again(api):
    (cold, *_), (cold_was, *_) = await meters(api)
    talk = await converse(api.backend, START + [
        ("новое показание", keys(cold_was - 10)),
        ("Верно?", "да"),
        ((f"Это показание меньше прошлого: {reading(cold_was, 'м³')}.", "Проверьте цифры на счётчике",
          "новое показание"), keys(cold_was + 1)),
        ("Верно?", "да"),
        ("Показание принято", None),
    ], caller=PHONE)
    assert await stored(api, talk.channel.call_id) == [(cold["id"], cold_was + 1)]


async def test_implausible_use_offers_the_operator(api):
    _, (cold_was, *_) = await meters(api)
    talk = await converse(api.backend, START + [
        ("новое показание", keys(cold_was + 1000)),
        ("Верно?", "да"),
        (("Получается слишком большой расход.", "Наибольшее ожидаемое показание:",
          "передайте показание через оператора", "Соединить вас с оператором?"), "да"),
    ], end="Соединяю с оператором", outcome="operator", caller=PHONE)
    assert await stored(api, talk.channel.call_id) == []
    [escalation] = await api.escalations()
    assert escalation["reason"] == "reading_implausible"


async def test_implausible_use_declined_operator_caller_corrects(api):
    (cold, *_), (cold_was, *_) = await meters(api)
    talk = await converse(api.backend, START + [
        ("новое показание", keys(cold_was + 1000)),
        ("Верно?", "да"),
        ("Соединить вас с оператором?", "нет"),
        ("новое показание", keys(cold_was + 4)),
        ("Верно?", "да"),
        ("Показание принято", None),
    ], caller=PHONE)
    assert await stored(api, talk.channel.call_id) == [(cold["id"], cold_was + 4)]


async def test_outside_the_window_says_when_to_call(api):
    api.now = datetime(2025, 11, 10, 5, 0, tzinfo=UTC)
    _, (cold_was, *_) = await meters(api)
    talk = await converse(api.backend, START + [
        ("новое показание", keys(cold_was + 1)),
        ("Верно?", "да"),
        (("Показания принимаются с пятнадцатого по двадцать пятое число каждого месяца.",
          "позвоните в эти дни", "Чем ещё могу помочь?"), None),
    ], caller=PHONE)
    assert await stored(api, talk.channel.call_id) == []


async def test_meter_past_its_verification_date(api):
    (overdue, other), (_, other_was) = await meters(api, DEBTOR)
    assert date.fromisoformat(overdue["verification_due"]) < date(2025, 11, 20)
    paid = (await api.balance(DEBTOR))["last_payment"]["amount"]
    talk = await converse(api.backend, [
        ("что вас интересует", "показания"),
        ("Назовите номер лицевого счёта", "#0022200220#"),
        ("Верно?", "да"),
        ("сумму последнего платежа", keys(paid)),
        # the overdue meter is explained before the caller dictates anything for it
        (("Счётчик: холодная вода.",
          f"Срок поверки этого счётчика истёк {say_date(date.fromisoformat(overdue['verification_due']))}.",
          "Закажите поверку", "Счётчик: электроэнергия, день.", "новое показание"), keys(other_was + 100)),
        ("Верно?", "да"),
        ("Показание принято", None),
    ])
    assert await stored(api, talk.channel.call_id, DEBTOR) == [(other["id"], other_was + 100)]


async def test_reading_already_stored_by_this_call_is_not_stored_twice(api):
    (cold, *_), (cold_was, *_) = await meters(api)
    call_id = "repeated-call"
    await api.backend.start_call(call_id, caller=PHONE)  # the API trusts the number the call registered
    await api.backend.verify(ACCOUNT, call_id=call_id, caller=PHONE)
    await api.backend.submit_reading(ACCOUNT, cold["id"], cold_was + 1, call_id=call_id)
    # The call's state was lost (say, the IVR restarted) but the call id is the same.
    await converse(api.backend, START + [
        ("новое показание", keys(cold_was + 2)),
        ("Верно?", "да"),
        (("Это показание уже принято. Второй раз оно не записывается.", "Счётчик: горячая вода."), None),
    ], caller=PHONE, call_id=call_id)
    assert await stored(api, call_id) == [(cold["id"], cold_was + 1)]


async def test_reading_not_understood_three_times_goes_to_operator(api):
    await converse(api.backend, START + [
        ("новое показание", Reply.speech("[unk]")),
        ("Назовите цифры на счётчике", Reply.speech("[unk]")),
        ("Звёздочка — запятая. В конце нажмите решётку.", "#12*3*4#"),
    ], end="Соединяю с оператором", caller=PHONE, outcome="operator")
    [escalation] = await api.escalations()
    assert escalation["reason"] == "no_match"


async def test_single_meter_then_nothing_left_to_take(api):
    from tests.dialogs.demo_api import SHARED, SHARED_PHONE

    ([meter], [was]) = await meters(api, SHARED[1])
    talk = await converse(api.backend, [
        ("что вас интересует", "показания"),
        ("несколько лицевых счетов", "второй"),
        (("Счётчик: электроэнергия, день.", "новое показание"), keys(was + 150)),
        ("Верно?", "да"),
        (("Показание принято.", "Чем ещё могу помочь?"), "показания"),
        (("Показания по всем счётчикам в этом звонке уже приняты.", "Чем ещё могу помочь?"), None),
    ], caller=SHARED_PHONE)
    assert not talk.said("По вашему счёту один")
    assert await stored(api, talk.channel.call_id, SHARED[1]) == [(meter["id"], was + 150)]
