"""Import of the billing system's registry (CSV), and the upserts it shares with the demo data.

Why one file with a `kind` column: the billing exports accounts, charges,
penalties, payments and meters together, as Russian Excel writes CSV (`;`,
UTF-8 or cp1251, decimal commas). The whole file is one transaction: the first
bad row stops the import with its line number and reason, and nothing is
written. Re-importing updates rows in place (keys below), never duplicates.

| kind | required | optional | key |
|---|---|---|---|
| account | account, owner_name, address | area, phones, web_registered_on, e_receipt, | account |
|  |  | opening_balance |  |
| charge | account, period, service, charged | recalculation, tariff, quantity | account+period+service |
| penalty | account, period, amount | | account+period |
| payment | account, date, amount | channel, ref | account+ref, else account+date+amount+channel |
| meter | account, service, serial | verification_due, value+date (a reading) | account+service+serial |
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.accounts import normalize_phone, parse_account, parse_decimal
from api.balance import parse_period
from api.models import Account, Charge, Meter, Payment, Penalty, Phone, Reading, Service
from api.reference import METERED_SERVICES

COLUMNS = (
    "kind",
    "account",
    "owner_name",
    "address",
    "area",
    "phones",
    "web_registered_on",
    "e_receipt",
    "opening_balance",
    "period",
    "service",
    "charged",
    "recalculation",
    "tariff",
    "quantity",
    "date",
    "amount",
    "channel",
    "ref",
    "serial",
    "verification_due",
    "value",
)
REQUIRED = {
    "account": ("account", "owner_name", "address"),
    "charge": ("account", "period", "service", "charged"),
    "penalty": ("account", "period", "amount"),
    "payment": ("account", "date", "amount"),
    "meter": ("account", "service", "serial"),
}
TRUE_WORDS = {"1", "да", "yes", "y", "true", "д", "+"}
FALSE_WORDS = {"", "0", "нет", "no", "n", "false", "н", "-"}


class RegistryError(ValueError):
    """A registry file that cannot be imported; `line` is 1-based (the header is line 1)."""

    def __init__(self, line: int, message: str):
        super().__init__(f"line {line}: {message}" if line else message)
        self.line = line
        self.message = message


@dataclass
class ImportReport:
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)

    def count(self, kind: str, created: bool) -> None:
        target = self.created if created else self.updated
        target[kind] = target.get(kind, 0) + 1

    def __str__(self) -> str:
        kinds = sorted(set(self.created) | set(self.updated))
        return ", ".join(
            f"{k}: {self.created.get(k, 0)} new, {self.updated.get(k, 0)} updated" for k in kinds
        ) or ("nothing to import")


# ------------------------------------------------------------------ decoding


def decode(raw: bytes) -> str:
    """UTF-8 (with or without BOM), else cp1251 — what Russian Excel writes."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1251")


def parse_date(text: str) -> date | None:
    """`2025-10-15` or `15.10.2025`."""
    text = text.strip()
    for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def parse_month(text: str) -> date | None:
    """`2025-10` or `10.2025`."""
    text = text.strip()
    if len(text) == 7 and text[2] == ".":
        text = f"{text[3:]}-{text[:2]}"
    return parse_period(text)


# ------------------------------------------------------------------ upserts (shared with the demo data)


def _upsert(session: Session, model: type, key: dict, values: dict) -> tuple[object, bool]:
    """The row with `key` (created if missing) set to `values`; True when it was created."""
    row = session.scalars(select(model).filter_by(**key).limit(1)).first()
    created = row is None
    if row is None:
        row = model(**key)
        session.add(row)
    for name, value in values.items():
        setattr(row, name, value)
    session.flush()
    return row, created


def upsert_account(
    session: Session,
    text: str,
    *,
    owner_name: str,
    address: str,
    area: Decimal | None = None,
    phones: list[str] | None = None,
    web_registered_on: date | None = None,
    e_receipt: bool = False,
    opening_balance: Decimal = Decimal("0.00"),
) -> tuple[Account, bool]:
    """Account by its text; `phones=None` leaves the phones on file as they are."""
    number, suffix = parse_account(text)  # type: ignore[misc]  # callers validate first
    values = dict(
        owner_name=owner_name,
        address=address,
        area=area,
        web_registered_on=web_registered_on,
        e_receipt=e_receipt,
        opening_balance=opening_balance,
    )
    account, created = _upsert(session, Account, {"number": number, "suffix": suffix}, values)
    if phones is not None:
        account.phones = [_upsert(session, Phone, {"number": p}, {})[0] for p in dict.fromkeys(phones)]
        session.flush()
    return account, created


def upsert_charge(
    session: Session,
    account: Account,
    period: date,
    service: str,
    *,
    charged: Decimal,
    recalculation: Decimal = Decimal("0.00"),
    tariff: Decimal | None = None,
    quantity: Decimal | None = None,
) -> bool:
    key = {"account_id": account.id, "period": period, "service_code": service}
    values = {"charged": charged, "recalculation": recalculation, "tariff": tariff, "quantity": quantity}
    return _upsert(session, Charge, key, values)[1]


def upsert_penalty(session: Session, account: Account, period: date, amount: Decimal) -> bool:
    return _upsert(session, Penalty, {"account_id": account.id, "period": period}, {"amount": amount})[1]


def upsert_payment(
    session: Session,
    account: Account,
    paid_on: date,
    amount: Decimal,
    *,
    channel: str = "",
    ref: str | None = None,
) -> bool:
    """Keyed by the billing's document number, or without one by date, amount and channel."""
    values = {"paid_on": paid_on, "amount": amount, "channel": channel}
    key = {"account_id": account.id, "ref": ref} if ref else {"account_id": account.id, "ref": None, **values}
    return _upsert(session, Payment, key, values)[1]


def upsert_meter(
    session: Session, account: Account, service: str, serial: str, *, verification_due: date | None
) -> tuple[Meter, bool]:
    key = {"account_id": account.id, "service_code": service, "serial": serial}
    return _upsert(session, Meter, key, {"verification_due": verification_due})  # type: ignore[return-value]


def upsert_import_reading(session: Session, meter: Meter, value: Decimal, taken_at: datetime) -> bool:
    key = {"meter_id": meter.id, "source": "import", "taken_at": taken_at}
    return _upsert(session, Reading, key, {"value": value})[1]


# ------------------------------------------------------------------ the import


class _Row:
    """One CSV row with typed getters that raise RegistryError naming the line and column."""

    def __init__(self, line: int, values: dict[str, str]):
        self.line = line
        self.values = values

    def text(self, name: str) -> str:
        return (self.values.get(name) or "").strip()

    def fail(self, message: str) -> RegistryError:
        return RegistryError(self.line, message)

    def money(self, name: str, default: Decimal | None = None) -> Decimal | None:
        raw = self.text(name)
        if not raw:
            return default
        value = parse_decimal(raw, places=2)
        if value is None:
            raise self.fail(f"{name}: {raw!r} is not an amount like 729,51")
        return value

    def number(self, name: str, places: int) -> Decimal | None:
        raw = self.text(name)
        if not raw:
            return None
        value = parse_decimal(raw, places=places)
        if value is None or value < 0:
            raise self.fail(f"{name}: {raw!r} is not a non-negative number with at most {places} decimals")
        return value

    def day(self, name: str) -> date | None:
        raw = self.text(name)
        if not raw:
            return None
        value = parse_date(raw)
        if value is None:
            raise self.fail(f"{name}: {raw!r} is not a date (2025-10-15 or 15.10.2025)")
        return value

    def month(self, name: str) -> date:
        raw = self.text(name)
        value = parse_month(raw)
        if value is None:
            raise self.fail(f"{name}: {raw!r} is not a month (2025-10 or 10.2025)")
        return value

    def flag(self, name: str) -> bool:
        raw = self.text(name).lower()
        if raw in TRUE_WORDS:
            return True
        if raw in FALSE_WORDS:
            return False
        raise self.fail(f"{name}: {raw!r} is not yes/no (1/0, да/нет)")


def _service(row: _Row, services: set[str], metered: bool) -> str:
    code = row.text("service")
    allowed = set(METERED_SERVICES) if metered else services
    if code not in allowed:
        raise row.fail(f"service: {code!r} is not one of {', '.join(sorted(allowed))}")
    return code


def _rows(reader: csv.DictReader):
    """The reader's rows; a CSV syntax error becomes a RegistryError with its line."""
    while True:
        try:
            yield next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise RegistryError(reader.line_num, f"not valid CSV: {exc}") from exc


def import_rows(session: Session, text: str, tz: ZoneInfo) -> ImportReport:
    """Apply a whole registry to the session (no commit); raises RegistryError on the first bad row."""
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=";")
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    if not header:
        raise RegistryError(1, "the file is empty; expected a header line with kind;account;...")
    unknown = [h for h in header if h not in COLUMNS]
    if unknown or "kind" not in header or "account" not in header:
        raise RegistryError(
            1,
            f"header must name kind;account and columns from: {';'.join(COLUMNS)}"
            + (f" (unknown: {', '.join(unknown)})" if unknown else ""),
        )
    reader.fieldnames = header
    services = set(session.scalars(select(Service.code)))
    accounts: dict[str, Account] = {}
    report = ImportReport()
    for values in _rows(reader):
        row = _Row(reader.line_num, values)
        if None in values:
            raise row.fail(f"more fields than the header has ({len(header)})")
        if not any(v and v.strip() for v in values.values()):
            continue
        kind = row.text("kind").lower()
        if kind not in REQUIRED:
            raise row.fail(f"kind: {kind!r} is not one of {', '.join(REQUIRED)}")
        missing = [name for name in REQUIRED[kind] if not row.text(name)]
        if missing:
            raise row.fail(f"{kind} needs {', '.join(missing)}")
        account_text = row.text("account")
        if parse_account(account_text) is None:
            raise row.fail(f"account: {account_text!r} is not NNNNNNNNN-S (e.g. 001110011-7)")
        if kind == "account":
            phones = []
            for raw in filter(None, (part.strip() for part in row.text("phones").split(","))):
                phone = normalize_phone(raw)
                if phone is None:
                    raise row.fail(f"phones: {raw!r} is not a Russian phone number")
                phones.append(phone)
            area = row.number("area", 2)
            account, created = upsert_account(
                session,
                account_text,
                owner_name=row.text("owner_name"),
                address=row.text("address"),
                area=area,
                phones=phones if "phones" in header else None,
                web_registered_on=row.day("web_registered_on"),
                e_receipt=row.flag("e_receipt"),
                opening_balance=row.money("opening_balance", Decimal("0.00")),
            )
            accounts[account_text] = account
            report.count(kind, created)
            continue
        account = accounts.get(account_text)
        if account is None:
            number, suffix = parse_account(account_text)  # type: ignore[misc]
            account = session.scalar(
                select(Account).where(Account.number == number, Account.suffix == suffix)
            )
            if account is None:
                raise row.fail(
                    f"account {account_text} is neither in the database nor on an earlier account row"
                )
            accounts[account_text] = account
        if kind == "charge":
            created = upsert_charge(
                session,
                account,
                row.month("period"),
                _service(row, services, False),
                charged=row.money("charged"),
                recalculation=row.money("recalculation", Decimal("0.00")),
                tariff=row.number("tariff", 4),
                quantity=row.number("quantity", 3),
            )
        elif kind == "penalty":
            created = upsert_penalty(session, account, row.month("period"), row.money("amount"))
        elif kind == "payment":
            amount = row.money("amount")
            if amount <= 0:
                raise row.fail("amount: a payment must be positive")
            created = upsert_payment(
                session,
                account,
                row.day("date"),
                amount,
                channel=row.text("channel"),
                ref=row.text("ref") or None,
            )
        else:
            meter, created = upsert_meter(
                session,
                account,
                _service(row, services, True),
                row.text("serial"),
                verification_due=row.day("verification_due"),
            )
            value, taken = row.number("value", 3), row.day("date")
            if (value is None) != (taken is None):
                raise row.fail("a meter reading needs both value and date")
            if value is not None:
                at = datetime.combine(taken, time(12), tzinfo=tz).astimezone(UTC)
                upsert_import_reading(session, meter, value, at)
        report.count(kind, created)
    return report


def import_file(session: Session, path: Path, tz: ZoneInfo) -> ImportReport:
    """Import one registry file in one transaction: all rows or none."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise RegistryError(0, f"cannot read {path}: {exc.strerror or exc}") from exc
    try:
        report = import_rows(session, decode(raw), tz)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return report
