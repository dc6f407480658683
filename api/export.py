"""Export of the readings the hotline collected, as CSV for the billing system.

Why only ivr/operator readings: the billing already has what it sent us
(source `import`). Same dialect as the registry: `;`, one header line,
dates in local time.
"""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime, time
from typing import TextIO
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.accounts import plain
from api.models import Account, Meter, Reading

EXPORT_COLUMNS = ("account", "service", "serial", "value", "taken_at", "source", "call_id")


def export_readings(session: Session, since: date, tz: ZoneInfo, out: TextIO) -> int:
    """Write readings taken on or after `since` (local date); returns how many rows were written."""
    start = datetime.combine(since, time(0), tzinfo=tz).astimezone(UTC)
    rows = session.execute(
        select(Reading, Meter, Account)
        .join(Meter, Reading.meter_id == Meter.id)
        .join(Account, Meter.account_id == Account.id)
        .where(Reading.taken_at >= start, Reading.source.in_(("ivr", "operator")))
        .order_by(Reading.taken_at, Reading.id)
    )
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(EXPORT_COLUMNS)
    count = 0
    for reading, meter, account in rows:
        local = reading.taken_at.astimezone(tz)
        writer.writerow(
            [
                account.text,
                meter.service_code,
                meter.serial,
                plain(reading.value),
                local.strftime("%Y-%m-%d %H:%M:%S"),
                reading.source,
                reading.call_id or "",
            ]
        )
        count += 1
    return count
