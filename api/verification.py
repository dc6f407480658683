"""Ownership checks for a call, with attempt limits and locks.

Why these two methods: the personal-account manuals (seeds 003/004) prove
ownership by the date and amount of the last payment; on the phone the
caller's number on file is the natural first proof. A number match needs no
guess, so it is accepted even while knowledge checks are locked; guesses of the
last payment are limited per account and per caller number (settings), and a
lock follows the limit. Every failure and every lock is logged, masked.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.accounts import mask_account, mask_phone
from api.balance import last_payment
from api.models import Account, CallVerification, VerificationAttempt, VerificationLock

log = logging.getLogger("api.security")

# Failures older than this never count towards a lock.
FAILURE_HORIZON = timedelta(hours=24)


@dataclass(frozen=True)
class Policy:
    max_attempts: int
    lock_minutes: int


def _lock(session: Session, scope: str, key: str, at: datetime) -> VerificationLock | None:
    return session.scalar(
        select(VerificationLock)
        .where(
            VerificationLock.scope == scope, VerificationLock.key == key, VerificationLock.locked_until > at
        )
        .order_by(VerificationLock.locked_until.desc())
        .limit(1)
    )


def _counting_since(session: Session, scope: str, key: str, at: datetime) -> datetime:
    """Failures count from the latest of: the horizon, the last success, the end of the last lock."""
    starts = [at - FAILURE_HORIZON]
    cond = (
        (VerificationAttempt.account_id == int(key))
        if scope == "account"
        else (VerificationAttempt.caller == key)
    )
    last_ok = session.scalar(
        select(func.max(VerificationAttempt.at)).where(cond, VerificationAttempt.success)
    )
    if last_ok is not None:
        starts.append(last_ok)
    last_lock_end = session.scalar(
        select(func.max(VerificationLock.locked_until)).where(
            VerificationLock.scope == scope, VerificationLock.key == key, VerificationLock.locked_until <= at
        )
    )
    if last_lock_end is not None:
        starts.append(last_lock_end)
    return max(starts)


def _failures(session: Session, scope: str, key: str, at: datetime) -> int:
    since = _counting_since(session, scope, key, at)
    cond = (
        (VerificationAttempt.account_id == int(key))
        if scope == "account"
        else (VerificationAttempt.caller == key)
    )
    return (
        session.scalar(
            select(func.count())
            .select_from(VerificationAttempt)
            .where(cond, VerificationAttempt.success.is_(False), VerificationAttempt.at > since)
        )
        or 0
    )


def _scopes(account: Account, caller: str | None) -> list[tuple[str, str]]:
    scopes = [("account", str(account.id))]
    if caller:
        scopes.append(("caller", caller))
    return scopes


def _state(
    session: Session,
    account: Account,
    caller: str | None,
    at: datetime,
    policy: Policy,
    verified: bool,
    method: str | None,
) -> dict:
    locks = [lk for s, k in _scopes(account, caller) if (lk := _lock(session, s, k, at)) is not None]
    used = max(_failures(session, s, k, at) for s, k in _scopes(account, caller))
    until = max((lk.locked_until for lk in locks), default=None)
    return {
        "verified": verified,
        "method": method,
        "attempts_left": 0 if locks else max(0, policy.max_attempts - used),
        "locked": bool(locks),
        "locked_until": until.isoformat() if until else None,
    }


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
    """One verification request of a call; commits nothing (the caller commits)."""
    done = session.get(CallVerification, (call_id, account.id))
    if done is not None:
        return _state(session, account, caller, at, policy, True, done.method)
    if caller and caller in {p.number for p in account.phones}:
        _grant(session, call_id, account, caller, "phone", at)
        return {
            **_state(session, account, caller, at, policy, True, "phone"),
            "locked": False,
            "locked_until": None,
        }
    if amount is None:
        return _state(session, account, caller, at, policy, False, None)
    state = _state(session, account, caller, at, policy, False, None)
    if state["locked"]:
        log.warning(
            "verification refused (locked): account %s call %s caller %s",
            mask_account(account.text),
            call_id,
            mask_phone(caller),
        )
        return state
    last = last_payment(session, account.id, today)
    if last is not None and last.amount == amount:
        _grant(session, call_id, account, caller, "last_payment", at)
        return _state(session, account, caller, at, policy, True, "last_payment")
    session.add(
        VerificationAttempt(
            call_id=call_id, account_id=account.id, caller=caller, method="last_payment", success=False, at=at
        )
    )
    session.flush()
    log.warning(
        "verification failed: account %s call %s caller %s",
        mask_account(account.text),
        call_id,
        mask_phone(caller),
    )
    for scope, key in _scopes(account, caller):
        if _failures(session, scope, key, at) >= policy.max_attempts:
            until = at + timedelta(minutes=policy.lock_minutes)
            session.add(VerificationLock(scope=scope, key=key, locked_at=at, locked_until=until))
            session.flush()
            log.warning(
                "verification locked: %s %s until %s (call %s)",
                scope,
                mask_account(account.text) if scope == "account" else mask_phone(key),
                until.isoformat(),
                call_id,
            )
    return _state(session, account, caller, at, policy, False, None)
