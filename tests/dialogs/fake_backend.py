"""An in-memory account service with the API contract's JSON, for dialog tests.

Why: the dialog tests need an account service that behaves like the API
(verification per call, attempt limits, reading rules, idempotent readings) and
one that can be made to fail on purpose (service down) at any step.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from dialogs.backend import BackendError, Rejected

PHONE = "79001110011"
ACCOUNT = "001110011-7"  # on file for PHONE; debt; two meters; takes part in the promotion
OTHER = "002220022-0"  # no phone on file; overpayment; meter past its verification date
SHARED_PHONE = "79005550000"
SHARED = ["003330033-1", "004440044-2"]  # both on file for SHARED_PHONE

OFFICES = {
    "osinniki": {
        "city": "Осинники",
        "address": "г. Осинники, Зеленый переулок, 16",
        "hours": [
            {
                "days": ["mon", "tue", "thu", "fri"],
                "open": "08:30",
                "close": "17:30",
                "break": ["12:00", "13:00"],
            }
        ],
    },
    "novokuznetsk": {
        "city": "Новокузнецк",
        "address": "г. Новокузнецк, ул. Металлургов, 48",
        "hours": [
            {
                "days": ["mon", "tue", "thu", "fri"],
                "open": "08:30",
                "close": "17:00",
                "break": ["12:00", "13:00"],
            }
        ],
    },
    "prokopyevsk": {
        "city": "Прокопьевск",
        "address": "г. Прокопьевск, ул. Институтская, 9А",
        "hours": [{"days": ["mon", "tue", "thu", "fri"], "open": "08:30", "close": "18:00", "break": None}],
    },
}
TERRITORIES = [
    {"suffix": 0, "name": "Новокузнецк и район", "office": OFFICES["novokuznetsk"]},
    {"suffix": 1, "name": "Прокопьевск и район", "office": OFFICES["prokopyevsk"]},
    {"suffix": 2, "name": "Киселевск и район", "office": None},
    {"suffix": 6, "name": "Осинники и район", "office": OFFICES["osinniki"]},
    {"suffix": 7, "name": "Калтан и район", "office": OFFICES["osinniki"]},
]


def _balance(
    account: str, opening: str, charged: str, penalties: str, recalc: str, paid: str, last: dict | None
) -> dict[str, Any]:
    closing = Decimal(opening) + Decimal(charged) + Decimal(penalties) + Decimal(recalc) - Decimal(paid)
    return {
        "account": account,
        "period": "2025-10",
        "opening": opening,
        "charged": charged,
        "recalculations": recalc,
        "penalties": penalties,
        "paid": paid,
        "closing": f"{closing:.2f}",
        "lines": [
            {
                "service": "waste",
                "service_name": "обращение с ТКО",
                "charged": "150.00",
                "recalculation": "0.00",
                "tariff": "150.00",
                "quantity": "1",
                "unit": "чел.",
            },
            {
                "service": "cold_water",
                "service_name": "холодная вода",
                "charged": f"{Decimal(charged) - 150:.2f}",
                "recalculation": recalc,
                "tariff": "37.00",
                "quantity": "2",
                "unit": "м³",
            },
        ],
        "last_payment": last,
    }


@dataclass
class FakeBackend:
    today: date = date(2025, 11, 20)  # inside the readings window (15th–25th)
    fail: set[str] = field(default_factory=set)  # method names that raise BackendError
    attempts: dict[str, int] = field(default_factory=dict)
    verified: set[tuple[str, str]] = field(default_factory=set)  # (call_id, account)
    stored: list[dict[str, Any]] = field(default_factory=list)  # readings stored
    escalations: list[dict[str, Any]] = field(default_factory=list)
    calls: dict[str, dict[str, Any]] = field(default_factory=dict)
    promotion_running: bool = True
    max_attempts: int = 3

    def __post_init__(self) -> None:
        self.phones = {PHONE: [ACCOUNT], SHARED_PHONE: list(SHARED)}
        self.balances = {
            ACCOUNT: _balance(
                ACCOUNT,
                "601.08",
                "222.04",
                "2.10",
                "0.00",
                "95.71",
                {"date": "2025-10-22", "amount": "95.71", "channel": "bank"},
            ),
            OTHER: _balance(
                OTHER,
                "-50.00",
                "200.00",
                "0.00",
                "-20.00",
                "280.00",
                {"date": "2025-10-05", "amount": "280.00", "channel": "cash"},
            ),
            SHARED[0]: _balance(SHARED[0], "0.00", "150.00", "0.00", "0.00", "150.00", None),
            SHARED[1]: _balance(SHARED[1], "10.00", "150.00", "0.00", "0.00", "0.00", None),
        }
        self.meters_by_account = {
            ACCOUNT: [
                {
                    "id": 1,
                    "service": "cold_water",
                    "service_name": "холодная вода",
                    "serial": "CW-1",
                    "unit": "м³",
                    "verification_due": "2030-01-01",
                    "last_reading": {"value": "123.4", "taken_at": "2025-10-20", "source": "ivr"},
                },
                {
                    "id": 2,
                    "service": "hot_water",
                    "service_name": "горячая вода",
                    "serial": "HW-2",
                    "unit": "м³",
                    "verification_due": "2030-01-01",
                    "last_reading": {"value": "45.2", "taken_at": "2025-10-20", "source": "import"},
                },
            ],
            OTHER: [
                {
                    "id": 3,
                    "service": "cold_water",
                    "service_name": "холодная вода",
                    "serial": "CW-3",
                    "unit": "м³",
                    "verification_due": "2024-06-01",
                    "last_reading": None,
                },
            ],
            SHARED[0]: [],
            SHARED[1]: [],
        }

    def _maybe_fail(self, name: str) -> None:
        if name in self.fail:
            raise BackendError(f"{name}: service unavailable")

    def _territory(self, account: str) -> dict[str, Any]:
        suffix = int(account[-1])
        return next(
            ({"suffix": t["suffix"], "name": t["name"]} for t in TERRITORIES if t["suffix"] == suffix),
            {"suffix": suffix, "name": "?"},
        )

    def _need_verified(self, account: str, call_id: str) -> None:
        if (call_id, account) not in self.verified:
            raise Rejected(403, "not_verified", "call has not verified this account")

    async def accounts_for_phone(self, phone: str) -> list[str]:
        self._maybe_fail("accounts_for_phone")
        return list(self.phones.get(phone, []))

    async def account(self, account: str) -> dict[str, Any] | None:
        self._maybe_fail("account")
        if account not in self.balances:
            return None
        return {
            "account": account,
            "territory": self._territory(account),
            "web_registered_on": None,
            "e_receipt": False,
        }

    async def verify(
        self, account: str, *, call_id: str, caller: str | None, last_payment: Decimal | None = None
    ) -> dict[str, Any]:
        self._maybe_fail("verify")
        left = self.attempts.setdefault(account, self.max_attempts)
        if left <= 0:
            return {
                "verified": False,
                "method": None,
                "attempts_left": 0,
                "locked": True,
                "locked_until": "2025-11-20T12:30:00+07:00",
            }
        method = None
        if caller and account in self.phones.get(caller, []):
            method = "phone"
        elif last_payment is not None:
            paid = (self.balances[account].get("last_payment") or {}).get("amount")
            if paid is not None and Decimal(paid) == last_payment:
                method = "last_payment"
            else:
                left = self.attempts[account] = left - 1
        if method:
            self.verified.add((call_id, account))
        return {
            "verified": bool(method),
            "method": method,
            "attempts_left": left,
            "locked": left <= 0,
            "locked_until": None,
        }

    async def balance(self, account: str, *, call_id: str, period: str | None = None) -> dict[str, Any]:
        self._maybe_fail("balance")
        self._need_verified(account, call_id)
        return self.balances[account]

    async def meters(self, account: str, *, call_id: str) -> list[dict[str, Any]]:
        self._maybe_fail("meters")
        self._need_verified(account, call_id)
        return self.meters_by_account[account]

    async def submit_reading(
        self, account: str, meter_id: int, value: Decimal, *, call_id: str
    ) -> dict[str, Any]:
        self._maybe_fail("submit_reading")
        self._need_verified(account, call_id)
        meter = next(m for m in self.meters_by_account[account] if m["id"] == meter_id)
        done = next((r for r in self.stored if r["meter_id"] == meter_id and r["call_id"] == call_id), None)
        if done:
            raise Rejected(409, "duplicate", "already stored in this call", done)
        if not 15 <= self.today.day <= 25:
            raise Rejected(
                422,
                "outside_window",
                "readings are taken 15th-25th",
                {
                    "window": {
                        "start": self.today.replace(day=15).isoformat(),
                        "end": self.today.replace(day=25).isoformat(),
                    }
                },
            )
        if date.fromisoformat(meter["verification_due"]) < self.today:
            raise Rejected(
                422,
                "verification_overdue",
                "meter past its verification date",
                {"verification_due": meter["verification_due"]},
            )
        previous = Decimal((meter["last_reading"] or {}).get("value", "0"))
        if value < previous:
            raise Rejected(422, "below_previous", "below the previous reading", {"previous": str(previous)})
        if value - previous > 30:
            raise Rejected(
                422,
                "implausible_use",
                "too much use",
                {"previous": str(previous), "max_expected": str(previous + 30)},
            )
        reading = {
            "id": len(self.stored) + 1,
            "meter_id": meter_id,
            "value": str(value),
            "previous": str(previous),
            "consumption": str(value - previous),
            "taken_at": self.today.isoformat(),
            "source": "ivr",
            "call_id": call_id,
        }
        self.stored.append(reading)
        return reading

    async def promotion(self) -> dict[str, Any] | None:
        self._maybe_fail("promotion")
        if not self.promotion_running:
            return None
        return {
            "id": 1,
            "name": "Хорошая привычка – твой Личный кабинет!",
            "starts_on": "2025-10-01",
            "ends_on": "2025-12-31",
            "territories": [0, 1, 2, 3, 4, 5, 6, 7, 8],
            "prize": "сертификат",
            "terms": [
                {
                    "topic": "participants",
                    "question": "Кто участвует?",
                    "answer": "Собственники и наниматели, вошедшие в личный кабинет за время акции.",
                },
                {
                    "topic": "registration",
                    "question": "Как участвовать?",
                    "answer": "Зарегистрируйтесь на сайте kuzro.ru, ссылка из письма действует 4 часа.",
                },
                {
                    "topic": "prize",
                    "question": "Какой приз?",
                    "answer": "Подарочный сертификат в магазин товаров для спорта и отдыха.",
                },
            ],
        }

    async def promotion_status(self, account: str, *, call_id: str) -> dict[str, Any]:
        self._maybe_fail("promotion_status")
        self._need_verified(account, call_id)
        if account == ACCOUNT:
            return {"participating": True, "reasons": ["territory_included", "registered_during_promotion"]}
        return {"participating": False, "reasons": ["territory_included", "not_registered"]}

    async def territories(self) -> list[dict[str, Any]]:
        self._maybe_fail("territories")
        return TERRITORIES

    async def start_call(self, call_id: str, *, caller: str | None, channel: str | None = None) -> None:
        self._maybe_fail("start_call")
        self.calls.setdefault(call_id, {"caller": caller, "transcript": [], "steps": []})

    async def update_call(
        self, call_id: str, *, account: str | None = None, step: str | None = None, outcome: str | None = None
    ) -> None:
        self._maybe_fail("update_call")
        call = self.calls[call_id]
        if account:
            call["account"] = account
        if step:
            call["steps"].append(step)

    async def add_transcript(self, call_id: str, speaker: str, text: str) -> None:
        self._maybe_fail("add_transcript")
        self.calls[call_id]["transcript"].append((speaker, text))

    async def end_call(self, call_id: str, *, outcome: str) -> None:
        self._maybe_fail("end_call")
        self.calls[call_id]["outcome"] = outcome

    async def escalate(
        self, call_id: str, *, reason: str, account: str | None, verified: bool, summary: str = ""
    ) -> dict[str, Any]:
        self._maybe_fail("escalate")
        escalation = {
            "id": len(self.escalations) + 1,
            "call_id": call_id,
            "reason": reason,
            "account": account,
            "verified": verified,
            "summary": summary,
            "status": "open",
            "transcript": list(self.calls.get(call_id, {}).get("transcript", [])),
        }
        self.escalations.append(escalation)
        return escalation
