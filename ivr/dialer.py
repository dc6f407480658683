"""The debt reminder dialer: today's plan placed as calls through AMI Originate, within the law.

Why its own module: placing calls is a loop of timing decisions (the law's hours, the per-day
total, how many lines at once, when to try a busy number again) that must be testable with a
frozen clock and a fake Asterisk. Who may be called and what counts as a contact are
`api.campaigns`' rules (one home); this module asks them through a `CampaignBook` just before
each dial, because the plan may be hours old and a debtor may have said «не звоните» since.

A call: the contact's row is opened (`dialling`), Asterisk rings the number with the caller ID
shown; an answered call continues in the `debt-reminder` dialplan context, which hands it to
the IVR with the contact's id and account as channel variables, and the reminder dialog writes
the outcome. A call that is not answered ends here: `OriginateResponse`'s Reason says no
answer or busy, the outcome is written and, if the law's window and the attempts allow, the
number is tried again later the same day.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from api.campaigns import Debtor, Limits
from telephony.ami import AmiEvent

log = logging.getLogger(__name__)

REMINDER_CONTEXT = "debt-reminder"  # telephony/asterisk/extensions.conf
ACTION_PREFIX = "hotline-debt-"
ENDED_EVENT = "HotlineDebtCall"  # the context's hangup handler: the answered call is over
# OriginateResponse's Reason (Asterisk's AST_CONTROL_*) → the contact's outcome.
REASON_OUTCOMES = {"3": "no_answer", "5": "busy", "8": "busy", "1": "no_answer", "0": "failed"}
RETRIED = frozenset({"no_answer", "busy"})


@dataclass(frozen=True)
class DialerSettings:
    """How the dialer places calls (`hotline campaign run` reads them from HOTLINE_CAMPAIGN_*)."""

    caller_id: str  # the utility's number, shown to the debtor (230-ФЗ art. 7: no hidden numbers)
    dial: str = "PJSIP/{number}@provider"  # the channel to ring; {number} is the debtor's phone
    concurrency: int = 4  # calls at once (lines and the IVR's capacity)
    daily_total: int = 400  # accounts a day (seed 002: at least 400)
    ring_seconds: int = 30  # then it is «no answer»
    retry_after: timedelta = timedelta(hours=2)  # «at other hours»
    attempts: int = 3  # per number a day
    call_limit: timedelta = timedelta(minutes=10)  # an answered call that never reports its end


@dataclass(order=True)
class Attempt:
    not_before: datetime
    order: int
    debtor: Debtor = field(compare=False)
    phone: str = field(compare=False)
    number: int = field(default=1, compare=False)  # 1 = the first try today


@dataclass
class Report:
    """What one run did: outcomes by band, calls not placed and why."""

    placed: int = 0
    outcomes: dict[tuple[int, str], int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    retries: list[tuple[str, datetime]] = field(default_factory=list)  # (phone, when) planned
    stopped_by: str = ""

    def count(self, band: int, outcome: str) -> None:
        self.outcomes[band, outcome] = self.outcomes.get((band, outcome), 0) + 1

    def skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1


class CampaignBook(Protocol):
    """The campaign's records (the account database, through `api.campaigns`); blocking calls."""

    def why_not_call(self, account: str, phone: str, local_now: datetime) -> str | None: ...

    def start_contact(self, account: str, phone: str, at: datetime) -> int: ...

    def finish_contact(self, contact_id: int, outcome: str, at: datetime) -> None: ...

    def accounts_dialled_today(self, local_now: datetime) -> int: ...


class Originator(Protocol):
    """AMI as the dialer needs it (`telephony.ami.AmiClient`)."""

    def add_listener(self, listener: Callable[[AmiEvent], None]) -> Callable[[], None]: ...

    async def originate(
        self,
        channel: str,
        *,
        context: str | None = None,
        exten: str | None = None,
        caller_id: str | None = None,
        variables: Mapping[str, str] | None = None,
        timeout_ms: int = 30000,
        action_id: str | None = None,
    ) -> None: ...


Clock = Callable[[], datetime]
Sleep = Callable[[float], Awaitable[None]]


def next_opening(local_now: datetime, limits: Limits) -> datetime | None:
    """When calls may start again today (now if inside the window); None when today's window is over."""
    start, end = limits.window(local_now.date())
    opening = local_now.replace(hour=start.hour, minute=start.minute, second=0, microsecond=0)
    closing = local_now.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    if local_now >= closing:
        return None
    return max(opening, local_now)


class Dialer:
    """Places the plan's calls, `settings.concurrency` at a time, until the plan, the day's
    window or the per-day total is done, or `stop` is set (then the calls up are let finish)."""

    def __init__(
        self,
        settings: DialerSettings,
        book: CampaignBook,
        ami: Originator,
        *,
        limits: Limits | None = None,
        clock: Clock,
        sleep: Sleep = asyncio.sleep,
        run_blocking: Callable[..., Awaitable[Any]] | None = None,
    ):
        self.settings = settings
        self.limits = limits or Limits()
        self._book = book
        self._ami = ami
        self._clock = clock
        self._sleep = sleep
        self._blocking = run_blocking or asyncio.to_thread
        self._answers: dict[str, asyncio.Future[tuple[str, str]]] = {}  # action id → (Response, Reason)
        self._ended: dict[str, asyncio.Future[None]] = {}  # contact id → the answered call is over
        self._ids = itertools.count(1)

    # ---- AMI news ----------------------------------------------------------------------------
    def on_event(self, event: AmiEvent) -> None:
        """`OriginateResponse` of our calls; the context's `HotlineDebtCall` end."""
        if event.name == "OriginateResponse":
            waiter = self._answers.get(event.get("ActionID") or "")
            if waiter is not None and not waiter.done():
                waiter.set_result((event.get("Response") or "", event.get("Reason") or ""))
        elif event.name == "UserEvent" and event.get("UserEvent") == ENDED_EVENT:
            ended = self._ended.get(event.get("Contact") or "")
            if ended is not None and not ended.done():
                ended.set_result(None)

    # ---- the run -----------------------------------------------------------------------------
    async def run(self, debtors: Sequence[Debtor], stop: asyncio.Event, *, dry_run: bool = False) -> Report:
        report = Report()
        now = self._clock()
        queue: list[Attempt] = []
        for debtor in debtors:
            if debtor.phones:  # the first number on file; the others are for another day
                heapq.heappush(queue, Attempt(now, next(self._ids), debtor, debtor.phones[0]))
        if dry_run:
            return self._dry(queue, report)
        remove = self._ami.add_listener(self.on_event)
        slots = asyncio.Semaphore(self.settings.concurrency)
        calls: set[asyncio.Task[None]] = set()
        dialled = int(await self._blocking(self._book.accounts_dialled_today, now))
        try:
            while (queue or calls) and not stop.is_set():
                if not queue:
                    await _first(stop, *calls)
                    continue
                attempt = queue[0]
                now = self._clock()
                opening = next_opening(now, self.limits)
                if opening is None:
                    report.stopped_by = "hours"
                    break
                wake = max(opening, attempt.not_before)
                if wake > now:
                    await self._wait(wake - now, stop, calls)
                    continue
                if attempt.number == 1 and dialled >= self.settings.daily_total:
                    report.stopped_by = "daily_total"
                    heapq.heappop(queue)
                    report.skip("over_daily_total")
                    continue
                taken = await _acquire(slots, stop)
                if stop.is_set():
                    if taken:
                        slots.release()
                    break
                heapq.heappop(queue)
                why = await self._blocking(
                    self._book.why_not_call, attempt.debtor.account, attempt.phone, self._clock()
                )
                if why:
                    slots.release()
                    report.skip(str(why))
                    continue
                if attempt.number == 1:
                    dialled += 1
                task = asyncio.create_task(self._call(attempt, slots, queue, report))
                calls.add(task)
                task.add_done_callback(calls.discard)
            if stop.is_set():
                report.stopped_by = "stop"
            if calls:
                log.info("campaign: waiting for %d call(s) still up", len(calls))
                await asyncio.gather(*calls, return_exceptions=True)
        finally:
            remove()
        report.skipped.update({"not_dialled": len(queue)} if queue else {})
        return report

    def _dry(self, queue: list[Attempt], report: Report) -> Report:
        """What a run would dial today: the plan's order, up to the per-day total (nothing is rung)."""
        now = self._clock()
        opening = next_opening(now, self.limits)
        if opening is None:
            report.stopped_by = "hours"
            return report
        if opening > now:
            log.info("calls may start at %s local time", f"{opening:%H:%M}")
        for attempt in sorted(queue)[: self.settings.daily_total]:
            debtor = attempt.debtor
            log.info("would call %s for %s (band %d)", attempt.phone, debtor.account, debtor.band + 1)
            report.placed += 1
        return report

    async def _wait(self, delay: timedelta, stop: asyncio.Event, calls: set[asyncio.Task[None]]) -> None:
        """Until `delay` has passed, `stop` is set or a call ends (it may have queued a retry sooner)."""
        sleeper = asyncio.ensure_future(self._sleep(delay.total_seconds()))
        try:
            await _first(stop, sleeper, *calls)
        finally:
            sleeper.cancel()

    async def _call(
        self, attempt: Attempt, slots: asyncio.Semaphore, queue: list[Attempt], report: Report
    ) -> None:
        debtor, started = attempt.debtor, self._clock()
        action_id = f"{ACTION_PREFIX}{next(self._ids)}"
        answer: asyncio.Future[tuple[str, str]] = asyncio.get_running_loop().create_future()
        self._answers[action_id] = answer
        contact_id: int | None = None
        outcome = "failed"
        try:
            start = self._book.start_contact
            contact_id = int(await self._blocking(start, debtor.account, attempt.phone, started))
            ended = self._ended[str(contact_id)] = asyncio.get_running_loop().create_future()
            await self._ami.originate(
                self.settings.dial.format(number=attempt.phone),
                context=REMINDER_CONTEXT,
                exten="s",
                caller_id=self.settings.caller_id,
                variables={
                    "HOTLINE_DEBT_CONTACT": str(contact_id),
                    "HOTLINE_DEBT_ACCOUNT": debtor.account,
                    "HOTLINE_DEBT_PHONE": attempt.phone,
                },
                timeout_ms=self.settings.ring_seconds * 1000,
                action_id=action_id,
            )
            report.placed += 1
            response, reason = await asyncio.wait_for(answer, self.settings.ring_seconds + 30)
            if response == "Success":
                outcome = "answered"  # the reminder dialog writes what came of it
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(ended, self.settings.call_limit.total_seconds())
            else:
                outcome = REASON_OUTCOMES.get(reason, "failed")
                await self._blocking(self._book.finish_contact, contact_id, outcome, self._clock())
                self._plan_retry(attempt, queue, outcome, report)
        except Exception:
            log.exception("campaign: the call to %s for %s failed", attempt.phone, debtor.account)
            if contact_id is not None:
                with contextlib.suppress(Exception):
                    await self._blocking(self._book.finish_contact, contact_id, "failed", self._clock())
        finally:
            self._answers.pop(action_id, None)
            if contact_id is not None:
                self._ended.pop(str(contact_id), None)
            report.count(debtor.band, outcome)
            slots.release()

    def _plan_retry(self, attempt: Attempt, queue: list[Attempt], outcome: str, report: Report) -> None:
        """No answer or busy: the same number again `retry_after` later, if still inside today's window."""
        if outcome not in RETRIED or attempt.number >= self.settings.attempts:
            return
        when = self._clock() + self.settings.retry_after
        if when.date() != attempt.not_before.date() or not self.limits.may_call_at(when):
            return  # tomorrow's plan picks the debtor up again
        again = Attempt(when, next(self._ids), attempt.debtor, attempt.phone, attempt.number + 1)
        heapq.heappush(queue, again)
        report.retries.append((attempt.phone, when))


async def _first(*waitables: asyncio.Event | Awaitable[object]) -> None:
    """Return when the first of these is done (an Event: once set); the others are left running."""
    futures: list[asyncio.Future[Any]] = []
    own: list[asyncio.Future[Any]] = []
    for item in waitables:
        if isinstance(item, asyncio.Event):
            task: asyncio.Future[Any] = asyncio.ensure_future(item.wait())
            own.append(task)
            futures.append(task)
        else:
            futures.append(asyncio.ensure_future(item))
    try:
        await asyncio.wait(futures, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in own:
            task.cancel()


async def _acquire(slots: asyncio.Semaphore, stop: asyncio.Event) -> bool:
    """Wait for a free line or `stop`; True when a line was taken (the caller releases it)."""
    acquire = asyncio.ensure_future(slots.acquire())
    await _first(stop, acquire)
    if not acquire.done():
        acquire.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await acquire
    return acquire.done() and not acquire.cancelled()
