"""Debt reminder calls as people answer them: the holder confirms and promises or says they paid,
a relative picks up, a stranger says «ошиблись номером», someone says «не звоните мне».

Each test is one outbound call (the dialer placed it: a contact row in the demo database) played
through the text channel against the real account API; the robot's words are checked in order,
and so is what the contact row and the opt-out list say afterwards. Nothing of the account may be
said before the holder is confirmed.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest

from api import campaigns
from api.models import DebtContact, DebtOptOut
from dialogs.channel import Reply
from dialogs.reminder import DebtCall, day_of_month, next_date_with_day, run_reminder
from dialogs.textchannel import ScriptedChannel
from tests.dialogs.demo_api import DEBTOR
from tests.dialogs.talk import THURSDAY_NIGHT, Clock, Talk, _check_in_order, _fragments, options

DEBTOR_PHONE = "79002220022"  # on file for DEBTOR (api/demo.py)
HOLDER = "оканчивается на ноль ноль два два"
WHO_CALLS = "Это автоматический звонок компании ЭкоТек по оплате коммунальных услуг"
DEBT = "По вашему счёту есть долг"
OFFERS = "Если вы уже оплатили"


async def remind(api, turns, *, end=(), outcome=None, opts=None):
    """Place the call the dialer would have placed, play the script, check every turn."""
    with api.app.state.sessions.begin() as session:
        contact = campaigns.start_contact(session, DEBTOR, DEBTOR_PHONE, api.now)
    channel = ScriptedChannel([line for _, line in turns], caller=DEBTOR_PHONE, call_id=f"debt-{contact}")
    outcome_of_call = await run_reminder(channel, api.backend, opts or options(), DebtCall(contact, DEBTOR))
    talk = Talk(outcome_of_call, channel)
    problems = []
    if len(channel.asked) != len(turns):
        problems.append(f"the robot asked {len(channel.asked)} questions, the script has {len(turns)}")
    for i, ((expected, _line), asked) in enumerate(zip(turns, channel.asked, strict=False)):
        missing = _check_in_order(asked.robot, _fragments(expected))
        if missing:
            problems.append(f"turn {i + 1}: the robot did not say {missing!r}")
    missing = _check_in_order(channel.tail, _fragments(end))
    if missing:
        problems.append(f"at the end the robot did not say {missing!r}")
    if outcome is not None and talk.outcome != outcome:
        problems.append(f"outcome {talk.outcome!r}, expected {outcome!r}")
    assert not problems, "\n".join(problems) + "\nThe conversation:\n" + talk.transcript()
    with api.app.state.sessions() as session:
        row = session.get(DebtContact, contact)
        opted_out = session.get(DebtOptOut, DEBTOR_PHONE)
        return talk, (row.outcome, row.promised_on), opted_out.reason if opted_out else None


def nothing_of_the_account_said(talk: Talk) -> bool:
    return not any(word in sentence for sentence in talk.channel.said for word in ("долг", "руб", "Пени"))


async def test_the_holder_confirms_hears_the_debt_and_promises_to_pay_by_the_twenty_fifth(api):
    talk, contact, opted_out = await remind(api, [
        ((WHO_CALLS, HOLDER), "да это я"),
        ((DEBT, "Пени", "Оплатить можно", OFFERS), "оплачу на следующей неделе"),
        ("До какого числа вы оплатите", "до двадцать пятого"),
    ], end=("оплата до двадцать пятого ноября", "До свидания"), outcome="completed")
    assert contact == ("promised", date(2025, 11, 25)) and opted_out is None


async def test_the_holder_says_she_has_already_paid_and_the_operator_is_to_check(api):
    _talk, contact, _ = await remind(api, [
        (HOLDER, "да"),
        (OFFERS, "так я уже оплатила вчера"),
    ], end=("передам оператору", "До свидания"), outcome="completed")
    assert contact == ("paid", None)


async def test_a_wife_who_answers_hears_nothing_of_the_account(api):
    talk, contact, opted_out = await remind(api, [
        ((WHO_CALLS, HOLDER), "нет это жена его"),
    ], end=("передайте владельцу счёта", "До свидания"), outcome="completed")
    assert contact == ("not_holder", None) and opted_out is None
    assert nothing_of_the_account_said(talk)


async def test_a_stranger_says_wrong_number_and_the_number_is_never_called_again(api):
    talk, contact, opted_out = await remind(api, [
        (HOLDER, "вы ошиблись номером"),
    ], end="больше не будем звонить", outcome="completed")
    assert contact == ("wrong_number", None) and opted_out == "wrong_number"
    assert nothing_of_the_account_said(talk)
    with api.app.state.sessions() as session:
        later = datetime(2025, 11, 27, 12, 0, tzinfo=options().zone)
        assert campaigns.why_not_call(session, DEBTOR, DEBTOR_PHONE, later, campaigns.Limits()) == "opted_out"


async def test_dont_call_me_before_or_after_the_debt_opts_the_number_out(api):
    _talk, contact, opted_out = await remind(api, [
        (HOLDER, "не звоните мне больше"),
    ], end="больше не будем звонить")
    assert contact == ("refused", None) and opted_out == "refused"


async def test_the_holder_asks_for_a_person_in_operators_hours(api):
    _talk, contact, _ = await remind(api, [
        (HOLDER, "да"),
        (OFFERS, "соедините с оператором"),
    ], end="Соединяю с оператором", outcome="operator")
    assert contact == ("confirmed", None)
    escalations = await api.escalations()
    assert [e["account"] for e in escalations] == [DEBTOR]


async def test_at_night_an_operator_is_not_promised_and_the_call_ends_politely(api):
    _talk, contact, _ = await remind(api, [
        (HOLDER, "#1"),
        (OFFERS, "#0"),
    ], end=("Операторы", "До свидания"), outcome="operator_closed", opts=options(Clock(THURSDAY_NIGHT)))
    assert contact == ("confirmed", None)


async def test_keys_only_the_holder_promises_by_the_fifteenth_of_next_month(api):
    _talk, contact, _ = await remind(api, [
        (HOLDER, "#1"),
        (OFFERS, "#2"),
        ("число месяца, до которого вы оплатите", "#15#"),
    ], end="оплата до пятнадцатого декабря")
    assert contact == ("promised", date(2025, 12, 15))


async def test_an_answering_machine_that_stays_silent_is_voicemail_and_hears_nothing_of_the_account(api):
    talk, contact, opted_out = await remind(api, [
        (HOLDER, ""),
        (HOLDER, ""),
        (HOLDER, ""),
    ], end=("Не удалось поговорить с владельцем счёта", "До свидания"), outcome="completed")
    assert contact == ("voicemail", None) and opted_out is None
    assert nothing_of_the_account_said(talk) and not talk.channel.transferred


async def test_a_hang_up_after_the_greeting_leaves_the_call_answered_only(api):
    _talk, contact, _ = await remind(api, [(HOLDER, None)], outcome="hangup")
    assert contact == ("answered", None)


@pytest.mark.parametrize(("said", "day"), [
    ("до пятнадцатого", 15), ("двадцать пятого числа", 25), ("пятого", 5), ("тридцатое", 30),
    ("десять", 10), ("не знаю", None), ("сорок", None),
])
def test_the_day_of_a_promise_as_people_say_it(said, day):
    assert day_of_month(Reply.speech(said)) == day


def test_a_day_already_past_this_month_is_next_months():
    today = date(2025, 11, 20)
    assert next_date_with_day(today, 25) == date(2025, 11, 25)
    assert next_date_with_day(today, 5) == date(2025, 12, 5)
    assert next_date_with_day(date(2026, 1, 31), 31) == date(2026, 1, 31)
    assert next_date_with_day(date(2026, 2, 10), 31) == date(2026, 2, 28)
