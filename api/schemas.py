"""What the account API answers: one pydantic model per response body, for OpenAPI and for clients.

Why one module with no database imports: the routes declare these as their response
models (OpenAPI lists every schema), the services build them, the console renders them,
and the IVR's HTTP client may validate what it gets against the same classes (`ivr` may
import `api`; `dialogs` may not). The JSON is exactly what the API answered before these
models existed: times and dates are ISO 8601 text as `datetime.isoformat()` writes them
(`+00:00`, not `Z`), money and meter values are decimal text ("729.51", "124.5").
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

IsoDateTime = Annotated[str, Field(json_schema_extra={"format": "date-time"})]
IsoDate = Annotated[str, Field(json_schema_extra={"format": "date"})]
Money = Annotated[str, Field(description="Roubles with kopecks as decimal text; debt positive: 729.51")]
Amount = Annotated[str, Field(description="A decimal without trailing zeros: 124.5")]


class Out(BaseModel):
    """A response body: built by the services, never parsed from a request."""

    model_config = ConfigDict(populate_by_name=True)


# ---------------------------------------------------------------- reference


class OpeningHours(Out):
    days: list[str] = Field(description="mon, tue, …")
    open: str
    close: str
    break_: list[str] | None = Field(alias="break", description="[start, end] of the lunch break")


class Office(Out):
    city: str
    address: str
    hours: list[OpeningHours]


class Territory(Out):
    suffix: int
    name: str
    office: Office | None


class PhoneAccounts(Out):
    phone: str = Field(description="11 digits starting with 7")
    accounts: list[str]


class PromotionTerm(Out):
    topic: str
    question: str
    answer: str
    source: str | None


class Promotion(Out):
    id: int
    name: str
    starts_on: IsoDate
    ends_on: IsoDate
    territories: list[int]
    prize: str
    terms: list[PromotionTerm]


class Participation(Out):
    participating: bool
    reasons: list[str] = Field(description="territory_included, registered_during_promotion, …")


# ---------------------------------------------------------------- accounts


class TerritoryRef(Out):
    suffix: int
    name: str


class AccountSummary(Out):
    """The IVR gets the first four fields; operators also the owner, address, area and phones."""

    account: str
    territory: TerritoryRef
    web_registered_on: IsoDate | None
    e_receipt: bool
    owner_name: str | None = Field(default=None, description="operators only")
    address: str | None = Field(default=None, description="operators only")
    area: Amount | None = Field(default=None, description="operators only")
    phones: list[str] | None = Field(default=None, description="operators only")


class Verification(Out):
    verified: bool
    method: str | None = Field(description="phone | last_payment")
    attempts_left: int
    locked: bool
    locked_until: IsoDateTime | None


class BalanceLine(Out):
    service: str
    service_name: str
    charged: Money
    recalculation: Money
    tariff: Amount | None
    quantity: Amount | None
    unit: str


class PaymentRef(Out):
    date: IsoDate
    amount: Money
    channel: str


class Balance(Out):
    account: str
    period: str = Field(description="YYYY-MM")
    opening: Money
    charged: Money
    recalculations: Money
    penalties: Money
    paid: Money
    closing: Money
    paid_since: Money = Field(description="paid after the month's end, up to as_of")
    due_now: Money = Field(description="closing - paid_since")
    as_of: IsoDate
    lines: list[BalanceLine]
    last_payment: PaymentRef | None


class LastReading(Out):
    value: Amount
    taken_at: IsoDateTime
    source: str


class MeterOut(Out):
    id: int
    service: str
    service_name: str
    serial: str
    unit: str
    verification_due: IsoDate | None
    last_reading: LastReading | None


class Meters(Out):
    account: str
    meters: list[MeterOut]


class ReadingOut(Out):
    id: int
    meter_id: int
    value: Amount
    previous: Amount | None
    consumption: Amount | None
    taken_at: IsoDateTime
    source: str
    call_id: str | None


class HistoryReading(ReadingOut):
    service: str
    serial: str
    operator: str | None


class ReadingHistory(Out):
    account: str
    readings: list[HistoryReading]


# ---------------------------------------------------------------- calls and escalations


class CallOut(Out):
    id: str
    caller: str | None
    channel: str | None
    started_at: IsoDateTime
    ended_at: IsoDateTime | None
    active: bool
    account: str | None
    step: str | None
    outcome: str | None


class SpokenLine(Out):
    at: IsoDateTime
    speaker: str = Field(description="robot | caller")
    text: str


class CallWithTranscript(CallOut):
    transcript: list[SpokenLine]


class TranscriptLineOut(Out):
    id: int
    call_id: str
    at: IsoDateTime
    speaker: str
    text: str


class EscalationOut(Out):
    id: int
    call_id: str
    reason: str
    account: str | None
    verified: bool
    summary: str
    status: str = Field(description="open | taken | closed")
    operator: str | None
    note: str | None
    outcome: str | None
    created_at: IsoDateTime
    taken_at: IsoDateTime | None
    closed_at: IsoDateTime | None
    callback_phone: str | None
    retry_at: IsoDateTime | None
    attempts: int


class EscalationWithCall(EscalationOut):
    call: CallWithTranscript


# ---------------------------------------------------------------- debt reminders


class ContactOut(Out):
    """A debt reminder call's row after the IVR wrote its outcome."""

    id: int
    phone: str
    outcome: str
    promised_on: date | None = Field(description="«оплачу до …»: the day promised (ISO date)")
    opted_out: bool = Field(description="the number will not be called about debt again")


# ---------------------------------------------------------------- refusals


class ErrorDetail(Out):
    """Why a request was refused; some refusals add fields (`previous`, `window`, `operator`, …)."""

    model_config = ConfigDict(extra="allow")
    reason: str = Field(description="machine-readable: not_verified, invalid_value, busy, …")
    message: str = Field(description="for people")


class ErrorBody(Out):
    detail: ErrorDetail
