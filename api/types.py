"""Column types shared by the models and the migrations.

Why our own types: SQLite has no exact decimal type (SQLAlchemy would go through
float), and money must stay exact. On SQLite a `Fixed` value is stored as a
scaled integer (kopecks, thousandths); on PostgreSQL it is a real NUMERIC.
Timestamps are stored as UTC and always come back timezone-aware, whichever
database we talk to.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, DateTime, Numeric
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine


class Fixed(TypeDecorator):
    """An exact decimal with `scale` places: NUMERIC(precision, scale), or a scaled BIGINT on SQLite."""

    impl = Numeric
    cache_ok = True

    def __init__(self, precision: int = 14, scale: int = 2):
        super().__init__()
        self.precision = precision
        self.scale = scale
        self._quantum = Decimal(1).scaleb(-scale)

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(self.precision, self.scale, asdecimal=True))

    def process_bind_param(self, value, dialect: Dialect):
        if value is None:
            return None
        exact = Decimal(value).quantize(self._quantum)
        if dialect.name == "sqlite":
            return int(exact.scaleb(self.scale))
        return exact

    def process_result_value(self, value, dialect: Dialect):
        if value is None:
            return None
        if dialect.name == "sqlite":
            return Decimal(int(value)).scaleb(-self.scale).quantize(self._quantum)
        return Decimal(value).quantize(self._quantum)

    def __repr__(self) -> str:
        return f"Fixed(precision={self.precision}, scale={self.scale})"


class Money(Fixed):
    """Roubles with kopecks."""

    cache_ok = True

    def __init__(self):
        super().__init__(14, 2)

    def __repr__(self) -> str:
        return "Money()"


class UTCDateTime(TypeDecorator):
    """A point in time, stored as naive UTC, returned aware (UTC)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("UTCDateTime needs an aware datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC)

    def __repr__(self) -> str:
        return "UTCDateTime()"
