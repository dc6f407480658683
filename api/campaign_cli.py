"""`hotline campaign …`: plan today's debt reminder calls, keep their outcomes, write the SMS list.

hotline campaign plan [--bands …] [--limit 400] [--at YYYY-MM-DDTHH:MM] [--csv FILE]
hotline campaign record ACCOUNT PHONE OUTCOME     one call's outcome (managers' calls too)
hotline campaign opt-out PHONE [--reason refused|wrong_number]
hotline campaign sms --text "…{debt}…" --out FILE [--over 30000]
hotline campaign report [--day YYYY-MM-DD]     calls by outcome, promises, «already paid»
"""

from __future__ import annotations

import argparse
import csv
import sys
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from api import campaigns
from api.accounts import normalize_phone, parse_account
from api.campaign_settings import CampaignSettings
from api.cli_database import needs_database
from api.settings import ApiSettings

BAND_HELP = "bands in rubles, highest first, e.g. 100000-,50000-100000,10000-50000,5000-10000 (seed 002)"
OUTCOMES = ("confirmed", "not_holder", "not_holder_confirmed", "no_answer", "busy", "voicemail", "refused",
            "wrong_number", "promised", "paid")


def _now(settings: ApiSettings, at: str | None) -> datetime:
    zone = settings.zone
    return datetime.fromisoformat(at).replace(tzinfo=zone) if at else datetime.now(UTC).astimezone(zone)


def _bands(text: str | None) -> tuple[tuple[Decimal, Decimal | None], ...]:
    try:
        return campaigns.parse_bands(text) if text else campaigns.DEFAULT_BANDS
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _band_name(band: tuple[Decimal, Decimal | None]) -> str:
    lower, upper = band
    return f"{lower:,.0f}–{upper:,.0f} ₽" if upper is not None else f"over {lower:,.0f} ₽"


def cmd_plan(args: argparse.Namespace, settings: ApiSettings, session: Session) -> int:
    bands = args.bands
    now = _now(settings, args.at)
    limits = CampaignSettings().limits()  # HOTLINE_CAMPAIGN_*: the same limits the dialer applies
    result = campaigns.plan(session, now, bands=bands, daily_total=args.limit, limits=limits)
    window = limits.window(now.date())
    print(f"debt reminders for {now:%Y-%m-%d} (balances of {result.period}); calls allowed today "
          f"{window[0]:%H:%M}–{window[1]:%H:%M} local time")
    for index, band in enumerate(bands):
        chosen = [d for d in result.debtors if d.band == index]
        print(f"  {_band_name(band):>24}: {len(chosen)} accounts")
    print(f"  planned: {len(result.debtors)} of at most {args.limit}")
    for reason, count in sorted(result.skipped.items()):
        print(f"  left out ({reason}): {count}")
    if args.csv:
        with open(args.csv, "w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out, delimiter=";")
            writer.writerow(["band", "account", "debt", "phones"])
            for debtor in result.debtors:
                phones = " ".join(debtor.phones)
                writer.writerow([debtor.band + 1, debtor.account, f"{debtor.debt:.2f}", phones])
        print(f"  written to {args.csv}")
    return 0


def cmd_record(args: argparse.Namespace, settings: ApiSettings, session: Session) -> int:
    parsed, phone = parse_account(args.account), normalize_phone(args.phone)
    if parsed is None or phone is None:
        print("error: give an account NNNNNNNNN-S and a phone number", file=sys.stderr)
        return 1
    account = f"{parsed[0]}-{parsed[1]}"
    try:
        campaigns.record_contact(session, account, phone, args.outcome, datetime.now(UTC))
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    session.commit()
    print(f"recorded: {account} {phone} {args.outcome}")
    return 0


def cmd_opt_out(args: argparse.Namespace, settings: ApiSettings, session: Session) -> int:
    phone = normalize_phone(args.phone)
    if phone is None:
        print(f"error: {args.phone!r} is not a phone number", file=sys.stderr)
        return 1
    campaigns.opt_out(session, phone, args.reason, datetime.now(UTC))
    session.commit()
    print(f"{phone} will not be called about debt again ({args.reason})")
    return 0


def cmd_sms(args: argparse.Namespace, settings: ApiSettings, session: Session) -> int:
    today = _now(settings, None).date()
    rows = campaigns.sms_rows(session, today, args.text, over=Decimal(args.over))
    count = campaigns.write_sms_csv(args.out, rows)
    print(f"{count} SMS to debtors over {Decimal(args.over):,.0f} ₽ written to {args.out}")
    return 0


def cmd_report(args: argparse.Namespace, settings: ApiSettings, session: Session) -> int:
    day = date.fromisoformat(args.day) if args.day else _now(settings, None).date()
    report = campaigns.day_report(session, day, settings.zone)
    print(f"debt reminder calls on {day:%Y-%m-%d}: {sum(report.outcomes.values())}")
    for outcome, count in sorted(report.outcomes.items()):
        print(f"  {outcome}: {count}")
    print(f"promises to pay not yet due: {len(report.promises)}")
    for account, phone, promised_on in report.promises:
        print(f"  {account}  {phone}  by {promised_on:%Y-%m-%d}")
    print(f"«already paid», to check: {len(report.paid)}")
    for account, phone, at in report.paid:
        print(f"  {account}  {phone}  said at {at.astimezone(settings.zone):%H:%M}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("campaign", help="debt reminder calls by debt band (seed 002), within legal limits")
    actions = p.add_subparsers(dest="campaign_command", metavar="ACTION")
    actions.required = True
    plan = actions.add_parser("plan", help="who to call today, by band, after opt-outs and contact limits")
    plan.add_argument("--bands", type=_bands, default=campaigns.DEFAULT_BANDS, help=BAND_HELP)
    plan.add_argument("--limit", type=int, default=campaigns.DEFAULT_DAILY_TOTAL, help="accounts a day")
    plan.add_argument("--at", help="plan as if it were this local time (YYYY-MM-DDTHH:MM)")
    plan.add_argument("--csv", help="also write the plan to this CSV file")
    plan.set_defaults(func=needs_database(cmd_plan))
    record = actions.add_parser("record", help="keep one call's outcome (refused/wrong_number: opted out)")
    record.add_argument("account")
    record.add_argument("phone")
    record.add_argument("outcome", choices=OUTCOMES)
    record.set_defaults(func=needs_database(cmd_record))
    out = actions.add_parser("opt-out", help="never call this number about debt again")
    out.add_argument("phone")
    out.add_argument("--reason", default="refused", choices=sorted(campaigns.OPT_OUT_REASONS))
    out.set_defaults(func=needs_database(cmd_opt_out))
    report = actions.add_parser("report", help="a day's calls by outcome, open promises, «already paid»")
    report.add_argument("--day", help="local day YYYY-MM-DD (default today)")
    report.set_defaults(func=needs_database(cmd_report))
    sms = actions.add_parser("sms", help="the SMS list for the utility's SMS provider (CSV; no gateway here)")
    sms.add_argument("--text", required=True, help="the utility's own SMS wording; may use {account}, {debt}")
    sms.add_argument("--out", required=True, help="CSV file to write")
    sms.add_argument("--over", default=str(campaigns.DEFAULT_SMS_OVER), help="debt over this (seed 002)")
    sms.set_defaults(func=needs_database(cmd_sms))
