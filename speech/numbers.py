"""What a Russian caller said, turned into data — and data turned back into correct Russian.

Input is what Vosk prints: lower case, numbers as words, no punctuation, "ё" or "е", sometimes
"[unk]". Every parser returns None rather than guessing when the text is empty, has no number
or is ambiguous; none of them raises on odd input. The dialogs read every parsed value back to
the caller for confirmation, so a parser may be generous about phrasing but not about meaning.

The speaking side (`say_*`, `spell_numbers`) lives in `speech.verbalize` and is re-exported here.
"""

from __future__ import annotations

import re
from decimal import Decimal

from speech.account_format import NUMBER_DIGITS as ACCOUNT_DIGITS
from speech.numerals import Group, digits_of, number_words, scan, tokenize
from speech.territories import suffixes_named, town_words
from speech.verbalize import say_account, say_date, say_money, say_number, say_reading, spell_numbers

__all__ = [
    "parse_account", "parse_digits", "parse_territory", "parse_reading", "parse_amount", "parse_yes_no",
    "say_account", "say_money", "say_date", "say_reading", "say_number", "spell_numbers",
]

# no meter or payment has more; longer digit runs are two answers run together, or noise
MAX_WHOLE_DIGITS = 12
# words that announce the territory suffix: "тире семь", "через дефис семь", "суффикс семь"
_SUFFIX_MARKERS = frozenset({"тире", "дефис", "черточка", "черточку", "черта", "суффикс", "суффиксом",
                             "минус", "слеш", "слэш", "дробь"})


def _suffix_split(items: list[Group | str]) -> tuple[list[Group], set[int], list[Group]]:
    """Groups before the first spoken suffix, every suffix digit announced by a marker
    ("тире семь" → 7), and the groups after the first one."""
    before: list[Group] = []
    after: list[Group] = []
    spoken: set[int] = set()
    i = 0
    while i < len(items):
        item = items[i]
        nxt = items[i + 1] if i + 1 < len(items) else None
        if isinstance(item, str) and item in _SUFFIX_MARKERS and isinstance(nxt, Group) and nxt.single:
            spoken.add(int(nxt.digits))
            i += 2
            continue
        if isinstance(item, Group):
            (after if spoken else before).append(item)
        i += 1
    return before, spoken, after


def _agreed_suffix(spoken: set[int], words: list[str]) -> int | None:
    """The one suffix the caller gave, by digit and/or by town; None when none or they disagree."""
    said = suffixes_named(words) | spoken
    return said.pop() if len(said) == 1 else None


def parse_account(text: str) -> str | None:
    """"NNNNNNNNN-S" when a number and its suffix were heard, "NNNNNNNNN" for the number alone.

    Fewer than nine digits are padded with leading zeros (callers drop them when they say the
    number as a whole: "миллион сто десять тысяч одиннадцать" → 001110011). A tenth digit said
    straight after nine is the suffix (one said as part of a number, "...ноль одиннадцать", is not).
    None: no digits, more than nine digits before the suffix,
    or digits on both sides of a spoken suffix (the caller restarted). When the spoken suffix and
    a named town disagree, the number comes back without a suffix so the dialog asks for it."""
    words = tokenize(text)
    before, spoken, after = _suffix_split(scan(words))
    if before and after:
        return None
    number = digits_of(before or after)  # "суффикс семь, номер ..." puts the number after
    if not number:
        return None
    if not spoken and len(number) == ACCOUNT_DIGITS + 1 and (before or after)[-1].kind != "number":
        number, spoken = number[:-1], {int(number[-1])}
    if len(number) > ACCOUNT_DIGITS:
        return None
    number = number.zfill(ACCOUNT_DIGITS)
    suffix = _agreed_suffix(spoken, words)
    return f"{number}-{suffix}" if suffix is not None else number


def parse_digits(text: str) -> str | None:
    """Every digit said, in order, as one string ("тире семь" → "7", "два нуля пять" → "005")."""
    return digits_of([i for i in scan(tokenize(text)) if isinstance(i, Group)]) or None


def parse_territory(text: str) -> int | None:
    """The territory suffix the caller gave: a town in any case ("из калтана" → 7), an adjective
    ("таштагольский район" → 8), or one digit ("семь", "тире семь"). A whole account said again
    yields its spoken suffix ("... тире семь"). None if none was given or the answers disagree."""
    words = tokenize(text)
    before, spoken, _ = _suffix_split(scan(words))
    if not spoken and len(before) == 1 and before[0].single:
        spoken = {int(before[0].digits)}  # the digit alone: "семь", "семерка"
    return _agreed_suffix(spoken, words)


# --- readings ------------------------------------------------------------------------------------

_POINT = frozenset({"запятая", "запятой", "точка", "целых", "целая", "целые", "целой", "целого"})
_DENOMINATORS = {
    **dict.fromkeys(("десятых", "десятая", "десятые", "десятой", "десятую"), 1),
    **dict.fromkeys(("сотых", "сотая", "сотые", "сотой", "сотую"), 2),
    **dict.fromkeys(("тысячных", "тысячная", "тысячные", "тысячной", "тысячную"), 3),
    **dict.fromkeys(("десятитысячных", "десятитысячная"), 4),
}
_HALF = frozenset({"половиной", "половина"})


def parse_reading(text: str) -> Decimal | None:
    """A meter reading: "сто двадцать три" → 123, "сто двадцать три и пять десятых" /
    "... запятая пять" / "... целых пять десятых" → 123.5, "один два три" → 123,
    "сто двадцать три с половиной" → 123.5, a typed "123.5" or "123,5". None if no number,
    two readings in one breath, or more than 12 digits before the point (6 after)."""
    whole: list[Group] = []
    frac: list[Group] = []
    part, places, half = whole, None, False
    items = scan(tokenize(text))
    for i, item in enumerate(items):
        nxt = items[i + 1] if i + 1 < len(items) else None
        if isinstance(item, Group):
            if places is not None:
                return None  # a number after "десятых"
            part.append(item)
        elif item in _POINT or (item == "и" and part is whole and whole and isinstance(nxt, Group)):
            if part is frac:
                return None
            part = frac
        elif item in _DENOMINATORS:
            if places is not None:
                return None
            if part is whole:  # "пять десятых": the number said was the numerator
                whole, frac = [], whole
                part = frac
            places = _DENOMINATORS[item]
        elif item in _HALF:
            half = True
    if not (_one_number(whole) and _one_number(frac)):
        return None  # "шестьсот сорок пять семь": 6457 or 645,7? the caller is asked again
    whole_digits, frac_digits = digits_of(whole), digits_of(frac)
    if not whole_digits and not frac_digits or len(whole_digits) > MAX_WHOLE_DIGITS or len(frac_digits) > 6:
        return None
    value = Decimal(whole_digits or 0)
    if frac_digits and places is None:
        value += Decimal("0." + frac_digits)
    elif frac_digits and places is not None:
        if int(frac_digits) >= 10**places:
            return None  # "двадцать пять десятых" is not how anyone says 2.5
        value += Decimal(int(frac_digits)).scaleb(-places)
    elif half:
        value += Decimal("0.5")
    return value


def _one_number(groups: list[Group]) -> bool:
    """Groups that spell one number: one group, digits dictated one by one, leading zeros before
    one number ("ноль ноль шестьсот сорок пять"), or pairs ("двенадцать тридцать четыре").
    A composed number followed by more digits ("шестьсот сорок пять семь") is two numbers."""
    rest = list(groups)
    while len(rest) > 1 and rest[0].kind in ("digit", "counted") and set(rest[0].digits) == {"0"}:
        rest.pop(0)
    if len(rest) <= 1 or all(g.kind in ("digit", "counted", "typed") for g in rest):
        return True
    return all(g.kind == "number" and len(g.digits) == 2 for g in rest)


# --- money ---------------------------------------------------------------------------------------

_RUBLES = frozenset({"рубль", "рубля", "рублей", "рублю", "рублем", "руб", "р"})
_KOPECKS = frozenset({"копейка", "копейки", "копеек", "копейку", "копейкой", "коп", "к"})
_MONEY_POINT = frozenset({"запятая", "запятой", "точка"})
CENT = Decimal("0.01")


def parse_amount(text: str) -> Decimal | None:
    """Money said by a caller, as Decimal with two places: "семьсот двадцать девять рублей
    пятьдесят одна копейка" / "семьсот двадцать девять пятьдесят одна" / "729 51" / "729,51"
    → 729.51; "пятьдесят копеек" → 0.50. None if no number, kopecks past 99, a number after
    the kopecks, or more than 12 digits of rubles."""
    items = scan(tokenize(text))
    rubles: list[Group] | None = None
    kopecks: list[Group] | None = None
    current: list[Group] = []
    decimal_point = False
    for i, item in enumerate(items):
        nxt = items[i + 1] if i + 1 < len(items) else None
        if isinstance(item, Group):
            if kopecks is not None:
                return None
            current.append(item)
        elif item in _RUBLES and rubles is None:
            rubles, current = current, []
        elif item in _KOPECKS and kopecks is None:
            kopecks, current = current, []
        elif rubles is None and current and (item in _MONEY_POINT or item == "и" and isinstance(nxt, Group)):
            rubles, current, decimal_point = current, [], item != "и"
    if rubles is None and kopecks is None:
        rubles, current = _split_rubles_kopecks(current)
    if rubles is not None and kopecks is None:
        kopecks = current
    rub_digits, kop_digits = digits_of(rubles or []), digits_of(kopecks or [])
    if not rub_digits and not kop_digits or len(kop_digits) > 2 or len(rub_digits) > MAX_WHOLE_DIGITS:
        return None
    if decimal_point:  # "семьсот двадцать девять запятая пять" is 729.50
        kop_digits = kop_digits.ljust(2, "0")
    return (Decimal(rub_digits or 0) + Decimal(kop_digits or 0) * CENT).quantize(CENT)


def _split_rubles_kopecks(groups: list[Group]) -> tuple[list[Group], list[Group]]:
    """Without "рублей"/"копеек": a number past 9 followed by exactly two more digits is
    rubles and kopecks ("семьсот двадцать девять пятьдесят одна"); anything else is rubles
    ("семь два девять" → 729)."""
    if len(groups) >= 2 and len(groups[0].digits) > 1 and len(digits_of(groups[1:])) == 2:
        return groups[:1], groups[1:]
    return groups, []


# --- yes / no ------------------------------------------------------------------------------------

_YES = frozenset({"да", "ага", "угу", "верно", "правильно", "подтверждаю", "согласен", "согласна",
                  "ок", "окей", "хорошо", "ладно", "давайте"})
# agree on their own ("конечно"), but only intensify a "нет" ("конечно нет", "точно нет")
_WEAK_YES = frozenset({"конечно", "точно", "именно", "естественно", "разумеется", "абсолютно",
                       "совершенно", "вроде"})
_NO = frozenset({"нет", "неа", "неверно", "неправильно", "нету", "ошибка", "ошиблись", "отмена"})
# "не" turns the next agreeing word into a refusal: "не так", "не верно", "не то"
_NEGATABLE = _YES | _WEAK_YES | {"так", "то", "совсем"}


def parse_yes_no(text: str) -> bool | None:
    """True for agreement ("да", "верно", "правильно", "ага", "конечно"), False for refusal
    ("нет", "неверно", "не так", "неправильно", "конечно нет"), None when neither or both
    ("да нет", "нет, всё верно", "не знаю")."""
    words = tokenize(re.sub(r"\bне-а\b", "неа", str(text or "").lower()))
    yes = no = weak = False
    i = 0
    while i < len(words):
        word = words[i]
        if word == "не" and i + 1 < len(words) and words[i + 1] in _NEGATABLE:
            no, i = True, i + 2
            continue
        yes |= word in _YES or word == "так" and _agreeing_tak(words, i)
        weak |= word in _WEAK_YES
        no |= word in _NO
        i += 1
    if yes and no:
        return None
    if no:
        return False
    return True if yes or weak else None


def _agreeing_tak(words: list[str], i: int) -> bool:
    """"так" agrees only in set phrases ("всё так", "так и есть"); alone it is a filler."""
    return words[i - 1:i] == ["все"] or words[i + 1:i + 3] == ["и", "есть"]


# --- what each parser can hear -------------------------------------------------------------------

# said around a town's name ("из калтана", "город мыски", "во ..."): heard with the towns
_TOWN_CONTEXT = frozenset({"район", "город", "из", "в", "во"})


def heard_words(kind: str) -> tuple[str, ...]:
    """The words the parser for `kind` ("account", "territory", "reading", "amount", "yes_no",
    "digits") understands: recogniser grammars are built from these, so whatever the parser
    accepts can also be heard. Sorted, ё folded to е as the parsers compare."""
    numbers = number_words()
    words = {
        "digits": numbers,
        "account": numbers | _SUFFIX_MARKERS | town_words() | _TOWN_CONTEXT,
        "territory": numbers | _SUFFIX_MARKERS | town_words() | _TOWN_CONTEXT,
        "reading": numbers | _POINT | set(_DENOMINATORS) | _HALF | {"и", "с"},
        "amount": numbers | _RUBLES | _KOPECKS | _MONEY_POINT | {"и", "ровно"},
        "yes_no": _YES | _WEAK_YES | _NO | _NEGATABLE | {"не", "не-а", "все", "и", "есть"},
    }[kind]
    return tuple(sorted(words))
