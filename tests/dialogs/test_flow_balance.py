"""Balance: who is calling, are they the owner, then debt first and details on request."""

from __future__ import annotations

from tests.dialogs.fake_backend import ACCOUNT, OTHER, PHONE
from tests.dialogs.talk import converse


async def test_caller_on_file_hears_debt_and_says_goodbye(backend):
    talk = await converse(backend, [
        (("Здравствуйте", "горячую линию", "может записываться", "что вас интересует"), "баланс"),
        ("оканчивается на ноль ноль один один?", "да"),
        (("Ваш долг на конец октября: семьсот двадцать девять рублей пятьдесят одна копейка",
          "Рассказать подробнее"), "нет"),
        ("Чем ещё могу помочь?", "до свидания"),
    ], end="До свидания", outcome="completed", caller=PHONE)
    assert talk.channel.hung_up
    assert backend.calls[talk.channel.call_id]["account"] == ACCOUNT
    assert backend.calls[talk.channel.call_id]["outcome"] == "completed"


async def test_account_by_voice_verified_by_last_payment_with_details(backend):
    await converse(backend, [
        ("что вас интересует", "сколько платить"),
        ("Назовите номер лицевого счёта", "ноль ноль два два два ноль ноль два два тире ноль"),
        ("Лицевой счёт ноль ноль два, два два ноль, ноль два два, тире ноль. Верно?", "да"),
        (("убедиться, что вы владелец", "сумму последнего платежа"), "двести восемьдесят рублей"),
        (("Спасибо, всё верно.", "Долга нет. На конец октября у вас переплата: сто пятьдесят рублей"), "да"),
        (("За октябрь. На начало месяца переплата: пятьдесят рублей",
          "Начислено: двести рублей", "Оплачено: двести восемьдесят рублей",
          "Перерасчёт в вашу пользу: двадцать рублей",
          "По услугам.", "Обращение с ТКО: сто пятьдесят рублей",
          "Последний платёж: двести восемьдесят рублей", "пятого октября",
          "Чем ещё могу помочь?"), "#9"),
    ], end="До свидания", outcome="completed")
    assert backend.verified and (next(iter(backend.verified))[1] == OTHER)
