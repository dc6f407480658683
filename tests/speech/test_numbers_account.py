"""parse_account / parse_territory / parse_digits on what Vosk prints.

Expected values are written out by hand or built from the seed's suffix table and num2words —
never from speech.numbers itself.
"""

from __future__ import annotations

import random

import pytest
from num2words import num2words

from speech import numbers
from speech.numbers import parse_account, parse_digits, parse_territory, say_account

A = "001110011"  # the regulation's example account

# --- the five examples the issue requires -------------------------------------------------------
ISSUE_EXAMPLES = [
    ("ноль ноль один один один ноль ноль один один тире семь", "001110011-7"),
    ("мой лицевой счёт ноль ноль один сто десять ноль одиннадцать из калтана", "001110011-7"),
    ("два нуля сто одиннадцать ноль ноль одиннадцать дефис ноль", "001110011-0"),
    ("один миллион сто десять тысяч одиннадцать", "001110011"),
    ("позовите оператора", None),
]

# --- one account said many ways ------------------------------------------------------------------
PHRASINGS = [
    # digit by digit
    ("ноль ноль один один один ноль ноль один один", A),
    ("нуль нуль один один один нуль нуль один один", A),
    ("ноль ноль один один один ноль ноль один один семь", A + "-7"),  # tenth digit straight after nine
    ("ноль ноль один один один ноль ноль один один ноль", A + "-0"),
    ("ноль ноль один один один ноль ноль один один тире ноль", A + "-0"),
    ("ноль ноль один один один ноль ноль один один дефис нуль", A + "-0"),
    ("ноль ноль один один один ноль ноль один один через тире семь", A + "-7"),
    ("ноль ноль один один один ноль ноль один один через дефис семь", A + "-7"),
    ("ноль ноль один один один ноль ноль один один суффикс семь", A + "-7"),
    ("ноль ноль один один один ноль ноль один один черточка семь", A + "-7"),
    ("ноль ноль один один один ноль ноль один один и суффикс семь", A + "-7"),
    ("ноль ноль один один один ноль ноль один один тире семь тире семь", A + "-7"),  # repeated
    # groups of three with leading zeros one by one
    ("ноль ноль один сто десять ноль одиннадцать", A),
    ("ноль ноль один сто десять ноль одиннадцать тире семь", A + "-7"),
    ("ноль ноль один сто десять ноль один один", A),
    ("ноль ноль один один один ноль ноль одиннадцать", A),
    ("ноль ноль один сто десять ноль одиннадцать семь", A + "-7"),
    # groups of two
    ("ноль ноль одиннадцать десять ноль один один", A),
    ("ноль ноль одиннадцать десять ноль один один тире семь", A + "-7"),
    # "два нуля", "три нуля"
    ("два нуля один сто десять ноль одиннадцать", A),
    ("два нуля сто десять ноль одиннадцать", "000110011"),  # eight digits: padded
    ("два ноля один один один два ноля один один", A),
    ("два нуля один один один два нуля одиннадцать тире семь", A + "-7"),
    ("три нуля один два три четыре пять шесть", "000123456"),
    ("три нуля сто двадцать три четыреста пятьдесят шесть", "000123456"),
    ("пять нулей один два три четыре", "000001234"),
    # a whole number with leading zeros dropped
    ("миллион сто десять тысяч одиннадцать", A),
    ("один миллион сто десять тысяч одиннадцать тире семь", A + "-7"),
    ("один миллион сто десять тысяч одиннадцать дефис семь", A + "-7"),
    ("миллион сто десять тысяч одиннадцать калтан", A + "-7"),
    ("сто двадцать три миллиона четыреста пятьдесят шесть тысяч семьсот восемьдесят девять",
     "123456789"),
    ("двенадцать тысяч триста сорок пять", "000012345"),
    ("сто тысяч", "000100000"),
    ("одна тысяча", "000001000"),
    ("девятьсот девяносто девять миллионов девятьсот девяносто девять тысяч девятьсот девяносто девять",
     "999999999"),
    # fillers and recogniser noise
    ("мой лицевой счет ноль ноль один один один ноль ноль один один", A),
    ("э ноль ноль один э один один ноль ноль один один", A),
    ("значит так ноль ноль один один один ноль ноль один один тире семь", A + "-7"),
    ("[unk] ноль ноль один один один ноль ноль один один [unk] тире семь", A + "-7"),
    ("ну номер счета ноль ноль один один один ноль ноль один один тире семь вот", A + "-7"),
    ("лицевой счет номер эээ ноль ноль один сто десять ноль одиннадцать", A),
    ("ноль ноль один ммм один один ноль ноль один один", A),
    ("сто э десять", "000000110"),
    ("ноль ноль один, один один ноль, ноль один один, тире семь", A + "-7"),
    ("Ноль ноль ОДИН один один ноль ноль один один ТИРЕ семь", A + "-7"),
    ("  ноль   ноль один один один ноль ноль один один  ", A),
    # digits typed or printed as digits
    ("001110011-7", A + "-7"),
    ("001110011 - 7", A + "-7"),
    ("001110011", A),
    ("0011100117", A + "-7"),
    ("001 110 011 тире 7", A + "-7"),
    ("счет 001110011 калтан", A + "-7"),
    # suffix first
    ("суффикс семь номер ноль ноль один один один ноль ноль один один", A + "-7"),
    ("калтан ноль ноль один один один ноль ноль один один", A + "-7"),
    ("я из калтана счет ноль ноль один один один ноль ноль один один", A + "-7"),
    # digit nouns
    ("два нуля три единицы два нуля две единицы", A),
    ("ноль ноль единица единица единица ноль ноль единица единица тире семерка", A + "-7"),
    # fewer than nine digits are padded
    ("один один один ноль ноль один один", A),
    ("один два три", "000000123"),
    ("семь", "000000007"),
    ("сто десять тысяч одиннадцать тире семь", "000110011-7"),
    # ё or е
    ("мой лицевой счёт ноль ноль один один один ноль ноль один один тире семь", A + "-7"),
    ("ноль ноль один один один ноль ноль один один киселёвск", A + "-2"),
    # a spoken suffix and a town that agree, and that disagree (the dialog must ask)
    ("ноль ноль один один один ноль ноль один один тире семь калтан", A + "-7"),
    ("ноль ноль один один один ноль ноль один один тире семь прокопьевск", A),
    ("ноль ноль один один один ноль ноль один один калтан прокопьевск", A),
    ("ноль ноль один один один ноль ноль один один семь из калтана", A + "-7"),
    ("ноль ноль один один один ноль ноль один один пять из калтана", A),
    ("ноль ноль один один один ноль ноль один один тире семь тире пять", A),
]

NOT_AN_ACCOUNT = [
    "позовите оператора",
    "",
    "   ",
    "[unk]",
    "[unk] [unk]",
    "э",
    "ну значит так",
    "мой лицевой счет",
    "я не помню номер",
    "оператор",
    "тире семь",  # only a suffix
    "дефис ноль",
    "калтан",
    "из прокопьевска",
    "таштагольский район",
    "суффикс семь",
    # more than nine digits before the suffix
    "ноль ноль один один один ноль ноль один один один тире семь",
    "ноль ноль один один один ноль ноль один один один один",
    "один два три четыре пять шесть семь восемь девять ноль один",
    "один два три четыре пять шесть семь восемь девять ноль один два три",
    "сто миллиардов",
    "один миллиард",
    "двенадцать миллиардов триста сорок пять",
    "00111001177",
    "001110011 тире 7 и ещё 5",  # digits after the suffix: the caller went on
    "ноль ноль один тире семь один один ноль",  # digits on both sides of the suffix
    "ноль ноль один один один ноль ноль один один двадцать два",
    # ten digits whose last is part of a number, not a digit said after nine
    "ноль ноль один сто одиннадцать ноль ноль одиннадцать",
    "один миллиард двадцать",
]


@pytest.mark.parametrize(("text", "expected"), ISSUE_EXAMPLES)
def test_issue_examples(text, expected):
    assert parse_account(text) == expected


@pytest.mark.parametrize(("text", "expected"), PHRASINGS)
def test_phrasings(text, expected):
    assert parse_account(text) == expected


@pytest.mark.parametrize("text", NOT_AN_ACCOUNT)
def test_not_an_account(text):
    assert parse_account(text) is None


# --- towns in every case, from the seed's table ----------------------------------------------------
TOWN_FORMS = {
    0: ["новокузнецк", "новокузнецка", "новокузнецке", "новокузнецку", "новокузнецком",
        "новокузнецкий район", "новокузнецкого района", "новокузнецком районе", "из новокузнецка"],
    1: ["прокопьевск", "из прокопьевска", "в прокопьевске", "прокопьевский", "прокопьевский район",
        "прокопьевского района"],
    2: ["киселевск", "киселёвск", "киселевска", "в киселёвске", "киселевский район", "киселёвского района"],
    3: ["краснобродский", "краснобродского", "в краснобродском", "краснобродский район",
        "поселок краснобродский", "красный брод", "из красного брода", "в красном броде"],
    4: ["мыски", "из мысков", "в мысках", "мыскам", "мысковский район", "мысковского района"],
    5: ["междуреченск", "из междуреченска", "в междуреченске", "междуреченский район"],
    6: ["осинники", "из осинников", "в осинниках", "осинниковский район"],
    7: ["калтан", "из калтана", "в калтане", "калтану", "калтаном", "калтанский район", "калтанского района"],
    8: ["таштагол", "из таштагола", "в таштаголе", "таштагольский район", "таштагольского района"],
    9: ["шерегеш", "из шерегеша", "в шерегеше", "шерегешский"],
}
TOWN_ROWS = [(form, suffix) for suffix, forms in TOWN_FORMS.items() for form in forms]


@pytest.mark.parametrize(("town", "suffix"), TOWN_ROWS)
def test_town_names_any_case(town, suffix):
    assert parse_territory(town) == suffix
    assert parse_account(f"ноль ноль один один один ноль ноль один один {town}") == f"{A}-{suffix}"
    assert parse_account(f"{town} лицевой счет один миллион сто десять тысяч одиннадцать") == f"{A}-{suffix}"


DIGIT_WORDS = ["ноль", "один", "два", "три", "четыре", "пять", "шесть", "семь", "восемь", "девять"]
MARKERS = ["тире", "дефис", "через тире", "через дефис", "суффикс", "-", "черточка", "слеш", "минус"]


@pytest.mark.parametrize("marker", MARKERS)
@pytest.mark.parametrize("suffix", range(10))
def test_spoken_suffix_every_digit(marker, suffix):
    text = f"ноль ноль один сто десять ноль одиннадцать {marker} {DIGIT_WORDS[suffix]}"
    assert parse_account(text) == f"{A}-{suffix}"
    assert parse_territory(f"{marker} {DIGIT_WORDS[suffix]}") == suffix


TERRITORY_ROWS = [
    ("семь", 7), ("тире семь", 7), ("дефис ноль", 0), ("нуль", 0), ("суффикс девять", 9),
    ("семерка", 7), ("номер семь", 7), ("[unk] семь", 7), ("э пять", 5), ("семь калтан", 7),
    ("калтан семь", 7), ("калтан тире семь", 7),
    ("ноль ноль один один один ноль ноль один один тире семь", 7),
    ("ноль ноль один один один ноль ноль один один калтан", 7),
    # unclear: nothing, several digits, disagreement
    ("", None), ("не знаю", None), ("семь восемь", None), ("ноль ноль один", None), ("двадцать", None),
    ("семь прокопьевск", None), ("калтан или таштагол", None),
    ("красный", None), ("брод", None), ("красная площадь", None), ("тире семь тире восемь", None),
    ("позовите оператора", None),
]


@pytest.mark.parametrize(("text", "expected"), TERRITORY_ROWS)
def test_parse_territory(text, expected):
    assert parse_territory(text) == expected


DIGITS_ROWS = [
    ("тире семь", "7"), ("семь", "7"), ("два нуля пять", "005"), ("ноль ноль один", "001"),
    ("сто десять", "110"), ("один миллион", "1000000"), ("три нуля", "000"), ("нуль", "0"),
    ("ноль ноль один сто десять ноль одиннадцать тире семь", "0011100117"),
    ("[unk] один [unk] два", "12"), ("двадцать пять", "25"), ("двадцать пятнадцать", "2015"),
    ("сто сто", "100100"), ("тысяча тысяча", "10001000"), ("пятьсот семь", "507"),
    ("", None), ("оператор", None), ("э", None),
]


@pytest.mark.parametrize(("text", "expected"), DIGITS_ROWS)
def test_parse_digits(text, expected):
    assert parse_digits(text) == expected


# --- property-style round trips ------------------------------------------------------------------
_RNG = random.Random(20241122)
ACCOUNTS = ["".join(_RNG.choice("0123456789") for _ in range(9)) for _ in range(150)]
SUFFIXES = [_RNG.randrange(10) for _ in ACCOUNTS]


def _group_words(group: str) -> str:
    """A group of digits the way people say it: leading zeros one by one, the rest as one number."""
    stripped = group.lstrip("0")
    zeros = ["ноль"] * (len(group) - len(stripped))
    return " ".join(zeros + ([num2words(int(stripped), lang="ru")] if stripped else []))


@pytest.mark.parametrize(("number", "suffix"), list(zip(ACCOUNTS, SUFFIXES, strict=True)))
def test_round_trip_said_back(number, suffix):
    account = f"{number}-{suffix}"
    assert parse_account(say_account(account).replace(",", "")) == account
    assert parse_account(say_account(account)) == account
    assert parse_account(say_account(number)) == number


@pytest.mark.parametrize(("number", "suffix"), list(zip(ACCOUNTS, SUFFIXES, strict=True)))
def test_round_trip_other_styles(number, suffix):
    word = DIGIT_WORDS[suffix]
    expected = f"{number}-{suffix}"
    threes = " ".join(_group_words(number[i:i + 3]) for i in range(0, 9, 3))
    assert parse_account(f"{threes} тире {word}") == expected
    twos = [number[:3], number[3:5], number[5:7], number[7:]]
    if not (int(twos[0]) % 100 == 0 and twos[1][0] != "0"):  # "пятьсот восемьдесят семь" is 587
        assert parse_account(" ".join(map(_group_words, twos)) + f" дефис {word}") == expected
    whole = num2words(int(number), lang="ru")  # leading zeros dropped
    assert parse_account(f"{whole} тире {word}") == expected
    digits = " ".join(DIGIT_WORDS[int(d)] for d in number)
    assert parse_account(f"{digits} {word}") == expected  # tenth digit
    assert parse_digits(digits) == number


_WORDS = ["ноль", "нуль", "один", "два", "две", "три", "семь", "десять", "одиннадцать", "двадцать", "сто",
          "двести", "тысяча", "тысячи", "миллион", "миллиард", "тире", "дефис", "суффикс", "два нуля", "нуля",
          "калтан", "из", "мой", "лицевой", "счет", "[unk]", "э", "и", "запятая", "целых", "десятых",
          "рублей", "копеек", "да", "нет", "не", "так", "-", "123", "4.5", "7,", ",", ".", "ё", "%", "№",
          "semь", "1e5"]


@pytest.mark.parametrize("seed", range(40))
def test_garbled_input_never_raises(seed):
    rng = random.Random(seed)
    for _ in range(25):
        text = " ".join(rng.choice(_WORDS) for _ in range(rng.randrange(0, 25)))
        account = numbers.parse_account(text)
        assert account is None or (len(account) in (9, 11) and account.replace("-", "").isdigit())
        assert numbers.parse_territory(text) in (None, *range(10))
        for parse in (numbers.parse_digits, numbers.parse_reading, numbers.parse_amount,
                      numbers.parse_yes_no):
            parse(text)
