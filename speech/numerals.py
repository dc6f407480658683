"""A small grammar of Russian cardinal numerals as Vosk prints them.

Why hand-written: callers mix styles in one breath — single digits ("ноль ноль один"),
composed groups ("сто десять"), whole numbers ("миллион сто десять тысяч"), counted digits
("два нуля", "три семёрки") — and every parser in `speech.numbers` needs the same answer to
"which digit groups were said, and what words sit between them". `scan()` gives exactly that:
a list where each run of number words became one `Group` and every other word stays a string.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# --- the lexicon (ё is folded to е before lookup) -------------------------------------------------

_ZERO_WORDS = ("ноль", "нуль", "ноля", "нуля", "нолю", "нулю", "нолем", "нулем", "ноле", "нуле",
               "нолик", "нолика", "нолики")
# genitive plural / singular after a count: "два нуля", "пять нулей"
_ZERO_COUNTED = ("ноля", "нуля", "нолей", "нулей", "нолика", "ноликов")

_UNITS = {
    1: ("один", "одна", "одно", "одного", "одной", "одну", "одному", "одни"),
    2: ("два", "две", "двух", "двум"),
    3: ("три", "трех", "трем"),
    4: ("четыре", "четырех", "четырем"),
    5: ("пять", "пяти"),
    6: ("шесть", "шести"),
    7: ("семь", "семи"),
    8: ("восемь", "восьми"),
    9: ("девять", "девяти"),
}
_TEENS = {
    10: "десять", 11: "одиннадцать", 12: "двенадцать", 13: "тринадцать", 14: "четырнадцать",
    15: "пятнадцать", 16: "шестнадцать", 17: "семнадцать", 18: "восемнадцать", 19: "девятнадцать",
}
_TENS = {
    20: ("двадцать", "двадцати"), 30: ("тридцать", "тридцати"), 40: ("сорок", "сорока"),
    50: ("пятьдесят", "пятидесяти"), 60: ("шестьдесят", "шестидесяти"),
    70: ("семьдесят", "семидесяти"), 80: ("восемьдесят", "восьмидесяти"),
    90: ("девяносто", "девяноста"),
}
_HUNDREDS = {
    100: ("сто", "ста"), 200: ("двести", "двухсот", "двумстам"), 300: ("триста", "трехсот"),
    400: ("четыреста", "четырехсот"), 500: ("пятьсот", "пятисот"), 600: ("шестьсот", "шестисот"),
    700: ("семьсот", "семисот"), 800: ("восемьсот", "восьмисот"), 900: ("девятьсот", "девятисот"),
}
_MULTIPLIERS = {
    1000: ("тысяча", "тысячи", "тысяч", "тысячу", "тысячей", "тысяче", "тысячам"),
    1_000_000: ("миллион", "миллиона", "миллионов", "миллиону", "миллионом"),
    1_000_000_000: ("миллиард", "миллиарда", "миллиардов"),
}
# digits named as nouns: "семёрка", "три семёрки", "две единицы"
_DIGIT_NOUNS = {
    1: ("единица", "единицу", "единичка", "единички", "единицы", "единиц"),
    2: ("двойка", "двойку", "двойки", "двоек"),
    3: ("тройка", "тройку", "тройки", "троек"),
    4: ("четверка", "четверку", "четверки", "четверок"),
    5: ("пятерка", "пятерку", "пятерки", "пятерок"),
    6: ("шестерка", "шестерку", "шестерки", "шестерок"),
    7: ("семерка", "семерку", "семерки", "семерок"),
    8: ("восьмерка", "восьмерку", "восьмерки", "восьмерок"),
    9: ("девятка", "девятку", "девятки", "девяток"),
}
# counts that may precede a counted digit noun ("два нуля", "пять нулей")
_COUNTS = {w: n for n, forms in _UNITS.items() if n >= 2 for w in forms[:2]}

# hesitations and recogniser noise: dropped before anything else, so "сто э двадцать" is 120
FILLERS = frozenset({"э", "ээ", "эээ", "а", "аа", "м", "мм", "ммм", "эм", "эмм", "ну", "unk"})


@dataclass(frozen=True)
class _Word:
    kind: str  # unit | teen | ten | hundred | mult
    value: int


def _build_lexicon() -> dict[str, _Word]:
    lex: dict[str, _Word] = {}
    for value, forms in _UNITS.items():
        lex.update({w: _Word("unit", value) for w in forms})
    for value, word in _TEENS.items():
        lex[word] = _Word("teen", value)
        lex[word[:-1] + "и"] = _Word("teen", value)  # десяти, одиннадцати
    for kind, table in (("ten", _TENS), ("hundred", _HUNDREDS), ("mult", _MULTIPLIERS)):
        lex.update({w: _Word(kind, value) for value, forms in table.items() for w in forms})
    return lex


LEXICON = _build_lexicon()
_DIGIT_NOUN = {w: n for n, forms in _DIGIT_NOUNS.items() for w in forms}
_COUNTED_NOUN = dict(_DIGIT_NOUN, **{w: 0 for w in _ZERO_COUNTED})
_SINGLE_DIGIT = dict(_COUNTED_NOUN, **{w: 0 for w in _ZERO_WORDS})


# --- tokens ----------------------------------------------------------------------------------------

_TOKEN = re.compile(r"\d+(?:[.,]\d+)?|[^\W\d_]+|[-–—]")
_NOISE = re.compile(r"\[unk\]|<unk>", re.IGNORECASE)


def tokenize(text: str) -> list[str]:
    """Lower-case words with ё folded to е, digit strings kept ("123.5"), dashes as "тире",
    recogniser noise and hesitations dropped. Never raises on odd input."""
    if not text:
        return []
    text = _NOISE.sub(" ", str(text)).lower().replace("ё", "е")
    tokens = []
    for tok in _TOKEN.findall(text):
        if tok in "-–—":
            tok = "тире"
        if tok not in FILLERS:
            tokens.append(tok)
    return tokens


# --- groups ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Group:
    """One run of number words said together: "сто десять" → Group("110", "number").

    kind: "digit" — one digit word on its own ("семь", "нуль", "семерка"), the shape of a suffix
    and of digit-by-digit dictation; "number" — composed from tens/hundreds/thousands words
    ("сто десять", "миллион"); "counted" — "два нуля", "три семерки"; "typed" — digits as digits."""

    digits: str
    kind: str = "digit"

    @property
    def single(self) -> bool:
        """One digit, said or typed alone."""
        return len(self.digits) == 1 and self.kind in ("digit", "typed")


def _small(tokens: list[str], i: int) -> tuple[int | None, int]:
    """Parse [hundreds] [tens [unit] | teen | unit] at i → (value or None, next index)."""
    value, seen = 0, False

    def kind_at(j: int) -> _Word | None:
        return LEXICON.get(tokens[j]) if j < len(tokens) else None

    w = kind_at(i)
    if w and w.kind == "hundred":
        value, seen, i = value + w.value, True, i + 1
        w = kind_at(i)
    if w and w.kind == "ten":
        value, seen, i = value + w.value, True, i + 1
        w = kind_at(i)
        if w and w.kind == "unit":
            value, i = value + w.value, i + 1
    elif w and w.kind in ("teen", "unit"):
        value, seen, i = value + w.value, True, i + 1
    return (value if seen else None), i


def _compose(tokens: list[str], i: int) -> tuple[Group | None, int]:
    """The longest well-formed cardinal at i ("один миллион сто десять тысяч одиннадцать")."""
    total, bound, start = 0, None, i
    while True:
        small, j = _small(tokens, i)
        mult = LEXICON.get(tokens[j]) if j < len(tokens) else None
        if mult and mult.kind == "mult" and (bound is None or mult.value < bound):
            total += (small if small is not None else 1) * mult.value
            bound, i = mult.value, j + 1
            continue
        if small is not None:
            total, i = total + small, j
        break
    if i == start:
        return None, i
    single = i - start == 1 and LEXICON[tokens[start]].kind == "unit"
    return Group(str(total), "digit" if single else "number"), i


def scan(tokens: list[str]) -> list[Group | str]:
    """Number words → `Group`s, every other word left as a string, in the order said."""
    items: list[Group | str] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        if tok in _COUNTS and nxt in _COUNTED_NOUN:  # "два нуля", "три семерки"
            items.append(Group(str(_COUNTED_NOUN[nxt]) * _COUNTS[tok], "counted"))
            i += 2
        elif tok in _SINGLE_DIGIT:  # "нуль", "нуля", "семерка"
            items.append(Group(str(_SINGLE_DIGIT[tok])))
            i += 1
        elif tok in LEXICON:  # every lexicon word other than zero starts a cardinal
            group, i = _compose(tokens, i)
            items.append(group or tok)
            i += group is None
        elif tok[0].isdigit():  # typed digits; "123.5" reads as "123 запятая 5"
            whole, _, frac = tok.replace(",", ".").partition(".")
            items.append(Group(whole, "typed"))
            if frac:
                items += ["запятая", Group(frac, "typed")]
            i += 1
        else:
            items.append(tok)
            i += 1
    return items


def digits_of(groups: list[Group]) -> str:
    """The digit string a list of groups spells, in order ("001" + "110" + "0" + "11")."""
    return "".join(g.digits for g in groups)


def number_words() -> frozenset[str]:
    """Every word `scan` reads as part of a number: what a recogniser grammar for numbers must hold."""
    return frozenset(LEXICON) | frozenset(_SINGLE_DIGIT) | frozenset(_COUNTED_NOUN)
