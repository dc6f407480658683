"""Finding an account from what an operator types: an account number in any spelling, or a phone.

Operators copy numbers from receipts, letters and their notes: `001110011-7`,
`0011100117`, `001110011 7`, `1110011-7` (leading zeros dropped), `001 110 011-7`,
or a phone `+7 900 111-00-11`, `8 (900) 111-00-11`, `9001110011`. A text can mean
both (ten digits starting with 9): every reading is tried and every account
found is listed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, selectinload

from api.accounts import normalize_phone
from api.models import Account, Phone

MAX_QUERY = 60
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212_./\\]+")
_ACCOUNT_CHARS = re.compile(r"[0-9\s\-\u2010-\u2015\u2212_./\\]+")


@dataclass(frozen=True)
class AccountKey:
    number: str  # nine digits
    suffix: int | None  # None: the territory was not typed, any suffix matches


def account_keys(text: str) -> list[AccountKey]:
    """The account numbers `text` may spell (none if it has anything but digits and separators)."""
    text = text.strip()
    if not text or len(text) > MAX_QUERY or not _ACCOUNT_CHARS.fullmatch(text):
        return []
    groups = [g for g in _SEPARATORS.split(text) if g]
    digits = "".join(groups)
    keys: list[AccountKey] = []
    if len(groups) >= 2 and len(groups[-1]) == 1 and 1 <= len(digits) - 1 <= 9:
        keys.append(AccountKey(digits[:-1].zfill(9), int(groups[-1])))  # "1110011-7", "001 110 011 7"
    if len(digits) == 10:
        keys.append(AccountKey(digits[:9], int(digits[9])))  # "0011100117"
    if not keys and 1 <= len(digits) <= 9:
        keys.append(AccountKey(digits.zfill(9), None))  # "001110011": every territory
    return list(dict.fromkeys(keys))


@dataclass(frozen=True)
class Found:
    account: Account
    how: str  # "account" | "phone"


def find(session: Session, text: str) -> list[Found]:
    """Every account `text` may name, by number first, then by phone; each account once."""
    text = (text or "").strip()[:MAX_QUERY]
    found: dict[int, Found] = {}
    keys = account_keys(text)
    if keys:
        conditions = [
            and_(Account.number == k.number, Account.suffix == k.suffix)
            if k.suffix is not None
            else Account.number == k.number
            for k in keys
        ]
        for acc in session.scalars(
            select(Account)
            .where(or_(*conditions))
            .options(*_loads())
            .order_by(Account.number, Account.suffix)
        ):
            found.setdefault(acc.id, Found(acc, "account"))
    number = normalize_phone(text)
    if number:
        phone = session.scalar(
            select(Phone)
            .where(Phone.number == number)
            .options(selectinload(Phone.accounts).options(*_loads()))
        )
        for acc in sorted(phone.accounts if phone else [], key=lambda a: (a.number, a.suffix)):
            found.setdefault(acc.id, Found(acc, "phone"))
    return list(found.values())


def _loads():
    return (selectinload(Account.territory), selectinload(Account.phones))
