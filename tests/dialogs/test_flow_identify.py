"""Identify: the phone on file first, else the account number by voice or keys, read back, confirmed."""

from __future__ import annotations

from dialogs.channel import Reply
from tests.dialogs.demo_api import ACCOUNT, DEBTOR, LAST_PAYMENT, PHONE, SHARED, SHARED_PHONE
from tests.dialogs.failing import Failing
from tests.dialogs.talk import converse, keys, money

NINES = "девять девять девять, девять девять девять, девять девять девять, тире ноль"


async def test_several_accounts_on_the_phone_caller_picks_the_second(api):
    talk = await converse(api.backend, [
        ("что вас интересует", "баланс"),
        (("найдено несколько лицевых счетов", "Счёт на ноль ноль три три — скажите «первый»",
          "Счёт на ноль ноль три четыре — скажите «второй»"), "второй"),
        ("Долга нет", "нет"),
        ("Чем ещё могу помочь", None),  # hung up after the answer: the call did its job
    ], outcome="completed", caller=SHARED_PHONE)
    assert (await api.call(talk.channel.call_id))["account"] == SHARED[1]


async def test_several_accounts_picked_by_key(api):
    talk = await converse(api.backend, [
        ("что вас интересует", "#1"),
        ("несколько лицевых счетов", "#1"),
        ("переплата", None),
    ], caller=SHARED_PHONE)
    assert (await api.call(talk.channel.call_id))["account"] == SHARED[0]


async def test_caller_says_the_phone_account_is_not_theirs_and_names_another(api):
    await converse(api.backend, [
        ("что вас интересует", "баланс"),
        ("оканчивается на ноль ноль один один?", "нет"),
        ("Назовите номер лицевого счёта", "ноль ноль два два два ноль ноль два два тире ноль"),
        ("ноль ноль два, два два ноль, ноль два два, тире ноль. Верно?", "да"),
        # the caller's phone is not on file for this account: the last payment is asked
        ("сумму последнего платежа", None),
    ], caller=PHONE)


async def test_account_typed_on_the_keypad_and_payment_typed_with_star(api):
    await converse(api.backend, [
        ("что вас интересует", "баланс"),
        ("решётку", "#0011100117#"),
        ("Лицевой счёт ноль ноль один, один один ноль, ноль один один, тире семь. Верно?", "#1"),
        ("сумму последнего платежа", keys(LAST_PAYMENT)),
        (("Спасибо, всё верно.", "Сейчас к оплате"), None),
    ])


async def test_star_erases_a_mistyped_account(api):
    await converse(api.backend, [
        ("что вас интересует", "баланс"),
        ("решётку", "#00222*0022200220#"),
        ("ноль ноль два, два два ноль, ноль два два, тире ноль. Верно?", None),
    ])


async def test_nine_digits_then_the_town(api):
    await converse(api.backend, [
        ("что вас интересует", "баланс"),
        ("Назовите номер лицевого счёта", "ноль ноль один один один ноль ноль один один"),
        ("Назовите ваш город или район", "калтан"),
        ("ноль ноль один, один один ноль, ноль один один, тире семь. Верно?", None),
    ])


async def test_nine_digits_then_the_suffix_key(api):
    await converse(api.backend, [
        ("что вас интересует", "баланс"),
        ("решётку", "#001110011#"),
        ("цифру после тире", "#7"),
        ("тире семь. Верно?", None),
    ])


async def test_wrong_read_back_asks_again(api):
    await converse(api.backend, [
        ("что вас интересует", "баланс"),
        ("Назовите номер лицевого счёта", "ноль ноль один один один ноль ноль один один тире шесть"),
        ("тире шесть. Верно?", "нет"),
        (("Хорошо. Назовите номер ещё раз.", "Назовите номер лицевого счёта"),
         "ноль ноль один один один ноль ноль один один тире семь"),
        ("тире семь. Верно?", "да"),
        ("сумму последнего платежа", money(LAST_PAYMENT)),
        ("Спасибо, всё верно.", Reply.hangup()),
    ])


async def test_unknown_account_said_plainly_then_found(api):
    await converse(api.backend, [
        ("что вас интересует", "баланс"),
        ("Назовите номер лицевого счёта", "#9999999990#"),
        (f"{NINES}. Верно?", "да"),
        ((f"Лицевой счёт {NINES} не найден.", "Проверьте номер по квитанции.",
          "номер лицевого счёта на телефоне"), "#0022200220#"),
        ("тире ноль. Верно?", "да"),
        ("сумму последнего платежа", None),
    ])


async def test_three_unknown_accounts_go_to_the_operator(api):
    talk = await converse(api.backend, [
        ("что вас интересует", "баланс"),
        ("Назовите номер лицевого счёта", "#9999999990#"),
        ("Верно?", "да"),
        ("не найден", "#9999999991#"),
        ("Верно?", "да"),
        ("не найден", "#9999999992#"),
        ("Верно?", "да"),
    ], end=("не найден", "Мне не удаётся найти ваш лицевой счёт.", "Соединяю с оператором"),
       outcome="operator")
    [escalation] = await api.escalations()
    assert (escalation["reason"], escalation["account"]) == ("unknown_account", None)
    assert talk.channel.transferred


async def test_too_many_unknown_numbers_refused_by_the_service_go_to_the_operator(api):
    # A caller who already asked for five unknown accounts from this number (another call).
    await api.backend.start_call("earlier-call", caller=PHONE)
    for n in range(5):
        assert await api.backend.account(f"99999999{n}-0", call_id="earlier-call") is None
    await converse(api.backend, [
        ("что вас интересует", "баланс"),
        ("оканчивается на", "нет"),
        ("Назовите номер лицевого счёта", "#0022200220#"),
        ("Верно?", "да"),
    ], end=("Мне не удаётся найти ваш лицевой счёт.", "Соединяю с оператором"), outcome="operator",
       caller=PHONE)
    [escalation] = await api.escalations()
    assert escalation["reason"] == "unknown_account"


async def test_account_once_identified_and_verified_is_not_asked_again(api):
    await converse(api.backend, [
        ("что вас интересует", "баланс"),
        ("Назовите номер лицевого счёта", "#0011100117#"),
        ("Верно?", "да"),
        ("сумму последнего платежа", money(LAST_PAYMENT)),
        ("Рассказать подробнее", "нет"),
        ("Чем ещё могу помочь", "баланс"),
        # straight to the figures: same account, already verified
        (("Сейчас к оплате", "Рассказать подробнее"), None),
    ])


async def test_phone_lookup_failing_still_lets_the_caller_name_the_account(api):
    backend = Failing(api.backend, "accounts_for_phone")
    await converse(backend, [
        ("что вас интересует", "баланс"),
        (("Извините, сервис сейчас не отвечает.", "Соединить вас с оператором?"), "нет"),
    ], end="позвоните позже", outcome="service_error", caller=PHONE)
    assert ACCOUNT and DEBTOR  # the demo's accounts named in this module
