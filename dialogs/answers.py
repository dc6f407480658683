"""Turning one Reply (words or keys) into the value a question wants, or None for "no match".

Why separate from the policy: each interpreter is a small pure function that a
test can call directly, and the policy loop stays the same for every question.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal, InvalidOperation
from typing import TypeVar

from dialogs import lexicon, prompts, spoken
from dialogs.channel import Reply
from dialogs.prompts import Choice
from dialogs.understanding import corrected, lemma, understand, words_of
from speech.account_format import account_from_keys

T = TypeVar("T")
Interpret = Callable[[Reply], T | None]


def normalise(text: str) -> str:
    """Lower case, ё as е, punctuation gone, single spaces: what the keyword matching compares."""
    text = text.lower()
    for variant, plain in prompts.SPELLING_VARIANTS:
        text = text.replace(variant, plain)
    return " ".join(re.sub(r"[^\w\s-]", " ", text).split())


def says_any(text: str, phrases: Iterable[str], stems: Iterable[str] = ()) -> bool:
    """True when a whole phrase occurs in the text, or a word of it starts with a stem."""
    padded = f" {normalise(text)} "
    if any(f" {normalise(p)} " in padded for p in phrases):
        return True
    return any(f" {normalise(s)}" in padded for s in stems)


def _says_lemmas(text: str, phrases: Iterable[str]) -> bool:
    """A phrase occurs in the text in any word form («второго счёта» says «второй»)."""
    said = [lemma(w) for w in words_of(text)]
    for phrase in phrases:
        wanted = [lemma(w) for w in words_of(phrase)]
        n = len(wanted)
        if n and any(said[i:i + n] == wanted for i in range(len(said) - n + 1)):
            return True
    return False


def pick_choice(choices: Sequence[Choice], reply: Reply) -> Choice | None:
    """The choice named by the key pressed or the words said (after any self-correction); the
    first whole-phrase match wins over a stem match, so "нет" stays "no" where another choice
    has a stem like "не"."""
    if reply.kind == "digits":
        return next((c for c in choices if c.key is not None and c.key == reply.digits), None)
    if reply.kind != "speech":
        return None
    text = corrected(reply.text)
    for choice in choices:
        if _says_lemmas(text, choice.words):
            return choice
    for choice in choices:
        if says_any(text, (), choice.stems):
            return choice
    return None


def choice(choices: Sequence[Choice]) -> Interpret[str]:
    def interpret(reply: Reply) -> str | None:
        found = pick_choice(choices, reply)
        return found.name if found else None

    return interpret


def yes_no(reply: Reply) -> bool | None:
    if reply.kind == "digits":
        return {prompts.YES_KEY: True, prompts.NO_KEY: False}.get(reply.digits)
    if reply.kind != "speech":
        return None
    text = corrected(reply.text)  # «да, ой нет» is no
    found = spoken.parse_yes_no(text)
    if found is not None:
        return found
    # Negations first: "не верно" contains "верно".
    if says_any(text, prompts.NO.words, prompts.NO.stems):
        return False
    if says_any(text, prompts.YES.words):
        return True
    return None


def account(reply: Reply) -> str | None:
    """ "NNNNNNNNN-S", or "NNNNNNNNN" when the territory is still to be asked."""
    if reply.kind == "digits":
        return account_from_keys(reply.digits)
    if reply.kind == "speech":
        return spoken.parse_account(corrected(reply.text))
    return None


def territory(reply: Reply) -> int | None:
    if reply.kind == "digits":
        return int(reply.digits) if re.fullmatch(r"\d", reply.digits) else None
    if reply.kind == "speech":
        return spoken.parse_territory(corrected(reply.text))
    return None


def keyed_decimal(digits: str) -> Decimal | None:
    """Keys with `*` as the decimal point: "124*5" → 124.5, "729*51" → 729.51."""
    if not re.fullmatch(r"\d+(\*\d+)?", digits):
        return None
    try:
        return Decimal(digits.replace("*", "."))
    except InvalidOperation:
        return None


def amount(reply: Reply) -> Decimal | None:
    if reply.kind == "digits":
        value = keyed_decimal(reply.digits)
        places = value.as_tuple().exponent if value is not None else None
        return value if isinstance(places, int) and places >= -2 else None
    if reply.kind == "speech":
        return spoken.parse_amount(corrected(reply.text))
    return None


def reading(reply: Reply) -> Decimal | str | None:
    """A meter value, or "skip" when the caller wants to pass this meter."""
    if reply.kind == "digits":
        return keyed_decimal(reply.digits)
    if reply.kind != "speech":
        return None
    text = corrected(reply.text)
    if says_any(text, prompts.SKIP_WORDS):
        return "skip"
    return spoken.parse_reading(text)


def dont_know(reply: Reply) -> bool:
    """«не знаю», «не помню», «забыла», «квитанции нет под рукой»."""
    return reply.kind == "speech" and understand(reply.text).has(lexicon.DONT_KNOW)
