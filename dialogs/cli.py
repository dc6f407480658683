"""`hotline chat`: the hotline's dialogs in a terminal, against the demo data.

Why: a newcomer or an author of prompts can walk every branch of the
conversation in a minute, without a phone, Asterisk or Vosk. The robot's lines
are printed; the caller types words as the recogniser would print them, keys as
`#1` or `#0011100117#`, an empty line for silence, Ctrl-D to hang up. The
account API runs in-process over the demo SQLite database (created if missing).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import logging
import secrets
import sys
import uuid
from datetime import UTC, datetime
from typing import TextIO
from zoneinfo import ZoneInfo

from dialogs import prompts
from dialogs.backend import Backend
from dialogs.conversation import run_conversation
from dialogs.options import DialogOptions
from dialogs.textchannel import TerminalChannel

DEMO_PHONE = "79001110011"
DEMO_ACCOUNT = "001110011-7"
HELP = """\
Type what the caller says, in Russian, as the recogniser would print it ({examples}).
Keys: #1, #0011100117# (* erases an account, or is the decimal point in amounts and readings).
Empty line: silence. Ctrl-D: hang up.
"""


def register(sub: argparse._SubParsersAction) -> None:
    """Add this package's subcommands to the `hotline` parser."""
    chat = sub.add_parser(
        "chat",
        help="talk to the hotline's dialogs in the terminal (demo data, no phone needed)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    chat.add_argument(
        "--caller",
        default=DEMO_PHONE,
        help=f"the caller's phone number (default {DEMO_PHONE}, on file for the demo account 001110011-7); "
        "'' for a hidden number",
    )
    chat.add_argument(
        "--database-url",
        default=None,
        help="account database (default: HOTLINE_DATABASE_URL, the demo SQLite database)",
    )
    chat.add_argument(
        "--at",
        default=None,
        metavar="YYYY-MM-DDTHH:MM",
        help="pretend the call happens at this local time (operators' hours, readings window)",
    )
    chat.set_defaults(func=lambda args, settings: _chat_command(args, settings))


# Their INFO lines (every request) would bury the conversation in the terminal.
QUIET_LOGGERS = ("httpx", "api", "dialogs", "ivr", "pymorphy3")


def _chat_command(args: argparse.Namespace, settings) -> int:
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLogger(name).getEffectiveLevel()))
    zone = ZoneInfo(settings.timezone)
    at = datetime.fromisoformat(args.at).replace(tzinfo=zone) if args.at else None
    options = DialogOptions.from_settings(settings, clock=(lambda: at) if at else None)
    sys.stdout.write(HELP.format(examples=", ".join(f'"{w}"' for w in prompts.CHAT_EXAMPLES)) + "\n")

    async def session() -> str:
        backend = await demo_backend(settings, args.database_url, at=at)
        try:
            return await chat(backend, options, caller=args.caller or None)
        finally:
            await backend.aclose()

    outcome = asyncio.run(session())
    sys.stdout.write(f"[call ended: {outcome}]\n")
    return 0


async def chat(
    backend: Backend,
    options: DialogOptions,
    *,
    caller: str | None,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
) -> str:
    """One call in the terminal; returns its outcome."""
    channel = TerminalChannel(call_id=f"chat-{uuid.uuid4()}", caller=caller, stdin=stdin, stdout=stdout)
    return await run_conversation(channel, backend, options)


async def demo_backend(settings, database_url: str | None, *, at: datetime | None = None):
    """The real account API in-process (no server, no port) over the demo database, filled with
    the demo data (`hotline demo-data`) when its demo account is missing. Returns an ApiClient."""
    import httpx

    from api.app import create_app
    from api.db import ensure_sqlite_dir
    from api.demo import fill
    from ivr.api_client import ApiClient

    token = settings.ivr_token or secrets.token_urlsafe(16)
    url = database_url or settings.database_url
    settings = dataclasses.replace(settings, ivr_token=token, database_url=url)
    ensure_sqlite_dir(url)
    clock = (lambda: at.astimezone(UTC)) if at else None
    app = create_app(url, settings=settings, clock=clock)
    client = ApiClient("http://hotline-api", token, transport=httpx.ASGITransport(app=app))
    if await client.account(DEMO_ACCOUNT) is None:
        zone = ZoneInfo(settings.timezone)
        today = (at or datetime.now(zone)).astimezone(zone).date()
        with app.state.sessions() as session:
            fill(session, today, zone)
            session.commit()
        sys.stdout.write(f"[demo data written to {url}]\n")
    return client
