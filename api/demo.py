"""Deterministic demo data: accounts in all ten territories, a year of charges and payments.

Why relative to today: the balance endpoint answers for the latest closed
month, readings are accepted in this month's window and the promotion must be
running, so the demo's twelve months end with last month. Everything else is
fixed by seeded randomness: the same month gives the same data, and a re-run
updates rows in place (the same upserts as the registry import).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from api.balance import add_months, latest_closed_month, month_start
from api.promotion_file import load_promotion_file, shipped_promotion_file, store_promotion
from api.reference import TERRITORIES
from api.registry import (
    upsert_account,
    upsert_charge,
    upsert_import_reading,
    upsert_meter,
    upsert_payment,
    upsert_penalty,
)
from speech.territories import territories

CENT = Decimal("0.01")
TARIFFS = {  # roubles per unit
    "waste": Decimal("135.48"),
    "cold_water": Decimal("45.60"),
    "hot_water": Decimal("210.80"),
    "electricity_day": Decimal("5.12"),
    "electricity_night": Decimal("2.76"),
    "heat": Decimal("2850.35"),
}
MONTHLY_USE = {  # typical household range per month
    "cold_water": (3, 8),
    "hot_water": (2, 5),
    "electricity_day": (120, 260),
    "electricity_night": (50, 120),
}
CHANNELS = ("Сбербанк Онлайн", "касса ЕРКЦ", "Почта России", "личный кабинет")
STREETS = (
    "ул. Ленина",
    "ул. Кирова",
    "ул. Советская",
    "ул. Горького",
    "пр. Строителей",
    "ул. Мира",
    "ул. Шахтёров",
    "ул. Пушкина",
)
MEN = (
    ("Иванов", "Сергей", "Петрович"),
    ("Кузнецов", "Алексей", "Иванович"),
    ("Смирнов", "Дмитрий", "Олегович"),
    ("Попов", "Николай", "Викторович"),
    ("Васильев", "Андрей", "Сергеевич"),
)
WOMEN = (
    ("Петрова", "Ольга", "Николаевна"),
    ("Соколова", "Людмила", "Леонидовна"),
    ("Морозова", "Елена", "Александровна"),
    ("Волкова", "Татьяна", "Юрьевна"),
    ("Лебедева", "Ирина", "Петровна"),
)


@dataclass
class DemoAccount:
    text: str
    owner: str
    address: str
    area: Decimal
    phones: list[str]
    pattern: str  # regular | debtor | overpayer | fixed (see `fill`)
    residents: int
    meters: list[tuple[str, str]] = field(default_factory=list)  # (service, serial)
    overdue_meter: str | None = None  # serial whose verification date has passed
    registered: str | None = None  # "during" | "before" | None (personal web account)
    heat: bool = False
    fixed_payment: Decimal | None = None


def demo_accounts() -> list[DemoAccount]:
    """The demo's accounts: the named ones the README lists, then two more per territory."""
    accounts = [
        DemoAccount(
            "001110011-7",
            "Иванова Мария Петровна",
            "г. Калтан, ул. Горького, д. 5, кв. 12",
            Decimal("42.70"),
            ["79001110011"],
            "fixed",
            2,
            [
                ("cold_water", "ХВ-100117"),
                ("hot_water", "ГВ-200117"),
                ("electricity_day", "ЭД-300117"),
                ("electricity_night", "ЭН-400117"),
            ],
            registered="during",
            fixed_payment=Decimal("729.51"),
        ),
        DemoAccount(
            "002220022-0",
            "Петров Сергей Николаевич",
            "г. Новокузнецк, ул. Кирова, д. 71, кв. 3",
            Decimal("54.10"),
            ["79002220022", "79002220023"],
            "debtor",
            3,
            [("cold_water", "ХВ-100220"), ("electricity_day", "ЭД-300220")],
            overdue_meter="ХВ-100220",
            heat=True,
        ),
        DemoAccount(
            "003330033-1",
            "Сидорова Анна Викторовна",
            "г. Прокопьевск, ул. Мира, д. 10, кв. 45",
            Decimal("61.30"),
            ["79003330033"],
            "overpayer",
            1,
            [("cold_water", "ХВ-100331")],
            registered="before",
        ),
        DemoAccount(
            "003330034-1",
            "Сидорова Анна Викторовна",
            "г. Прокопьевск, ул. Мира, д. 12, кв. 7",
            Decimal("33.00"),
            ["79003330033"],
            "regular",
            1,
            [("electricity_day", "ЭД-300341")],
            registered="during",
        ),
    ]
    patterns = ("regular", "debtor", "overpayer", "regular")
    for suffix in TERRITORIES:
        for i in range(2):
            rng = random.Random(f"demo-{suffix}-{i}")
            surname, name, patronymic = rng.choice(MEN if i == 0 else WOMEN)
            number = f"{rng.randint(100000, 999999):06d}{suffix}{i}{suffix}"
            meters = [("cold_water", f"ХВ-{number[-6:]}")] + (
                [("hot_water", f"ГВ-{number[-6:]}")] if i else []
            )
            accounts.append(
                DemoAccount(
                    f"{number}-{suffix}",
                    f"{surname} {name} {patronymic}",
                    f"{territories()[suffix].town}, {rng.choice(STREETS)}, д. {rng.randint(1, 90)}, "
                    f"кв. {rng.randint(1, 120)}",
                    Decimal(rng.randint(300, 900)) / 10,
                    [f"7913{rng.randint(1000000, 9999999)}"],
                    patterns[(suffix + i) % 4],
                    rng.randint(1, 4),
                    meters,
                    registered=("during", "before", None)[(suffix + i) % 3],
                    heat=(suffix + i) % 2 == 0,
                )
            )
    return accounts


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def fill(session: Session, today: date, tz: ZoneInfo) -> list[DemoAccount]:
    """Create or update the demo (no commit). Returns the accounts written."""
    last = latest_closed_month(today)
    periods = [add_months(last, -k) for k in range(11, -1, -1)]
    promo_start = add_months(month_start(today), -2)
    promo_end = add_months(month_start(today), 4) - timedelta(days=1)
    # the utility's own load path (hotline promotion load), with the shipped file and demo dates
    store_promotion(session, load_promotion_file(shipped_promotion_file(), starts_on=promo_start,
                                                 ends_on=promo_end))
    demo = demo_accounts()
    for spec in demo:
        rng = random.Random(spec.text)
        registered = {
            "during": promo_start + timedelta(days=rng.randint(0, max(0, (today - promo_start).days))),
            "before": promo_start - timedelta(days=rng.randint(30, 400)),
        }.get(spec.registered or "")
        opening = Decimal(rng.randint(800, 2500)) if spec.pattern == "debtor" else Decimal("0.00")
        account, _ = upsert_account(
            session,
            spec.text,
            owner_name=spec.owner,
            address=spec.address,
            area=spec.area,
            phones=spec.phones,
            web_registered_on=registered,
            e_receipt=spec.registered == "during",
            opening_balance=opening,
        )
        readings: dict[str, Decimal] = {}
        meters = {}
        for service, serial in spec.meters:
            due = date(today.year - 1, 6, 1) if serial == spec.overdue_meter else date(today.year + 4, 3, 1)
            meters[serial] = upsert_meter(session, account, service, serial, verification_due=due)[0]
            readings[serial] = Decimal(rng.randint(100, 900))
        balance = opening
        for k, period in enumerate(periods):
            total = Decimal("0.00")
            waste = _money(TARIFFS["waste"] * spec.residents)
            recalc = -_money(waste * Decimal("0.5")) if rng.random() < 0.08 else Decimal("0.00")
            upsert_charge(
                session,
                account,
                period,
                "waste",
                charged=waste,
                recalculation=recalc,
                tariff=TARIFFS["waste"],
                quantity=Decimal(spec.residents),
            )
            total += waste + recalc
            for service, serial in spec.meters:
                low, high = MONTHLY_USE[service]
                use = Decimal(rng.randint(low * 10, high * 10)) / 10
                readings[serial] += use
                upsert_charge(
                    session,
                    account,
                    period,
                    service,
                    charged=_money(use * TARIFFS[service]),
                    tariff=TARIFFS[service],
                    quantity=use,
                )
                total += _money(use * TARIFFS[service])
                taken = period.replace(day=20)
                if taken <= today:
                    at = datetime.combine(taken, time(12), tzinfo=tz).astimezone(UTC)
                    upsert_import_reading(session, meters[serial], readings[serial], at)
            if spec.heat and period.month in (1, 2, 3, 4, 10, 11, 12):
                gcal = (spec.area * Decimal("0.0195")).quantize(Decimal("0.001"))
                upsert_charge(
                    session,
                    account,
                    period,
                    "heat",
                    charged=_money(gcal * TARIFFS["heat"]),
                    tariff=TARIFFS["heat"],
                    quantity=gcal,
                )
                total += _money(gcal * TARIFFS["heat"])
            if spec.pattern == "debtor" and balance > 1000:
                fine = _money(balance * Decimal("0.0075"))
                upsert_penalty(session, account, period, fine)
                total += fine
            balance += total
            # "fixed" pays the bill on the 1st (so its latest payment is always on file), the last one
            # being the amount the README tells testers to answer with.
            pay_day = add_months(period, 1).replace(day=1 if spec.pattern == "fixed" else rng.randint(5, 20))
            if spec.pattern == "fixed":
                amount = spec.fixed_payment if period == last and spec.fixed_payment else total
            elif spec.pattern == "regular":
                amount = total
            elif spec.pattern == "overpayer":
                amount = Decimal((int(total) // 500 + 1) * 500)
            else:  # debtor: half, and nothing every third month
                amount = Decimal("0.00") if k % 3 == 2 else _money(total / 2)
            if amount > 0 and pay_day <= today:
                upsert_payment(
                    session,
                    account,
                    pay_day,
                    amount,
                    channel=CHANNELS[rng.randrange(len(CHANNELS))],
                    ref=f"demo-{spec.text}-{period:%Y%m}",
                )
                balance -= amount
    session.flush()
    return demo
