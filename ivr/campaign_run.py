"""`hotline campaign run`: today's debt reminder plan dialled through Asterisk.

Why in ivr: the dialer needs the account database (the plan, the law's checks, the outcomes:
`api.campaigns`) and AMI (`telephony.ami`); only the composition root may know both. The
`campaign` command itself is the api's (`plan`, `record`, `opt-out`, `sms`); `run` is added to it
here. The book works on the database in a worker thread, one short transaction per call.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session, sessionmaker

from api import campaigns
from api.campaign_settings import CampaignSettings
from api.campaigns import Limits
from ivr.dialer import Dialer, DialerSettings, Report

if TYPE_CHECKING:
    from ivr.settings import Settings

    Subcommands = argparse._SubParsersAction[argparse.ArgumentParser]

log = logging.getLogger(__name__)


class DatabaseBook:
    """`CampaignBook` over the account database: `api.campaigns`' rules, one transaction each."""

    def __init__(self, sessions: sessionmaker[Session], limits: Limits):
        self._sessions = sessions
        self._limits = limits

    def why_not_call(self, account: str, phone: str, local_now: datetime) -> str | None:
        with self._sessions() as session:
            return campaigns.why_not_call(session, account, phone, local_now, self._limits)

    def start_contact(self, account: str, phone: str, at: datetime) -> int:
        with self._sessions.begin() as session:
            return campaigns.start_contact(session, account, phone, at)

    def finish_contact(self, contact_id: int, outcome: str, at: datetime) -> None:
        with self._sessions.begin() as session:
            campaigns.finish_contact(session, contact_id, outcome, at)

    def accounts_dialled_today(self, local_now: datetime) -> int:
        with self._sessions() as session:
            return campaigns.accounts_dialled_on(session, local_now.date(), local_now.tzinfo or UTC)


def dialer_settings(campaign: CampaignSettings) -> DialerSettings:
    return DialerSettings(
        caller_id=campaign.caller_id,
        dial=campaign.dial,
        concurrency=campaign.concurrency,
        daily_total=campaign.daily_total,
        ring_seconds=campaign.ring_seconds,
        retry_after=campaign.retry_after,
        attempts=campaign.attempts,
    )


def print_report(report: Report, out: Callable[[str], object] = print, *, dry_run: bool = False) -> None:
    placed = f"would call (dry run): {report.placed}" if dry_run else f"calls placed: {report.placed}"
    out(placed + (f" (stopped: {report.stopped_by})" if report.stopped_by else ""))
    for (band, outcome), count in sorted(report.outcomes.items()):
        out(f"  band {band + 1}: {outcome}: {count}")
    for reason, count in sorted(report.skipped.items()):
        out(f"  not called ({reason}): {count}")
    for phone, when in report.retries:
        out(f"  retry planned: {phone} at {when:%H:%M}")


async def run_campaign(
    settings: Settings, campaign: CampaignSettings, stop: asyncio.Event, dry_run: bool
) -> Report:
    """Plan now, then dial until the plan, the day's window or the per-day total is done, or `stop`."""
    from api.db import make_engine, session_factory, upgrade_engine
    from telephony.ami import AmiClient

    limits = campaign.limits()
    engine = make_engine(settings.database_url)
    try:
        await asyncio.to_thread(upgrade_engine, engine)
        sessions = session_factory(engine)

        def clock() -> datetime:
            return datetime.now(UTC).astimezone(settings.zone)

        with sessions() as session:
            plan = await asyncio.to_thread(
                campaigns.plan, session, clock(), daily_total=campaign.daily_total, limits=limits
            )
        log.info("campaign: %d accounts planned (balances of %s)", len(plan.debtors), plan.period)
        book = DatabaseBook(sessions, limits)
        if dry_run:
            return await Dialer(dialer_settings(campaign), book, _NoAmi(), limits=limits, clock=clock).run(
                plan.debtors, stop, dry_run=True
            )
        secret = _dialer_secret(settings, campaign)
        if not secret:
            raise SystemExit("error: no HOTLINE_CAMPAIGN_AMI_SECRET: the dialer cannot reach Asterisk")
        async with AmiClient(settings.ami_host, settings.ami_port, campaign.ami_user, secret) as ami:
            await ami.wait_connected(10)
            dialer = Dialer(dialer_settings(campaign), book, ami, limits=limits, clock=clock)
            return await dialer.run(plan.debtors, stop)
    finally:
        engine.dispose()


def _dialer_secret(settings: Settings, campaign: CampaignSettings) -> str | None:
    """HOTLINE_CAMPAIGN_AMI_SECRET, or the secret the default sandbox made up for its `dialer` user."""
    if campaign.ami_secret:
        return campaign.ami_secret.get_secret_value()
    from telephony.sandbox import AsteriskSandbox

    box = AsteriskSandbox.from_settings(settings)
    return box.dialer_ami_secret if (box.host_dir / "secrets.json").exists() else None


class _NoAmi:
    """A dry run rings nobody."""

    def add_listener(self, listener: object) -> Callable[[], None]:
        return lambda: None

    async def originate(self, channel: str, **keys: object) -> None:
        raise RuntimeError("a dry run places no calls")


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    from ivr.settings import load

    campaign = load(CampaignSettings)
    if args.limit is not None:
        campaign = campaign.model_copy(update={"daily_total": args.limit})
    if not campaign.caller_id and not args.dry_run:
        print("error: set HOTLINE_CAMPAIGN_CALLER_ID (the law: the caller's number shown)", file=sys.stderr)
        return 1

    async def main() -> Report:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)  # no new calls; the ones up finish
        return await run_campaign(settings, campaign, stop, args.dry_run)

    print_report(asyncio.run(main()), dry_run=args.dry_run)
    return 0


def register(sub: Subcommands) -> None:
    """Add `run` to the api's `campaign` command."""
    campaign = sub.choices["campaign"]
    actions = next(a for a in campaign._actions if isinstance(a, argparse._SubParsersAction))
    run = actions.add_parser("run", help="dial today's plan through Asterisk (AMI), within the law's limits")
    run.add_argument("--dry-run", action="store_true", help="print whom it would call now; ring nobody")
    run.add_argument("--limit", type=int, help="accounts today (default HOTLINE_CAMPAIGN_DAILY_TOTAL, 400)")
    run.set_defaults(func=cmd_run)
