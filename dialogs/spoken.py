"""The one door from dialogs to `speech.numbers`: Russian numerals in and out.

Why one module: every flow parses accounts, amounts and readings and speaks
money and dates; keeping the calls here means a change in `speech.numbers`
touches one file, and the clock times and ordinal days that only dialogs need
(office hours, the readings window) live next to them.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from num2words import num2words

from speech import numbers as _numbers
from speech.verbalize import expand_abbreviations, normalise_for_speech


def parse_account(text: str) -> str | None:
    """ "ноль ноль один … тире семь" → "001110011-7"; nine digits only → "001110011"; else None."""
    return _numbers.parse_account(text)


def parse_digits(text: str) -> str | None:
    """Every digit said, in order: "восемь девятьсот сто одиннадцать" → "8900111"."""
    return _numbers.parse_digits(text)


def parse_territory(text: str) -> int | None:
    """A town or district ("Калтан", "из Прокопьевска") or a suffix digit → 0–9."""
    return _numbers.parse_territory(text)


def parse_amount(text: str) -> Decimal | None:
    """ "семьсот двадцать девять рублей пятьдесят одна копейка" → Decimal("729.51")."""
    return _numbers.parse_amount(text)


def parse_reading(text: str) -> Decimal | None:
    """ "сто двадцать четыре и пять" → Decimal("124.5")."""
    return _numbers.parse_reading(text)


def parse_yes_no(text: str) -> bool | None:
    return _numbers.parse_yes_no(text)


def say_account(account: str) -> str:
    """In groups of three, suffix after "тире", as the caller reads it from the receipt."""
    return _numbers.say_account(account)


def say_money(amount: Decimal) -> str:
    return _numbers.say_money(amount)


def say_date(day: date, case: str = "genitive") -> str:
    """ "первого сентября" (genitive: «с …», «от …»); "двадцать восьмое февраля" (accusative: «по …»)."""
    return _numbers.say_date(day, case=case)


def say_reading(value: Decimal, unit: str | None = None) -> str:
    """ "шестьсот сорок пять кубометров" with the meter's unit ("м³", "кВт·ч", "Гкал"), else the number."""
    return _numbers.say_reading(value, unit)


def say_number(value: int) -> str:
    return _numbers.say_number(value)


def say_digits(digits: str) -> str:
    """ "0011" → "ноль ноль один один": the tail of an account, one digit at a time."""
    return " ".join(num2words(int(d), lang="ru") for d in digits if d.isdigit())


def say_clock_genitive(hhmm: str) -> str:
    """ "08:30" → "восьми тридцати", "17:00" → "семнадцати": read after "с" and "до"."""
    hours, _, minutes = hhmm.partition(":")
    words: str = num2words(int(hours), lang="ru", case="genitive")
    if minutes and int(minutes):
        words += " " + num2words(int(minutes), lang="ru", case="genitive")
    return words


def say_day_of_month(day: int, case: str) -> str:
    """Ordinal day agreeing with "число": "пятнадцатого" (genitive), "двадцать пятое" (accusative)."""
    words: str = num2words(day, lang="ru", to="ordinal", case=case, gender="n")
    return words


def say_count_feminine(count: int) -> str:
    """Counts of feminine nouns: "одна", "две" попытки."""
    return _numbers.say_number(count, gender="f")


def speakable(text: str) -> str:
    """Free text from the API (promotion terms) made fit to be read aloud: abbreviations, web
    addresses and signs in words, every number in correct Russian words, agreeing with its
    preposition (speech.verbalize.normalise_for_speech, the one normalisation step)."""
    return normalise_for_speech(text)


def address(text: str) -> str:
    """An office address with its abbreviations written out («г.» → «город», «ул.» → «улица»);
    house numbers and floors are left to the voice's normalisation."""
    return expand_abbreviations(text)
