"""Identify: the phone on file first, else the account number by voice or keys, read back, confirmed."""

from __future__ import annotations

from dialogs.channel import Reply
from tests.dialogs.fake_backend import ACCOUNT, OTHER, PHONE, SHARED, SHARED_PHONE
from tests.dialogs.talk import converse


async def test_several_accounts_on_the_phone_caller_picks_the_second(backend):
    talk = await converse(backend, [
        ("что вас интересует", "баланс"),
        (("найдено несколько лицевых счетов", "Счёт на ноль ноль три три — скажите «первый»",
          "Счёт на ноль ноль четыре четыре — скажите «второй»"), "второй"),
        ("Ваш долг на конец октября: сто шестьдесят рублей", "нет"),
        ("Чем ещё могу помочь", None),
    ], outcome="hangup", caller=SHARED_PHONE)
    assert backend.calls[talk.channel.call_id]["account"] == SHARED[1]


async def test_several_accounts_picked_by_key(backend):
    talk = await converse(backend, [
        ("что вас интересует", "#1"),
        ("несколько лицевых счетов", "#1"),
        ("Долга нет. На конец октября всё оплачено.", None),
    ], caller=SHARED_PHONE)
    assert backend.calls[talk.channel.call_id]["account"] == SHARED[0]


async def test_caller_says_the_phone_account_is_not_theirs_and_names_another(backend):
    await converse(backend, [
        ("что вас интересует", "баланс"),
        ("оканчивается на ноль ноль один один?", "нет"),
        ("Назовите номер лицевого счёта", "ноль ноль два два два ноль ноль два два тире ноль"),
        ("ноль ноль два, два два ноль, ноль два два, тире ноль. Верно?", "да"),
        # the phone is not on file for this account: the last payment is asked
        ("сумму последнего платежа", "двести восемьдесят рублей"),
        ("переплата", None),
    ], caller=PHONE)


async def test_account_typed_on_the_keypad_and_payment_typed_with_star(backend):
    await converse(backend, [
        ("что вас интересует", "баланс"),
        ("решётку", "#0011100117#"),
        ("Лицевой счёт ноль ноль один, один один ноль, ноль один один, тире семь. Верно?", "#1"),
        ("сумму последнего платежа", "#95*71#"),
        (("Спасибо, всё верно.", "Ваш долг на конец октября"), None),
    ])


async def test_star_erases_a_mistyped_account(backend):
    await converse(backend, [
        ("что вас интересует", "баланс"),
        ("решётку", "#00222*0022200220#"),
        ("ноль ноль два, два два ноль, ноль два два, тире ноль. Верно?", None),
    ])


async def test_nine_digits_then_the_town(backend):
    await converse(backend, [
        ("что вас интересует", "баланс"),
        ("Назовите номер лицевого счёта", "ноль ноль один один один ноль ноль один один"),
        ("Назовите ваш город или район", "калтан"),
        ("ноль ноль один, один один ноль, ноль один один, тире семь. Верно?", None),
    ])


async def test_nine_digits_then_the_suffix_key(backend):
    await converse(backend, [
        ("что вас интересует", "баланс"),
        ("решётку", "#001110011#"),
        ("Или нажмите цифру после тире", "#7"),
        ("тире семь. Верно?", None),
    ])


async def test_wrong_read_back_asks_again(backend):
    talk = await converse(backend, [
        ("что вас интересует", "баланс"),
        ("Назовите номер лицевого счёта", "ноль ноль один один один ноль ноль один один тире шесть"),
        ("тире шесть. Верно?", "нет"),
        (("Хорошо. Назовите номер ещё раз.", "Назовите номер лицевого счёта"),
         "ноль ноль один один один ноль ноль один один тире семь"),
        ("тире семь. Верно?", "да"),
        ("сумму последнего платежа", None),
    ])
    assert talk.channel.asked[-1].reply == Reply.hangup()


async def test_unknown_account_said_plainly_then_found(backend):
    await converse(backend, [
        ("что вас интересует", "баланс"),
        ("Назовите номер лицевого счёта", "#9999999990#"),
        ("девять девять девять, девять девять девять, девять девять девять, тире ноль. Верно?", "да"),
        (("Лицевой счёт девять девять девять, девять девять девять, девять девять девять, тире ноль "
          "не найден.",
          "Проверьте номер по квитанции.", "Назовите номер лицевого счёта"), "#0022200220#"),
        ("тире ноль. Верно?", "да"),
        ("сумму последнего платежа", None),
    ])


async def test_three_unknown_accounts_go_to_the_operator(backend):
    talk = await converse(backend, [
        ("что вас интересует", "баланс"),
        ("Назовите номер лицевого счёта", "#9999999990#"),
        ("Верно?", "да"),
        ("не найден", "#9999999991#"),
        ("Верно?", "да"),
        ("не найден", "#9999999992#"),
        ("Верно?", "да"),
    ], end=("не найден", "Мне не удаётся найти ваш лицевой счёт.", "Соединяю с оператором"),
       outcome="operator")
    assert backend.escalations[0]["reason"] == "unknown_account"
    assert backend.escalations[0]["account"] is None
    assert talk.channel.transferred


async def test_account_once_identified_is_not_asked_again(backend):
    await converse(backend, [
        ("что вас интересует", "баланс"),
        ("Назовите номер лицевого счёта", "#0022200220#"),
        ("Верно?", "да"),
        ("сумму последнего платежа", "двести восемьдесят рублей"),
        ("Рассказать подробнее", "нет"),
        ("Чем ещё могу помочь", "баланс"),
        # straight to the figures: same account, already verified
        (("Долга нет", "Рассказать подробнее"), None),
    ])
    assert backend.attempts[OTHER] == backend.max_attempts
    assert ACCOUNT not in backend.attempts


async def test_too_many_unknown_numbers_refused_by_the_service_go_to_the_operator(backend):
    from dialogs.backend import Rejected

    async def guarded(account):
        raise Rejected(429, "too_many_unknown_accounts", "ask an operator")

    backend.account = guarded
    await converse(backend, [
        ("что вас интересует", "баланс"),
        ("Назовите номер лицевого счёта", "#0022200220#"),
        ("Верно?", "да"),
    ], end=("Мне не удаётся найти ваш лицевой счёт.", "Соединяю с оператором"), outcome="operator")
    assert backend.escalations[0]["reason"] == "unknown_account"
