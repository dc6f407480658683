"""Data → the Russian words the robot says.

espeak-ng reads digits but does no case agreement ("1 рублей", "22 ноября" come out wrong), so
everything numeric is turned into words here, with num2words doing the grammar: a Decimal for
money (a plain int would be read as kopecks), `case="genitive"` for the day of a date, the case a
preposition governs for a number in free text ("в течение 15 дней" → "пятнадцати"), and pymorphy3
for the noun after a number ("2 кубометра", "5 киловатт-часов"). A number starting with 1000 is
said as people say it: "тысяча восемьсот", not num2words' "одна тысяча восемьсот".

`normalise_for_speech` is the whole text step before the synthesizer (without the pronunciation
lexicon, which is espeak-ng's business, see `speech.lexicon`): written abbreviations of addresses
and documents, house-number letters, floors, web addresses, then every number.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Any

from num2words import num2words

from speech.account_format import ACCOUNT_PATTERN, NUMBER_DIGITS, split_account
from speech.russian import DIGIT_WORDS, MONTHS_GENITIVE, plural

_CENT = Decimal("0.01")


def say_digits(digits: str) -> str:
    """Digit by digit: "001" → "ноль ноль один"."""
    return " ".join(DIGIT_WORDS[int(d)] for d in digits)


def say_account(account: str) -> str:
    """"001110011-7" → "ноль ноль один, один один ноль, ноль один один, тире семь": groups of
    three digit by digit, the way the caller checks it against the receipt. ValueError if the
    text is not an account number."""
    parsed = split_account(account.strip(), suffix_required=False)
    if parsed is None:
        raise ValueError(f"not an account number: {account!r}")
    number, suffix = parsed
    parts = [say_digits(number[i:i + 3]) for i in range(0, NUMBER_DIGITS, 3)]
    if suffix is not None:
        parts.append("тире " + DIGIT_WORDS[suffix])
    return ", ".join(parts)


_ONE_THOUSAND = re.compile(r"^(минус )?(?:одна тысяча|одной тысячи|одной тысяче|одну тысячу|одной тысячей)\b")


def _without_one_thousand(words: str) -> str:
    """"одна тысяча восемьсот" → "тысяча восемьсот" (any case), only where the number starts:
    "двадцать одна тысяча" keeps its "одна"."""
    return _ONE_THOUSAND.sub(lambda m: (m[1] or "") + m[0].split()[-1], words)


def _cardinal(number: int | Decimal, **kwargs: Any) -> str:
    return _without_one_thousand(num2words(number, lang="ru", **kwargs))


def say_number(number: int, gender: str = "m", case: str = "nominative") -> str:
    """A cardinal; gender "m", "f" or "n" ("одна квартира", "одно показание"); case as num2words
    names them ("genitive": "пятнадцати"). 1000–1999 start with "тысяча"."""
    return _cardinal(int(number), gender=gender, case=case)


def say_money(amount: Decimal) -> str:
    """729.51 → "семьсот двадцать девять рублей пятьдесят одна копейка"; rounded to kopecks;
    whole rubles drop "ноль копеек" ("пять рублей"), kopecks alone drop "ноль рублей"
    ("пятьдесят копеек"), zero is "ноль рублей"; negatives start with "минус"."""
    amount = Decimal(amount).quantize(_CENT, rounding=ROUND_HALF_UP)
    words = num2words(abs(amount), lang="ru", to="currency", currency="RUB", separator="")
    words = _without_one_thousand(words.removesuffix(" ноль копеек"))
    if amount:
        words = words.removeprefix("ноль рублей ")
    return f"минус {words}" if amount < 0 else words


def say_date(day: date, *, year: bool = False, case: str = "genitive") -> str:
    """date(2024, 11, 22) → "двадцать второго ноября" (genitive, as in "до двадцать второго
    ноября"); with year=True "... две тысячи двадцать четвёртого года". `case` is the day's:
    "accusative" after "по"/"на" ("по тридцать первое марта"), "dative" after "к"."""
    day_words = num2words(day.day, lang="ru", to="ordinal", case=case, gender="n")
    words = f"{day_words} {MONTHS_GENITIVE[day.month - 1]}"
    return f"{words} {_ordinal_genitive(day.year)} года" if year else words


def _ordinal_genitive(number: int) -> str:
    words: str = num2words(number, lang="ru", to="ordinal", case="genitive")
    return words


# the ordinal's case and gender from the noun after it: "в 2024 году", "до 25 числа"
_ORDINAL_NOUNS = {"год": ("nominative", "m"), "года": ("genitive", "m"), "году": ("prepositional", "m"),
                  "число": ("nominative", "n"), "числа": ("genitive", "n")}


def _say_ordinal_before(number: str, noun: str) -> str:
    case, gender = _ORDINAL_NOUNS[noun]
    return f"{num2words(int(number), lang='ru', to='ordinal', case=case, gender=gender)} {noun}"


# unit as written in bills and the service table (api.reference.SERVICES) → the noun said
UNITS = {
    "м³": "кубометр", "м3": "кубометр", "куб. м": "кубометр", "куб.м": "кубометр", "куб": "кубометр",
    "кВт·ч": "киловатт-час", "кВт*ч": "киловатт-час", "кВт⋅ч": "киловатт-час", "кВтч": "киловатт-час",
    "квт.ч": "киловатт-час", "кВт.ч": "киловатт-час", "Гкал": "гигакалория",
}


@lru_cache(maxsize=1)
def _morph() -> Any:
    """pymorphy3's analyser (≈0.3 s and 15 MB to load), once per process, only when needed."""
    import pymorphy3

    return pymorphy3.MorphAnalyzer()


def _noun(word: str) -> Any:
    """The first noun reading pymorphy3 has for a word (a unit is a noun), else its first reading."""
    parses = _morph().parse(word)
    return next((p for p in parses if "NOUN" in p.tag), parses[0])


def unit_after(value: Decimal | int, unit: str) -> str:
    """The unit's noun in the form that follows `value`: 1 кубометр, 2 кубометра, 5 кубометров,
    21 киловатт-час; a fraction takes the genitive singular (2,5 кубометра). `unit` is a word
    in any form or an abbreviation from UNITS."""
    noun = _noun(UNITS.get(unit.strip(), unit.strip()).lower())
    value = Decimal(value)
    if value != value.to_integral_value():
        form = noun.inflect({"sing", "gent"})
    else:
        form = noun.make_agree_with_number(abs(int(value)))
    word: str = form.word if form else noun.word
    return word


def _gender_of(unit: str) -> str:
    tag = _noun(UNITS.get(unit.strip(), unit.strip()).lower()).tag
    return {"femn": "f", "neut": "n"}.get(tag.gender or "", "m")


def say_reading(value: Decimal, unit: str | None = None) -> str:
    """123.5 → "сто двадцать три целых пять десятых"; trailing zeros dropped (123.50 is read
    as 123.5, 100.0 as "сто"). With a unit (a word or an abbreviation: "м³", "кВт·ч", "Гкал")
    the noun follows in the right form: "… пять десятых кубометра", "сто киловатт-часов",
    "одна гигакалория"."""
    value = Decimal(value)
    gender = _gender_of(unit) if unit else "m"
    if value == value.to_integral_value():
        words = _cardinal(int(value), gender=gender)
    else:
        words = _cardinal(value.normalize())
    return f"{words} {unit_after(value, unit)}" if unit else words


# --- free text -------------------------------------------------------------------------------------

# the unit's abbreviation dot is left in place: it usually ends the sentence too
_RUBLE_WORD = r"(?:руб(?:лей|ля|ль)?|₽|р\b)"
_MONTH_WORD = "|".join(MONTHS_GENITIVE)
_INTEGER = r"\d{1,3}(?:[ \u00a0]\d{3})+|\d+"  # "1 200" as printed in bills, or plain digits
_PERCENT_FORMS = ("процент", "процента", "процентов")


def _amount(rubles: str, kopecks: str | None = None) -> Decimal:
    value = Decimal(re.sub(r"\s", "", rubles).replace(",", "."))
    return value + Decimal(kopecks) * _CENT if kopecks else value


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
    return f"{say_number(int(value))} {plural(int(value), *_PERCENT_FORMS)}"


# A preposition decides the case of the number after it ("в течение 15 дней" → "пятнадцати").
# "с" also governs the instrumental, but before a number it is "from" (genitive) in these texts.
_PREPOSITION_CASE = {
    **dict.fromkeys(("с", "со", "до", "от", "из", "для", "без", "около", "после", "более", "менее",
                     "свыше", "кроме", "у", "в течение", "в период", "в размере", "в пределах",
                     "не более", "не менее", "вместо", "в срок до"), "genitive"),
    **dict.fromkeys(("к", "ко", "согласно", "благодаря"), "dative"),
    **dict.fromkeys(("о", "об", "при"), "prepositional"),
    **dict.fromkeys(("между", "перед", "над", "под"), "instrumental"),
}
# the day of a date: "по 31 марта" → "по тридцать первое", "к 5 мая" → "к пятому"; else genitive
_DATE_CASE = {"по": "accusative", "на": "accusative", "в срок по": "accusative", "к": "dative",
              "ко": "dative", "о": "prepositional", "об": "prepositional"}
_PYMORPHY_CASE = {"nomn": "nominative", "gent": "genitive", "datv": "dative", "accs": "accusative",
                  "ablt": "instrumental", "loct": "prepositional"}


def _prepositions(words: Any) -> str:
    alternatives = sorted(words, key=len, reverse=True)
    return "|".join(r"\s+".join(map(re.escape, w.split())) for w in alternatives)


_CASE_PREP = _prepositions(_PREPOSITION_CASE)
_DATE_PREP = _prepositions(set(_DATE_CASE) | set(_PREPOSITION_CASE))


def _case_of(preposition: str | None, table: dict[str, str], default: str) -> str:
    return table.get(" ".join(preposition.lower().split()), default) if preposition else default


def _say_clock(hours: str, minutes: str, case: str) -> str:
    """"8", "30", genitive → "восьми тридцати"; whole hours drop the minutes ("до семнадцати")."""
    words = say_number(int(hours), case=case)
    return f"{words} {say_number(int(minutes), case=case)}" if int(minutes) else words


def _say_clock_after(m: re.Match[str]) -> str:
    if int(m[2]) > 24 or int(m[3]) > 59:
        return m[0]  # not a time: the later rules read it as a number
    return f"{m[1]} {_say_clock(m[2], m[3], _case_of(m[1], _PREPOSITION_CASE, 'genitive'))}"


def _say_day_month(m: re.Match[str]) -> str:
    case = _case_of(m[1], _DATE_CASE, "genitive")
    day = num2words(int(m[2]), lang="ru", to="ordinal", case=case, gender="n")
    return f"{m[1]} {day} {m[3]}" if m[1] else f"{day} {m[3]}"


def _say_numeric_date_after(m: re.Match[str]) -> str:
    case = _case_of(m[1], _DATE_CASE, "genitive")
    try:
        words = say_date(date(int(m[4]), int(m[3]), int(m[2])), year=True, case=case)
    except ValueError:  # "31.02.2024" is a typo; say what is written
        words = " ".join(say_number(int(n)) for n in (m[2], m[3], m[4]))
    return f"{m[1]} {words}" if m[1] else words


def _gender_of_next_noun(rest: str) -> str:
    """The gender of the first noun among the next three words ("21 рабочего дня" → "m")."""
    for word in re.findall(r"[а-яё-]+", rest.lower())[:3]:
        parse = _morph().parse(word)[0]
        if "NOUN" in parse.tag:
            return {"femn": "f", "neut": "n"}.get(parse.tag.gender or "", "m")
    return "m"


def _say_count_after(m: re.Match[str]) -> str:
    digits = m[2]
    if len(digits) > 1 and digits[0] == "0" or len(digits) > 15:
        return f"{m[1]} {say_digits(digits)}"
    case = _case_of(m[1], _PREPOSITION_CASE, "nominative")
    gender = _gender_of_next_noun(m.string[m.end():m.end() + 60])
    return f"{m[1]} {say_number(int(digits), gender=gender, case=case)}"


def _say_ordinal_noun(m: re.Match[str]) -> str:
    """"2 этаж" → "второй этаж", "на 2 этаже" → "втором этаже": the noun's own case (pymorphy3)."""
    noun = _noun(m[2].lower())
    case = _PYMORPHY_CASE.get(noun.tag.case or "nomn", "nominative")
    gender = {"femn": "f", "neut": "n"}.get(noun.tag.gender or "", "m")
    if case == "accusative" and "inan" in noun.tag and gender != "f":
        case = "nominative"  # an inanimate accusative is the nominative ("на второй этаж")
    plural = "plur" in noun.tag
    words = num2words(int(m[1]), lang="ru", to="ordinal", case=case, gender=gender, plural=plural)
    return f"{words} {m[2]}"


_UNIT_PATTERN = "|".join(re.escape(u) for u in sorted(UNITS, key=len, reverse=True))

# order matters: the most specific shapes first
_RULES: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (re.compile(rf"\b{ACCOUNT_PATTERN}\b"), lambda m: say_account(m[0])),
    (re.compile(rf"\b({_INTEGER})\s*{_RUBLE_WORD}\.?\s*(\d{{1,2}})\s*коп(?:еек|ейки|ейка)?"),
     lambda m: say_money(_amount(m[1], m[2]))),
    (re.compile(rf"(-?(?:{_INTEGER})(?:[.,]\d{{1,2}})?)\s*{_RUBLE_WORD}"),
     lambda m: say_money(_amount(m[1]))),
    (re.compile(rf"(?:\b({_DATE_PREP})\s+)?\b(\d{{1,2}})\.(\d{{1,2}})\.(\d{{4}})\b", re.IGNORECASE),
     _say_numeric_date_after),
    (re.compile(rf"\b({_CASE_PREP})\s+(\d{{1,2}})[.:](\d{{2}})\b(?![.,:]\d)", re.IGNORECASE),
     _say_clock_after),
    (re.compile(rf"\b(с|со)\s+(\d{{1,2}})\s+(по)\s+(?=\d{{1,2}}\s+(?:числ|{_MONTH_WORD}))", re.IGNORECASE),
     lambda m: f"{m[1]} {_ordinal_genitive(int(m[2]))} {m[3]} "),
    (re.compile(rf"(?:\b({_DATE_PREP})\s+)?\b(\d{{1,2}})\s+({_MONTH_WORD})\b", re.IGNORECASE),
     _say_day_month),
    (re.compile(rf"\b(\d{{1,4}})\s+({'|'.join(_ORDINAL_NOUNS)})\b"),
     lambda m: _say_ordinal_before(m[1], m[2])),
    (re.compile(r"\b(\d{1,3})\s+(этаж(?:а|у|ом|е|и|ей|ах)?|подъезд(?:а|у|ом|е)?)\b", re.IGNORECASE),
     _say_ordinal_noun),
    (re.compile(r"\b(\d{1,2}):(\d{2})\b"), lambda m: _say_time(m[1], m[2])),
    (re.compile(r"(\d+(?:[.,]\d+)?)\s*%"), lambda m: _say_percent(m[1])),
    (re.compile(rf"(\d+(?:[.,]\d+)?)\s*({_UNIT_PATTERN})(?!\w)"),
     lambda m: say_reading(Decimal(m[1].replace(",", ".")), UNITS[m[2]])),
    (re.compile(r"\b\d+(?:-\d+){2,}\b"), lambda m: ", ".join(_say_integer(g) for g in m[0].split("-"))),
    (re.compile(r"\d+[.,]\d+"), lambda m: say_reading(Decimal(m[0].replace(",", ".")))),
    (re.compile(r"(?<![\w-])-(\d+)"), lambda m: "минус " + _say_integer(m[1])),
    (re.compile(rf"\b({_CASE_PREP})\s+(\d+)\b", re.IGNORECASE), _say_count_after),
    (re.compile(r"\d+"), lambda m: _say_integer(m[0])),
]


def spell_numbers(text: str) -> str:
    """Every digit in free text replaced by words, so the synthesizer never reads raw digits:
    accounts, money ("729.51 руб."), dates ("22.11.2024", "по 31 марта" → "по тридцать первое
    марта"), times ("8:00", "с 8.30 до 17.00" → "с восьми тридцати до семнадцати"), percents,
    units ("2,5 м³"), floors ("2 этаж" → "второй этаж"), phone-like groups, decimals, and
    integers in the case their preposition governs ("в течение 15 дней" → "пятнадцати").
    Text without digits comes back as is."""
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


# --- abbreviations and mixed tokens ------------------------------------------------------------------

_LETTER_NAMES = {"а": "а", "б": "бэ", "в": "вэ", "г": "гэ", "д": "дэ", "е": "е", "ж": "жэ", "з": "зэ",
                 "и": "и", "к": "ка", "л": "эль", "м": "эм", "н": "эн", "о": "о", "п": "пэ", "р": "эр"}
_LATIN = dict(zip("abcdefghijklmnopqrstuvwxyz",
                  ("а", "б", "ц", "д", "е", "ф", "г", "х", "и", "ж", "к", "л", "м", "н", "о", "п", "к",
                   "р", "с", "т", "у", "в", "в", "кс", "й", "з"), strict=True))
_DOMAINS = {"ru": "ру", "рф": "эр эф", "com": "ком", "org": "орг", "net": "нет"}


def _phrase_in_case(lemmas: tuple[str, ...], case: str, number: str = "sing") -> str:
    """"единый платёжный документ" in a pymorphy3 case ("gent" → "единого платёжного документа")."""
    words = []
    for lemma in lemmas:
        parse = _morph().parse(lemma)[0]
        form = parse.inflect({case, number})
        words.append(form.word if form else lemma)
    return " ".join(words)


_CASE_AFTER_PREPOSITION = {
    **dict.fromkeys(("с", "со"), "ablt"),
    **dict.fromkeys(("в", "во", "о", "об", "при"), "loct"),
    **dict.fromkeys(("к", "ко", "по"), "datv"),
    **dict.fromkeys(("за", "через", "про"), "accs"),
}


def _case_from_context(before: str) -> str:
    """The case a written-out abbreviation takes from the word before it: a preposition governs it
    ("с ТКО" → instrumental), an adjective agrees with it ("бумажного ЕПД" → genitive), after
    another noun it is a genitive attribute ("вывоз ТКО"); else nominative."""
    words = re.findall(r"[а-яё]+", before.lower())
    if not words:
        return "nomn"
    word = words[-1]
    if word in _CASE_AFTER_PREPOSITION:
        return _CASE_AFTER_PREPOSITION[word]
    parse = _morph().parse(word)[0]
    if "PREP" in parse.tag:
        return "gent"  # от, до, для, из, без, после …
    if {"ADJF"} & parse.tag.grammemes or "PRTF" in parse.tag:
        return parse.tag.case or "nomn"
    if "NOUN" in parse.tag:
        return "gent"
    return "nomn"


def _expand_in_case(lemmas: tuple[str, ...], number: str) -> Callable[[re.Match[str]], str]:
    def expand(m: re.Match[str]) -> str:
        return _phrase_in_case(lemmas, _case_from_context(m.string[max(0, m.start() - 40):m.start()]), number)
    return expand


def _say_domain(m: re.Match[str]) -> str:
    name = "".join(_LATIN.get(ch, ch) for ch in m[1].lower()).replace("-", " дефис ")
    return f"{name} точка {_DOMAINS[m[2].lower()]}"


def _electronic(m: re.Match[str]) -> str:
    """"эл. почте" → "электронной почте": the adjective agrees with the noun (pymorphy3)."""
    noun = _noun(m[1].lower())
    form = _morph().parse("электронный")[0].inflect({c for c in (noun.tag.case, noun.tag.gender,
                                                                  noun.tag.number) if c})
    return f"{form.word if form else 'электронная'} {m[1]}"


_ABBREVIATIONS: list[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]] = [
    (re.compile(r"\b([a-z0-9][a-z0-9-]*)\.(ru|рф|com|org|net)\b", re.IGNORECASE), _say_domain),
    (re.compile(r"\b(в\s+)(\d{4})\s*г(?:\.|\b)"), r"\1\2 году"),
    (re.compile(r"\b(\d{4})\s*г(?:\.|\b)"), r"\1 года"),
    (re.compile(r"\bг\.\s*(?=[А-ЯЁ])"), "город "),
    (re.compile(r"\bул\.\s*"), "улица "),
    (re.compile(r"\bпр-т\b\.?\s*"), "проспект "),
    (re.compile(r"\bпр(?:осп)?\.\s*(?=[А-ЯЁ])"), "проспект "),
    (re.compile(r"\bпер\.\s*"), "переулок "),
    (re.compile(r"\bмкр\.?\s*(?=[А-ЯЁ\d])"), "микрорайон "),
    (re.compile(r"\bобл\.(?=\s|$|[,;])"), "область"),
    (re.compile(r"\bр-н\b\.?"), "район"),
    (re.compile(r"\bпгт\.?\s+"), "посёлок "),
    (re.compile(r"\bд\.\s*(?=\d)"), "дом "),
    (re.compile(r"\bкв\.\s*(?=\d)"), "квартира "),
    (re.compile(r"\bтел\.\s*"), "телефон "),
    (re.compile(r"№\s*"), "номер "),
    (re.compile(r"\bи т\.\s?д\."), "и так далее"),
    (re.compile(r"\bи т\.\s?п\."), "и тому подобное"),
    (re.compile(r"\bт\.\s?е\."), "то есть"),
    (re.compile(r"\bэл\.\s*(почт[аеуыой]+)\b"), _electronic),
    (re.compile(r"\bООО\s*"), ""),  # the company's legal form; "«ЭкоТек»" alone is what callers know
    (re.compile(r"\bТКО\b"), _expand_in_case(("твёрдые", "коммунальные", "отходы"), "plur")),
    (re.compile(r"\bЕПД\b"), _expand_in_case(("единый", "платёжный", "документ"), "sing")),
    # a house number's letter: "4а" → "4 а" (the number is spelled later), "9А" → "9 а"
    (re.compile(r"\b(\d{1,4})([а-пр])\b", re.IGNORECASE), lambda m: f"{m[1]} {_LETTER_NAMES[m[2].lower()]}"),
]


def expand_abbreviations(text: str) -> str:
    """Written abbreviations as they are said: "г. Мыски, ул. Восточная, д. 6, кв. 2" → "город
    Мыски, улица Восточная, дом 6, квартира 2"; "р-н", "пер.", "пр.", "пгт", "№"; "ООО" dropped;
    "ТКО" and "ЕПД" in the case their context asks ("с твёрдыми коммунальными отходами");
    house letters ("4а" → "4 а"); web addresses ("kuzro.ru" → "кузро точка ру")."""
    for pattern, said in _ABBREVIATIONS:
        text = pattern.sub(said, text)
    return text


def normalise_for_speech(text: str) -> str:
    """Written text → the plain Russian words the robot says (abbreviations, then numbers).
    Safe for transcripts and tests; the synthesizer adds the pronunciation lexicon on top."""
    return spell_numbers(expand_abbreviations(text))
