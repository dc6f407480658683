"""Ownership checks for a call, with attempt limits and locks.

Why these two methods: the personal-account manuals (seeds 003/004) prove
ownership by the date and amount of the last payment; on the phone the
caller's number on file is the natural first proof. A number match needs no
guess, so it is accepted even while knowledge checks are locked; guesses of the
last payment are limited per account and per caller number (settings), and a
lock follows the limit. Every failure and every lock is logged, masked.

Why a counter row per account and per caller number, locked before it is read:
counting attempt rows and inserting the new one afterwards let 40 parallel
guesses be evaluated 8–16 at a time in one lock window. Now every guess first
UPDATEs its counter rows (a row lock on PostgreSQL, the write lock on SQLite),
then reads them, evaluates and commits: guesses of one account or number are
evaluated one after another, and never more than the limit.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.accounts import mask_account, mask_phone
from api.balance import last_payment
from api.models import Account, CallVerification, VerificationAttempt, VerificationCounter

log = logging.getLogger("api.security")

# Failures older than this never count towards a lock.
FAILURE_HORIZON = timedelta(hours=24)


@dataclass(frozen=True)
class Policy:
    max_attempts: int
    lock_minutes: int


def _scopes(account: Account, caller: str | None) -> list[tuple[str, str]]:
    """(scope, key) pairs in one fixed order, so two guesses always lock rows in the same order."""
    scopes = [("account", str(account.id))]
    if caller:
        scopes.append(("caller", caller))
    return scopes


def _ensure_counters(session: Session, scopes: list[tuple[str, str]]) -> None:
    """Create missing counter rows (each in its own short transaction; a concurrent creator wins)."""
    for scope, key in scopes:
        if session.get(VerificationCounter, (scope, key)) is not None:
            continue
        session.add(VerificationCounter(scope=scope, key=key, failures=0))
        try:
            session.commit()
        except IntegrityError:
            session.rollback()


def _lock_counters(
    session: Session, scopes: list[tuple[str, str]], at: datetime
) -> list[VerificationCounter]:
    """Lock the counter rows for this transaction and read them fresh.

    The UPDATE comes first: on PostgreSQL it takes the row lock (later guesses
    wait for our commit), on SQLite it takes the database's write lock (pysqlite
    begins the transaction at the first write). Only then are the rows read.
    """
    for scope, key in scopes:
        session.execute(
            update(VerificationCounter)
            .where(VerificationCounter.scope == scope, VerificationCounter.key == key)
            .values(touched_at=at)
            .execution_options(synchronize_session=False)
        )
    rows = []
    for scope, key in scopes:
        row = session.scalar(
            select(VerificationCounter)
            .where(VerificationCounter.scope == scope, VerificationCounter.key == key)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        assert row is not None  # created by _ensure_counters; never deleted
        rows.append(row)
    return rows


def effective(row: VerificationCounter, at: datetime) -> tuple[int, datetime | None]:
    """(failures that still count, active lock end or None) — also how the console shows a counter."""
    if row.locked_until is not None and row.locked_until > at:
        return row.failures, row.locked_until
    if row.locked_until is not None and row.locked_until <= at:
        return 0, None  # the lock has run out: counting starts again
    if row.counting_since is not None and row.counting_since <= at - FAILURE_HORIZON:
        return 0, None
    return row.failures, None


def _state_of(
    rows: list[VerificationCounter], at: datetime, policy: Policy, verified: bool, method: str | None
) -> dict:
    used = 0
    until: datetime | None = None
    for row in rows:
        failures, locked = effective(row, at)
        used = max(used, failures)
        if locked is not None and (until is None or locked > until):
            until = locked
    return {
        "verified": verified,
        "method": method,
        "attempts_left": 0 if until else max(0, policy.max_attempts - used),
        "locked": until is not None,
        "locked_until": until.isoformat() if until else None,
    }


def _read_state(session: Session, account: Account, caller: str | None) -> list[VerificationCounter]:
    """The counter rows as they are now (no lock: for answers that evaluate no guess)."""
    return [
        row
        for scope, key in _scopes(account, caller)
        if (row := session.get(VerificationCounter, (scope, key), populate_existing=True)) is not None
    ]


def _grant(
    session: Session, call_id: str, account: Account, caller: str | None, method: str, at: datetime
) -> None:
    session.add(
        VerificationAttempt(
            call_id=call_id, account_id=account.id, caller=caller, method=method, success=True, at=at
        )
    )
    if session.get(CallVerification, (call_id, account.id)) is None:
        session.add(CallVerification(call_id=call_id, account_id=account.id, method=method, at=at))
    session.flush()


def verify(
    session: Session,
    account: Account,
    *,
    call_id: str,
    caller: str | None,
    amount: Decimal | None,
    at: datetime,
    today: date,
    policy: Policy,
) -> dict:
    """One verification request of a call. Commits its own transactions (the guess is atomic).

    `caller` must be the number the call was registered with, never one the client names.
    """
    scopes = _scopes(account, caller)
    done = session.get(CallVerification, (call_id, account.id))
    if done is not None:
        return _state_of(_read_state(session, account, caller), at, policy, True, done.method)
    if caller and caller in {p.number for p in account.phones}:
        _grant(session, call_id, account, caller, "phone", at)
        session.commit()
        state = _state_of(_read_state(session, account, caller), at, policy, True, "phone")
        return {**state, "locked": False, "locked_until": None}
    if amount is None:
        return _state_of(_read_state(session, account, caller), at, policy, False, None)

    session.commit()  # the guess runs in a transaction of its own, starting with the lock
    _ensure_counters(session, scopes)
    rows = _lock_counters(session, scopes, at)
    state = _state_of(rows, at, policy, False, None)
    if state["locked"] or state["attempts_left"] <= 0:
        session.commit()
        log.warning(
            "verification refused (locked): account %s call %s caller %s",
            mask_account(account.text),
            call_id,
            mask_phone(caller),
        )
        return {**state, "attempts_left": 0}
    last = last_payment(session, account.id, today)
    if last is not None and last.amount == amount:
        for row in rows:
            row.failures, row.counting_since, row.locked_until = 0, None, None
        _grant(session, call_id, account, caller, "last_payment", at)
        session.commit()
        return _state_of(rows, at, policy, True, "last_payment")
    session.add(
        VerificationAttempt(
            call_id=call_id, account_id=account.id, caller=caller, method="last_payment", success=False, at=at
        )
    )
    for row, (scope, key) in zip(rows, scopes, strict=True):
        failures, _ = effective(row, at)
        if failures == 0:
            row.counting_since = at
        row.failures = failures + 1
        row.locked_until = None
        if row.failures >= policy.max_attempts:
            row.locked_until = at + timedelta(minutes=policy.lock_minutes)
            log.warning(
                "verification locked: %s %s until %s (call %s)",
                scope,
                mask_account(account.text) if scope == "account" else mask_phone(key),
                row.locked_until.isoformat(),
                call_id,
            )
    session.commit()
    log.warning(
        "verification failed: account %s call %s caller %s",
        mask_account(account.text),
        call_id,
        mask_phone(caller),
    )
    return _state_of(rows, at, policy, False, None)
