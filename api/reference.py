"""Reference data from the customer's documents: territories, offices, services, promotion terms.

Source: seed 000 (the promotion regulation of ООО «ЭкоТек»): the suffix table
(appendix 3, step 2) and the offices and their hours (section 3.3.4); the promotion's
terms are data the utility loads (api/promotion.toml, api/promotion_file.py). Where 3.3.4 groups
territories, the office that serves the group serves every suffix in it:
Калтан (7) and Осинники (6) → the Осинники office; Краснобродский (3) goes
with Киселевск (2) (group 5 of section 1.2) → the Киселевск office; Шерегеш (9)
lies in the Таштагол district → the Таштагол office.
Written into the database by `ensure_reference` (idempotent; also re-applies
corrections made here).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.models import Office, OfficeHours, Promotion, Service, Territory
from speech.russian import MONTHS_GENITIVE
from speech.territories import territories

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MON_TUE_THU_FRI = ("mon", "tue", "thu", "fri")


@dataclass(frozen=True)
class Hours:
    days: tuple[str, ...]
    open: str
    close: str
    lunch: tuple[str, str] | None


@dataclass(frozen=True)
class OfficeInfo:
    key: str
    city: str
    address: str
    hours: tuple[Hours, ...]


LUNCH_12 = ("12:00", "13:00")

OFFICES: dict[str, OfficeInfo] = {
    o.key: o
    for o in (
        OfficeInfo(
            "novokuznetsk",
            "Новокузнецк",
            "г. Новокузнецк, ул. Металлургов, 48",
            (Hours(MON_TUE_THU_FRI, "08:30", "17:00", LUNCH_12),),
        ),
        OfficeInfo(
            "prokopyevsk",
            "Прокопьевск",
            "г. Прокопьевск, ул. Институтская, 9А",
            (Hours(MON_TUE_THU_FRI, "08:30", "18:00", None),),
        ),
        OfficeInfo(
            "kiselyovsk",
            "Киселевск",
            "г. Киселевск, ул. Транспортная, 54",
            (Hours(MON_TUE_THU_FRI, "09:00", "18:00", ("12:30", "13:30")),),
        ),
        # The seed gives the lunch break in the Mon/Tue/Thu sentence only; Friday is a short day.
        OfficeInfo(
            "myski",
            "Мыски",
            "г. Мыски, ул. Восточная, 6",
            (
                Hours(("mon", "tue", "thu"), "08:30", "18:00", LUNCH_12),
                Hours(("fri",), "08:30", "16:00", None),
            ),
        ),
        OfficeInfo(
            "mezhdurechensk",
            "Междуреченск",
            "г. Междуреченск, ул. Гончаренко, 4а, 2 этаж",
            (Hours(MON_TUE_THU_FRI, "08:30", "17:30", LUNCH_12),),
        ),
        OfficeInfo(
            "osinniki",
            "Осинники",
            "г. Осинники, Зеленый переулок, 16",
            (Hours(MON_TUE_THU_FRI, "08:30", "17:30", LUNCH_12),),
        ),
        OfficeInfo(
            "tashtagol",
            "Таштагол",
            "г. Таштагол, ул. Поспелова, 5А",
            (Hours(MON_TUE_THU_FRI, "08:30", "17:30", LUNCH_12),),
        ),
    )
}

# Which office serves each territory suffix (section 3.3.4, grouped as the docstring says); the
# territories themselves (suffix ↔ name) are the one table in speech/territories.toml.
OFFICE_FOR_SUFFIX: dict[int, str] = {
    0: "novokuznetsk",
    1: "prokopyevsk",
    2: "kiselyovsk",
    3: "kiselyovsk",
    4: "myski",
    5: "mezhdurechensk",
    6: "osinniki",
    7: "osinniki",
    8: "tashtagol",
    9: "tashtagol",
}

# suffix → (territory name as in the seed's suffix table, office key)
TERRITORIES: dict[int, tuple[str, str]] = {
    suffix: (territory.name, OFFICE_FOR_SUFFIX[suffix]) for suffix, territory in territories().items()
}

# code → (name the robot reads out, unit)
SERVICES: dict[str, tuple[str, str]] = {
    "waste": ("обращение с ТКО", "чел."),
    "cold_water": ("холодная вода", "м³"),
    "hot_water": ("горячая вода", "м³"),
    "electricity_day": ("электроэнергия, день", "кВт·ч"),
    "electricity_night": ("электроэнергия, ночь", "кВт·ч"),
    "gas": ("газ", "м³"),
    "heat": ("отопление", "Гкал"),
}
METERED_SERVICES = ("cold_water", "hot_water", "electricity_day", "electricity_night", "gas", "heat")

# The promotion itself is data: api/promotion.toml (see api/promotion_file.py).
PROMOTION_TOPICS = (
    "participants",
    "territories",
    "period",
    "registration",
    "prize",
    "draw",
    "collect",
    "unclaimed",
)


def russian_date(d: date) -> str:
    """"1 июня 2025 года", as the promotion's written answers give a date."""
    return f"{d.day} {MONTHS_GENITIVE[d.month - 1]} {d.year} года"


def ensure_reference(session: Session) -> None:
    """Insert or correct offices, territories and services (idempotent)."""
    offices_by_address = {o.address: o for o in session.scalars(select(Office))}
    office_for_key: dict[str, Office] = {}
    for info in OFFICES.values():
        office = offices_by_address.get(info.address)
        if office is None:
            office = Office(city=info.city, address=info.address)
            session.add(office)
        office.city = info.city
        wanted = [(",".join(h.days), h.open, h.close, *(h.lunch or (None, None))) for h in info.hours]
        have = [(h.days, h.opens, h.closes, h.break_start, h.break_end) for h in office.hours]
        if have != wanted:
            office.hours = [
                OfficeHours(position=i, days=d, opens=o, closes=c, break_start=bs, break_end=be)
                for i, (d, o, c, bs, be) in enumerate(wanted)
            ]
        office_for_key[info.key] = office
    session.flush()
    territories = {t.suffix: t for t in session.scalars(select(Territory))}
    for suffix, (name, office_key) in TERRITORIES.items():
        territory = territories.get(suffix) or Territory(suffix=suffix)
        territory.name = name
        territory.office = office_for_key[office_key]
        session.add(territory)
    services = {s.code: s for s in session.scalars(select(Service))}
    for code, (name, unit) in SERVICES.items():
        service = services.get(code) or Service(code=code)
        service.name, service.unit = name, unit
        session.add(service)
    session.flush()


def ensure_promotion(session: Session, starts_on: date, ends_on: date) -> Promotion:
    """The shipped promotion file (seed 000's terms) stored with the given dates: the same load
    path as `hotline promotion load` (idempotent by name). Used by the demo and tests."""
    from api.promotion_file import load_promotion_file, shipped_promotion_file, store_promotion

    spec = load_promotion_file(shipped_promotion_file(), starts_on=starts_on, ends_on=ends_on)
    return store_promotion(session, spec)
