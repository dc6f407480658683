"""Territory suffixes of account numbers (the promotion regulation's table, seeds/000_*).

An account is "NNNNNNNNN-S"; callers often name the town instead of the suffix, in any case
("из Калтана", "в Мысках", "Таштагольский район"). Russian inflects the ending, so a town is
recognised by the stem every form of its name and its adjective starts with.
"""

from __future__ import annotations

# suffix → (territory as the regulation names it, word stems in lower case with ё folded to е)
TERRITORIES: dict[int, tuple[str, tuple[str, ...]]] = {
    0: ("Новокузнецк и район", ("новокузнецк",)),
    1: ("Прокопьевск и район", ("прокопьевск",)),
    2: ("Киселевск и район", ("киселевск",)),
    3: ("Краснобродский и район", ("красноброд",)),
    4: ("Мыски и район", ("мыск",)),
    5: ("Междуреченск и район", ("междуреченск",)),
    6: ("Осинники и район", ("осинник",)),
    7: ("Калтан и район", ("калтан",)),
    8: ("Таштагол и район", ("таштагол",)),
    9: ("Шерегеш", ("шерегеш",)),
}


def territory_name(suffix: int) -> str:
    """The territory's name for a suffix, as the regulation writes it (KeyError if unknown)."""
    return TERRITORIES[suffix][0]


def suffix_of_word(word: str) -> int | None:
    """The suffix a single (lower-case, ё-folded) word names, if it is a form of a town's name."""
    for suffix, (_, stems) in TERRITORIES.items():
        if word.startswith(stems):
            return suffix
    return None


# names said in two words: "Красный Брод" (the settlement Краснобродский), "из Красного Брода"
_TWO_WORD_NAMES: dict[tuple[str, str], int] = {("красн", "брод"): 3}


def suffixes_named(words: list[str]) -> set[int]:
    """Every suffix the words name by town; more than one means the caller was unclear."""
    found = {s for s in map(suffix_of_word, words) if s is not None}
    for first, second in zip(words, words[1:], strict=False):
        found |= {s for (a, b), s in _TWO_WORD_NAMES.items() if first.startswith(a) and second.startswith(b)}
    return found
