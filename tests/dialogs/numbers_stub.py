"""A stand-in for `speech.numbers` until the numbers branch lands on main.

Only what the dialog tests say: digit-by-digit accounts, plain amounts and
readings. conftest installs it as `speech.numbers` only when the real module
is missing; delete this file once it is there.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from num2words import num2words

UNITS = {"ноль": 0, "нуль": 0, "один": 1, "одна": 1, "два": 2, "две": 2, "три": 3, "четыре": 4, "пять": 5,
         "шесть": 6, "семь": 7, "восемь": 8, "девять": 9}
TEENS = {"десять": 10, "одиннадцать": 11, "двенадцать": 12, "тринадцать": 13, "четырнадцать": 14,
         "пятнадцать": 15, "шестнадцать": 16, "семнадцать": 17, "восемнадцать": 18, "девятнадцать": 19}
TENS = {"двадцать": 20, "тридцать": 30, "сорок": 40, "пятьдесят": 50, "шестьдесят": 60, "семьдесят": 70,
        "восемьдесят": 80, "девяносто": 90}
HUNDREDS = {"сто": 100, "двести": 200, "триста": 300, "четыреста": 400, "пятьсот": 500, "шестьсот": 600,
            "семьсот": 700, "восемьсот": 800, "девятьсот": 900}
TOWNS = {"новокузнец": 0, "прокопьев": 1, "киселев": 2, "красноброд": 3, "мыск": 4, "междуречен": 5,
         "осинник": 6, "калтан": 7, "таштагол": 8, "шерегеш": 9}
MONTHS = ("января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября", "октября",
          "ноября", "декабря")


def _number(words: list[str]) -> int | None:
    total, seen = 0, False
    for word in words:
        for table in (UNITS, TEENS, TENS, HUNDREDS):
            if word in table:
                total += table[word]
                seen = True
    if any(w.startswith("тысяч") for w in words):
        idx = next(i for i, w in enumerate(words) if w.startswith("тысяч"))
        return (_number(words[:idx]) or 1) * 1000 + (_number(words[idx + 1:]) or 0)
    return total if seen else None


def parse_digits(text: str) -> str | None:
    digits = "".join(str(UNITS[w]) for w in text.split() if w in UNITS)
    return digits or None


def parse_territory(text: str) -> int | None:
    for stem, suffix in TOWNS.items():
        if stem in text.replace("ё", "е"):
            return suffix
    words = text.split()
    return UNITS[words[0]] if len(words) == 1 and words[0] in UNITS else None


def parse_account(text: str) -> str | None:
    main, dash, tail = (f" {text} ".replace(" дефис ", " тире ")).partition(" тире ")
    digits = parse_digits(main) or ""
    if len(digits) == 10 and not dash:
        return f"{digits[:9]}-{digits[9]}"
    if len(digits) != 9:
        return None
    suffix = parse_territory(tail.strip()) if dash else None
    if suffix is None and not dash:
        suffix = next((s for stem, s in TOWNS.items() if stem in text), None)
    return f"{digits}-{suffix}" if suffix is not None else digits


def parse_amount(text: str) -> Decimal | None:
    words = text.split()
    rub_idx = next((i for i, w in enumerate(words) if w.startswith("рубл")), None)
    if rub_idx is None:
        value = _number(words)
        return Decimal(value) if value is not None else None
    rubles = _number(words[:rub_idx]) or 0
    kopecks = _number([w for w in words[rub_idx + 1:] if not w.startswith("копе")]) or 0
    return Decimal(rubles) + Decimal(kopecks) / 100


def parse_reading(text: str) -> Decimal | None:
    parts = re.split(r"\s(?:и|целых|запятая)\s", f" {text} ")
    whole = _number(parts[0].split())
    if whole is None:
        return None
    if len(parts) > 1 and parts[1].strip():
        frac = parse_digits(parts[1]) or str(_number(parts[1].split()) or "")
        return Decimal(f"{whole}.{frac}")
    return Decimal(whole)


def parse_yes_no(text: str) -> bool | None:
    if "нет" in text.split():
        return False
    return True if "да" in text.split() else None


def _digit(d: str) -> str:
    return num2words(int(d), lang="ru")


def say_account(account: str) -> str:
    number, _, suffix = account.partition("-")
    groups = [" ".join(_digit(d) for d in number[i:i + 3]) for i in range(0, 9, 3)]
    return ", ".join(groups) + f", тире {_digit(suffix)}"


def say_money(amount: Decimal) -> str:
    return num2words(Decimal(amount), lang="ru", to="currency", currency="RUB").replace(",", "")


def say_date(day: date) -> str:
    return f"{num2words(day.day, lang='ru', to='ordinal', case='genitive')} {MONTHS[day.month - 1]}"


def say_reading(value: Decimal) -> str:
    return num2words(Decimal(value), lang="ru")


def say_number(value: int) -> str:
    return num2words(value, lang="ru")
