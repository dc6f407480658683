"""Operators of the console and their server-side sessions.

Why on the API's `Base`: one metadata, one Alembic history; the revision
`0002_console` creates these tables. Why only a hash of the session token is
stored: a copy of the database must not let anyone into the console.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.models import Base
from api.types import UTCDateTime


class Operator(Base):
    """A person who logs into the console; the password is a bcrypt hash."""

    __tablename__ = "operators"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class OperatorSession(Base):
    """One login: the cookie carries the token, the table its SHA-256, the CSRF token and the expiry."""

    __tablename__ = "operator_sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    operator: Mapped[Operator] = relationship()
