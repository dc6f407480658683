"""Export of the readings the hotline collected, as CSV for the billing system.

Why only ivr/operator readings: the billing already has what it sent us
(source `import`). Same dialect as the registry: `;`, one header line,
dates in local time.

Why the care (issue 12): the file is opened in Excel, where a cell starting with
`=`, `+`, `-` or `@` is a formula — every such cell (a serial, a call id) is
written with a leading `'`. Every row is checked against the encoding before
anything is written, so a character cp1251 cannot hold is an error naming its
row, not a traceback after half a file; and a file is written under a temporary
name and renamed, so the target is either the whole new export or untouched.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.accounts import plain
from api.models import Account, Meter, Reading

EXPORT_COLUMNS = ("account", "service", "serial", "value", "taken_at", "source", "call_id")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class ExportError(ValueError):
    """An export that cannot be written as asked; nothing was written."""


def neutralize(cell: str) -> str:
    """A cell Excel will not run as a formula: `=1+1` → `'=1+1`."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def readings_rows(session: Session, since: date, tz: ZoneInfo) -> list[list[str]]:
    """The export's data rows (no header), cells already neutralised."""
    start = datetime.combine(since, time(0), tzinfo=tz).astimezone(UTC)
    rows = session.execute(
        select(Reading, Meter, Account)
        .join(Meter, Reading.meter_id == Meter.id)
        .join(Account, Meter.account_id == Account.id)
        .where(Reading.taken_at >= start, Reading.source.in_(("ivr", "operator")))
        .order_by(Reading.taken_at, Reading.id)
    )
    out = []
    for reading, meter, account in rows:
        local = reading.taken_at.astimezone(tz)
        cells = [
            account.text,
            meter.service_code,
            meter.serial,
            plain(reading.value),
            local.strftime("%Y-%m-%d %H:%M:%S"),
            reading.source,
            reading.call_id or "",
        ]
        out.append([neutralize(str(c)) for c in cells])
    return out


def _render(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(EXPORT_COLUMNS)
    writer.writerows(rows)
    return buffer.getvalue()


def check_encoding(rows: list[list[str]], encoding: str) -> None:
    """ExportError naming the first row (its line in the file) with a character `encoding` cannot hold."""
    for number, row in enumerate(rows, start=1):
        for column, cell in zip(EXPORT_COLUMNS, row, strict=True):
            try:
                cell.encode(encoding)
            except UnicodeEncodeError as exc:
                ch = cell[exc.start]
                raise ExportError(
                    f"row {number} (line {number + 1}), account {row[0]}, {column} {cell!r}: "
                    f"character {ch!r} (U+{ord(ch):04X}) cannot be written in {encoding}; "
                    "export with --encoding utf-8 or utf-8-sig"
                ) from None


def export_readings(
    session: Session, since: date, tz: ZoneInfo, out: TextIO, *, encoding: str | None = None
) -> int:
    """Write readings taken on or after `since` (local date) to `out`; returns how many rows.

    Every row is checked against `encoding` (default: `out`'s own, if it has one) first:
    on an ExportError nothing has been written.
    """
    rows = readings_rows(session, since, tz)
    encoding = encoding or getattr(out, "encoding", None)
    if encoding:
        check_encoding(rows, encoding)
    out.write(_render(rows))
    return len(rows)


def export_to_file(session: Session, since: date, tz: ZoneInfo, path: Path, encoding: str) -> int:
    """Write the export to `path` through a temporary file in the same folder, renamed when complete."""
    rows = readings_rows(session, since, tz)
    check_encoding(rows, encoding)
    data = _render(rows).encode(encoding)
    path = Path(path)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or Path("."))
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return len(rows)
