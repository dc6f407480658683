"""The promotion: short answers from its terms, and whether the caller's account takes part."""

from __future__ import annotations

from tests.dialogs.demo_api import PHONE, SHARED, SHARED_PHONE
from tests.dialogs.failing import Failing
from tests.dialogs.talk import converse


async def test_terms_answered_topic_by_topic_then_back_to_menu(api):
    await converse(api.backend, [
        ("что вас интересует", "акция"),
        (("Сейчас идёт акция «Хорошая привычка – твой Личный кабинет!».",
          "Она проходит с первого сентября по двадцать восьмое февраля.", "Что рассказать об акции"),
         "кто участвует"),
        (("Собственники и наниматели жилых помещений", "Что ещё рассказать об акции?"), "приз"),
        # numbers in words, as the synthesizer must read them ("10 000 рублей" in the terms)
        ("на десять тысяч рублей", "как зарегистрироваться"),
        # a long answer comes in pieces, with a pause for the caller between them
        (("на сайте кузро точка ру", "ноль ноль один, один один ноль, ноль один один, тире семь",
          "Продолжить?"), "да"),
        (("действует четыре часа", "Что ещё рассказать об акции?"), "#6"),
        ("Акция проходит с", "меню"),
        ("Чем ещё могу помочь?", None),
    ])


async def test_participation_for_the_caller_on_file(api):
    await converse(api.backend, [
        ("что вас интересует", "акция"),
        ("Что рассказать об акции", "участвую ли я"),
        ("оканчивается на", "да"),
        (("Ваш лицевой счёт участвует в акции.", "Что ещё рассказать"), "назад"),
        ("Чем ещё могу помочь?", None),
    ], caller=PHONE)


async def test_not_participating_says_why_and_how_to_join(api):
    talk = await converse(api.backend, [
        ("что вас интересует", "#3"),
        ("Что рассказать об акции", "#4"),
        ("несколько лицевых счетов", "первый"),
        (("Ваш лицевой счёт пока не участвует в акции.",
          "Счёт зарегистрирован в личном кабинете ещё до начала акции.",
          "По правилам акции участвуют счета, зарегистрированные в личном кабинете за время акции."), "##"),
        ("Чем ещё могу помочь?", None),
    ], caller=SHARED_PHONE)
    assert not talk.said("территория не участвует")
    # registering again would not help an account registered before the promotion
    assert not talk.said("зарегистрируйтесь")
    assert (await api.call(talk.channel.call_id))["account"] == SHARED[0]


async def test_topic_missing_from_the_terms(api):
    promo = await api.promotion()

    async def without_prize():
        return {**promo, "terms": [t for t in promo["terms"] if t["topic"] != "prize"]}

    await converse(Failing(api.backend, replace={"promotion": without_prize}), [
        ("что вас интересует", "акция"),
        ("Что рассказать об акции", "приз"),
        ("Об этом лучше спросить оператора.", None),
    ])


async def test_no_promotion_running(api):
    async def none():
        return None

    await converse(Failing(api.backend, replace={"promotion": none}), [
        ("что вас интересует", "акция"),
        (("Сейчас акций нет.", "Чем ещё могу помочь?"), None),
    ])
