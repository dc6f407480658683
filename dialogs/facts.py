"""The reference facts the robot tells residents (`facts.toml`, or the utility's own copy).

Why a file and not code: how to pay, the e-mail receipt, penalties, the hotline's number are
the utility's facts; they change without a release and some must still be confirmed with the
customer. Every fact carries its source, and the file is checked when the hotline starts, so a
missing or empty answer is found before a resident asks for it.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

DEFAULT_FILE = Path(__file__).with_name("facts.toml")
# The needs the dialogs answer from this file; each must be present.
REQUIRED = (
    "hotline_number", "pay", "receipt", "register", "register_offline", "penalties", "recalculation",
    "instalments", "promo_winner",
)


class FactsError(ValueError):
    """The reference file is missing, unreadable or lacks a fact the dialogs need."""


@dataclass(frozen=True)
class Fact:
    text: str  # said at once
    more: str  # said only on request ("" when there is nothing more)
    source: str  # where it comes from: a seed section, or why it is to be confirmed
    confirmed: bool  # False: not in the customer's documents (README: "to confirm with the customer")


@dataclass(frozen=True)
class Facts:
    items: dict[str, Fact]
    path: Path

    def __getitem__(self, name: str) -> Fact:
        return self.items[name]

    def unconfirmed(self) -> list[str]:
        return [name for name, fact in self.items.items() if not fact.confirmed]


def load_facts(path: str | Path | None = None) -> Facts:
    """Read and check the reference file; raises FactsError with the reason."""
    file = Path(path) if path else DEFAULT_FILE
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise FactsError(f"{file}: cannot read the reference facts: {exc}") from exc
    items: dict[str, Fact] = {}
    for name, entry in data.items():
        if not isinstance(entry, dict):
            raise FactsError(f"{file}: [{name}] must be a table with text, source and confirmed")
        text, more, source = entry.get("text"), entry.get("more", ""), entry.get("source")
        confirmed = entry.get("confirmed")
        if not isinstance(text, str) or not text.strip():
            raise FactsError(f"{file}: [{name}] has no text")
        if not isinstance(more, str):
            raise FactsError(f"{file}: [{name}] more must be text")
        if not isinstance(source, str) or not source.strip():
            raise FactsError(f"{file}: [{name}] has no source: say where the fact comes from")
        if not isinstance(confirmed, bool):
            raise FactsError(f"{file}: [{name}] confirmed must be true or false")
        items[name] = Fact(text.strip(), more.strip(), source.strip(), confirmed)
    missing = [name for name in REQUIRED if name not in items]
    if missing:
        raise FactsError(f"{file}: missing facts: {', '.join(missing)}")
    return Facts(items, file)
