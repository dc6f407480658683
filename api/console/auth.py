"""Operator accounts and login sessions: bcrypt passwords, server-side sessions with expiry.

Why server-side sessions: logging out or disabling an operator ends the
session at once, and expiry is checked on every request against the app's
clock. The cookie holds a random token; the table holds only its SHA-256, so
a copy of the database opens no sessions. Each session has its own CSRF token
which every console POST must echo.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import bcrypt
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from api.console.models import Operator, OperatorSession

log = logging.getLogger("api.console.auth")

BCRYPT_ROUNDS = 12
MIN_PASSWORD_CHARS = 8
MAX_PASSWORD_BYTES = 72  # bcrypt uses (and bcrypt>=5 accepts) at most 72 bytes
MAX_NAME_CHARS = 100
# Compared against when the name is unknown, so a wrong name takes as long as a wrong password.
_DUMMY_HASH = bcrypt.hashpw(b"no such operator", bcrypt.gensalt(4)).decode()


class OperatorError(Exception):
    """A refusal for people: a bad name or password, an existing or unknown operator."""


def check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_CHARS:
        raise OperatorError(f"the password must have at least {MIN_PASSWORD_CHARS} characters")
    if len(password.encode()) > MAX_PASSWORD_BYTES:
        raise OperatorError(f"the password must be at most {MAX_PASSWORD_BYTES} bytes in UTF-8")


def check_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > MAX_NAME_CHARS or any(ch.isspace() or not ch.isprintable() for ch in name):
        raise OperatorError(f"the name must be 1 to {MAX_NAME_CHARS} printable characters without spaces")
    return name


def hash_password(password: str, rounds: int = BCRYPT_ROUNDS) -> str:
    check_new_password(password)
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds)).decode()


def password_matches(password: str, hashed: str) -> bool:
    """True if `password` is the one hashed; False for anything malformed (never raises)."""
    raw = password.encode()
    if len(raw) > MAX_PASSWORD_BYTES:
        return False
    try:
        return bcrypt.checkpw(raw, hashed.encode())
    except ValueError:
        return False


def add_operator(
    session: Session, name: str, password: str, at: datetime, rounds: int = BCRYPT_ROUNDS
) -> Operator:
    name = check_name(name)
    if session.scalar(select(Operator).where(Operator.name == name)) is not None:
        raise OperatorError(f"operator {name!r} already exists (use `hotline operators passwd {name}`)")
    operator = Operator(name=name, password_hash=hash_password(password, rounds), active=True, created_at=at)
    session.add(operator)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise OperatorError(f"operator {name!r} already exists") from None
    log.info("operator %s added", name)
    return operator


def _existing(session: Session, name: str) -> Operator:
    operator = session.scalar(select(Operator).where(Operator.name == name.strip()))
    if operator is None:
        raise OperatorError(f"no operator {name.strip()!r}")
    return operator


def set_password(session: Session, name: str, password: str, rounds: int = BCRYPT_ROUNDS) -> None:
    """New password, active again, every open session ended."""
    operator = _existing(session, name)
    operator.password_hash = hash_password(password, rounds)
    operator.active = True
    session.execute(delete(OperatorSession).where(OperatorSession.operator_id == operator.id))
    session.commit()
    log.info("operator %s: password changed, sessions ended", operator.name)


def disable_operator(session: Session, name: str) -> None:
    """The operator can no longer log in; open sessions end now."""
    operator = _existing(session, name)
    operator.active = False
    session.execute(delete(OperatorSession).where(OperatorSession.operator_id == operator.id))
    session.commit()
    log.info("operator %s disabled", operator.name)


def authenticate(session: Session, name: str, password: str) -> Operator | None:
    operator, hashed = login_candidate(session, name)
    matches = password_matches(password, hashed)
    return operator if operator is not None and matches else None


def login_candidate(session: Session, name: str) -> tuple[Operator | None, str]:
    """The active operator of that name (or None) and the hash to check the password against.

    Why a hash even for an unknown name: a wrong name must take as long as a wrong password.
    """
    operator = session.scalar(select(Operator).where(Operator.name == name.strip()))
    if operator is None or not operator.active:
        return None, _DUMMY_HASH
    return operator, operator.password_hash


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Login:
    """What the browser gets: the cookie's token; the CSRF token goes into every page."""

    token: str
    csrf_token: str
    expires_at: datetime


def start_session(session: Session, operator: Operator, at: datetime, minutes: int) -> Login:
    session.execute(delete(OperatorSession).where(OperatorSession.expires_at <= at))
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    expires = at + timedelta(minutes=minutes)
    session.add(
        OperatorSession(
            token_hash=_digest(token),
            operator_id=operator.id,
            csrf_token=csrf,
            created_at=at,
            expires_at=expires,
        )
    )
    session.commit()
    log.info("operator %s logged in", operator.name)
    return Login(token, csrf, expires)


@dataclass(frozen=True)
class ActiveSession:
    operator: str
    csrf_token: str
    expires_at: datetime


class SessionExpired(Exception):
    """The cookie names a session that existed but has run out."""


def current_session(session: Session, token: str | None, at: datetime) -> ActiveSession | None:
    """The operator behind `token`, None if there is none; SessionExpired if it ran out (and is removed)."""
    if not token or len(token) > 200:
        return None
    row = session.scalar(
        select(OperatorSession)
        .where(OperatorSession.token_hash == _digest(token))
        .options(selectinload(OperatorSession.operator))
    )
    if row is None:
        return None
    if row.expires_at <= at or not row.operator.active:
        # A statement, not session.delete(row): two polls may find the same expired row at once.
        session.execute(delete(OperatorSession).where(OperatorSession.token_hash == row.token_hash))
        session.commit()
        raise SessionExpired
    return ActiveSession(row.operator.name, row.csrf_token, row.expires_at)


def end_session(session: Session, token: str | None) -> None:
    if token:
        session.execute(delete(OperatorSession).where(OperatorSession.token_hash == _digest(token)))
        session.commit()


def csrf_matches(expected: str, given: str | None) -> bool:
    if not given:
        return False
    return secrets.compare_digest(expected.encode(), given.encode())
