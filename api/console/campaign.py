"""The debt reminder campaign for operators: today's calls by band and outcome, with a chart, the
promises to pay and the «я уже оплатил» to check.

Why a page: the dialer and the reminder dialog write outcomes all day (api.campaigns); the
operators follow up promises and claimed payments, and the managers watch the day's progress
against the seed's 400 accounts.
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from api import campaigns
from api.console import figures, texts
from api.console.web import OperatorUser, render
from api.deps import SessionDep, now, settings_of

router = APIRouter(prefix="/campaign")


def band_name(band: int | None) -> str:
    if band is None:
        return "вне диапазонов"
    lower, upper = campaigns.DEFAULT_BANDS[band]
    return f"свыше {lower:,.0f} ₽".replace(",", " ") if upper is None else \
        f"{lower:,.0f}–{upper:,.0f} ₽".replace(",", " ")


@router.get("", include_in_schema=False)
def campaign_page(request: Request, session: SessionDep, user: OperatorUser):
    zone = settings_of(request).zone
    day = now(request).astimezone(zone).date()
    report = campaigns.day_report(session, day, zone)
    progress = campaigns.band_outcomes(session, day, zone)
    bands = sorted(progress, key=lambda b: (b is None, b or 0))
    outcomes = sorted(report.outcomes.items(), key=lambda item: -item[1])
    chart = figures.horizontal_bars([(texts.label(texts.DEBT_OUTCOMES, o), n) for o, n in outcomes])
    return render(
        request, "campaign.html", user, day=day, report=report, calls=sum(report.outcomes.values()),
        rows=[(band_name(b), progress[b]) for b in bands], outcome_names=[o for o, _ in outcomes],
        chart=chart, daily_total=campaigns.DEFAULT_DAILY_TOTAL,
    )
