"""Outbound debt reminders (seed 002, №1–2): who to call today, by debt band, within the law.

Why here: the debtors, their balances and phones are the account database's; the plan must
apply the same limits the dialer applies, so both use these functions. Seed 002 asks for
calls to at least 400 accounts a day, highest debts first, in four bands (over 100,000 ₽;
50,000–100,000; 10,000–50,000; 5,000–10,000), and for SMS to debtors over 30,000 ₽. The law on
debt collection (230-ФЗ, art. 7) allows calls only 8:00–22:00 on working days and 9:00–20:00 on
weekends and holidays, in the debtor's local time, and at most one successful contact a day,
two a week and eight a month per debtor; a number that refused is never called again.
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from api.balance import balance, latest_closed_month, resolve_period
from api.export import neutralize
from api.models import Account, DebtContact, DebtOptOut

# Seed 002 №2: the bands, highest first; (lower bound inclusive, upper bound exclusive or None).
DEFAULT_BANDS: tuple[tuple[Decimal, Decimal | None], ...] = (
    (Decimal("100000"), None),
    (Decimal("50000"), Decimal("100000")),
    (Decimal("10000"), Decimal("50000")),
    (Decimal("5000"), Decimal("10000")),
)
DEFAULT_DAILY_TOTAL = 400  # seed 002 №2: «не менее 400 лицевых счетов в день»
DEFAULT_SMS_OVER = Decimal("30000")  # seed 002 №1
# Outcomes that count as a successful contact with the debtor (230-ФЗ art. 7 limits these).
SUCCESSFUL = frozenset({"confirmed", "promised", "paid", "not_holder_confirmed"})
OPT_OUT_REASONS = frozenset({"refused", "wrong_number"})
# Public holidays with fixed dates (Labour Code art. 112); moved days off are set per year by the
# government: list them with HOTLINE_CAMPAIGN_HOLIDAYS (to confirm with the customer).
FIXED_HOLIDAYS = frozenset(
    {(1, d) for d in range(1, 9)} | {(2, 23), (3, 8), (5, 1), (5, 9), (6, 12), (11, 4)}
)


@dataclass(frozen=True)
class Limits:
    """The calling limits, as settings (defaults: 230-ФЗ art. 7)."""

    working_day: tuple[time, time] = (time(8, 0), time(22, 0))
    day_off: tuple[time, time] = (time(9, 0), time(20, 0))
    per_day: int = 1
    per_week: int = 2
    per_month: int = 8
    holidays: frozenset[date] = field(default_factory=frozenset)  # extra days off (moved holidays)

    def is_day_off(self, day: date) -> bool:
        return day.weekday() >= 5 or (day.month, day.day) in FIXED_HOLIDAYS or day in self.holidays

    def window(self, day: date) -> tuple[time, time]:
        return self.day_off if self.is_day_off(day) else self.working_day

    def may_call_at(self, local: datetime) -> bool:
        """Inside the allowed hours of that day, in the debtor's local time."""
        start, end = self.window(local.date())
        return start <= local.time() < end

    def exceeded(self, successes: Iterable[datetime], local: datetime) -> str | None:
        """Which limit a new contact would break ("day", "week", "month"), or None.
        Weeks and months are the calendar ones the day falls in, in local time."""
        moments = [s.astimezone(local.tzinfo) if local.tzinfo else s for s in successes]
        day = local.date()
        week_start = day - timedelta(days=day.weekday())
        if sum(m.date() == day for m in moments) >= self.per_day:
            return "day"
        if sum(week_start <= m.date() <= day for m in moments) >= self.per_week:
            return "week"
        if sum((m.year, m.month) == (day.year, day.month) for m in moments) >= self.per_month:
            return "month"
        return None


def parse_bands(text: str) -> tuple[tuple[Decimal, Decimal | None], ...]:
    """ "100000-,50000-100000,10000-50000,5000-10000" → bands, highest first. ValueError if malformed."""
    bands = []
    for part in text.split(","):
        low, sep, high = part.strip().partition("-")
        if not sep or not low.strip().isdigit() or (high.strip() and not high.strip().isdigit()):
            raise ValueError(f"band {part.strip()!r} is not LOW-HIGH or LOW- (rubles)")
        lower, upper = Decimal(low), Decimal(high) if high.strip() else None
        if upper is not None and upper <= lower:
            raise ValueError(f"band {part.strip()!r}: the upper bound must be above the lower")
        bands.append((lower, upper))
    return tuple(sorted(bands, key=lambda b: b[0], reverse=True))


def band_of(debt: Decimal, bands: Sequence[tuple[Decimal, Decimal | None]]) -> int | None:
    for index, (lower, upper) in enumerate(bands):
        if debt >= lower and (upper is None or debt < upper):
            return index
    return None


@dataclass(frozen=True)
class Debtor:
    account: str
    debt: Decimal  # closing balance of the latest closed month
    band: int  # index into the bands, 0 = highest
    phones: tuple[str, ...]  # numbers on file that may be called


@dataclass
class Plan:
    period: str
    debtors: list[Debtor]
    skipped: dict[str, int]  # why debtors were left out: "no_phone", "opted_out", "limit_day", …


def debtors(session: Session, today: date, bands: Sequence[tuple[Decimal, Decimal | None]]) -> list[Debtor]:
    """Accounts whose latest closed month closed in one of the bands, highest band and debt first,
    with all their numbers on file (opt-outs and limits are applied by `plan`)."""
    found: list[Debtor] = []
    period = latest_closed_month(today)
    accounts = session.scalars(select(Account).options(selectinload(Account.phones)).order_by(Account.id))
    for account in accounts:
        month = resolve_period(session, account.id, period, today)
        if month is None:
            continue
        debt = Decimal(balance(session, account, month, today).closing)
        band = band_of(debt, bands)
        if band is not None:
            found.append(Debtor(account.text, debt, band, tuple(p.number for p in account.phones)))
    return sorted(found, key=lambda d: (d.band, -d.debt, d.account))


def plan(
    session: Session,
    local_now: datetime,
    *,
    bands: Sequence[tuple[Decimal, Decimal | None]] = DEFAULT_BANDS,
    daily_total: int = DEFAULT_DAILY_TOTAL,
    limits: Limits | None = None,
) -> Plan:
    """Who to call today: debtors by band, without opted-out numbers, without debtors a new
    successful contact would put over the legal limits, at most `daily_total` accounts."""
    limits = limits or Limits()
    today = local_now.date()
    opted_out = set(session.scalars(select(DebtOptOut.phone)))
    skipped: dict[str, int] = {}
    chosen: list[Debtor] = []
    by_text = {a.text: a.id for a in session.scalars(select(Account))}
    for debtor in debtors(session, today, bands):
        reason = None
        phones = tuple(p for p in debtor.phones if p not in opted_out)
        if not debtor.phones:
            reason = "no_phone"
        elif not phones:
            reason = "opted_out"
        else:
            reason = _over_limit(session, by_text[debtor.account], local_now, limits)
        if reason:
            skipped[reason] = skipped.get(reason, 0) + 1
        elif len(chosen) < daily_total:
            chosen.append(Debtor(debtor.account, debtor.debt, debtor.band, phones))
        else:
            skipped["over_daily_total"] = skipped.get("over_daily_total", 0) + 1
    month = latest_closed_month(today)
    return Plan(f"{month.year:04d}-{month.month:02d}", chosen, skipped)


def _over_limit(session: Session, account_id: int, local_now: datetime, limits: Limits) -> str | None:
    successes = session.scalars(
        select(DebtContact.at).where(
            DebtContact.account_id == account_id, DebtContact.outcome.in_(SUCCESSFUL)
        )
    )
    over = limits.exceeded(list(successes), local_now)
    return f"limit_{over}" if over else None


def _account_id(session: Session, account: str) -> int:
    number, _, suffix = account.partition("-")
    account_id = session.scalar(
        select(Account.id).where(Account.number == number, Account.suffix == int(suffix or "0"))
    )
    if account_id is None:
        raise ValueError(f"unknown account {account}")
    return account_id


def why_not_call(
    session: Session, account: str, phone: str, local_now: datetime, limits: Limits
) -> str | None:
    """The dialer's check just before it dials (the plan may be hours old): None when the call
    may be placed now, else why not ("hours", "opted_out", "limit_day", …). Same rules as `plan`."""
    if not limits.may_call_at(local_now):
        return "hours"
    if session.get(DebtOptOut, phone) is not None:
        return "opted_out"
    return _over_limit(session, _account_id(session, account), local_now, limits)


def start_contact(session: Session, account: str, phone: str, at: datetime) -> int:
    """A call about to be placed: its row (outcome `dialling`) and id, which travels with the call
    so the reminder dialog and the dialer write its outcome on the same row."""
    contact = DebtContact(account_id=_account_id(session, account), phone=phone, at=at, outcome="dialling")
    session.add(contact)
    session.flush()
    return contact.id


def finish_contact(
    session: Session, contact_id: int, outcome: str, at: datetime, *, promised_on: date | None = None
) -> DebtContact:
    """How a call placed by `start_contact` ended; a refusal or a wrong number opts the number out.
    `at` becomes the contact's time, so a successful contact counts when it happened."""
    contact = session.get(DebtContact, contact_id)
    if contact is None:
        raise ValueError(f"unknown debt contact {contact_id}")
    contact.outcome, contact.at = outcome, at
    if promised_on is not None:
        contact.promised_on = promised_on
    if outcome in OPT_OUT_REASONS:
        opt_out(session, contact.phone, outcome, at)
    return contact


def accounts_dialled_on(session: Session, local_day: date, zone: tzinfo) -> int:
    """How many accounts were dialled on that local day (the dialer's per-day total spans runs)."""
    start = datetime.combine(local_day, time(0), zone)
    accounts = session.scalars(
        select(DebtContact.account_id)
        .where(DebtContact.at >= start, DebtContact.at < start + timedelta(days=1))
        .distinct()
    )
    return len(list(accounts))


@dataclass
class DayReport:
    """One local day of reminder calls: outcomes counted, and what operators must follow up."""

    outcomes: dict[str, int]
    promises: list[tuple[str, str, date]]  # account, phone, the day promised (not yet past)
    paid: list[tuple[str, str, datetime]]  # account, phone, when they said so: check the payment


def day_report(session: Session, local_day: date, zone: tzinfo) -> DayReport:
    """The calls of `local_day` by outcome; open promises (any day's, due today or later) and
    today's «я уже оплатил» for the operators to check."""
    start = datetime.combine(local_day, time(0), zone)
    rows = session.execute(
        select(DebtContact, Account.number, Account.suffix).join(
            Account, Account.id == DebtContact.account_id
        )
    ).all()
    outcomes: dict[str, int] = {}
    promises, paid = [], []
    for contact, number, suffix in rows:
        account = f"{number}-{suffix}"
        today = start <= contact.at < start + timedelta(days=1)
        if today:
            outcomes[contact.outcome] = outcomes.get(contact.outcome, 0) + 1
        if contact.outcome == "promised" and contact.promised_on and contact.promised_on >= local_day:
            promises.append((account, contact.phone, contact.promised_on))
        if contact.outcome == "paid" and today:
            paid.append((account, contact.phone, contact.at))
    return DayReport(outcomes, sorted(promises, key=lambda p: (p[2], p[0])), paid)


def band_outcomes(
    session: Session,
    local_day: date,
    zone: tzinfo,
    bands: Sequence[tuple[Decimal, Decimal | None]] = DEFAULT_BANDS,
) -> dict[int | None, dict[str, int]]:
    """The day's calls by the debtor's band (the latest closed month's debt, as the plan chose
    them; None: no longer in a band, e.g. paid since) and outcome: the campaign's progress."""
    start = datetime.combine(local_day, time(0), zone)
    contacts = session.execute(
        select(DebtContact.account_id, DebtContact.outcome).where(
            DebtContact.at >= start, DebtContact.at < start + timedelta(days=1)
        )
    ).all()
    period = latest_closed_month(local_day)
    band_by_account: dict[int, int | None] = {}
    for account_id in {row.account_id for row in contacts}:
        account = session.get(Account, account_id)
        month = resolve_period(session, account_id, period, local_day) if account is not None else None
        band_by_account[account_id] = (
            band_of(Decimal(balance(session, account, month, local_day).closing), bands)
            if account is not None and month is not None
            else None
        )
    progress: dict[int | None, dict[str, int]] = {}
    for row in contacts:
        outcomes = progress.setdefault(band_by_account[row.account_id], {})
        outcomes[row.outcome] = outcomes.get(row.outcome, 0) + 1
    return progress


def record_contact(session: Session, account: str, phone: str, outcome: str, at: datetime) -> None:
    """Keep one call's outcome; a refusal or a wrong number puts the number on the opt-out list."""
    session.add(DebtContact(account_id=_account_id(session, account), phone=phone, at=at, outcome=outcome))
    if outcome in OPT_OUT_REASONS:
        opt_out(session, phone, outcome, at)


def opt_out(session: Session, phone: str, reason: str, at: datetime) -> None:
    if session.get(DebtOptOut, phone) is None:
        session.add(DebtOptOut(phone=phone, reason=reason, at=at))


def write_sms_csv(path: Path, rows: Sequence[tuple[str, str, Decimal, str]]) -> int:
    """The SMS list for the utility's SMS provider (no gateway here): phone; account; debt; text.
    Cells neutralised against spreadsheet formulas; written to a temporary name, then renamed."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent or Path("."), prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out, delimiter=";")
            writer.writerow(["phone", "account", "debt", "text"])
            for phone, account, debt, text in rows:
                writer.writerow([neutralize(phone), neutralize(account), f"{debt:.2f}", neutralize(text)])
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return len(rows)


def sms_rows(
    session: Session, today: date, template: str, *, over: Decimal = DEFAULT_SMS_OVER
) -> list[tuple[str, str, Decimal, str]]:
    """One row per number of each debtor over `over` (seed 002 №1), opted-out numbers left out.
    `template` may use {account} and {debt}."""
    opted_out = set(session.scalars(select(DebtOptOut.phone)))
    rows = []
    for debtor in debtors(session, today, ((over, None),)):
        for phone in debtor.phones:
            if phone not in opted_out:
                rows.append((phone, debtor.account, debtor.debt, template.format(account=debtor.account,
                                                                                 debt=f"{debtor.debt:.2f}")))
    return rows
