"""Today's figures for the live page: calls, how they ended, the robot's share, escalation reasons.

"Today" is the local day in HOTLINE_TIMEZONE. Each finished call falls in one
group by the outcome the dialogs stored (`OUTCOME_GROUP`); only `completed`
(a real goodbye, or a hang-up at "anything else?" after a finished task) counts
as resolved by the robot. A caller who hung up mid-task, a night caller who
wanted an operator, a callback request, a transfer are not resolved by the
robot. Calls still going on are in no group and not in the share.

The chart geometry is computed here (plain numbers), the SVG is drawn by the
template `_charts.html`: no chart library, nothing to load.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from api.models import Call, Escalation
from api.services.escalations import CALLBACK_REASON

# A call still "in progress" after this long has lost its end (the IVR restarted): not shown as live.
STALE_GRACE = timedelta(minutes=2)


# The dialogs' call outcomes → the groups the figures show (texts.OUTCOME_GROUPS names them).
OUTCOME_GROUP = {
    "completed": "robot",
    "operator": "operator",
    "callback": "callback",
    "hangup": "hangup",
    "operator_closed": "operators_closed",
    "operator_failed": "operator_failed",
    "service_error": "failure",
    "time_limit": "failure",
    "busy": "failure",
    "shutdown": "failure",
}
GROUP_ORDER = (
    "robot",
    "operator",
    "callback",
    "hangup",
    "operators_closed",
    "operator_failed",
    "failure",
    "other",
)


@dataclass(frozen=True)
class Today:
    calls: int
    active: int
    finished: int
    resolved_by_robot: int
    escalated: int
    callbacks: int
    reasons: list[tuple[str, int]]  # most frequent first
    per_hour: list[int] = field(default_factory=lambda: [0] * 24)
    outcomes: dict[str, int] = field(default_factory=dict)  # group → finished calls, every group

    @property
    def outcome_rows(self) -> list[tuple[str, int]]:
        """(group, count) in the fixed order; groups with no call today left out."""
        return [(group, self.outcomes.get(group, 0)) for group in GROUP_ORDER if self.outcomes.get(group)]

    @property
    def robot_share(self) -> int | None:
        """Per cent of finished calls resolved by the robot (None before the first one ends)."""
        return round(100 * self.resolved_by_robot / self.finished) if self.finished else None


def day_bounds(at: datetime, tz: ZoneInfo) -> tuple[datetime, datetime]:
    local_day = at.astimezone(tz).date()
    start = datetime.combine(local_day, time(0), tzinfo=tz)
    return start, start + timedelta(days=1)


def today(session: Session, at: datetime, tz: ZoneInfo) -> Today:
    start, end = day_bounds(at, tz)
    calls = session.execute(
        select(Call.id, Call.started_at, Call.ended_at, Call.outcome).where(
            Call.started_at >= start, Call.started_at < end
        )
    ).all()
    escalations = session.execute(
        select(Escalation.call_id, Escalation.reason).where(
            Escalation.created_at >= start, Escalation.created_at < end
        )
    ).all()
    escalated_calls = {call_id for call_id, reason in escalations if reason != CALLBACK_REASON}
    finished = [c for c in calls if c.ended_at is not None]
    outcomes = Counter(OUTCOME_GROUP.get(c.outcome or "", "other") for c in finished)
    per_hour = [0] * 24
    for c in calls:
        per_hour[c.started_at.astimezone(tz).hour] += 1
    reasons = Counter(reason for _, reason in escalations).most_common()
    return Today(
        calls=len(calls),
        active=sum(1 for c in calls if c.ended_at is None),
        finished=len(finished),
        resolved_by_robot=outcomes["robot"],
        escalated=len(escalated_calls),
        callbacks=len({call_id for call_id, reason in escalations if reason == CALLBACK_REASON}),
        reasons=sorted(reasons, key=lambda item: (-item[1], item[0])),
        per_hour=per_hour,
        outcomes=dict(outcomes),
    )


def live_calls(session: Session, at: datetime, max_call_seconds: int) -> list[Call]:
    """Calls in progress, newest first, with their transcript (for the last line said)."""
    since = at - timedelta(seconds=max_call_seconds) - STALE_GRACE
    return list(
        session.scalars(
            select(Call)
            .where(Call.ended_at.is_(None), Call.started_at >= since)
            .options(selectinload(Call.lines))
            .order_by(Call.started_at.desc(), Call.id)
        )
    )


def handed_over(session: Session, call_ids: list[str]) -> dict[str, Escalation]:
    """The latest escalation of each of these calls that is not closed yet: who has it, if anyone."""
    if not call_ids:
        return {}
    rows = session.scalars(
        select(Escalation)
        .where(
            Escalation.call_id.in_(call_ids),
            Escalation.status != "closed",
            Escalation.reason != CALLBACK_REASON,  # a callback request waits for no one on the line
        )
        .order_by(Escalation.created_at, Escalation.id)
    )
    return {esc.call_id: esc for esc in rows}


# ---------------------------------------------------------------- chart geometry


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: list[Bar]


def horizontal_bars(items: list[tuple[str, int]], *, width: int = 520, label_width: int = 200) -> Chart:
    """One row per item, bar length proportional to the value (the largest fills the row)."""
    row, gap, top = 24, 8, 4
    room = width - label_width - 40  # space for the count after the bar
    peak = max((v for _, v in items), default=0) or 1
    bars = [
        Bar(label, value, label_width, top + i * (row + gap), max(2.0, room * value / peak), row)
        for i, (label, value) in enumerate(items)
    ]
    return Chart(width, top + len(items) * (row + gap) + 4, bars)


def columns(values: list[int], labels: list[str], *, width: int = 520, height: int = 170) -> Chart:
    """One column per value over a baseline; room below for labels, above for counts."""
    bottom, top = 22, 16
    plot = height - bottom - top
    slot = width / max(1, len(values))
    peak = max(values, default=0) or 1
    bars = []
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        h = plot * value / peak
        bars.append(Bar(label, value, i * slot + slot * 0.15, top + plot - h, slot * 0.7, h))
    return Chart(width, height, bars)
