"""The debt reminder dialer's own overhead (issue 15): reminder calls per hour one box places and
completes, with the demo data scaled to 10,000 debtors.

    .venv/bin/python -m bench.dialer [--debtors 10000] [--concurrency 30] [--answer 0.6 --busy 0.15]

Builds a temporary SQLite database: the demo data, plus N debtor accounts spread over the seed's
four bands (one phone each, the latest closed month on record). Then, timed apart:
- the plan: `api.campaigns.plan` over all of them (what `hotline campaign plan`/`run` do first);
- the dialing: `ivr.dialer.Dialer` with the real `DatabaseBook` (the law's checks before each
  dial, the contact row opened and its outcome written, in worker threads as in production)
  and a fake Asterisk that answers each Originate at once: answered calls end at once (the
  robot's talk is not measured here), the rest are busy or unanswered and are retried on the
  frozen clock's later hours, as the rules say.
Printed: the plan's seconds, calls placed and completed, wall and CPU seconds, and the calls
per hour that overhead allows (wall and per CPU core-second). Real calls last minutes; the
figure says how far the dialer itself is from being the limit.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import resource
import sys
import tempfile
import time
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session, sessionmaker

from api import campaigns
from api.balance import latest_closed_month
from api.db import upgrade
from api.demo import fill
from api.models import Account, Charge, Phone, Service
from ivr.campaign_run import DatabaseBook
from ivr.dialer import Dialer, DialerSettings
from telephony.ami import AmiEvent

ZONE = ZoneInfo("Asia/Novokuznetsk")
START = datetime(2025, 11, 20, 8, 0, tzinfo=ZONE)  # a Thursday, when calls may start
BAND_DEBTS = ((100_000, 250_000), (50_000, 99_999), (10_000, 49_999), (5_000, 9_999))


def build(path: Path, debtors: int) -> sessionmaker[Session]:
    url = f"sqlite:///{path}"
    upgrade(url)
    engine = create_engine(url)
    sessions = sessionmaker(engine, expire_on_commit=False)
    rng = random.Random(15)
    month = latest_closed_month(START.date())
    with sessions.begin() as session:
        fill(session, START.date(), ZONE)
        session.flush()
        service = session.scalars(select(Service.code)).first()
        for i in range(debtors):
            low, high = BAND_DEBTS[i % 4]
            account = Account(number=f"9{i:08d}", suffix=7, owner_name="", address="",
                              opening_balance=Decimal(rng.randint(low, high)))
            account.phones = [Phone(number=f"79{i:09d}")]
            session.add(account)
            session.flush()
            session.add(Charge(account_id=account.id, period=month, service_code=service, charged=Decimal(0)))
    return sessions


class InstantAsterisk:
    """Answers every Originate at once: answered (and over), busy or unanswered, by chance."""

    def __init__(self, answer: float, busy: float):
        self.answer, self.busy = answer, busy
        self.rng = random.Random(42)
        self.listeners: list = []
        self.originated = 0

    def add_listener(self, listener):
        self.listeners.append(listener)
        return lambda: self.listeners.remove(listener)

    async def originate(self, channel, *, variables=None, action_id=None, **_keys) -> None:
        self.originated += 1
        roll = self.rng.random()
        contact = (variables or {})["HOTLINE_DEBT_CONTACT"]
        if roll < self.answer:
            answered = {"ActionID": action_id, "Response": "Success", "Reason": "4"}
            events = [AmiEvent("OriginateResponse", answered),
                      AmiEvent("UserEvent", {"UserEvent": "HotlineDebtCall", "Contact": contact})]
        else:
            reason = "5" if roll < self.answer + self.busy else "3"
            events = [AmiEvent("OriginateResponse", {"ActionID": action_id, "Response": "Failure",
                                                     "Reason": reason})]
        loop = asyncio.get_running_loop()
        for event in events:
            for listener in list(self.listeners):
                loop.call_soon(listener, event)


class FrozenClock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)
        await asyncio.sleep(0)


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--debtors", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=30)
    parser.add_argument("--answer", type=float, default=0.6, help="share of calls answered")
    parser.add_argument("--busy", type=float, default=0.15, help="share busy (the rest: no answer)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-dialer-") as tmp:
        t0 = time.perf_counter()
        sessions = build(Path(tmp) / "bench.db", args.debtors)
        print(f"database: demo data + {args.debtors} debtors in {time.perf_counter() - t0:.1f} s")
        limits = campaigns.Limits()
        t0, c0 = time.perf_counter(), cpu()
        with sessions() as session:
            plan = campaigns.plan(session, START, daily_total=args.debtors + 100, limits=limits)
        plan_s, plan_cpu = time.perf_counter() - t0, cpu() - c0
        print(f"plan: {len(plan.debtors)} debtors in {plan_s:.2f} s ({plan_cpu:.2f} s CPU), "
              f"{plan_s / max(1, len(plan.debtors)) * 1000:.2f} ms per debtor")
        clock = FrozenClock(START)
        asterisk = InstantAsterisk(args.answer, args.busy)
        settings = DialerSettings(caller_id="73843000000", concurrency=args.concurrency,
                                  daily_total=len(plan.debtors), attempts=3)
        dialer = Dialer(settings, DatabaseBook(sessions, limits), asterisk, limits=limits, clock=clock,
                        sleep=clock.sleep)
        t0, c0 = time.perf_counter(), cpu()
        report = asyncio.run(dialer.run(plan.debtors, asyncio.Event()))
        wall, used = time.perf_counter() - t0, cpu() - c0
        outcomes: dict[str, int] = {}
        for (_band, outcome), count in report.outcomes.items():
            outcomes[outcome] = outcomes.get(outcome, 0) + count
        print(f"dialer: {report.placed} calls placed and completed ({outcomes}), "
              f"{len(report.retries)} retries, in {wall:.1f} s wall, {used:.1f} s CPU")
        print(f"dialer overhead allows {report.placed / wall * 3600:,.0f} calls/hour "
              f"({report.placed / max(used, 1e-9) * 3600:,.0f} per CPU core-hour); "
              f"{wall / max(1, report.placed) * 1000:.2f} ms per call")
    return 0


if __name__ == "__main__":
    sys.exit(main())
