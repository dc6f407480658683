"""The Russian words every package shares: digit names, month names and the plural rule.

Why one home, and why in `speech`: the dialogs (prompts), the API (dates in the promotion's
answers, the console) and speech itself (numerals, `verbalize`) all say these words, and
`speech` is the one package each of them may import (it imports neither `dialogs` nor `api`).
Why from libraries: CLDR (babel) has the months in both cases and Russian's plural categories,
num2words the digit names; tables typed by hand drifted apart (five copies of the months).
"""

from __future__ import annotations

from babel import Locale
from babel.dates import get_month_names
from num2words import num2words

_RU = Locale("ru")

# "ноль", "один", … "девять": a digit said on its own (account read-backs, keys to press)
DIGIT_WORDS: tuple[str, ...] = tuple(num2words(digit, lang="ru") for digit in range(10))

# "январь" … (a month named on its own: «За ноябрь») and "января" … (a day's month, «на конец ноября»)
MONTHS_NOMINATIVE: tuple[str, ...] = tuple(
    get_month_names("wide", "stand-alone", locale=_RU)[month] for month in range(1, 13)
)
MONTHS_GENITIVE: tuple[str, ...] = tuple(
    get_month_names("wide", "format", locale=_RU)[month] for month in range(1, 13)
)


def plural(count: int, one: str, few: str, many: str) -> str:
    """The word form after a whole number, by CLDR's Russian rule: 1 попытка, 2 попытки,
    5 попыток, 11 попыток, 21 попытка (zero and negatives by their absolute value)."""
    form = _RU.plural_form(abs(count))
    return one if form == "one" else few if form == "few" else many
