"""The shape of an account number, "NNNNNNNNN-S": nine digits, a dash, the territory suffix.

Why one home, and why in `speech`: the API validates it in paths and billing files, the dialogs
take it from the keypad, speech hears it and reads it back; `speech` is the one package all of
them may import. The suffix's meaning (which territory) is `speech.territories`.
"""

from __future__ import annotations

import re

NUMBER_DIGITS = 9  # the account number before the dash
# ASCII digits only: what the billing registry prints and the keypad sends
ACCOUNT_PATTERN = r"[0-9]{9}-[0-9]"
_ACCOUNT = re.compile(r"([0-9]{9})(?:-([0-9]))?")


def split_account(text: object, *, suffix_required: bool = True) -> tuple[str, int | None] | None:
    """"001110011-7" → ("001110011", 7); with `suffix_required=False` also "001110011" →
    ("001110011", None). None for anything else, never an exception."""
    match = _ACCOUNT.fullmatch(text) if isinstance(text, str) else None
    if match is None or suffix_required and match[2] is None:
        return None
    return match[1], None if match[2] is None else int(match[2])


def account_from_keys(keys: str) -> str | None:
    """What a caller keyed: ten digits are the number and its suffix ("0011100117" →
    "001110011-7"), nine the number alone (the territory is asked next); anything else None."""
    if not keys.isascii() or not keys.isdigit():
        return None
    if len(keys) == NUMBER_DIGITS + 1:
        return f"{keys[:NUMBER_DIGITS]}-{keys[NUMBER_DIGITS]}"
    return keys if len(keys) == NUMBER_DIGITS else None
