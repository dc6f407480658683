"""Balance: who is calling, are they the owner, then debt first and details on request."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from speech.numbers import say_date
from tests.dialogs.demo_api import ACCOUNT, DEBTOR, PHONE, SHARED, SHARED_PHONE
from tests.dialogs.talk import converse, money


async def test_caller_on_file_hears_debt_and_says_goodbye(api):
    facts = await api.balance(ACCOUNT)
    assert facts["period"] == "2025-10" and Decimal(facts["closing"]) > 0
    assert Decimal(facts["paid_since"]) > 0  # the demo owner paid after October's end
    talk = await converse(api.backend, [
        (("Здравствуйте", "горячую линию", "может записываться", "что вас интересует"), "баланс"),
        ("оканчивается на ноль ноль один один?", "да"),
        # what remains to pay today first, then where it comes from: «я же заплатила!»
        ((f"Сейчас к оплате: {money(facts['due_now'])}.",
          f"На конец октября долг был {money(facts['closing'])}, после этого поступила оплата: "
          f"{money(facts['paid_since'])}.", "Рассказать подробнее"), "нет"),
        ("Чем ещё могу помочь?", "до свидания"),
    ], end="До свидания", outcome="completed", caller=PHONE)
    assert talk.channel.hung_up
    call = await api.call(talk.channel.call_id)
    assert (call["account"], call["outcome"], call["active"]) == (ACCOUNT, "completed", False)
    lines = [(line["speaker"], line["text"]) for line in call["transcript"]]
    assert lines[0][0] == "robot" and "Здравствуйте" in lines[0][1]
    assert ("caller", "баланс") in lines and ("caller", "до свидания") in lines


async def test_account_by_voice_verified_by_last_payment_with_details(api):
    facts = await api.balance(DEBTOR)
    paid = facts["last_payment"]
    assert Decimal(facts["penalties"]) > 0 and Decimal(facts["opening"]) > 0
    await converse(api.backend, [
        ("что вас интересует", "сколько платить"),
        ("Назовите номер лицевого счёта", "ноль ноль два два два ноль ноль два два тире ноль"),
        ("Лицевой счёт ноль ноль два, два два ноль, ноль два два, тире ноль. Верно?", "да"),
        (("убедиться, что вы владелец", "сумму последнего платежа"), money(paid["amount"])),
        (("Спасибо, всё верно.", f"Ваш долг на конец октября: {money(facts['closing'])}."), "да"),
        # the details in pieces of a few sentences, «Продолжить?» between them
        ((f"За октябрь. На начало месяца долг: {money(facts['opening'])}.",
          f"Начислено: {money(facts['charged'])}.", "Продолжить?"), "да"),
        ((f"Оплачено: {money(facts['paid'])}.", f"Пени: {money(facts['penalties'])}.",
          "По услугам.", f"Обращение с ТКО: {money(facts['lines'][0]['charged'])}.", "Продолжить?"), "да"),
        ("Продолжить?", "да"),
        ((f"Последний платёж: {money(paid['amount'])}.",
          f"Он поступил {say_date(date.fromisoformat(paid['date']))}.",
          "Чем ещё могу помочь?"), "#9"),
    ], end="До свидания", outcome="completed")


async def test_overpayment_said_as_such(api):
    facts = await api.balance(SHARED[0])
    assert Decimal(facts["closing"]) < 0 and Decimal(facts["paid_since"]) > 0
    await converse(api.backend, [
        ("что вас интересует", "баланс"),
        ("несколько лицевых счетов", "первый"),
        (("Долга нет. С учётом оплаты после конца октября у вас переплата: "
          f"{money(-Decimal(facts['due_now']))}.", "Рассказать подробнее"), "да"),
        (f"На начало месяца переплата: {money(-Decimal(facts['opening']))}.", None),
    ], caller=SHARED_PHONE)


async def test_debt_paid_off_after_the_month_is_said_as_paid(api):
    facts = await api.balance(SHARED[1])
    assert Decimal(facts["closing"]) > 0 and Decimal(facts["due_now"]) == 0
    talk = await converse(api.backend, [
        ("что вас интересует", "я же заплатила сколько я ещё должна"),
        ("несколько лицевых счетов", "второй"),
        ((f"Долга нет: после конца октября поступила оплата {money(facts['paid_since'])}, долг погашен.",
          "Рассказать подробнее"), "нет"),
        ("Чем ещё могу помочь?", None),
    ], caller=SHARED_PHONE)
    assert not talk.said("Ваш долг")
