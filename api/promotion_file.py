"""A promotion as data the utility loads: a TOML file → validated → stored in the database.

Why a file: the promotion's terms and dates belong to the utility, not to the code. The shipped
file (`api/promotion.toml`) retells the regulation in seed 000 with its dates left blank, as the
regulation leaves them; `hotline promotion load FILE [--starts-on D --ends-on D]` checks a file and
stores it (`store_promotion`), and the demo loads the same file with demo dates. Each term carries
the section of the regulation it retells (`source`), which the API returns with the answer.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.models import Promotion, PromotionTerm, Territory
from api.reference import PROMOTION_TOPICS, TERRITORIES, russian_date

SHIPPED_FILE = Path(__file__).with_name("promotion.toml")


def shipped_promotion_file() -> Path:
    """The seed's promotion (dates blank), shipped with the API."""
    return SHIPPED_FILE


class PromotionFileError(ValueError):
    """A promotion file that cannot be loaded; the message says why in Russian and English."""


@dataclass(frozen=True)
class TermSpec:
    topic: str
    question: str
    answer: str
    source: str


@dataclass(frozen=True)
class TerritoryGroup:
    name: str
    suffixes: tuple[int, ...]
    source: str


@dataclass(frozen=True)
class PromotionSpec:
    name: str
    starts_on: date
    ends_on: date
    prize: str
    prize_source: str
    source: str
    territories: tuple[TerritoryGroup, ...]
    terms: tuple[TermSpec, ...]

    @property
    def suffixes(self) -> list[int]:
        return sorted({s for group in self.territories for s in group.suffixes})


def _error(ru: str, en: str) -> PromotionFileError:
    return PromotionFileError(f"{ru} / {en}")


def _text(data: dict[str, Any], key: str, where: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise _error(f"{where}: не заполнено поле «{key}»", f"{where}: {key} is missing or empty")
    return value.strip()


def _date(value: Any, key: str) -> date:
    label = {"starts_on": "дата начала акции", "ends_on": "дата окончания акции"}[key]
    if isinstance(value, date):
        return value
    if value in (None, ""):
        flag = "--" + key.replace("_", "-")
        raise _error(f"не указана {label} ({key}): заполните её в файле или задайте {flag}",
                     f"{key} is missing: fill it in the file or pass {flag}")
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise _error(f"{label} ({key}) «{value}» — не дата ГГГГ-ММ-ДД",
                     f"{key} {value!r} is not a date YYYY-MM-DD") from None


def parse_promotion(data: dict[str, Any], *, starts_on: date | None = None,
                    ends_on: date | None = None) -> PromotionSpec:
    """A promotion from the file's data, checked; dates given here replace the file's.
    PromotionFileError names the first problem found."""
    name = _text(data, "name", "акция / promotion")
    start = _date(starts_on or data.get("starts_on"), "starts_on")
    end = _date(ends_on or data.get("ends_on"), "ends_on")
    if start > end:
        raise _error(f"акция начинается ({start}) позже, чем заканчивается ({end})",
                     f"starts_on {start} is after ends_on {end}")
    prize = _text(data, "prize", "приз / prize")

    groups = data.get("territories")
    if not isinstance(groups, list) or not groups:
        raise _error("не указаны территории акции ([[territories]])", "no territories ([[territories]])")
    territories = []
    seen: set[int] = set()
    for i, group in enumerate(groups, 1):
        where = f"территория {i} / territory {i}"
        if not isinstance(group, dict):
            raise _error(f"{where}: ожидается таблица", f"{where}: expected a table")
        suffixes = group.get("suffixes")
        if not isinstance(suffixes, list) or not suffixes:
            raise _error(f"{where}: не указаны суффиксы (suffixes)", f"{where}: suffixes are missing")
        for suffix in suffixes:
            if isinstance(suffix, bool) or not isinstance(suffix, int) or suffix not in TERRITORIES:
                raise _error(f"{where}: неизвестный суффикс территории {suffix!r} (известны 0–9)",
                             f"{where}: unknown territory suffix {suffix!r} (known: 0-9)")
            if suffix in seen:
                raise _error(f"{where}: суффикс {suffix} указан дважды",
                             f"{where}: suffix {suffix} given twice")
            seen.add(suffix)
        territories.append(TerritoryGroup(_text(group, "name", where), tuple(suffixes),
                                          str(group.get("source") or "")))

    terms = []
    topics: set[str] = set()
    for i, term in enumerate(data.get("terms") or [], 1):
        where = f"условие {i} / term {i}"
        if not isinstance(term, dict):
            raise _error(f"{where}: ожидается таблица", f"{where}: expected a table")
        topic = _text(term, "topic", where)
        if topic not in PROMOTION_TOPICS:
            raise _error(f"{where}: неизвестная тема «{topic}» (известны: {', '.join(PROMOTION_TOPICS)})",
                         f"{where}: unknown topic {topic!r} (known: {', '.join(PROMOTION_TOPICS)})")
        if topic in topics:
            raise _error(f"{where}: тема «{topic}» указана дважды", f"{where}: topic {topic!r} given twice")
        topics.add(topic)
        try:
            answer = _text(term, "answer", where).format(starts_on=russian_date(start),
                                                         ends_on=russian_date(end))
        except (KeyError, IndexError, ValueError) as exc:
            raise _error(f"{where}: неизвестная подстановка {exc} в ответе (есть {{starts_on}}, {{ends_on}})",
                         f"{where}: bad placeholder {exc} in the answer (known: {{starts_on}}, {{ends_on}})"
                         ) from None
        terms.append(TermSpec(topic, str(term.get("question") or "").strip(), answer,
                              _text(term, "source", where)))
    if not terms:
        raise _error("нет ни одного условия акции ([[terms]])", "no terms ([[terms]])")
    return PromotionSpec(name, start, end, prize, str(data.get("prize_source") or ""),
                         str(data.get("source") or ""), tuple(territories), tuple(terms))


def load_promotion_file(path: Path, *, starts_on: date | None = None,
                        ends_on: date | None = None) -> PromotionSpec:
    """Read and check a promotion TOML file (see api/promotion.toml)."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise _error(f"не удалось прочитать файл: {exc.strerror or exc}",
                     f"cannot read the file: {exc.strerror or exc}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise _error(f"файл не в формате TOML: {exc}", f"not a TOML file: {exc}") from exc
    return parse_promotion(data, starts_on=starts_on, ends_on=ends_on)


def store_promotion(session: Session, spec: PromotionSpec) -> Promotion:
    """Insert or replace the promotion of that name (terms, territories, dates, prize); no commit."""
    promo = session.scalar(select(Promotion).where(Promotion.name == spec.name))
    if promo is None:
        promo = Promotion(name=spec.name)
        session.add(promo)
    promo.starts_on, promo.ends_on, promo.prize = spec.starts_on, spec.ends_on, spec.prize
    wanted = set(spec.suffixes)
    promo.territories = [t for t in session.scalars(select(Territory).order_by(Territory.suffix))
                         if t.suffix in wanted]
    missing = wanted - {t.suffix for t in promo.territories}
    if missing:  # the reference data was not written: api.db.upgrade does that
        raise _error(f"в базе нет территорий {sorted(missing)}",
                     f"territories {sorted(missing)} are not in the database")
    promo.terms = [
        PromotionTerm(position=i, topic=t.topic, question=t.question, answer=t.answer, source=t.source)
        for i, t in enumerate(spec.terms)
    ]
    session.flush()
    return promo
