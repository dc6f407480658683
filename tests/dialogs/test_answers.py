"""Interpreting one answer: keys and words to values, or no match."""

from __future__ import annotations

from decimal import Decimal

import pytest

from dialogs import answers, menu, prompts
from dialogs.channel import Reply


@pytest.mark.parametrize(("reply", "value"), [
    (Reply.speech("да"), True), (Reply.speech("нет"), False), (Reply.speech("не верно"), False),
    (Reply.speech("верно"), True), (Reply.keys("1"), True), (Reply.keys("2"), False),
    (Reply.keys("3"), None), (Reply.speech("баланс"), None), (Reply.silence(), None),
])
def test_yes_no(reply, value):
    assert answers.yes_no(reply) is value


@pytest.mark.parametrize(("keys", "value"), [
    ("124*5", Decimal("124.5")), ("729*51", Decimal("729.51")), ("100", Decimal("100")),
    ("1*2*3", None), ("*5", None), ("", None),
])
def test_keyed_decimal(keys, value):
    assert answers.keyed_decimal(keys) == value


def test_amount_keys_allow_kopecks_only():
    assert answers.amount(Reply.keys("95*71")) == Decimal("95.71")
    assert answers.amount(Reply.keys("95*713")) is None


@pytest.mark.parametrize(("keys", "account"), [
    ("0011100117", "001110011-7"), ("001110011", "001110011"), ("00111", None),
])
def test_account_keys(keys, account):
    assert answers.account(Reply.keys(keys)) == account


@pytest.mark.parametrize(("text", "intent"), [
    ("баланс", "balance"), ("какой у меня долг", "balance"), ("хочу передать показания", "readings"),
    ("счетчик", "readings"), ("про акцию", "promotion"), ("где находится офис", "offices"),
    ("до свидания", "goodbye"), ("нет", "goodbye"), ("кукуруза", None),
])
def test_menu_by_words_and_other_word_forms(text, intent):
    # "нет" is a goodbye where the caller was asked whether anything else is needed
    found = menu.topics_of(Reply.speech(text), prompts.MENU_AGAIN, resting=True)
    assert (found[0] if found else None) == intent


def test_menu_by_key():
    assert menu.topics_of(Reply.keys("2"), prompts.MENU) == ("readings",)
    assert menu.topics_of(Reply.keys("7"), prompts.MENU) is None


def test_reading_dates_are_local_days():
    from dialogs.readings import _local_day

    assert str(_local_day("2025-10-20T20:00:00+00:00", "Asia/Novokuznetsk")) == "2025-10-21"
    assert str(_local_day("2025-10-20", "Asia/Novokuznetsk")) == "2025-10-20"
    assert _local_day(None, "Asia/Novokuznetsk") is None
