"""Verify: the last payment's amount, limited attempts, then the operator; never data before it."""

from __future__ import annotations

from decimal import Decimal

from tests.dialogs.demo_api import DEBTOR
from tests.dialogs.talk import converse, keys, money

NAME_DEBTOR = [
    ("что вас интересует", "баланс"),
    ("Назовите номер лицевого счёта", "#0022200220#"),
    ("Верно?", "да"),
]


async def _last_payment(api) -> Decimal:
    return Decimal((await api.balance(DEBTOR))["last_payment"]["amount"])


async def test_wrong_amount_says_attempts_left_then_right_amount_passes(api):
    paid = await _last_payment(api)
    await converse(api.backend, NAME_DEBTOR + [
        ("сумму последнего платежа", "сто рублей"),
        (("Сумма не совпала. Осталось две попытки.", "сумму последнего платежа"), "двести рублей"),
        ("Сумма не совпала. Осталась одна попытка.", money(paid)),
        (("Спасибо, всё верно.", "Ваш долг"), None),
    ])


async def test_three_wrong_amounts_lock_and_hand_over_without_data(api):
    talk = await converse(api.backend, NAME_DEBTOR + [
        ("сумму последнего платежа", "сто рублей"),
        ("Осталось две попытки", "двести рублей"),
        ("Осталась одна попытка", "триста рублей"),
    ], end=("Проверка по этому счёту временно закрыта", "Соединяю с оператором"), outcome="operator")
    assert not talk.said("Ваш долг")
    [escalation] = await api.escalations()
    assert escalation["reason"] == "verify_locked"
    assert (escalation["account"], escalation["verified"]) == (DEBTOR, False)


async def test_locked_account_is_not_asked_again(api):
    for _ in range(3):
        await api.backend.verify(DEBTOR, call_id="guessing-call", caller=None, last_payment=Decimal("1.00"))
    await converse(api.backend, NAME_DEBTOR, end=("временно закрыта", "Соединяю с оператором"),
                   outcome="operator")


async def test_caller_who_does_not_know_the_amount_gets_the_operator(api):
    await converse(api.backend, NAME_DEBTOR + [
        ("сумму последнего платежа", "не знаю"),
    ], end=("Тогда вам поможет оператор", "Соединяю с оператором"), outcome="operator")
    [escalation] = await api.escalations()
    assert escalation["reason"] == "dont_know_payment"


async def test_amount_by_keys_with_star_for_kopecks(api):
    await converse(api.backend, NAME_DEBTOR + [
        (("сумму последнего платежа",), keys(await _last_payment(api))),
        ("Спасибо, всё верно.", None),
    ])
