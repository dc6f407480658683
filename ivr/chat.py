"""`hotline chat`: the dialogs in a terminal against the real account API, on a demo database.

Why here and not in dialogs: the chat composes three packages (the dialogs' terminal call,
the account API in-process, the IVR's API client), and only ivr may know them all.

Why its own database: the chat is a dev tool. It writes the 24 demo accounts and what the
pretend caller confirms (readings at the pretend `--at` date); in the hotline's database that
would be 24 accounts nobody has and readings the billing export would send. So it uses
`$HOTLINE_DATA_DIR/chat-demo.sqlite3` unless `--database URL` names another, and whatever
database it uses, its readings are marked `chat`, which the export never sends.

Why its own database starts afresh on every run (unless `--keep`): each chat is a new pretend
call on the demo data as documented. Kept, one conversation's confirmed reading changed what the
next one heard, and the look-up and verification limits — counted at the pretend `--at` time,
which never moves — refused every account question after a few dozen scripted chats.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import secrets
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from api.settings import ApiSettings
from ivr.settings import Settings

if TYPE_CHECKING:
    from ivr.api_client import ApiClient

DEMO_PHONE = "79001110011"
DEMO_ACCOUNT = "001110011-7"
CHAT_DATABASE = "chat-demo.sqlite3"  # in HOTLINE_DATA_DIR
READINGS_SOURCE = "chat"  # never exported, never taken for a resident's real reading
# Their INFO lines (every request) would bury the conversation in the terminal.
QUIET_LOGGERS = ("httpx", "api", "dialogs", "ivr", "pymorphy3")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `hotline chat` to the `hotline` parser."""
    from dialogs import cli as dialogs_cli

    chat = sub.add_parser(
        "chat",
        help="talk to the hotline's dialogs in the terminal (its own demo database, no phone needed)",
        description=f"{dialogs_cli.__doc__}\n{__doc__}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    chat.add_argument(
        "--caller",
        default=DEMO_PHONE,
        help=f"the caller's phone number (default {DEMO_PHONE}, on file for the demo account "
        f"{DEMO_ACCOUNT}); "
        "'' for a hidden number",
    )
    chat.add_argument(
        "--database",
        "--database-url",
        dest="database_url",
        metavar="URL",
        default=None,
        help=f"account database (default: the chat's own SQLite file $HOTLINE_DATA_DIR/{CHAT_DATABASE}, "
        "never HOTLINE_DATABASE_URL; filled with the demo accounts when its demo account is missing)",
    )
    chat.add_argument(
        "--keep",
        action="store_true",
        help="go on with the previous chat's data (its readings, callbacks, look-up limits) instead of "
        f"fresh demo data in $HOTLINE_DATA_DIR/{CHAT_DATABASE}; a --database is always kept",
    )
    chat.add_argument(
        "--at",
        default=None,
        metavar="YYYY-MM-DDTHH:MM",
        help="pretend the call happens at this local time (operators' hours, readings window)",
    )
    chat.set_defaults(func=cmd_chat)


def own_database(settings: Settings) -> Path:
    """The chat's own SQLite file."""
    return settings.data_dir / CHAT_DATABASE


def chat_database_url(settings: Settings, explicit: str | None = None) -> str:
    """The database the chat talks to: the one named explicitly, else its own demo file."""
    return explicit or f"sqlite:///{own_database(settings)}"


def cmd_chat(args: argparse.Namespace, settings: Settings) -> int:
    from dialogs.cli import chat, chat_help

    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLogger(name).getEffectiveLevel()))
    at = datetime.fromisoformat(args.at).replace(tzinfo=settings.zone) if args.at else None
    options = settings.dialog_options(clock=(lambda: at) if at else None)
    sys.stdout.write(chat_help())

    if args.database_url is None and not args.keep:
        forget_own_database(settings)

    async def session() -> str:
        backend = await demo_backend(settings, chat_database_url(settings, args.database_url), at=at)
        try:
            return await chat(backend, options, caller=args.caller or None)
        finally:
            await backend.aclose()

    outcome = asyncio.run(session())
    sys.stdout.write(f"[call ended: {outcome}]\n")
    return 0


def forget_own_database(settings: Settings) -> None:
    """Remove the chat's own SQLite file (and its WAL side files): the next run writes fresh demo data."""
    own = own_database(settings)
    for path in (own, own.with_name(own.name + "-wal"), own.with_name(own.name + "-shm")):
        path.unlink(missing_ok=True)


async def demo_backend(settings: Settings, database_url: str, *, at: datetime | None = None) -> ApiClient:
    """The real account API in-process (no server, no port) over `database_url`, filled with the
    demo data when its demo account is missing; readings it stores are marked `chat`."""
    import httpx
    from sqlalchemy import select

    from api.accounts import parse_account
    from api.app import create_app
    from api.db import ensure_sqlite_dir, url_for_humans
    from api.demo import fill
    from api.models import Account
    from ivr.api_client import ApiClient

    token = secrets.token_urlsafe(16)  # the chat's own: the real IVR token is not needed here
    api_settings = settings.replace(ivr_token=token, database_url=database_url).part(ApiSettings)
    ensure_sqlite_dir(database_url)
    clock = (lambda: at.astimezone(UTC)) if at else None
    app = create_app(database_url, settings=api_settings, clock=clock, readings_source=READINGS_SOURCE)
    client = ApiClient("http://hotline-api", token, transport=httpx.ASGITransport(app=app))
    parsed = parse_account(DEMO_ACCOUNT)
    assert parsed is not None, DEMO_ACCOUNT  # a constant in the account's one shape
    number, suffix = parsed
    app.state.ensure_schema()
    with app.state.sessions() as session:
        # Looked at directly, not through the API: an account question there counts against the
        # enumeration guard's limits, which belong to the pretend caller.
        demo = select(Account.id).where(Account.number == number, Account.suffix == suffix)
        if session.scalar(demo) is None:
            zone = settings.zone
            fill(session, (at or datetime.now(zone)).astimezone(zone).date(), zone)
            session.commit()
            sys.stdout.write(f"[demo data written to {url_for_humans(database_url)}]\n")
    return client
