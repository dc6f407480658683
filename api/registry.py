"""Import of the billing system's registry (CSV), and the upserts it shares with the demo data.

Why one file with a `kind` column: the billing exports accounts, charges,
penalties, payments and meters together, as Russian Excel writes CSV (`;`,
UTF-8 or cp1251, decimal commas). The whole file is read and checked before
anything is written: the first bad row stops the import with its line number
and reason, and nothing is written. Re-importing updates rows in place (keys
below), never duplicates.

What the file must be (issue 12, each seen in real files): one encoding as a
whole, UTF-8 or cp1251, chosen with `encoding=` or detected — a stray byte that
is not UTF-8 in a UTF-8 file, a KOI8-R file, a file cut inside a character are
errors naming the line, never a silent re-reading as cp1251; every row has as
many fields as the header; no quoted field runs over a line break (a stray `"`
used to swallow the following rows); the last line ends with a line break (a
file cut in the middle of a row is refused). Rows repeating an earlier row's key
are reported (identical: a warning; different values: an error); payments
without a billing document number are never merged — two identical ones are
two payments, and a re-import matches them one to one.

Why batches: the rows are written in transactions of `batch_size` rows with a
short pause between them, so SQLite's single write lock is never held for the
whole file and the hotline's own writes (readings, calls) get their turn. A
database failure part-way leaves the batches before it written; re-running the
same file finishes the import (re-import updates, never duplicates).

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
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from time import sleep
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
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
    warnings: list[str] = field(default_factory=list)  # "line N: ..." for rows worth a look
    encoding: str = ""
    batches: int = 0

    def count(self, kind: str, created: bool) -> None:
        target = self.created if created else self.updated
        target[kind] = target.get(kind, 0) + 1

    def __str__(self) -> str:
        kinds = sorted(set(self.created) | set(self.updated))
        return ", ".join(
            f"{k}: {self.created.get(k, 0)} new, {self.updated.get(k, 0)} updated" for k in kinds
        ) or ("nothing to import")


# ------------------------------------------------------------------ decoding


ENCODINGS = ("auto", "utf-8", "cp1251")
_UTF8_BOM = b"\xef\xbb\xbf"
# The ten most frequent Russian letters: in text read with the right encoding they make up ~60 %
# of the Cyrillic letters; KOI8-R read as cp1251 scrambles them (о → П, а → Б, н → О, ...).
_COMMON_RU = set("оеаинтсрвл")


def _line_of(raw: bytes, position: int) -> int:
    return raw.count(b"\n", 0, position) + 1


def _utf8(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = _line_of(raw, exc.start)
        if exc.end >= len(raw) and exc.reason == "unexpected end of data":
            raise RegistryError(
                line, "the file ends inside a UTF-8 character: it looks truncated; nothing was imported"
            ) from None
        raise RegistryError(
            line, f"byte 0x{raw[exc.start]:02X} is not UTF-8 (the rest of the file is UTF-8); fix this line"
        ) from None


def _cp1251(raw: bytes) -> str:
    try:
        text = raw.decode("cp1251")
    except UnicodeDecodeError as exc:
        raise RegistryError(
            _line_of(raw, exc.start), f"byte 0x{raw[exc.start]:02X} is not a cp1251 character"
        ) from None
    letters = [ch.lower() for ch in text if "а" <= ch.lower() <= "я" or ch in "ёЁ"]
    if len(letters) >= 20:
        as_koi8 = [ch.lower() for ch in raw.decode("koi8_r", "replace") if "а" <= ch.lower() <= "я"]
        share = sum(ch in _COMMON_RU for ch in letters) / len(letters)
        koi8_share = sum(ch in _COMMON_RU for ch in as_koi8) / max(1, len(as_koi8))
        if koi8_share > share + 0.15:
            raise RegistryError(
                0,
                "the file reads as KOI8-R, not cp1251 or UTF-8: convert it first "
                "(iconv -f koi8-r -t utf-8); nothing was imported",
            )
    return text


def decode(raw: bytes, encoding: str = "auto") -> tuple[str, str]:
    """(text, encoding used). UTF-8 (with or without BOM) or cp1251, the whole file one or the other.

    `auto`: plain ASCII or valid UTF-8 is UTF-8; a file with no valid UTF-8 sequence of
    Cyrillic at all is cp1251; a file that is mostly UTF-8 with a bad byte is an error
    naming that byte's line (it used to be re-read whole as cp1251, names garbled).
    """
    if encoding not in ENCODINGS:
        raise RegistryError(0, f"encoding must be one of {', '.join(ENCODINGS)}")
    bom = raw.startswith(_UTF8_BOM)
    if encoding == "cp1251":
        if bom:
            raise RegistryError(1, "the file starts with a UTF-8 byte order mark: use encoding utf-8")
        return _cp1251(raw), "cp1251"
    body = raw[len(_UTF8_BOM) :] if bom else raw
    if encoding == "utf-8" or bom:
        return _utf8(body), "utf-8"
    try:
        return body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    in_sequences = sum(len(m) for m in re.findall(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}", body))
    high_bytes = sum(b >= 0x80 for b in body)
    if in_sequences * 2 >= high_bytes:  # most high bytes form valid UTF-8: a UTF-8 file with a bad byte
        return _utf8(body), "utf-8"
    return _cp1251(body), "cp1251"


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


def _upsert(session: Session, model: type, key: dict[str, Any], values: dict[str, Any]) -> tuple[Any, bool]:
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
    occurrence: int = 1,
) -> bool:
    """Keyed by the billing's document number, or without one by date, amount, channel and
    `occurrence`: the n-th identical payment without a number in one file is the n-th such row
    stored (two payments of 500 on one day are two payments, and a re-import finds both)."""
    values = {"paid_on": paid_on, "amount": amount, "channel": channel}
    if ref:
        return _upsert(session, Payment, {"account_id": account.id, "ref": ref}, values)[1]
    same = session.scalars(
        select(Payment)
        .filter_by(account_id=account.id, ref=None, **values)
        .order_by(Payment.id)
        .offset(occurrence - 1)
        .limit(1)
    ).first()
    if same is not None:
        return False
    session.add(Payment(account_id=account.id, ref=None, **values))
    session.flush()
    return True


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


def _records(text: str):
    """(first line, fields) of each CSV record; every kind of broken quoting is a RegistryError.

    Why strict: a stray `"` used to open a quoted field that swallowed the following
    rows into one address ("account: 1 new", exit 0). No registry field holds a line
    break, so a record spanning lines is refused at the line where it starts.
    """
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";", strict=True)
    previous_end = 0
    while True:
        start = previous_end + 1
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            if reader.line_num > start or "end of data" in str(exc) or "EOF" in str(exc):
                raise RegistryError(
                    start, f'a quote opens a field that is never closed (a stray "?): {exc}'
                ) from exc
            raise RegistryError(reader.line_num, f"not valid CSV (quoting): {exc}") from exc
        if reader.line_num > start:
            raise RegistryError(
                start,
                f'a quoted field runs on to line {reader.line_num} (a stray "?); '
                "registry fields never hold line breaks",
            )
        previous_end = reader.line_num
        yield start, fields


def _last_line_is_cut(text: str) -> int | None:
    """The number of the last line when the file does not end with a line break after a data row."""
    if not text or text.endswith(("\n", "\r")):
        return None
    line = text.count("\n") + 1
    return line if line > 1 else None


@dataclass
class _Op:
    """One checked row, ready to write: `write(session, account)` stores it (True: a new row)."""

    line: int
    kind: str
    account: str
    values: dict
    write: Callable[[Session, Account], bool]


def _key_and_values(kind: str, account: str, row: _Row, values: dict) -> tuple[tuple, tuple, str]:
    """The row's key within one file, the values compared for duplicates, and a label for messages."""
    if kind == "account":
        return (kind, account), tuple(values.items()), f"account {account}"
    if kind == "charge":
        key: tuple[Any, ...] = (kind, account, values["period"], values["service"])
        return key, tuple(values.items()), f"charge {account} {values['period']:%Y-%m} {values['service']}"
    if kind == "penalty":
        return (
            (kind, account, values["period"]),
            tuple(values.items()),
            f"penalty {account} {values['period']:%Y-%m}",
        )
    if kind == "payment":
        if values["ref"]:
            return (
                (kind, account, values["ref"]),
                tuple(values.items()),
                f"payment {account} ref {values['ref']}",
            )
        key = (kind, account, values["paid_on"], values["amount"], values["channel"])
        return key, (), f"payment {account} {values['paid_on']:%d.%m.%Y} {values['amount']} without ref"
    key = (kind, account, values["service"], values["serial"])
    return key, tuple(values.items()), f"meter {account} {values['service']} {values['serial']}"


def parse_registry(session: Session, text: str, tz: ZoneInfo) -> tuple[list[_Op], list[str]]:
    """Check the whole file (nothing is written): the rows to write and the warnings.

    Raises RegistryError on the first bad row, naming its line.
    """
    cut = _last_line_is_cut(text)
    records = _records(text)
    try:
        _line, raw_header = next(records)
    except StopIteration:
        raise RegistryError(1, "the file is empty; expected a header line with kind;account;...") from None
    header = [h.strip().lower() for h in raw_header]
    if not any(header):
        raise RegistryError(1, "the file is empty; expected a header line with kind;account;...")
    unknown = [h for h in header if h not in COLUMNS]
    if unknown or "kind" not in header or "account" not in header:
        raise RegistryError(
            1,
            f"header must name kind;account and columns from: {';'.join(COLUMNS)}"
            + (f" (unknown: {', '.join(unknown)})" if unknown else ""),
        )
    ops: list[_Op] = []
    warnings: list[str] = []
    try:
        _check_rows(session, records, header, tz, ops, warnings)
    except RegistryError as exc:
        if cut is not None and exc.line == cut:
            raise RegistryError(
                cut, f"{exc.message} (and the file ends inside this line, without a line break: truncated?)"
            ) from exc
        raise
    if cut is not None:
        raise RegistryError(
            cut,
            "the file ends inside this line (no line break after it): it looks truncated; "
            "nothing was imported (if the file is complete, end it with a line break)",
        )
    return ops, warnings


def _check_rows(
    session: Session,
    records: Iterator[tuple[int, list[str]]],
    header: list[str],
    tz: ZoneInfo,
    ops: list[_Op],
    warnings: list[str],
) -> None:
    """Check each data row; append what to write to `ops` and what to report to `warnings`."""
    services = set(session.scalars(select(Service.code)))
    in_file: set[str] = set()
    in_database: dict[str, bool] = {}
    seen: dict[tuple, tuple[int, tuple]] = {}
    occurrences: dict[tuple, list[int]] = {}
    for line, fields in records:
        if not any(f.strip() for f in fields):
            continue
        row = _Row(line, dict(zip(header, fields, strict=False)))
        if len(fields) > len(header):
            raise row.fail(f"more fields than the header has ({len(fields)} > {len(header)})")
        if len(fields) < len(header):
            raise row.fail(
                f"{len(fields)} fields, the header has {len(header)}: a short row (cut, or a ';' missing)"
            )
        kind = row.text("kind").lower()
        if kind not in REQUIRED:
            raise row.fail(f"kind: {kind!r} is not one of {', '.join(REQUIRED)}")
        missing = [name for name in REQUIRED[kind] if not row.text(name)]
        if missing:
            raise row.fail(f"{kind} needs {', '.join(missing)}")
        account = row.text("account")
        if parse_account(account) is None:
            raise row.fail(f"account: {account!r} is not NNNNNNNNN-S (e.g. 001110011-7)")
        if kind == "account":
            values, write = _account_row(row, header)
            in_file.add(account)
        else:
            if account not in in_file:
                if account not in in_database:
                    number, suffix = parse_account(account)  # type: ignore[misc]
                    in_database[account] = (
                        session.scalar(
                            select(Account.id).where(Account.number == number, Account.suffix == suffix)
                        )
                        is not None
                    )
                if not in_database[account]:
                    raise row.fail(
                        f"account {account} is neither in the database nor on an earlier account row"
                    )
            values, write = _data_row(kind, row, services, tz)
        key, compared, label = _key_and_values(kind, account, row, values)
        if kind == "payment" and not values["ref"]:
            lines = occurrences.setdefault(key, [])
            lines.append(line)
            if len(lines) > 1:
                warnings.append(
                    f"line {line}: the same {label} as line {lines[0]}: kept as payment no. {len(lines)}, "
                    "not merged (give payments a ref to tell them apart)"
                )
            write = _payment_occurrence(values, len(lines))
        elif key in seen:
            first_line, first_values = seen[key]
            if first_values != compared:
                raise row.fail(f"{label} is already on line {first_line} with other values")
            warnings.append(f"line {line}: repeats line {first_line} ({label}); imported once")
            continue
        else:
            seen[key] = (line, compared)
        ops.append(_Op(line, kind, account, values, write))


def _account_row(row: _Row, header: list[str]) -> tuple[dict, Callable[[Session, Account], bool]]:
    phones = []
    for raw in filter(None, (part.strip() for part in row.text("phones").split(","))):
        phone = normalize_phone(raw)
        if phone is None:
            raise row.fail(f"phones: {raw!r} is not a Russian phone number")
        phones.append(phone)
    values = dict(
        owner_name=row.text("owner_name"),
        address=row.text("address"),
        area=row.number("area", 2),
        phones=tuple(phones) if "phones" in header else None,
        web_registered_on=row.day("web_registered_on"),
        e_receipt=row.flag("e_receipt"),
        opening_balance=row.money("opening_balance", Decimal("0.00")),
    )
    return values, lambda _session, _account: False  # written by `apply_rows` (it creates the account)


def _data_row(
    kind: str, row: _Row, services: set[str], tz: ZoneInfo
) -> tuple[dict[str, Any], Callable[[Session, Account], bool]]:
    values: dict[str, Any]
    if kind == "charge":
        values = dict(
            period=row.month("period"),
            service=_service(row, services, False),
            charged=row.money("charged"),
            recalculation=row.money("recalculation", Decimal("0.00")),
            tariff=row.number("tariff", 4),
            quantity=row.number("quantity", 3),
        )

        def write(session: Session, account: Account) -> bool:
            v = dict(values)
            return upsert_charge(session, account, v.pop("period"), v.pop("service"), **v)

        return values, write
    if kind == "penalty":
        values = dict(period=row.month("period"), amount=row.money("amount"))
        return values, lambda session, account: upsert_penalty(
            session, account, values["period"], values["amount"]
        )
    if kind == "payment":
        amount = row.money("amount")
        if amount is None or amount <= 0:
            raise row.fail("amount: a payment must be positive")
        values = dict(
            paid_on=row.day("date"), amount=amount, channel=row.text("channel"), ref=row.text("ref") or None
        )
        if values["paid_on"] is None:
            raise row.fail("payment needs date")
        return values, lambda session, account: upsert_payment(
            session, account, values["paid_on"], amount, channel=values["channel"], ref=values["ref"]
        )
    values = dict(
        service=_service(row, services, True),
        serial=row.text("serial"),
        verification_due=row.day("verification_due"),
        value=row.number("value", 3),
        date=row.day("date"),
    )
    if (values["value"] is None) != (values["date"] is None):
        raise row.fail("a meter reading needs both value and date")

    def write_meter(session: Session, account: Account) -> bool:
        meter, created = upsert_meter(
            session, account, values["service"], values["serial"], verification_due=values["verification_due"]
        )
        if values["value"] is not None:
            at = datetime.combine(values["date"], time(12), tzinfo=tz).astimezone(UTC)
            upsert_import_reading(session, meter, values["value"], at)
        return created

    return values, write_meter


def _payment_occurrence(values: dict, occurrence: int) -> Callable[[Session, Account], bool]:
    return lambda session, account: upsert_payment(
        session,
        account,
        values["paid_on"],
        values["amount"],
        channel=values["channel"],
        ref=None,
        occurrence=occurrence,
    )


ProgressCallback = Callable[[int, int], None]


def apply_rows(
    session: Session,
    ops: list[_Op],
    report: ImportReport,
    *,
    batch_size: int,
    pause: float,
    on_batch: ProgressCallback | None,
) -> None:
    """Write the checked rows, committing every `batch_size` rows (see the module docstring)."""
    accounts: dict[str, Account] = {}
    done = 0
    for first in range(0, len(ops), max(1, batch_size)):
        batch = ops[first : first + max(1, batch_size)]
        try:
            for op in batch:
                account: Account | None
                if op.kind == "account":
                    v = dict(op.values)
                    phones = v.pop("phones")
                    account, created = upsert_account(
                        session, op.account, phones=list(phones) if phones is not None else None, **v
                    )
                    accounts[op.account] = account
                else:
                    account = accounts.get(op.account)
                    if account is None:
                        number, suffix = parse_account(op.account)  # type: ignore[misc]
                        account = session.scalar(
                            select(Account).where(Account.number == number, Account.suffix == suffix)
                        )
                        accounts[op.account] = account  # type: ignore[assignment]
                    created = op.write(session, account)  # type: ignore[arg-type]
                report.count(op.kind, created)
            session.commit()
        except DBAPIError as exc:
            session.rollback()
            raise RegistryError(
                batch[0].line,
                f"database error ({type(exc.orig or exc).__name__}) after {done} of {len(ops)} rows were "
                "written; run the same import again to finish it (a re-import never duplicates)",
            ) from exc
        done += len(batch)
        report.batches += 1
        if on_batch is not None:
            on_batch(done, len(ops))
        if pause and done < len(ops):
            sleep(pause)  # let the hotline's own writes take SQLite's write lock in between


def import_rows(
    session: Session,
    text: str,
    tz: ZoneInfo,
    *,
    batch_size: int = 200,
    pause: float | None = None,
    on_batch: ProgressCallback | None = None,
) -> ImportReport:
    """Check the whole registry, then write it in batches; RegistryError on the first bad row."""
    ops, warnings = parse_registry(session, text, tz)
    report = ImportReport(warnings=warnings)
    session.rollback()  # the checks' reads end here: writing starts in fresh transactions
    if pause is None:
        pause = 0.05 if session.get_bind().dialect.name == "sqlite" else 0.0
    expire = session.expire_on_commit
    session.expire_on_commit = False
    try:
        apply_rows(session, ops, report, batch_size=batch_size, pause=pause, on_batch=on_batch)
    finally:
        session.expire_on_commit = expire
    return report


def import_file(
    session: Session,
    path: Path,
    tz: ZoneInfo,
    *,
    encoding: str = "auto",
    batch_size: int = 200,
    on_batch: ProgressCallback | None = None,
) -> ImportReport:
    """Import one registry file: decoded and checked whole, then written in batches."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise RegistryError(0, f"cannot read {path}: {exc.strerror or exc}") from exc
    text, used = decode(raw, encoding)
    try:
        report = import_rows(session, text, tz, batch_size=batch_size, on_batch=on_batch)
    except Exception:
        session.rollback()
        raise
    report.encoding = used
    return report
