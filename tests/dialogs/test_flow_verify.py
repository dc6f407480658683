"""Verify: the last payment's amount, limited attempts, then the operator; never data before it."""

from __future__ import annotations

from tests.dialogs.fake_backend import OTHER
from tests.dialogs.talk import converse

NAME_OTHER = [
    ("что вас интересует", "баланс"),
    ("Назовите номер лицевого счёта", "#0022200220#"),
    ("Верно?", "да"),
]


async def test_wrong_amount_says_attempts_left_then_right_amount_passes(backend):
    await converse(backend, NAME_OTHER + [
        ("сумму последнего платежа", "сто рублей"),
        (("Сумма не совпала. Осталось две попытки.", "сумму последнего платежа"), "двести рублей"),
        (("Сумма не совпала. Осталась одна попытка.",), "двести восемьдесят рублей"),
        (("Спасибо, всё верно.", "переплата"), None),
    ])


async def test_three_wrong_amounts_lock_and_hand_over_without_data(backend):
    talk = await converse(backend, NAME_OTHER + [
        ("сумму последнего платежа", "сто рублей"),
        ("Осталось две попытки", "двести рублей"),
        ("Осталась одна попытка", "триста рублей"),
    ], end=("Проверка по этому счёту временно закрыта", "Соединяю с оператором"), outcome="operator")
    assert not talk.said("переплата") and not talk.said("долг")
    escalation = backend.escalations[0]
    assert escalation["reason"] == "verify_locked"
    assert (escalation["account"], escalation["verified"]) == (OTHER, False)


async def test_locked_account_is_not_asked_again(backend):
    backend.attempts[OTHER] = 0
    await converse(backend, NAME_OTHER, end=("временно закрыта", "Соединяю с оператором"), outcome="operator")


async def test_caller_who_does_not_know_the_amount_gets_the_operator(backend):
    await converse(backend, NAME_OTHER + [
        ("сумму последнего платежа", "не знаю"),
    ], end=("Тогда вам поможет оператор", "Соединяю с оператором"), outcome="operator")
    assert backend.escalations[0]["reason"] == "dont_know_payment"


async def test_amount_by_keys_with_star_for_kopecks(backend):
    await converse(backend, NAME_OTHER + [
        ("сумму последнего платежа", "#280*00#"),
        ("Спасибо, всё верно.", None),
    ])
