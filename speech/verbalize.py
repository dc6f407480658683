"""Data → the Russian words the robot says.

espeak-ng reads digits but does no case agreement ("1 рублей", "22 ноября" come out wrong), so
everything numeric is turned into words here, with num2words doing the grammar: a Decimal for
money (a plain int would be read as kopecks), `case="genitive"` for the day of a date.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from num2words import num2words

_DIGITS = ("ноль", "один", "два", "три", "четыре", "пять", "шесть", "семь", "восемь", "девять")
_MONTHS_GENITIVE = ("января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа",
                    "сентября", "октября", "ноября", "декабря")
_ACCOUNT = re.compile(r"(\d{9})(?:-(\d))?")
_CENT = Decimal("0.01")


def say_digits(digits: str) -> str:
    """Digit by digit: "001" → "ноль ноль один"."""
    return " ".join(_DIGITS[int(d)] for d in digits)


def say_account(account: str) -> str:
    """"001110011-7" → "ноль ноль один, один один ноль, ноль один один, тире семь": groups of
    three digit by digit, the way the caller checks it against the receipt. ValueError if the
    text is not an account number."""
    match = _ACCOUNT.fullmatch(account.strip())
    if not match:
        raise ValueError(f"not an account number: {account!r}")
    number, suffix = match.groups()
    parts = [say_digits(number[i:i + 3]) for i in range(0, 9, 3)]
    if suffix is not None:
        parts.append("тире " + _DIGITS[int(suffix)])
    return ", ".join(parts)


def say_number(number: int, gender: str = "m") -> str:
    """A cardinal; gender "m", "f" or "n" ("одна квартира", "одно показание")."""
    return num2words(int(number), lang="ru", gender=gender)


def say_money(amount: Decimal) -> str:
    """729.51 → "семьсот двадцать девять рублей пятьдесят одна копейка"; rounded to kopecks;
    whole rubles drop "ноль копеек" ("пять рублей"), kopecks alone drop "ноль рублей"
    ("пятьдесят копеек"), zero is "ноль рублей"; negatives start with "минус"."""
    amount = Decimal(amount).quantize(_CENT, rounding=ROUND_HALF_UP)
    words = num2words(abs(amount), lang="ru", to="currency", currency="RUB", separator="")
    words = words.removesuffix(" ноль копеек")
    if amount:
        words = words.removeprefix("ноль рублей ")
    return f"минус {words}" if amount < 0 else words


def say_date(day: date, *, year: bool = False) -> str:
    """date(2024, 11, 22) → "двадцать второго ноября" (genitive, as in "до двадцать второго
    ноября"); with year=True "... две тысячи двадцать четвёртого года"."""
    words = f"{_ordinal_genitive(day.day)} {_MONTHS_GENITIVE[day.month - 1]}"
    return f"{words} {_ordinal_genitive(day.year)} года" if year else words


def _ordinal_genitive(number: int) -> str:
    return num2words(number, lang="ru", to="ordinal", case="genitive")


# the ordinal's case and gender from the noun after it: "в 2024 году", "до 25 числа"
_ORDINAL_NOUNS = {"год": ("nominative", "m"), "года": ("genitive", "m"), "году": ("prepositional", "m"),
                  "число": ("nominative", "n"), "числа": ("genitive", "n")}


def _say_ordinal_before(number: str, noun: str) -> str:
    case, gender = _ORDINAL_NOUNS[noun]
    return f"{num2words(int(number), lang='ru', to='ordinal', case=case, gender=gender)} {noun}"


def say_reading(value: Decimal) -> str:
    """123.5 → "сто двадцать три целых пять десятых"; trailing zeros dropped (123.50 is read
    as 123.5, 100.0 as "сто")."""
    value = Decimal(value)
    if value == value.to_integral_value():
        return num2words(int(value), lang="ru")
    return num2words(value.normalize(), lang="ru")


# --- free text -------------------------------------------------------------------------------------

# the unit's abbreviation dot is left in place: it usually ends the sentence too
_RUBLE_WORD = r"(?:руб(?:лей|ля|ль)?|₽|р\b)"
_MONTH_WORD = "|".join(_MONTHS_GENITIVE)
_INTEGER = r"\d{1,3}(?:[ \u00a0]\d{3})+|\d+"  # "1 200" as printed in bills, or plain digits
_PERCENT_FORMS = ("процент", "процента", "процентов")


def _plural(n: int, forms: tuple[str, str, str]) -> str:
    """Russian noun form after n: 1 процент, 2 процента, 5 процентов, 11 процентов."""
    if n % 10 == 1 and n % 100 != 11:
        return forms[0]
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return forms[1]
    return forms[2]


def _amount(rubles: str, kopecks: str | None = None) -> Decimal:
    value = Decimal(re.sub(r"\s", "", rubles).replace(",", "."))
    return value + Decimal(kopecks) * _CENT if kopecks else value


def _say_numeric_date(day: int, month: int, year: int) -> str:
    try:
        return say_date(date(year, month, day), year=True)
    except ValueError:  # "31.02.2024" is a typo; say what is written
        return " ".join(say_number(n) for n in (day, month, year))


def _say_time(hours: str, minutes: str) -> str:
    if minutes == "00":
        return f"{say_number(int(hours))} ноль ноль"
    return f"{say_number(int(hours))} {'ноль ' if minutes[0] == '0' else ''}{say_number(int(minutes))}"


def _say_integer(digits: str) -> str:
    # a leading zero means a code, not a quantity, and nobody says quadrillions: digit by digit
    code = len(digits) > 1 and digits[0] == "0" or len(digits) > 15
    return say_digits(digits) if code else say_number(int(digits))


def _say_percent(number: str) -> str:
    value = Decimal(number.replace(",", "."))
    if value != value.to_integral_value():
        return f"{say_reading(value)} процента"  # a fraction takes the genitive singular
    return f"{say_number(int(value))} {_plural(int(value), _PERCENT_FORMS)}"


# order matters: the most specific shapes first
_RULES: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (re.compile(r"\b\d{9}-\d\b"), lambda m: say_account(m[0])),
    (re.compile(rf"\b({_INTEGER})\s*{_RUBLE_WORD}\.?\s*(\d{{1,2}})\s*коп(?:еек|ейки|ейка)?"),
     lambda m: say_money(_amount(m[1], m[2]))),
    (re.compile(rf"(-?(?:{_INTEGER})(?:[.,]\d{{1,2}})?)\s*{_RUBLE_WORD}"),
     lambda m: say_money(_amount(m[1]))),
    (re.compile(r"\b(\d{1,2})\.(\d{1,2})\.(\d{4})\b"),
     lambda m: _say_numeric_date(int(m[1]), int(m[2]), int(m[3]))),
    (re.compile(rf"\b(\d{{1,2}})\s+({_MONTH_WORD})\b"),
     lambda m: f"{_ordinal_genitive(int(m[1]))} {m[2]}"),
    (re.compile(r"\bс (\d{1,2}) по (?=\d{1,2} числ)"), lambda m: f"с {_ordinal_genitive(int(m[1]))} по "),
    (re.compile(rf"\b(\d{{1,4}})\s+({'|'.join(_ORDINAL_NOUNS)})\b"),
     lambda m: _say_ordinal_before(m[1], m[2])),
    (re.compile(r"\b(\d{1,2}):(\d{2})\b"), lambda m: _say_time(m[1], m[2])),
    (re.compile(r"(\d+(?:[.,]\d+)?)\s*%"), lambda m: _say_percent(m[1])),
    (re.compile(r"\b\d+(?:-\d+){2,}\b"), lambda m: ", ".join(_say_integer(g) for g in m[0].split("-"))),
    (re.compile(r"\d+[.,]\d+"), lambda m: say_reading(Decimal(m[0].replace(",", ".")))),
    (re.compile(r"(?<![\w-])-(\d+)"), lambda m: "минус " + _say_integer(m[1])),
    (re.compile(r"\d+"), lambda m: _say_integer(m[0])),
]


def spell_numbers(text: str) -> str:
    """Every digit in free text replaced by words, so the synthesizer never reads raw digits:
    accounts, money ("729.51 руб."), dates ("22.11.2024", "22 ноября"), times ("8:00"),
    percents, phone-like groups, decimals and integers. Text without digits comes back as is."""
    for pattern, say in _RULES:
        text = pattern.sub(_safe(say), text)
    return text


def _safe(say: Callable[[re.Match[str]], str]) -> Callable[[re.Match[str]], str]:
    """A match a rule cannot render (an amount past num2words' range) is read digit by digit."""
    def render(match: re.Match[str]) -> str:
        try:
            return say(match)
        except (ValueError, ArithmeticError, LookupError):
            return re.sub(r"\d+", lambda m: say_digits(m[0]), match[0])
    return render
