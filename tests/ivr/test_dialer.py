"""The debt reminder dialer with a frozen clock and a fake Asterisk: never outside the law's hours,
never over the limits or the per-day total, lines used at most `concurrency` at once, busy and
unanswered numbers tried again at other hours of the same day, a clean stop.

Residents behave as people do: some pick up and talk a while, some are on another call (busy),
some do not pick up; one said «не звоните мне» on an earlier call.
"""

from __future__ import annotations

import asyncio
import shutil
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session, sessionmaker

from api import campaigns
from api.campaigns import Debtor, Limits
from api.models import DebtContact, DebtOptOut
from ivr.campaign_run import DatabaseBook
from ivr.dialer import REMINDER_CONTEXT, Dialer, DialerSettings
from telephony.ami import AmiEvent

ZONE = ZoneInfo("Asia/Novokuznetsk")
THURSDAY = datetime(2025, 11, 20, 10, 0, tzinfo=ZONE)
SATURDAY = datetime(2025, 11, 22, 8, 30, tzinfo=ZONE)
CALLER_ID = "Водоканал <73843000000>"


class Clock:
    """The frozen clock: time moves only when the dialer sleeps (and by a call's length)."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)
        await asyncio.sleep(0)


class Residents:
    """A fake Asterisk: each number answers, is busy or does not pick up, as scripted per attempt."""

    REASONS = {"busy": "5", "no_answer": "3"}

    def __init__(self, clock: Clock, behaviour: dict[str, list[str]], talk_seconds: float = 120):
        self.clock = clock
        self.behaviour = behaviour
        self.talk = talk_seconds
        self.listeners: list = []
        self.calls: list[dict] = []  # every Originate, with the clock's time
        self.up = 0
        self.most_up = 0

    def add_listener(self, listener):
        self.listeners.append(listener)
        return lambda: self.listeners.remove(listener)

    def _send(self, name: str, **fields: str) -> None:
        for listener in list(self.listeners):
            listener(AmiEvent(name, fields))

    async def originate(self, channel, *, context=None, exten=None, caller_id=None, variables=None,
                        timeout_ms=30000, action_id=None):
        number = channel.split("/")[1].split("@")[0]
        self.calls.append(dict(at=self.clock(), number=number, channel=channel, context=context,
                               caller_id=caller_id, variables=dict(variables or {})))
        script = self.behaviour.get(number, ["answer"])
        does = script.pop(0) if len(script) > 1 else script[0]
        contact = variables["HOTLINE_DEBT_CONTACT"]
        asyncio.get_running_loop().create_task(self._answer(does, action_id, contact))

    async def _answer(self, does: str, action_id: str, contact: str) -> None:
        await asyncio.sleep(0.001)
        if does != "answer":
            self._send("OriginateResponse", ActionID=action_id, Response="Failure", Reason=self.REASONS[does])
            return
        self._send("OriginateResponse", ActionID=action_id, Response="Success", Reason="4")
        self.up += 1
        self.most_up = max(self.most_up, self.up)
        await asyncio.sleep(0.01)  # the reminder dialog talks
        self.up -= 1
        self._send("UserEvent", UserEvent="HotlineDebtCall", Contact=contact, Status="ended")


class Book:
    """The campaign's records in memory (the database's are `DatabaseBook`, tested below)."""

    def __init__(self, limits: Limits, refused=(), contacted=(), dialled_today=0):
        self.limits = limits
        self.refused = set(refused)
        self.contacted = set(contacted)  # accounts already reached today
        self.dialled = dialled_today
        self.contacts: list[list] = []

    def why_not_call(self, account, phone, local_now):
        if not self.limits.may_call_at(local_now):
            return "hours"
        if phone in self.refused:
            return "opted_out"
        return "limit_day" if account in self.contacted else None

    def start_contact(self, account, phone, at):
        self.contacts.append([account, phone, at, "dialling"])
        return len(self.contacts)

    def finish_contact(self, contact_id, outcome, at):
        self.contacts[contact_id - 1][2:] = [at, outcome]

    def accounts_dialled_today(self, local_now):
        return self.dialled


def debtors(count: int, band: int = 0) -> list[Debtor]:
    return [
        Debtor(f"00{i:07d}-{i % 10}", Decimal("120000") - i, band, (f"7900{i:07d}",)) for i in range(count)
    ]


async def _direct(fn, *args):
    return fn(*args)


def make(clock: Clock, behaviour=None, book=None, **settings):
    limits = Limits()
    residents = Residents(clock, behaviour or {})
    book = book or Book(limits)
    dialer = Dialer(DialerSettings(caller_id=CALLER_ID, dial="PJSIP/{number}@provider", **settings), book,
                    residents, limits=limits, clock=clock, sleep=clock.sleep, run_blocking=_direct)
    return dialer, residents, book


async def test_calls_wait_for_the_laws_hours_and_show_the_utilitys_number():
    clock = Clock(THURSDAY.replace(hour=6, minute=30))
    dialer, residents, book = make(clock)
    report = await dialer.run(debtors(3), asyncio.Event())
    assert [c["at"] for c in residents.calls] == [THURSDAY.replace(hour=8, minute=0)] * 3
    call = residents.calls[0]
    assert call["caller_id"] == CALLER_ID
    assert call["context"] == REMINDER_CONTEXT
    assert call["variables"] == {"HOTLINE_DEBT_CONTACT": "1", "HOTLINE_DEBT_ACCOUNT": "000000000-0",
                                 "HOTLINE_DEBT_PHONE": "79000000000"}
    assert report.placed == 3 and report.outcomes == {(0, "answered"): 3}


async def test_on_a_saturday_the_first_call_waits_until_nine():
    clock = Clock(SATURDAY)
    dialer, residents, _ = make(clock)
    await dialer.run(debtors(1), asyncio.Event())
    assert residents.calls[0]["at"] == SATURDAY.replace(hour=9, minute=0)


async def test_after_the_days_window_nobody_is_called():
    clock = Clock(THURSDAY.replace(hour=22, minute=0))
    dialer, residents, _ = make(clock)
    report = await dialer.run(debtors(2), asyncio.Event())
    assert residents.calls == [] and report.stopped_by == "hours"


async def test_the_limits_are_checked_again_at_dial_time():
    clock = Clock(THURSDAY)
    people = debtors(3)
    book = Book(Limits(), refused={people[1].phones[0]}, contacted={people[2].account})
    dialer, residents, _ = make(clock, book=book)
    report = await dialer.run(people, asyncio.Event())
    assert [c["number"] for c in residents.calls] == [people[0].phones[0]]
    assert report.skipped == {"opted_out": 1, "limit_day": 1}


async def test_the_per_day_total_counts_accounts_dialled_in_earlier_runs():
    clock = Clock(THURSDAY)
    dialer, residents, _ = make(clock, book=Book(Limits(), dialled_today=398), daily_total=400)
    report = await dialer.run(debtors(5), asyncio.Event())
    assert len(residents.calls) == 2
    assert report.skipped == {"over_daily_total": 3} and report.stopped_by == "daily_total"


async def test_no_more_lines_than_the_concurrency_limit_and_highest_band_first():
    clock = Clock(THURSDAY)
    people = debtors(4, band=2) + debtors(6, band=0)[4:]  # the plan's order: the caller sorts
    plan = sorted(people, key=lambda d: d.band)
    dialer, residents, _ = make(clock, concurrency=3)
    report = await dialer.run(plan, asyncio.Event())
    assert residents.most_up == 3 and report.placed == 6
    first = [c["variables"]["HOTLINE_DEBT_ACCOUNT"] for c in residents.calls][:2]
    assert first == [d.account for d in plan[:2]]


async def test_busy_and_unanswered_numbers_are_tried_again_at_other_hours_until_the_attempts_run_out():
    clock = Clock(THURSDAY)
    busy, silent, answers = debtors(3)
    behaviour = {busy.phones[0]: ["busy"], silent.phones[0]: ["no_answer", "answer"]}
    dialer, residents, book = make(clock, behaviour, attempts=3, retry_after=timedelta(hours=2))
    report = await dialer.run([busy, silent, answers], asyncio.Event())
    at = {n: [c["at"].hour for c in residents.calls if c["number"] == n] for n in behaviour}
    assert at == {busy.phones[0]: [10, 12, 14], silent.phones[0]: [10, 12]}
    assert report.outcomes == {(0, "busy"): 3, (0, "no_answer"): 1, (0, "answered"): 2}
    assert [c[3] for c in book.contacts if c[1] == busy.phones[0]] == ["busy"] * 3


async def test_no_retry_past_the_end_of_the_days_window():
    clock = Clock(THURSDAY.replace(hour=20, minute=30))
    (silent,) = debtors(1)
    dialer, residents, _ = make(clock, {silent.phones[0]: ["no_answer"]}, retry_after=timedelta(hours=2))
    report = await dialer.run([silent], asyncio.Event())
    assert len(residents.calls) == 1 and report.retries == []


async def test_a_stop_places_no_new_call_and_lets_the_calls_up_finish():
    clock = Clock(THURSDAY)
    stop = asyncio.Event()
    dialer, residents, _ = make(clock, concurrency=1)
    original = residents.originate

    async def originate_then_stop(*args, **keys):
        await original(*args, **keys)
        stop.set()  # Ctrl+C while the first resident talks

    residents.originate = originate_then_stop
    report = await dialer.run(debtors(5), stop)
    assert len(residents.calls) == 1 and report.stopped_by == "stop"
    assert report.outcomes == {(0, "answered"): 1}


async def test_a_dry_run_rings_nobody():
    clock = Clock(THURSDAY)
    dialer, residents, book = make(clock, daily_total=2)
    report = await dialer.run(debtors(5), asyncio.Event(), dry_run=True)
    assert residents.calls == [] and book.contacts == [] and report.placed == 2


# --- the same rules on the account database (api.campaigns, through DatabaseBook) ---------------------

@pytest.fixture
def sessions(demo_template, tmp_path):
    path = tmp_path / "demo.db"
    shutil.copy(demo_template, path)
    engine = create_engine(f"sqlite:///{path}")
    yield sessionmaker(engine, expire_on_commit=False)
    engine.dispose()


async def test_on_the_database_a_refusal_opts_the_number_out_and_a_busy_line_does_not(sessions):
    from tests.dialogs.demo_api import DEBTOR

    book = DatabaseBook(sessions, Limits())
    with sessions() as session:
        plan = campaigns.plan(session, THURSDAY)
    (debtor,) = [d for d in plan.debtors if d.account == DEBTOR]
    phone = debtor.phones[0]
    assert book.why_not_call(DEBTOR, phone, THURSDAY) is None
    assert book.why_not_call(DEBTOR, phone, THURSDAY.replace(hour=23)) == "hours"
    busy = book.start_contact(DEBTOR, phone, THURSDAY)
    book.finish_contact(busy, "busy", THURSDAY)
    assert book.why_not_call(DEBTOR, phone, THURSDAY + timedelta(hours=2)) is None
    assert book.accounts_dialled_today(THURSDAY) == 1
    refused = book.start_contact(DEBTOR, phone, THURSDAY + timedelta(hours=2))
    book.finish_contact(refused, "refused", THURSDAY + timedelta(hours=2))
    assert book.why_not_call(DEBTOR, phone, THURSDAY + timedelta(days=1)) == "opted_out"
    with Session(sessions.kw["bind"]) as session:
        outcomes = session.scalars(select(DebtContact.outcome).order_by(DebtContact.id)).all()
        assert outcomes == ["busy", "refused"]
        assert session.get(DebtOptOut, phone).reason == "refused"


async def test_on_the_database_a_confirmed_contact_today_blocks_a_second_one(sessions):
    from tests.dialogs.demo_api import DEBTOR

    book = DatabaseBook(sessions, Limits())
    with sessions() as session:
        phone = next(d for d in campaigns.plan(session, THURSDAY).debtors if d.account == DEBTOR).phones[0]
    contact = book.start_contact(DEBTOR, phone, THURSDAY)
    book.finish_contact(contact, "confirmed", THURSDAY + timedelta(minutes=3))
    assert book.why_not_call(DEBTOR, phone, THURSDAY + timedelta(hours=3)) == "limit_day"


async def test_a_dry_run_after_the_days_window_would_call_nobody():
    clock = Clock(THURSDAY.replace(hour=22, minute=30))
    dialer, residents, _ = make(clock)
    report = await dialer.run(debtors(3), asyncio.Event(), dry_run=True)
    assert report.placed == 0 and report.stopped_by == "hours" and residents.calls == []


async def test_the_days_report_lists_outcomes_open_promises_and_payments_to_check(sessions):
    from datetime import date

    from tests.dialogs.demo_api import DEBTOR

    book = DatabaseBook(sessions, Limits())
    with sessions() as session:
        phone = next(d for d in campaigns.plan(session, THURSDAY).debtors if d.account == DEBTOR).phones[0]
    busy = book.start_contact(DEBTOR, phone, THURSDAY)
    book.finish_contact(busy, "busy", THURSDAY)
    promised = book.start_contact(DEBTOR, phone, THURSDAY + timedelta(hours=2))
    with sessions.begin() as session:
        campaigns.finish_contact(session, promised, "promised", THURSDAY + timedelta(hours=2),
                                 promised_on=date(2025, 11, 25))
    with sessions() as session:
        report = campaigns.day_report(session, THURSDAY.date(), ZONE)
        assert report.outcomes == {"busy": 1, "promised": 1}
        assert report.promises == [(DEBTOR, phone, date(2025, 11, 25))] and report.paid == []
        assert campaigns.day_report(session, date(2025, 11, 26), ZONE).promises == []
