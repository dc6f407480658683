"""Live calls with their dialog step, and today's figures with two small charts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from api.console import figures, texts
from api.console.web import OperatorUser, render
from api.deps import SessionDep, now, settings_of
from api.models import Call

router = APIRouter(prefix="/calls")
CallId = Annotated[str, Path(min_length=1, max_length=64)]


def _context(request: Request, session) -> dict:
    settings = settings_of(request)
    at = now(request)
    day = figures.today(session, at, settings.zone)
    reasons = [(texts.label(texts.REASONS, reason), count) for reason, count in day.reasons]
    outcome_rows = day.outcome_rows
    outcomes = [(texts.label(texts.OUTCOME_GROUPS, group), count) for group, count in outcome_rows]
    hours = [f"{h:02d}" if h % 3 == 0 else "" for h in range(24)]
    calls = figures.live_calls(session, at, settings.max_call_seconds)
    return {
        "day": day,
        "calls": calls,
        "handed_over": figures.handed_over(session, [c.id for c in calls]),
        "reasons_chart": figures.horizontal_bars(reasons),
        "outcomes_chart": figures.horizontal_bars(outcomes),
        "outcome_groups": [group for group, _ in outcome_rows],
        "hours_chart": figures.columns(day.per_hour, hours),
        "seconds_since": lambda started: max(0, int((at - started).total_seconds())),
    }


@router.get("", include_in_schema=False)
def calls_page(request: Request, session: SessionDep, user: OperatorUser):
    return render(request, "calls.html", user, **_context(request, session))


@router.get("/live", include_in_schema=False)
def live_fragment(request: Request, session: SessionDep, user: OperatorUser):
    return render(request, "_live.html", user, **_context(request, session))


@router.get("/{call_id}/panel", include_in_schema=False)
def call_panel(request: Request, call_id: CallId, session: SessionDep, user: OperatorUser):
    call = session.scalar(select(Call).where(Call.id == call_id).options(selectinload(Call.lines)))
    return render(request, "_call.html", user, call=call, status_code=200 if call else 404)
