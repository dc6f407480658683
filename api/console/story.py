"""The account's story for its card: calls, escalations and callbacks, the ownership check's state,
and an operator lifting a payment-guess lock for the real owner.

Why here and not in `api/verification.py`: lifting is an operator's act in the
console; the IVR's verification keeps one job. The lift is one UPDATE of the
counter row (the row the guesses lock first), so it cannot interleave with a
guess being evaluated; every lift is kept in `verification_lifts` with the
operator, the time, the reason and the counter as it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, selectinload

from api.models import (
    Account,
    Call,
    Escalation,
    VerificationAttempt,
    VerificationCounter,
    VerificationLift,
)
from api.verification import FAILURE_HORIZON, effective

CALLS_SHOWN = 20
ESCALATIONS_SHOWN = 20
ATTEMPTS_SHOWN = 10
LIFTS_SHOWN = 10
REASON_MAX = 500


@dataclass(frozen=True)
class CounterState:
    """One counter of failed payment guesses as the operator should read it now."""

    scope: str  # account | caller
    key: str  # account id or caller number
    failures: int  # failures that still count
    locked_until: datetime | None  # None: not locked now

    @property
    def locked(self) -> bool:
        return self.locked_until is not None


def _state(row: VerificationCounter, at: datetime) -> CounterState:
    """The verification's own reading of a counter: a run-out lock or old failures count 0."""
    failures, locked_until = effective(row, at)
    return CounterState(row.scope, row.key, failures, locked_until)


def guessing_numbers(session: Session, acc: Account, at: datetime) -> list[str]:
    """Caller numbers that failed a payment guess on this account within the failure horizon."""
    rows = session.scalars(
        select(VerificationAttempt.caller)
        .where(
            VerificationAttempt.account_id == acc.id,
            VerificationAttempt.success.is_(False),
            VerificationAttempt.caller.is_not(None),
            VerificationAttempt.at > at - FAILURE_HORIZON,
        )
        .distinct()
    )
    return sorted(n for n in rows if n)


def counters(session: Session, acc: Account, at: datetime) -> list[CounterState]:
    """The account's counter, then the counters of the numbers that guessed on it (those with any)."""
    keys = [("account", str(acc.id))] + [("caller", n) for n in guessing_numbers(session, acc, at)]
    states = []
    for scope, key in keys:
        row = session.get(VerificationCounter, (scope, key), populate_existing=True)
        if row is not None:
            states.append(_state(row, at))
        elif scope == "account":
            states.append(CounterState(scope, key, 0, None))
    return states


def verification_context(session: Session, acc: Account, at: datetime, max_attempts: int) -> dict:
    attempts = list(
        session.scalars(
            select(VerificationAttempt)
            .where(VerificationAttempt.account_id == acc.id)
            .order_by(VerificationAttempt.at.desc(), VerificationAttempt.id.desc())
            .limit(ATTEMPTS_SHOWN)
        )
    )
    lifts = list(
        session.scalars(
            select(VerificationLift)
            .where(VerificationLift.account_id == acc.id)
            .order_by(VerificationLift.at.desc(), VerificationLift.id.desc())
            .limit(LIFTS_SHOWN)
        )
    )
    states = counters(session, acc, at)
    return {
        "counters": states,
        "account_counter": states[0],
        "max_attempts": max_attempts,
        "attempts": attempts,
        "lifts": lifts,
    }


class LiftRefused(Exception):
    """Why a lift was not made, in Russian for the operator."""


def lift(
    session: Session, acc: Account, *, scope: str, key: str, reason: str, operator: str, at: datetime
) -> VerificationLift:
    """Reset one counter of this account's story (its own, or a number that guessed on it), keep the lift."""
    reason = reason.strip()
    if not reason:
        raise LiftRefused("Укажите причину: почему вы уверены, что звонит владелец.")
    if len(reason) > REASON_MAX or any(ord(ch) < 32 and ch not in "\n\r\t" for ch in reason):
        raise LiftRefused("Причина слишком длинная или содержит недопустимые символы.")
    allowed = {("account", str(acc.id))} | {("caller", n) for n in guessing_numbers(session, acc, at)}
    if (scope, key) not in allowed:
        raise LiftRefused("Эта блокировка не относится к этому лицевому счёту.")
    row = session.get(VerificationCounter, (scope, key), populate_existing=True)
    state = _state(row, at) if row is not None else None
    if state is None or (not state.locked and state.failures == 0):
        raise LiftRefused("Блокировки нет: снимать нечего.")
    record = VerificationLift(
        account_id=acc.id,
        scope=scope,
        key=key,
        failures=state.failures,
        locked_until=state.locked_until,
        operator=operator,
        reason=reason,
        at=at,
    )
    session.execute(
        update(VerificationCounter)
        .where(VerificationCounter.scope == scope, VerificationCounter.key == key)
        .values(failures=0, counting_since=None, locked_until=None, touched_at=at)
        .execution_options(synchronize_session=False)
    )
    session.add(record)
    session.commit()
    return record


def calls_of(session: Session, acc: Account) -> list[tuple[Call, bool]]:
    """The account's calls, newest first: (call, known only by the caller's number on file)."""
    phones = [p.number for p in acc.phones]
    condition = Call.account == acc.text
    if phones:
        condition = or_(condition, Call.account.is_(None) & Call.caller.in_(phones))
    rows = session.scalars(
        select(Call).where(condition).order_by(Call.started_at.desc(), Call.id).limit(CALLS_SHOWN)
    )
    return [(call, call.account != acc.text) for call in rows]


def escalations_of(session: Session, acc: Account, call_ids: list[str]) -> list[Escalation]:
    """Escalations and callback requests naming this account or made in one of its calls, newest first."""
    condition = Escalation.account == acc.text
    if call_ids:
        condition = or_(condition, Escalation.call_id.in_(call_ids))
    return list(
        session.scalars(
            select(Escalation)
            .where(condition)
            .options(selectinload(Escalation.call))
            .order_by(Escalation.created_at.desc(), Escalation.id.desc())
            .limit(ESCALATIONS_SHOWN)
        )
    )
