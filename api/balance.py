"""A month's balance, derived from charge lines, penalties and payments.

Why derived: the personal-account pages (seed 003) show opening balance,
charged, recalculations, penalties, paid and closing balance per month; we
compute all of them from the stored lines so they always agree.
Debt is positive, overpayment negative.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import (
    BindParameter,
    Date,
    Select,
    bindparam,
    case,
    func,
    select,
    true,
    type_coerce,
    union_all,
)
from sqlalchemy.orm import Session

from api import schemas
from api.accounts import money, plain
from api.models import Account, Charge, Payment, Penalty, Service
from api.reference import SERVICES
from api.types import Money

ZERO = Decimal("0.00")


def month_start(d: date) -> date:
    return d.replace(day=1)


def add_months(d: date, months: int) -> date:
    """First day of the month `months` after d's month."""
    index = d.year * 12 + (d.month - 1) + months
    return date(index // 12, index % 12 + 1, 1)


def parse_period(text: str) -> date | None:
    """ "2025-10" → date(2025, 10, 1); None if not YYYY-MM."""
    if not isinstance(text, str) or len(text) != 7 or text[4] != "-":
        return None
    year, month = text[:4], text[5:]
    if not (year.isascii() and year.isdigit() and month.isascii() and month.isdigit()):
        return None
    if not 1 <= int(month) <= 12 or int(year) < 1900:
        return None
    return date(int(year), int(month), 1)


def latest_closed_month(today: date) -> date:
    return add_months(month_start(today), -1)


def last_payment(session: Session, account_id: int, today: date) -> Payment | None:
    """The most recent payment up to today: what a resident remembers and what verification asks."""
    return session.scalar(
        select(Payment)
        .where(Payment.account_id == account_id, Payment.paid_on <= today)
        .order_by(Payment.paid_on.desc(), Payment.id.desc())
        .limit(1)
    )


def periods_on_record(session: Session, account_id: int) -> list[date]:
    charged = session.scalars(select(Charge.period).where(Charge.account_id == account_id).distinct())
    fined = session.scalars(select(Penalty.period).where(Penalty.account_id == account_id).distinct())
    return sorted(set(charged) | set(fined))


def _months_on_record() -> Select:
    """First and last month on record, and the last one up to `closed` (charges or penalties)."""
    account_id: BindParameter[int] = bindparam("account_id")
    months = union_all(
        select(Charge.period.label("period")).where(Charge.account_id == account_id),
        select(Penalty.period.label("period")).where(Penalty.account_id == account_id),
    ).subquery()
    return select(
        func.min(months.c.period),
        func.max(months.c.period),
        func.max(case((months.c.period <= bindparam("closed", type_=Date), months.c.period))),
    )


def _total(amount, condition):
    """SUM(amount WHERE condition), 0 when nothing matches, read back as Money."""
    return type_coerce(func.coalesce(func.sum(case((condition, amount), else_=0)), 0), Money())


def _month_totals() -> Select:
    """Every sum of a month and the last payment up to today in one statement (subqueries on the
    indexed account columns)."""
    account_id: BindParameter[int] = bindparam("account_id")
    period, next_month, today = (bindparam(n, type_=Date) for n in ("period", "next_month", "today"))
    charges = select(
        _total(Charge.charged + Charge.recalculation, Charge.period < period).label("before"),
        _total(Charge.charged, Charge.period == period).label("charged"),
        _total(Charge.recalculation, Charge.period == period).label("recalculations"),
    ).where(Charge.account_id == account_id, Charge.period <= period)
    fines = select(
        _total(Penalty.amount, Penalty.period < period).label("before"),
        _total(Penalty.amount, Penalty.period == period).label("current"),
    ).where(Penalty.account_id == account_id, Penalty.period <= period)
    paid = select(
        _total(Payment.amount, Payment.paid_on < period).label("before"),
        _total(Payment.amount, Payment.paid_on >= period).label("current"),
    ).where(Payment.account_id == account_id, Payment.paid_on < next_month)
    since = select(_total(Payment.amount, Payment.paid_on >= next_month)).where(
        Payment.account_id == account_id, Payment.paid_on >= next_month, Payment.paid_on <= today
    )
    last = (
        select(
            Payment.paid_on.label("last_on"),
            Payment.amount.label("last_amount"),
            Payment.channel.label("last_channel"),
        )
        .where(Payment.account_id == account_id, Payment.paid_on <= today)
        .order_by(Payment.paid_on.desc(), Payment.id.desc())
        .limit(1)
        .subquery()
    )
    c, f, p = charges.subquery(), fines.subquery(), paid.subquery()
    return select(
        c.c.before.label("charged_before"),
        c.c.charged,
        c.c.recalculations,
        f.c.before.label("fines_before"),
        f.c.current.label("fines"),
        p.c.before.label("paid_before"),
        p.c.current.label("paid"),
        since.scalar_subquery().label("paid_since"),
        last.c.last_on,
        last.c.last_amount,
        last.c.last_channel,
    ).select_from(c.join(f, true()).join(p, true()).outerjoin(last, true()))


def _month_lines() -> Select:
    return (
        select(
            Charge.service_code,
            Service.name,
            Charge.charged,
            Charge.recalculation,
            Charge.tariff,
            Charge.quantity,
            Service.unit,
        )
        .join(Service, Service.code == Charge.service_code)
        .where(Charge.account_id == bindparam("account_id"), Charge.period == bindparam("period", type_=Date))
    )


# Built once: on this path building a statement costs more than running it (issue 13), and a
# statement object built once keeps its compiled form in the engine's cache.
MONTHS_ON_RECORD = _months_on_record()
MONTH_TOTALS = _month_totals()
MONTH_LINES = _month_lines()


def resolve_period(session: Session, account_id: int, period: date | None, today: date) -> date | None:
    """The period asked for if the account has it on record; by default the latest closed month,
    or the latest month on record before it when the billing has not loaded that month yet."""
    closed = latest_closed_month(today)
    first, last, latest_closed = (
        session.connection().execute(MONTHS_ON_RECORD, {"account_id": account_id, "closed": closed}).one()
    )
    if first is None:
        return None
    if period is not None:
        return period if first <= period <= last else None
    return latest_closed


def balance(session: Session, account: Account, period: date, today: date) -> schemas.Balance:
    """The balance of one month (see README, Account API): two statements, no ORM objects loaded.

    Why sums in SQL from statements built once: the IVR asks for the balance on most calls;
    loading every charge line since the account's first month as objects, through statements
    built anew on every request, cost ~10 ms of CPU a request here (issue 13).
    """
    params = {"account_id": account.id, "period": period, "next_month": add_months(period, 1), "today": today}
    db = session.connection()  # Core statements: the ORM session's layer adds ~40% per statement
    t = db.execute(MONTH_TOTALS, params).one()
    opening = account.opening_balance + t.charged_before + t.fines_before - t.paid_before
    closing = opening + t.charged + t.recalculations + t.fines - t.paid
    order = {code: i for i, code in enumerate(SERVICES)}
    rows = sorted(db.execute(MONTH_LINES, params).all(), key=lambda r: (order.get(r[0], 99), r[0]))
    lines = [
        schemas.BalanceLine(
            service=code,
            service_name=name,
            charged=money(charged),
            recalculation=money(recalculation),
            tariff=plain(tariff),
            quantity=plain(quantity),
            unit=unit,
        )
        for code, name, charged, recalculation, tariff, quantity, unit in rows
    ]
    # "I paid after the month's end": what came in since, and what remains to pay today.
    return schemas.Balance(
        account=account.text,
        period=f"{period.year:04d}-{period.month:02d}",
        opening=money(opening),
        charged=money(t.charged),
        recalculations=money(t.recalculations),
        penalties=money(t.fines),
        paid=money(t.paid),
        closing=money(closing),
        paid_since=money(t.paid_since),
        due_now=money(closing - t.paid_since),
        as_of=today.isoformat(),
        lines=lines,
        last_payment=None
        if t.last_on is None
        else schemas.PaymentRef(
            date=t.last_on.isoformat(), amount=money(t.last_amount), channel=t.last_channel
        ),
    )


def payment_ref(payment: Payment | None) -> schemas.PaymentRef | None:
    if payment is None:
        return None
    return schemas.PaymentRef(
        date=payment.paid_on.isoformat(), amount=money(payment.amount), channel=payment.channel
    )
