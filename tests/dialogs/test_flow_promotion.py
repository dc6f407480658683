"""The promotion: short answers from its terms, and whether the caller's account takes part."""

from __future__ import annotations

from tests.dialogs.fake_backend import PHONE
from tests.dialogs.talk import converse


async def test_terms_answered_topic_by_topic_then_back_to_menu(backend):
    await converse(backend, [
        ("что вас интересует", "акция"),
        (("Сейчас идёт акция «Хорошая привычка – твой Личный кабинет!».",
          "Она проходит с первого октября по тридцать первого декабря.", "Что рассказать об акции?"),
         "кто участвует"),
        (("Собственники и наниматели, вошедшие в личный кабинет за время акции.",
          "Что ещё рассказать об акции?"), "приз"),
        ("Подарочный сертификат в магазин товаров для спорта и отдыха.", "как зарегистрироваться"),
        # numbers and the web address in words, as the synthesizer must read them
        ("Зарегистрируйтесь на сайте кузро точка ру, ссылка из письма действует четыре часа.", "#3"),
        # сроки: no such term in the data
        ("Об этом лучше спросить оператора.", "меню"),
        ("Чем ещё могу помочь?", None),
    ])


async def test_participation_for_the_caller_on_file(backend):
    await converse(backend, [
        ("что вас интересует", "акция"),
        ("Что рассказать об акции?", "участвую ли я"),
        ("оканчивается на", "да"),
        (("Ваш лицевой счёт участвует в акции.", "Что ещё рассказать"), "назад"),
        ("Чем ещё могу помочь?", None),
    ], caller=PHONE)


async def test_not_participating_says_why_and_how_to_join(backend):
    talk = await converse(backend, [
        ("что вас интересует", "#3"),
        ("Что рассказать об акции?", "#9"),
        ("Назовите номер лицевого счёта", "#0022200220#"),
        ("Верно?", "да"),
        ("сумму последнего платежа", "двести восемьдесят рублей"),
        (("Ваш лицевой счёт пока не участвует в акции.", "Счёт не зарегистрирован в личном кабинете.",
          "зарегистрируйтесь в личном кабинете на сайте кузро точка ру"), None),
    ])
    assert not talk.said("территория не участвует")


async def test_no_promotion_running(backend):
    backend.promotion_running = False
    await converse(backend, [
        ("что вас интересует", "акция"),
        (("Сейчас акций нет.", "Чем ещё могу помочь?"), None),
    ])
