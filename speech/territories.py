"""Territory suffixes of account numbers: the one table, `speech/territories.toml` (seed 000).

An account is "NNNNNNNNN-S"; callers often name the town instead of the suffix, in any case
("из Калтана", "в Мысках", "Таштагольский район"). Russian inflects the ending, so a town is
recognised by the stem every form of its name and its adjective starts with.

Why the table lives here, as a data file: the parsers and the recogniser's grammars (speech),
the database's reference rows and the demo (api) all need it, and `speech` is the package both
may import; the utility edits a file, not code.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

TERRITORIES_FILE = Path(__file__).with_name("territories.toml")


@dataclass(frozen=True)
class Territory:
    """One row of the suffix table (the file's comments say what each field is)."""

    suffix: int
    name: str
    town: str
    stems: tuple[str, ...]
    heard: tuple[str, ...]
    two_word_names: tuple[tuple[str, str], ...] = ()


@lru_cache(maxsize=1)
def territories() -> dict[int, Territory]:
    """suffix → territory, the file read once per process, in suffix order."""
    rows = tomllib.loads(TERRITORIES_FILE.read_text(encoding="utf-8"))["territory"]
    table = {
        row["suffix"]: Territory(
            suffix=row["suffix"],
            name=row["name"],
            town=row["town"],
            stems=tuple(row["stems"]),
            heard=tuple(row["heard"]),
            two_word_names=tuple((first, second) for first, second in row.get("two_word_names", ())),
        )
        for row in rows
    }
    return dict(sorted(table.items()))


def territory_name(suffix: int) -> str:
    """The territory's name for a suffix, as the regulation writes it (KeyError if unknown)."""
    return territories()[suffix].name


def suffix_of_word(word: str) -> int | None:
    """The suffix a single (lower-case, ё-folded) word names, if it is a form of a town's name."""
    for suffix, territory in territories().items():
        if word.startswith(territory.stems):
            return suffix
    return None


def suffixes_named(words: list[str]) -> set[int]:
    """Every suffix the words name by town; more than one means the caller was unclear."""
    found = {s for s in map(suffix_of_word, words) if s is not None}
    for first, second in zip(words, words[1:], strict=False):
        found |= {
            suffix
            for suffix, territory in territories().items()
            for a, b in territory.two_word_names
            if first.startswith(a) and second.startswith(b)
        }
    return found


def town_words() -> frozenset[str]:
    """Every word form of a town the recogniser's grammars hold (see `heard` in the file)."""
    return frozenset(word for territory in territories().values() for word in territory.heard)
