"""Offices: the office and hours for the caller's territory, or one the caller names."""

from __future__ import annotations

from tests.dialogs.demo_api import PHONE
from tests.dialogs.failing import Failing
from tests.dialogs.talk import converse

OSINNIKI = (
    "Калтан и район: офис по адресу город Осинники, Зеленый переулок, 16.",
    "Часы приёма: понедельник, вторник, четверг и пятница с восьми тридцати до семнадцати тридцати, "
    "перерыв с двенадцати до тринадцати.",
)


async def test_office_for_a_named_town_then_another_by_key(api):
    await converse(api.backend, [
        ("что вас интересует", "офисы"),
        ("Офис какого города вам нужен?", "калтан"),
        (OSINNIKI + ("Назвать офис другой территории?",), "да"),
        ("Офис какого города вам нужен?", "#1"),
        (("город Прокопьевск, улица Институтская, 9 а.", "с восьми тридцати до восемнадцати, без перерыва.",
          "Назвать офис другой территории?"), "да"),
        ("Офис какого города вам нужен?", "мыски"),
        (("город Мыски, улица Восточная, 6.",
          "понедельник, вторник и четверг с восьми тридцати до восемнадцати, "
          "перерыв с двенадцати до тринадцати; "
          "в пятницу с восьми тридцати до шестнадцати."), "нет"),
        ("Чем ещё могу помочь?", None),
    ])


async def test_town_named_with_the_request(api):
    await converse(api.backend, [
        ("что вас интересует", "офис в калтане"),
        (OSINNIKI, None),
    ])


async def test_identified_caller_hears_their_own_office(api):
    await converse(api.backend, [
        ("что вас интересует", "баланс"),
        ("оканчивается на", "да"),
        ("Рассказать подробнее", "нет"),
        ("Чем ещё могу помочь?", "адрес"),
        (OSINNIKI, None),
    ], caller=PHONE)


async def test_territory_without_an_office(api):
    territories = await api.backend.territories()

    async def without_offices():
        return [{**t, "office": None} for t in territories]

    await converse(Failing(api.backend, replace={"territories": without_offices}), [
        ("что вас интересует", "#4"),
        ("Офис какого города вам нужен?", "#2"),
        ("Для этой территории офис не указан.", None),
    ])
