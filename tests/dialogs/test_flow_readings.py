"""Meter readings: each meter in turn, read back, stored only after "да", refusals explained."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from dialogs.channel import Reply
from tests.dialogs.fake_backend import OTHER, PHONE
from tests.dialogs.talk import converse

START = [
    ("что вас интересует", "передать показания"),
    ("оканчивается на", "да"),
]


def stored(backend) -> list[tuple[int, Decimal]]:
    return [(r["meter_id"], Decimal(r["value"])) for r in backend.stored]


async def test_two_meters_by_voice_and_by_keys_each_stored_once(backend):
    await converse(backend, START + [
        (("По вашему счёту два счётчика.", "Счётчик: холодная вода.",
          "Прошлое показание: сто двадцать три целых четыре десятых, от двадцатого октября.",
          "Назовите новое показание"), "сто двадцать пять"),
        ("Показание сто двадцать пять, счётчик: холодная вода. Верно?", "да"),
        (("Показание принято. Расход за месяц: одна целая шесть десятых.", "Счётчик: горячая вода."),
         "#46*5#"),
        ("Показание сорок шесть целых пять десятых, счётчик: горячая вода. Верно?", "#1"),
        (("Показание принято.", "Все счётчики пройдены.", "Чем ещё могу помочь?"), "показания"),
        # the same call again: nothing is taken twice
        (("Показания по всем счётчикам в этом звонке уже приняты.", "Чем ещё могу помочь?"), "до свидания"),
    ], end="До свидания", outcome="completed", caller=PHONE)
    assert stored(backend) == [(1, Decimal("125")), (2, Decimal("46.5"))]


async def test_nothing_is_stored_without_yes(backend):
    await converse(backend, START + [
        ("Назовите новое показание", "сто двадцать пять"),
        ("Верно?", "нет"),
        (("Хорошо. Назовите показание ещё раз.", "Назовите новое показание"), "сто двадцать шесть"),
        ("Показание сто двадцать шесть, счётчик: холодная вода. Верно?", None),
    ], caller=PHONE)
    assert backend.stored == []


async def test_confirmed_reading_after_a_correction_is_stored_once(backend):
    await converse(backend, START + [
        ("Назовите новое показание", "сто двадцать пять"),
        ("Верно?", "нет"),
        ("Назовите новое показание", "сто двадцать шесть"),
        ("Верно?", "да"),
        ("Показание принято", "пропустить"),
        ("Хорошо, этот счётчик пропускаем.", None),
    ], caller=PHONE)
    assert stored(backend) == [(1, Decimal("126"))]


async def test_reading_below_the_previous_is_explained_and_asked_again(backend):
    await converse(backend, START + [
        ("Назовите новое показание", "сто двадцать"),
        ("Верно?", "да"),
        (("Это показание меньше прошлого: сто двадцать три целых четыре десятых.",
          "Проверьте цифры на счётчике", "Назовите новое показание"), "сто двадцать четыре"),
        ("Верно?", "да"),
        ("Показание принято", None),
    ], caller=PHONE)
    assert stored(backend) == [(1, Decimal("124"))]


async def test_implausible_use_offers_the_operator(backend):
    await converse(backend, START + [
        ("Назовите новое показание", "пятьсот"),
        ("Верно?", "да"),
        (("Получается слишком большой расход.",
          "Наибольшее ожидаемое показание: сто пятьдесят три целых четыре десятых.",
          "передайте показание через оператора", "Соединить вас с оператором?"), "да"),
    ], end="Соединяю с оператором", outcome="operator", caller=PHONE)
    assert backend.stored == []
    assert backend.escalations[0]["reason"] == "reading_implausible"


async def test_implausible_use_declined_operator_caller_corrects(backend):
    await converse(backend, START + [
        ("Назовите новое показание", "пятьсот"),
        ("Верно?", "да"),
        ("Соединить вас с оператором?", "нет"),
        ("Назовите новое показание", "сто тридцать"),
        ("Верно?", "да"),
        ("Показание принято", None),
    ], caller=PHONE)
    assert stored(backend) == [(1, Decimal("130"))]


async def test_outside_the_window_says_when_to_call(backend):
    backend.today = date(2025, 11, 10)
    await converse(backend, START + [
        ("Назовите новое показание", "сто двадцать пять"),
        ("Верно?", "да"),
        (("Показания принимаются с пятнадцатого по двадцать пятое число каждого месяца.",
          "позвоните в эти дни", "Чем ещё могу помочь?"), None),
    ], caller=PHONE)
    assert backend.stored == []


async def test_meter_past_its_verification_date(backend):
    await converse(backend, [
        ("что вас интересует", "показания"),
        ("Назовите номер лицевого счёта", "#0022200220#"),
        ("Верно?", "да"),
        ("сумму последнего платежа", "двести восемьдесят рублей"),
        (("Счётчик: холодная вода.", "Назовите новое показание"), "десять"),
        ("Верно?", "да"),
        (("Срок поверки этого счётчика истёк первого июня.", "Закажите поверку",
          "Чем ещё могу помочь?"), None),
    ])
    assert backend.stored == []
    assert OTHER not in {r.get("account") for r in backend.stored}


async def test_duplicate_answer_from_the_service_counts_as_stored(backend):
    call_id = "dup-call"
    backend.stored.append({"id": 1, "meter_id": 1, "value": "125", "call_id": call_id})
    await converse(backend, START + [
        ("Назовите новое показание", "сто двадцать пять"),
        ("Верно?", "да"),
        (("Это показание уже принято. Второй раз оно не записывается.", "Счётчик: горячая вода."), None),
    ], caller=PHONE, call_id=call_id)
    assert len(backend.stored) == 1


async def test_reading_not_understood_three_times_goes_to_operator(backend):
    await converse(backend, START + [
        ("Назовите новое показание", Reply.speech("[unk]")),
        ("Назовите цифры на счётчике", Reply.speech("[unk]")),
        ("Звёздочка — запятая. В конце нажмите решётку.", "#12*3*4#"),
    ], end="Соединяю с оператором", caller=PHONE, outcome="operator")
    assert backend.escalations[0]["reason"] == "no_match"
