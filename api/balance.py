"""A month's balance, derived from charge lines, penalties and payments.

Why derived: the personal-account pages (seed 003) show opening balance,
charged, recalculations, penalties, paid and closing balance per month; we
compute all of them from the stored lines so they always agree.
Debt is positive, overpayment negative.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from api.accounts import money, plain
from api.models import Account, Charge, Payment, Penalty
from api.reference import SERVICES

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


def resolve_period(session: Session, account_id: int, period: date | None, today: date) -> date | None:
    """The period asked for if the account has it on record; by default the latest closed month,
    or the latest month on record before it when the billing has not loaded that month yet."""
    known = periods_on_record(session, account_id)
    if not known:
        return None
    if period is not None:
        return period if known[0] <= period <= known[-1] else None
    closed = latest_closed_month(today)
    candidates = [p for p in known if p <= closed]
    return candidates[-1] if candidates else None


def balance(session: Session, account: Account, period: date, today: date) -> dict[str, Any]:
    """The balance JSON of one month (see README, Account API)."""
    charges = list(
        session.scalars(
            select(Charge)
            .where(Charge.account_id == account.id, Charge.period <= period)
            .options(selectinload(Charge.service))
        )
    )
    penalties = list(
        session.scalars(select(Penalty).where(Penalty.account_id == account.id, Penalty.period <= period))
    )
    next_month = add_months(period, 1)
    payments = list(
        session.scalars(select(Payment).where(Payment.account_id == account.id, Payment.paid_on < next_month))
    )
    before = [c for c in charges if c.period < period]
    current = [c for c in charges if c.period == period]
    opening = (
        account.opening_balance
        + sum((c.charged + c.recalculation for c in before), ZERO)
        + sum((p.amount for p in penalties if p.period < period), ZERO)
        - sum((p.amount for p in payments if p.paid_on < period), ZERO)
    )
    charged = sum((c.charged for c in current), ZERO)
    recalculations = sum((c.recalculation for c in current), ZERO)
    fines = sum((p.amount for p in penalties if p.period == period), ZERO)
    paid = sum((p.amount for p in payments if p.paid_on >= period), ZERO)
    closing = opening + charged + recalculations + fines - paid
    order = {code: i for i, code in enumerate(SERVICES)}
    lines = [
        {
            "service": c.service_code,
            "service_name": c.service.name,
            "charged": money(c.charged),
            "recalculation": money(c.recalculation),
            "tariff": plain(c.tariff),
            "quantity": plain(c.quantity),
            "unit": c.service.unit,
        }
        for c in sorted(current, key=lambda c: (order.get(c.service_code, 99), c.service_code))
    ]
    last = last_payment(session, account.id, today)
    # "I paid after the month's end": what came in since, and what remains to pay today.
    paid_since = sum(
        session.scalars(
            select(Payment.amount).where(
                Payment.account_id == account.id, Payment.paid_on >= next_month, Payment.paid_on <= today
            )
        ),
        ZERO,
    )
    return {
        "account": account.text,
        "period": f"{period.year:04d}-{period.month:02d}",
        "opening": money(opening),
        "charged": money(charged),
        "recalculations": money(recalculations),
        "penalties": money(fines),
        "paid": money(paid),
        "closing": money(closing),
        "paid_since": money(paid_since),
        "due_now": money(closing - paid_since),
        "as_of": today.isoformat(),
        "lines": lines,
        "last_payment": payment_json(last),
    }


def payment_json(payment: Payment | None) -> dict[str, Any] | None:
    if payment is None:
        return None
    return {"date": payment.paid_on.isoformat(), "amount": money(payment.amount), "channel": payment.channel}
