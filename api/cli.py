"""`hotline` subcommands owned by the `api` package.

hotline api                          serve the account API (uvicorn) on HOTLINE_API_HOST:PORT
hotline db upgrade                   create or migrate the database at HOTLINE_DATABASE_URL
hotline demo-data                    create/migrate the database and fill it with the demo
hotline import-registry FILE.csv     import the billing registry (one transaction)
hotline export-readings --since D    write the readings the hotline collected as CSV
hotline promotion load FILE.toml     check and store a promotion (api/promotion.toml is the seed's)
hotline promotion show               the promotion callers hear about today, with its terms
hotline campaign plan|record|opt-out|sms   debt reminders by band (see api/campaign_cli.py)
hotline operators add NAME           a console login (see api/console/cli.py)
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from api.cli_database import needs_database
from api.db import url_for_humans
from api.settings import ApiSettings

if TYPE_CHECKING:
    from fastapi import FastAPI

    from api.demo import DemoAccount


def _today(settings: ApiSettings) -> date:
    return datetime.now(UTC).astimezone(settings.zone).date()


def _uvicorn_level() -> str:
    """uvicorn logs at the level `hotline` configured from HOTLINE_LOG_LEVEL."""
    import logging

    name = logging.getLevelName(logging.getLogger().getEffectiveLevel()).lower()
    return name if name in ("critical", "error", "warning", "info", "debug") else "info"


def cmd_api(args: argparse.Namespace, settings: ApiSettings) -> int:
    import uvicorn

    host, port = args.host or settings.api_host, args.port or settings.api_port
    common = {"host": host, "port": port, "log_level": _uvicorn_level(), "access_log": args.access_log}
    if args.workers > 1:
        from sqlalchemy.exc import DBAPIError

        from api.db import ensure_sqlite_dir, upgrade

        ensure_sqlite_dir(settings.database_url)
        try:  # once here, not N times at once in the workers
            upgrade(settings.database_url)
        except DBAPIError:
            pass  # each worker starts anyway and answers 503 until the database is back (api.app)
        uvicorn.run("api.cli:worker_app", factory=True, workers=args.workers, **common)
        return 0
    from api.app import create_app

    uvicorn.run(_frozen(create_app(settings=settings)), **common)
    return 0


def _frozen(app: FastAPI) -> FastAPI:
    """What start-up built (the app, its routes and models, SQLAlchemy's compiled statements) lives as
    long as the process: kept out of the garbage collector's full passes, which otherwise stall the
    requests of the moment by tens of milliseconds (the balance path's p99, issue 13)."""
    import gc

    gc.collect()
    gc.freeze()
    return app


def worker_app() -> FastAPI:
    """One worker of `hotline api --workers N`: a process of its own, so logging is set up here again
    (as `hotline` sets it up) before the app is built from the environment."""
    import logging
    import os

    from api.app import create_app

    level = os.environ.get("HOTLINE_LOG_LEVEL", "INFO").upper()
    logging.basicConfig(
        level=getattr(logging, level, logging.INFO), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    return _frozen(create_app())


@needs_database
def cmd_db_upgrade(_args: argparse.Namespace, settings: ApiSettings, _session: Session) -> int:
    print(f"database {url_for_humans(settings.database_url)} is at the latest schema")
    return 0


def fill_demo_database(settings: ApiSettings) -> list[DemoAccount]:
    """Create or migrate the database at settings.database_url and fill it with the demo accounts.

    Raises DatabaseUnavailable when the database cannot be reached. Public: `hotline demo` runs it too.
    """
    from api.db import migrated_session
    from api.demo import fill

    with migrated_session(settings.database_url) as session:
        accounts = fill(session, _today(settings), settings.zone)
        session.commit()
    return accounts


def cmd_demo_data(_args: argparse.Namespace, settings: ApiSettings) -> int:
    from api.db import DatabaseUnavailable

    try:
        accounts = fill_demo_database(settings)
    except DatabaseUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(demo_data_report(settings, accounts))
    return 0


def demo_data_report(settings: ApiSettings, accounts: list[DemoAccount]) -> str:
    """What `hotline demo-data` (and `hotline demo`) print: where, and the accounts to try."""
    lines = [f"demo data in {url_for_humans(settings.database_url)}: {len(accounts)} accounts, 12 months"]
    for spec in accounts:
        lines.append(f"  {spec.text}  {spec.owner}  phones {', '.join(spec.phones)}  ({spec.pattern})")
    return "\n".join(lines)


@needs_database
def cmd_import_registry(args: argparse.Namespace, settings: ApiSettings, session: Session) -> int:
    from api.registry import RegistryError, import_file

    try:
        report = import_file(session, Path(args.file), settings.zone, encoding=args.encoding)
    except RegistryError as exc:
        said = str(exc)
        done = "nothing was imported" in said or "run the same import" in said
        print(f"error: {args.file}: {said}{'' if done else '; nothing was imported'}", file=sys.stderr)
        return 1
    for warning in report.warnings:
        print(f"warning: {args.file}: {warning}", file=sys.stderr)
    print(f"imported {args.file} ({report.encoding}, {report.batches} batches): {report}")
    return 0


def _date_arg(text: str) -> date:
    from api.registry import parse_date

    value = parse_date(text)
    if value is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (2025-11-01 or 01.11.2025)")
    return value


@needs_database
def cmd_export_readings(args: argparse.Namespace, settings: ApiSettings, session: Session) -> int:
    from api.export import ExportError, export_readings, export_to_file

    tz = settings.zone
    try:
        if args.out:
            count = export_to_file(session, args.since, tz, Path(args.out), args.encoding)
        else:
            count = export_readings(session, args.since, tz, sys.stdout, encoding=args.encoding)
    except ExportError as exc:
        print(f"error: {exc}; nothing was written", file=sys.stderr)
        return 1
    print(
        f"exported {count} readings taken since {args.since.isoformat()}"
        + (f" to {args.out}" if args.out else ""),
        file=sys.stderr,
    )
    return 0


@needs_database
def cmd_promotion_load(args: argparse.Namespace, settings: ApiSettings, session: Session) -> int:
    from api.promotion_file import PromotionFileError, load_promotion_file, store_promotion

    try:
        spec = load_promotion_file(Path(args.file), starts_on=args.starts_on, ends_on=args.ends_on)
        promo = store_promotion(session, spec)
    except PromotionFileError as exc:
        session.rollback()
        print(f"error: {args.file}: {exc}; nothing was loaded", file=sys.stderr)
        return 1
    session.commit()
    print(f"loaded promotion «{promo.name}» {promo.starts_on.isoformat()} – {promo.ends_on.isoformat()}: "
          f"{len(promo.terms)} terms, territories {', '.join(str(t.suffix) for t in promo.territories)}")
    return 0


@needs_database
def cmd_promotion_show(args: argparse.Namespace, settings: ApiSettings, session: Session) -> int:
    from sqlalchemy import select

    from api.models import Promotion
    from api.promotion import current_promotion

    today = _today(settings)
    promo = current_promotion(session, today)
    if promo is None:
        latest = session.scalar(select(Promotion).order_by(Promotion.starts_on.desc(), Promotion.id.desc()))
        if latest is None:
            print("акция не загружена / no promotion loaded (hotline promotion load FILE)")
            return 1
        print(f"сегодня ({today.isoformat()}) акция не проходит / no promotion runs today; "
              "the latest loaded:")
        promo = latest
    print(f"«{promo.name}»")
    print(f"  dates: {promo.starts_on.isoformat()} – {promo.ends_on.isoformat()}")
    print(f"  territories (suffixes): {', '.join(str(t.suffix) for t in promo.territories)}")
    print(f"  prize: {promo.prize}")
    for term in promo.terms:
        print(f"  [{term.topic}] ({term.source or 'no source'}) {term.question}")
        print(f"      {term.answer}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add this package's subcommands to the `hotline` parser."""
    p = sub.add_parser("api", help="serve the account API (OpenAPI docs at /docs)")
    p.add_argument("--host", help="default: HOTLINE_API_HOST")
    p.add_argument("--port", type=int, help="default: HOTLINE_API_PORT")
    p.add_argument(
        "--workers",
        type=int,
        default=1,
        help="API processes sharing the port, one per core (default 1; see README, Account API)",
    )
    p.add_argument(
        "--access-log",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="one log line per request (uvicorn's access log, numbers masked); --no-access-log saves CPU",
    )
    p.set_defaults(func=cmd_api)

    p = sub.add_parser("db", help="database schema")
    db_sub = p.add_subparsers(dest="db_command", metavar="ACTION")
    db_sub.required = True
    up = db_sub.add_parser("upgrade", help="create or migrate the database at HOTLINE_DATABASE_URL")
    up.set_defaults(func=cmd_db_upgrade)

    p = sub.add_parser("demo-data", help="create/migrate the database and fill it with demo accounts")
    p.set_defaults(func=cmd_demo_data)

    p = sub.add_parser("import-registry", help="import the billing registry CSV (all rows or none)")
    p.add_argument("file", help="CSV file, ';'-separated, UTF-8 or cp1251 (columns: see README)")
    p.add_argument(
        "--encoding",
        default="auto",
        choices=("auto", "utf-8", "cp1251"),
        help="the file's encoding, one for the whole file (default: detected; a mixed file is an error)",
    )
    p.set_defaults(func=cmd_import_registry)

    p = sub.add_parser("export-readings", help="write the readings the hotline collected as CSV")
    p.add_argument("--since", type=_date_arg, required=True, help="first day to export (local date)")
    p.add_argument("--out", help="file to write (default: standard output)")
    p.add_argument(
        "--encoding",
        default="utf-8",
        choices=("utf-8", "utf-8-sig", "cp1251"),
        help="file encoding (default utf-8; utf-8-sig or cp1251 for Excel)",
    )
    p.set_defaults(func=cmd_export_readings)

    p = sub.add_parser("promotion", help="the promotion callers hear about (load from a TOML file, show)")
    promo_sub = p.add_subparsers(dest="promotion_command", metavar="ACTION")
    promo_sub.required = True
    load = promo_sub.add_parser("load", help="check a promotion file and store it (all of it or nothing)")
    load.add_argument("file", help="TOML file; api/promotion.toml is the seed's promotion with blank dates")
    load.add_argument("--starts-on", type=_date_arg, help="first day (replaces the file's starts_on)")
    load.add_argument("--ends-on", type=_date_arg, help="last day (replaces the file's ends_on)")
    load.set_defaults(func=cmd_promotion_load)
    show = promo_sub.add_parser("show", help="the promotion running today (or the latest loaded), its terms")
    show.set_defaults(func=cmd_promotion_show)

    from api.campaign_cli import register as register_campaigns  # `hotline campaign ...`
    from api.console.cli import register as register_console  # `hotline operators ...`

    register_campaigns(sub)
    register_console(sub)
