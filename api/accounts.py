"""Account numbers, phone numbers and how they appear in logs.

Why here and pure: the API, the registry import and the demo data all accept
the same spellings and must agree on them; logs never show a whole account.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from api.logmask import mask_numbers_in
from speech.account_format import split_account

_PHONE_JUNK = re.compile(r"[\s()\-.]")


def parse_account(text: str) -> tuple[str, int] | None:
    """`"001110011-7"` → ("001110011", 7); None for anything else (ASCII digits only). The
    shape is `speech.account_format`'s, the one the dialogs and the robot's voice use."""
    parsed = split_account(text)
    return None if parsed is None or parsed[1] is None else (parsed[0], parsed[1])


def normalize_phone(raw: str | None) -> str | None:
    """Russian phone in any usual spelling → 11 digits starting with 7; None if it is not one.

    `+7 900 111-00-11`, `8 (900) 111-00-11`, `89001110011`, `9001110011` → `79001110011`.
    """
    if raw is None:
        return None
    s = _PHONE_JUNK.sub("", str(raw).strip())
    if s.startswith("+"):
        s = s[1:]
        if not s.startswith("7"):
            return None
    if not s.isascii() or not s.isdigit():
        return None
    if len(s) == 10 and s[0] == "9":
        s = "7" + s
    elif len(s) == 11 and s[0] == "8":
        s = "7" + s[1:]
    if len(s) != 11 or s[0] != "7":
        return None
    return s


def mask_account(text: str | None) -> str:
    """`001110011-7` → `******011-7`: enough to match a complaint, too little to reuse."""
    if not text:
        return "-"
    text = str(text)
    if parse_account(text) is None:
        return "***" + text[-3:] if len(text) > 6 else "***"
    return mask_numbers_in(text)  # the log filter's rule, so a stored mask and a log line agree


def mask_phone(phone: str | None) -> str:
    """`79001110011` → `7900***0011`."""
    if not phone:
        return "-"
    return phone[:4] + "***" + phone[-4:] if len(phone) >= 8 else "***"


def parse_decimal(raw: object, *, places: int) -> Decimal | None:
    """A decimal with at most `places` fraction digits ("729.51", "729,51", 729.51); None if not one."""
    if raw is None or isinstance(raw, bool):
        return None
    text = str(raw).strip().replace("\u00a0", "").replace(" ", "").replace(",", ".")
    if not text or not re.fullmatch(r"[+-]?[0-9]+(\.[0-9]*)?|[+-]?\.[0-9]+", text):
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    exponent = value.as_tuple().exponent  # an int: the pattern above lets no NaN or infinity in
    step = Decimal(1).scaleb(-places)
    if isinstance(exponent, int) and -exponent > places and value != value.quantize(step):
        return None
    return value.quantize(step)


def money(value: Decimal | None) -> str | None:
    """Decimal → "729.51" (never "-0.00")."""
    if value is None:
        return None
    value = Decimal(value).quantize(Decimal("0.01"))
    if value == 0:
        value = Decimal("0.00")
    return f"{value:.2f}"


def plain(value: Decimal | None) -> str | None:
    """Decimal without trailing zeros: 124.500 → "124.5", 100.000 → "100"."""
    if value is None:
        return None
    text = format(Decimal(value).normalize(), "f")
    return "0" if text in ("-0", "0") else text
