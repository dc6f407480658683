"""The one Russian lexicon (speech.russian, speech.account_format, speech/territories.toml) and
the packages that read it: what they say and hear must not change with where the words live.

Expected words are written out by hand (the seed's suffix table, a calendar, a grammar book),
never computed by the module under test.
"""

from __future__ import annotations

import ast
from datetime import date
from pathlib import Path

import pytest

from speech import numbers, russian, territories
from speech.account_format import account_from_keys, split_account
from speech.verbalize import normalise_for_speech, say_account, say_date

ROOT = Path(__file__).resolve().parents[2]

# seed 000, appendix 3, step 2
SEED_SUFFIX_TABLE = {
    0: "Новокузнецк и район", 1: "Прокопьевск и район", 2: "Киселевск и район",
    3: "Краснобродский и район", 4: "Мыски и район", 5: "Междуреченск и район",
    6: "Осинники и район", 7: "Калтан и район", 8: "Таштагол и район", 9: "Шерегеш",
}


def test_digit_words():
    assert russian.DIGIT_WORDS == (
        "ноль", "один", "два", "три", "четыре", "пять", "шесть", "семь", "восемь", "девять",
    )


@pytest.mark.parametrize("digit", range(10))
def test_every_digit_word_the_robot_says_is_understood(digit):
    assert numbers.parse_digits(russian.DIGIT_WORDS[digit]) == str(digit)
    assert russian.DIGIT_WORDS[digit] in numbers.heard_words("digits")


def test_month_names_in_both_cases():
    assert russian.MONTHS_NOMINATIVE[0] == "январь"
    assert russian.MONTHS_NOMINATIVE[4] == "май"
    assert russian.MONTHS_NOMINATIVE[10] == "ноябрь"
    assert russian.MONTHS_GENITIVE[0] == "января"
    assert russian.MONTHS_GENITIVE[4] == "мая"
    assert russian.MONTHS_GENITIVE[7] == "августа"
    assert russian.MONTHS_GENITIVE[11] == "декабря"
    assert len(russian.MONTHS_NOMINATIVE) == len(russian.MONTHS_GENITIVE) == 12


@pytest.mark.parametrize(
    ("count", "word"),
    [(0, "попыток"), (1, "попытка"), (2, "попытки"), (4, "попытки"), (5, "попыток"), (11, "попыток"),
     (12, "попыток"), (14, "попыток"), (21, "попытка"), (22, "попытки"), (25, "попыток"),
     (101, "попытка"), (111, "попыток"), (112, "попыток"), (1001, "попытка")],
)
def test_plural_rule(count, word):
    assert russian.plural(count, "попытка", "попытки", "попыток") == word


def test_the_robot_still_says_dates_percent_and_accounts_the_same():
    assert say_date(date(2025, 11, 22)) == "двадцать второго ноября"
    assert say_account("001110011-7") == "ноль ноль один, один один ноль, ноль один один, тире семь"
    assert say_account("001110011") == "ноль ноль один, один один ноль, ноль один один"
    assert normalise_for_speech("скидка 21%") == "скидка двадцать один процент"
    assert normalise_for_speech("скидка 3%") == "скидка три процента"
    assert normalise_for_speech("скидка 11%") == "скидка одиннадцать процентов"
    with pytest.raises(ValueError):
        say_account("00111001-7")


# --- the account number's shape ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [("001110011-7", ("001110011", 7)), ("000000000-0", ("000000000", 0)), ("001110011", None),
     ("0011100117", None), ("001110011-77", None), (" 001110011-7", None), ("００１１１００１１-7", None),
     ("", None), (None, None), (1110011, None)],
)
def test_split_account(text, expected):
    assert split_account(text) == expected


def test_split_account_without_a_suffix():
    assert split_account("001110011", suffix_required=False) == ("001110011", None)
    assert split_account("00111001", suffix_required=False) is None


@pytest.mark.parametrize(
    ("keys", "expected"),
    [("0011100117", "001110011-7"), ("001110011", "001110011"), ("00111001", None), ("00111001177", None),
     ("001110011*", None), ("", None)],
)
def test_account_from_keys(keys, expected):
    assert account_from_keys(keys) == expected


# --- territories ---------------------------------------------------------------------------------


def test_the_territory_table_is_the_seeds():
    assert {s: t.name for s, t in territories.territories().items()} == SEED_SUFFIX_TABLE
    assert [territories.territory_name(s) for s in range(10)] == list(SEED_SUFFIX_TABLE.values())


def test_every_heard_form_names_its_own_territory():
    for suffix, territory in territories.territories().items():
        for word in territory.heard:
            two_word = any(word.startswith(stems) for pair in territory.two_word_names for stems in pair)
            assert word.startswith(territory.stems) or two_word, word
            if not two_word:
                assert numbers.parse_territory(word) == suffix, word
        assert set(territory.heard) <= set(numbers.heard_words("territory"))
        assert set(territory.heard) <= set(numbers.heard_words("account"))


def test_a_two_word_name():
    assert numbers.parse_territory("из красного брода") == 3
    assert numbers.parse_territory("красный брод") == 3


def test_the_api_and_the_demo_read_the_same_table():
    from api.demo import demo_accounts
    from api.reference import TERRITORIES

    assert {s: name for s, (name, _) in TERRITORIES.items()} == SEED_SUFFIX_TABLE
    towns = {"г. Калтан": 7, "пгт Шерегеш": 9, "г. Новокузнецк": 0}
    for account in demo_accounts():
        suffix = int(account.text[-1])
        for town, its_suffix in towns.items():
            if account.address.startswith(town):
                assert suffix == its_suffix


# --- one home each ---------------------------------------------------------------------------------

def _strings(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)}


def _string_constants(path: Path) -> list[str]:
    return [word for text in _strings(path) for word in text.lower().split()]


@pytest.mark.parametrize("package", ["api", "dialogs", "speech", "ivr"])
def test_no_second_copy_of_the_month_names(package):
    """The months are spelled only in CLDR (babel): no module types «январь» or «января» itself."""
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.parts and {"январь", "января"} & set(_string_constants(path))
    ]
    assert offenders == []


@pytest.mark.parametrize("package", ["api", "dialogs", "speech", "ivr"])
def test_no_second_copy_of_the_territory_table(package):
    """The suffix table's names are written only in speech/territories.toml."""
    offenders = []
    for path in (ROOT / package).rglob("*.py"):
        if "migrations" in path.parts:
            continue
        if _strings(path) & set(SEED_SUFFIX_TABLE.values()) - {"Шерегеш"}:  # a town alone may be said
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
