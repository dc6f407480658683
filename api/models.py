"""The account service's tables (SQLAlchemy 2 declarative models).

Why this shape: the balance is never stored, it is derived from monthly charge
lines, penalty lines and payments (as the billing's personal-account pages show
it), so an import or a correction can never leave a stale total behind.
Migrations in `api/migrations/` are generated from these models.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from api.types import Fixed, Money, UTCDateTime

# Stable constraint names, so migrations can alter them on every database.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


READING_SOURCES = ("ivr", "operator", "import", "chat")  # chat: `hotline chat`, never exported
ESCALATION_STATUSES = ("open", "taken", "closed")


class Office(Base):
    """An office where residents are received (seed 000, section 3.3.4)."""

    __tablename__ = "offices"
    id: Mapped[int] = mapped_column(primary_key=True)
    city: Mapped[str] = mapped_column(String(100))
    address: Mapped[str] = mapped_column(String(300))
    hours: Mapped[list[OfficeHours]] = relationship(
        back_populates="office", order_by="OfficeHours.position", cascade="all, delete-orphan"
    )


class OfficeHours(Base):
    """One opening-hours rule: the same times on a group of weekdays."""

    __tablename__ = "office_hours"
    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(SmallInteger, default=0)
    days: Mapped[str] = mapped_column(String(40))  # "mon,tue,thu,fri"
    opens: Mapped[str] = mapped_column(String(5))  # "08:30"
    closes: Mapped[str] = mapped_column(String(5))
    break_start: Mapped[str | None] = mapped_column(String(5))
    break_end: Mapped[str | None] = mapped_column(String(5))
    office: Mapped[Office] = relationship(back_populates="hours")


class Territory(Base):
    """An account suffix 0–9 and the territory it stands for."""

    __tablename__ = "territories"
    suffix: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(100))
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id"))
    office: Mapped[Office | None] = relationship()
    __table_args__ = (CheckConstraint("suffix BETWEEN 0 AND 9", name="suffix_digit"),)


class Service(Base):
    """A billed service (waste, cold water, ...), with its unit."""

    __tablename__ = "services"
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    unit: Mapped[str] = mapped_column(String(20))


account_phones = Table(
    "account_phones",
    Base.metadata,
    Column("account_id", ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("phone_id", ForeignKey("phones.id", ondelete="CASCADE"), primary_key=True),
)


class Phone(Base):
    """A phone number on file, normalised to 11 digits starting with 7."""

    __tablename__ = "phones"
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(11), unique=True)
    accounts: Mapped[list[Account]] = relationship(secondary=account_phones, back_populates="phones")


class Account(Base):
    """A personal account `NNNNNNNNN-S`: nine digits plus the territory suffix."""

    __tablename__ = "accounts"
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(9))
    suffix: Mapped[int] = mapped_column(ForeignKey("territories.suffix"))
    owner_name: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    area: Mapped[Decimal | None] = mapped_column(Fixed(10, 2))
    web_registered_on: Mapped[date | None] = mapped_column(Date)
    e_receipt: Mapped[bool] = mapped_column(Boolean, default=False)
    # Balance before the first month on record (debt positive): lets the billing load a history window.
    opening_balance: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    territory: Mapped[Territory] = relationship()
    phones: Mapped[list[Phone]] = relationship(
        secondary=account_phones, back_populates="accounts", order_by="Phone.number"
    )
    __table_args__ = (UniqueConstraint("number", "suffix"),)

    @property
    def text(self) -> str:
        return f"{self.number}-{self.suffix}"


class Charge(Base):
    """One service's line of one month: charged, recalculation, tariff, quantity."""

    __tablename__ = "charges"
    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    period: Mapped[date] = mapped_column(Date)  # first day of the month
    service_code: Mapped[str] = mapped_column(ForeignKey("services.code"))
    charged: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    recalculation: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    tariff: Mapped[Decimal | None] = mapped_column(Fixed(12, 4))
    quantity: Mapped[Decimal | None] = mapped_column(Fixed(14, 3))
    service: Mapped[Service] = relationship()
    __table_args__ = (UniqueConstraint("account_id", "period", "service_code"),)


class Penalty(Base):
    """Penalties (пени) of one month, their own line as on the receipt."""

    __tablename__ = "penalties"
    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    period: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Money())
    __table_args__ = (UniqueConstraint("account_id", "period"),)


class Payment(Base):
    """A payment received; `ref` is the billing's document number when it has one."""

    __tablename__ = "payments"
    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    paid_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Money())
    channel: Mapped[str] = mapped_column(String(40), default="")
    ref: Mapped[str | None] = mapped_column(String(64))
    __table_args__ = (
        UniqueConstraint("account_id", "ref"),
        Index("ix_payments_account_paid_on", "account_id", "paid_on"),
    )


class Meter(Base):
    """An individual meter of an account."""

    __tablename__ = "meters"
    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    service_code: Mapped[str] = mapped_column(ForeignKey("services.code"))
    serial: Mapped[str] = mapped_column(String(40))
    verification_due: Mapped[date | None] = mapped_column(Date)
    service: Mapped[Service] = relationship()
    account: Mapped[Account] = relationship()
    __table_args__ = (UniqueConstraint("account_id", "service_code", "serial"),)


class Reading(Base):
    """A meter reading; stored once per (call, meter) when it came from a call."""

    __tablename__ = "readings"
    id: Mapped[int] = mapped_column(primary_key=True)
    meter_id: Mapped[int] = mapped_column(ForeignKey("meters.id", ondelete="CASCADE"))
    value: Mapped[Decimal] = mapped_column(Fixed(14, 3))
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime())
    source: Mapped[str] = mapped_column(String(16))
    call_id: Mapped[str | None] = mapped_column(String(64))
    operator: Mapped[str | None] = mapped_column(String(100))
    meter: Mapped[Meter] = relationship()
    __table_args__ = (
        UniqueConstraint("call_id", "meter_id"),
        CheckConstraint("source IN ('ivr', 'operator', 'import', 'chat')", name="source_known"),
        Index("ix_readings_meter_taken_at", "meter_id", "taken_at"),
        Index("ix_readings_taken_at", "taken_at"),
    )


class Call(Base):
    """A call the IVR answered; the operator console shows it live."""

    __tablename__ = "calls"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    caller: Mapped[str | None] = mapped_column(String(32))
    channel: Mapped[str | None] = mapped_column(String(200))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    account: Mapped[str | None] = mapped_column(String(11))
    step: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str | None] = mapped_column(String(64))
    lines: Mapped[list[TranscriptLine]] = relationship(
        order_by="TranscriptLine.id", cascade="all, delete-orphan", back_populates="call"
    )


class TranscriptLine(Base):
    __tablename__ = "transcript_lines"
    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[str] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    speaker: Mapped[str] = mapped_column(String(10))
    text: Mapped[str] = mapped_column(Text)
    # The IVR's key for this write: a retried request finds the line it already stored.
    idempotency_key: Mapped[str | None] = mapped_column(String(64))
    call: Mapped[Call] = relationship(back_populates="lines")
    __table_args__ = (Index("uq_transcript_lines_call_key", "call_id", "idempotency_key", unique=True),)


class Escalation(Base):
    """A call handed to operators, with its context; one operator takes it."""

    __tablename__ = "escalations"
    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[str] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(String(200))
    account: Mapped[str | None] = mapped_column(String(11))
    verified: Mapped[bool] = mapped_column(Boolean, default=False)
    summary: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(10), default="open", index=True)
    operator: Mapped[str | None] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    taken_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The IVR's key for this write: a retried hand-over finds the escalation it already opened.
    idempotency_key: Mapped[str | None] = mapped_column(String(64))
    # A callback request (reason `callback_request`): the number to call, when to try again after
    # no answer (the callback waits until then), and how many tries the operators made.
    callback_phone: Mapped[str | None] = mapped_column(String(11))
    retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    call: Mapped[Call] = relationship()
    __table_args__ = (
        CheckConstraint("status IN ('open', 'taken', 'closed')", name="status_known"),
        Index("uq_escalations_call_key", "call_id", "idempotency_key", unique=True),
    )


promotion_territories = Table(
    "promotion_territories",
    Base.metadata,
    Column("promotion_id", ForeignKey("promotions.id", ondelete="CASCADE"), primary_key=True),
    Column("suffix", ForeignKey("territories.suffix"), primary_key=True),
)


class Promotion(Base):
    """A promotion (seed 000: «Хорошая привычка – твой Личный кабинет!»)."""

    __tablename__ = "promotions"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    prize: Mapped[str] = mapped_column(String(300))
    territories: Mapped[list[Territory]] = relationship(
        secondary=promotion_territories, order_by="Territory.suffix"
    )
    terms: Mapped[list[PromotionTerm]] = relationship(
        order_by="PromotionTerm.position", cascade="all, delete-orphan"
    )


class PromotionTerm(Base):
    """One question/answer block of a promotion's terms."""

    __tablename__ = "promotion_terms"
    id: Mapped[int] = mapped_column(primary_key=True)
    promotion_id: Mapped[int] = mapped_column(ForeignKey("promotions.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(SmallInteger)
    topic: Mapped[str] = mapped_column(String(32))
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    # the section of the customer's document the answer retells ("000 §3.5"); from the promotion file
    source: Mapped[str | None] = mapped_column(String(200))


class VerificationAttempt(Base):
    """One ownership check (successful or not); failures count towards a lock."""

    __tablename__ = "verification_attempts"
    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[str] = mapped_column(String(64))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    caller: Mapped[str | None] = mapped_column(String(32))
    method: Mapped[str | None] = mapped_column(String(16))
    success: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    __table_args__ = (
        Index("ix_verification_attempts_account_at", "account_id", "at"),
        Index("ix_verification_attempts_caller_at", "caller", "at"),
    )


class VerificationCounter(Base):
    """Failed knowledge checks and the lock of one account or one caller number: one row each.

    Why one row: every guess locks this row first (an UPDATE before the read), so
    concurrent guesses are counted one after another and never evaluated past the limit.
    """

    __tablename__ = "verification_counters"
    scope: Mapped[str] = mapped_column(String(10), primary_key=True)  # account | caller
    key: Mapped[str] = mapped_column(String(32), primary_key=True)  # account id or caller number
    failures: Mapped[int] = mapped_column(Integer, default=0)
    counting_since: Mapped[datetime | None] = mapped_column(UTCDateTime())  # first counted failure
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    touched_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class VerificationLift(Base):
    """An operator lifted a payment-guess lock for the real owner: who, when, why, and what it was.

    Why kept: a lock exists against guessing; lifting it must be answerable afterwards.
    """

    __tablename__ = "verification_lifts"
    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    scope: Mapped[str] = mapped_column(String(10))  # account | caller (as verification_counters)
    key: Mapped[str] = mapped_column(String(32))
    failures: Mapped[int] = mapped_column(Integer)  # the counter as it was
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    operator: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class CallVerification(Base):
    """Which accounts a call has proved ownership of (X-Call-Id lets the IVR in)."""

    __tablename__ = "call_verifications"
    call_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True)
    method: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class AccountLookup(Base):
    """One IVR question "does this account / phone exist?", counted by the enumeration guard.

    Why a row per (scope, subject): a call asking again about the same account learns
    nothing new and is not counted twice; a new subject is inserted before it is
    counted, so concurrent requests cannot all slip under the limit. `scope` is
    `call:<id>` for a registered call, `nocall:<window>` for requests without one;
    `subject` is a keyed hash of the account or phone, `masked` what logs may show.
    """

    __tablename__ = "account_lookups"
    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(80))
    subject: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(8))  # account | phone
    known: Mapped[bool] = mapped_column(Boolean)
    allowed: Mapped[bool | None] = mapped_column(Boolean)  # None while its first asker decides
    caller: Mapped[str | None] = mapped_column(String(32))
    masked: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    __table_args__ = (
        UniqueConstraint("scope", "subject"),
        Index("ix_account_lookups_at", "at"),
        Index("ix_account_lookups_caller_at", "caller", "at"),
    )


class CallRequest(Base):
    """An IVR write to a call (start, update, end) by its idempotency key: a retry is not applied twice."""

    __tablename__ = "call_requests"
    call_id: Mapped[str] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))  # start | update
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class DebtContact(Base):
    """One outbound reminder call to a debtor (seed 002 №2): when, to which number, how it ended.

    Why kept: the law on debt collection (230-ФЗ art. 7) limits successful contacts per debtor a
    day, a week and a month; the plan and the dialer count them here.
    """

    __tablename__ = "debt_contacts"
    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    phone: Mapped[str] = mapped_column(String(11), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    outcome: Mapped[str] = mapped_column(String(30))
    promised_on: Mapped[date | None] = mapped_column(Date)  # «оплачу до …»: for the operators' list


class DebtOptOut(Base):
    """A number that must never be called about debt again: «не звоните мне», a wrong number."""

    __tablename__ = "debt_opt_outs"
    phone: Mapped[str] = mapped_column(String(11), primary_key=True)
    reason: Mapped[str] = mapped_column(String(30))
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class DataVersion(Base):
    """A counter the database itself bumps (triggers, migration 0009) on every write that can change
    a balance: accounts, charges, penalties, payments, services.

    Why: every API process keeps the balances it answered (`api.balance_cache`); one cheap read of
    this row tells it whether any of them may have changed, whoever wrote (the billing import, another
    API worker, an operator tool).
    """

    __tablename__ = "data_version"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(Integer)
