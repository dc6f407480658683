"""`hotline chat`: the dialogs in a terminal."""

from __future__ import annotations

import io

from dialogs import prompts
from dialogs.cli import chat
from ivr.cli import build_parser
from tests.dialogs.demo_api import PHONE
from tests.dialogs.talk import options


async def test_chat_session_in_the_terminal(api):
    out = io.StringIO()
    typed = io.StringIO("баланс\nда\nнет\n#9\n")
    outcome = await chat(api.backend, options(), caller=PHONE, stdin=typed, stdout=out)
    printed = out.getvalue()
    assert outcome == "completed"
    assert "robot> Здравствуйте!" in printed
    assert "Сейчас к оплате" in printed
    assert printed.rstrip().endswith("[the robot hung up]")


async def test_ctrl_d_hangs_up(api):
    out = io.StringIO()
    typed = io.StringIO("офисы\n")
    assert await chat(api.backend, options(), caller=None, stdin=typed, stdout=out) == "hangup"


def test_chat_is_a_hotline_command():
    args = build_parser().parse_args(["chat", "--caller", "", "--at", "2025-11-20T12:00"])
    assert args.caller == "" and args.at == "2025-11-20T12:00" and callable(args.func)


def test_hotline_chat_fills_the_demo_database_once_and_talks(tmp_path, monkeypatch, capsys):
    from ivr.cli import main

    url = f"sqlite:///{tmp_path / 'chat.db'}"
    monkeypatch.setattr("sys.stdin", io.StringIO("баланс\nда\nнет\nдо свидания\n"))
    assert main(["chat", "--database-url", url, "--at", "2025-11-20T12:00"]) == 0
    first = capsys.readouterr().out
    assert "[demo data written to" in first
    assert "you> баланс" in first  # piped input shown as the caller's line
    assert "robot> Сейчас к оплате" in first
    assert first.rstrip().endswith("[call ended: completed]")

    monkeypatch.setattr("sys.stdin", io.StringIO("#4\n#7\n"))
    assert main(["chat", "--database-url", url, "--caller", "", "--at", "2025-11-20T23:00"]) == 0
    second = capsys.readouterr().out
    assert "[demo data written to" not in second
    assert "город Осинники" in second and "[call ended: hangup]" in second


def test_the_chat_keeps_to_its_own_database_and_its_readings_are_never_exported(
    tmp_path, monkeypatch, capsys
):
    """A developer with the hotline's real database configured runs `hotline chat`: the real
    database is not touched, and a reading the pretend caller confirms is marked `chat`."""
    import asyncio
    from datetime import date, datetime
    from decimal import Decimal

    from api.db import migrated_session
    from api.export import readings_rows
    from api.models import Account
    from ivr.chat import chat_database_url, demo_backend
    from ivr.cli import main
    from ivr.settings import Settings

    real = tmp_path / "hotline.db"
    monkeypatch.setenv("HOTLINE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("HOTLINE_DATABASE_URL", f"sqlite:///{real}")
    monkeypatch.setattr("sys.stdin", io.StringIO("баланс\nда\nнет\nдо свидания\n"))
    assert main(["chat", "--at", "2025-11-20T12:00"]) == 0
    assert capsys.readouterr().out.rstrip().endswith("[call ended: completed]")
    assert not real.exists()
    settings = Settings.from_env()
    url = chat_database_url(settings)
    assert url == f"sqlite:///{tmp_path / 'chat-demo.sqlite3'}"

    call = "chat-reading-1"

    async def confirm_a_reading() -> dict:
        """What the dialogs do once the caller said «да» to the read-back, through the chat's API."""
        at = datetime(2025, 11, 20, 12, 0, tzinfo=settings.zone)
        backend = await demo_backend(settings, url, at=at)
        try:
            await backend.start_call(call, caller=PHONE)
            await backend.verify("001110011-7", call_id=call, caller=PHONE)
            cold = (await backend.meters("001110011-7", call_id=call))[0]
            value = Decimal(cold["last_reading"]["value"]) + 2
            return await backend.submit_reading("001110011-7", cold["id"], value, call_id=call)
        finally:
            await backend.aclose()

    stored = asyncio.run(confirm_a_reading())
    assert stored["source"] == "chat"
    assert not real.exists()
    with migrated_session(url) as session:
        assert session.query(Account).count() == 24  # the demo, written once
        exported = readings_rows(session, date(2025, 11, 1), settings.zone)
    assert call not in {cell for row in exported for cell in row}


def _many_earlier_lookups(url: str, at_local: str, zone) -> None:
    """What a few dozen earlier scripted chats at the same pretend `--at` time leave behind: look-ups
    counted at that time (the pretend clock never moves, so they never fall out of the window)."""
    from datetime import UTC, datetime

    from api.db import migrated_session
    from api.models import AccountLookup

    at = datetime.fromisoformat(at_local).replace(tzinfo=zone).astimezone(UTC)
    with migrated_session(url) as session:
        session.add_all(
            AccountLookup(scope=f"call:earlier-{i}", subject=f"s{i}", kind="phone", known=True, allowed=True,
                          caller="79001110011", masked="7900***0011", at=at)
            for i in range(100)
        )
        session.commit()


def test_every_chat_is_a_new_call_on_fresh_demo_data(tmp_path, monkeypatch, capsys):
    """Chats piped one after another at the same `--at`: each one hears the demo data as documented,
    never the limits or readings an earlier chat left; `--keep` goes on with them."""
    from ivr.chat import chat_database_url
    from ivr.cli import main
    from ivr.settings import Settings

    monkeypatch.setenv("HOTLINE_DATA_DIR", str(tmp_path))
    at = "2025-11-20T12:00"
    talk = "сколько там у меня набежало\nда\nнет\nдо свидания\n"
    monkeypatch.setattr("sys.stdin", io.StringIO(talk))
    assert main(["chat", "--at", at]) == 0
    assert "robot> Сейчас к оплате" in capsys.readouterr().out
    settings = Settings.from_env()
    _many_earlier_lookups(chat_database_url(settings), at, settings.zone)

    monkeypatch.setattr("sys.stdin", io.StringIO(talk))
    assert main(["chat", "--at", at]) == 0
    fresh = capsys.readouterr().out
    assert "[demo data written to" in fresh
    assert "robot> Сейчас к оплате" in fresh and fresh.rstrip().endswith("[call ended: completed]")

    _many_earlier_lookups(chat_database_url(settings), at, settings.zone)
    monkeypatch.setattr("sys.stdin", io.StringIO(talk))
    assert main(["chat", "--at", at, "--keep"]) == 0
    kept = capsys.readouterr().out
    assert "[demo data written to" not in kept
    assert "robot> Сейчас к оплате" not in kept  # the earlier look-ups still count: the guard refuses
    # and the pretend caller hears a clear answer and is offered a person, no traceback
    assert f"robot> {prompts.SERVICE_DOWN}" in kept and "robot> Соединить вас с оператором?" in kept
    assert kept.rstrip().endswith("[call ended: operator]") and "Traceback" not in kept


async def test_looking_for_the_demo_account_counts_no_lookup(tmp_path):
    """The chat checks its database for the demo account directly: the API's enumeration guard
    counts only what the pretend caller asks."""
    from datetime import datetime

    from api.db import migrated_session
    from api.models import AccountLookup
    from ivr.chat import demo_backend
    from ivr.settings import Settings

    settings = Settings.from_env()
    url = f"sqlite:///{tmp_path / 'chat.db'}"
    at = datetime(2025, 11, 20, 12, 0, tzinfo=settings.zone)
    for _ in range(2):  # written, then found
        backend = await demo_backend(settings, url, at=at)
        await backend.aclose()
    with migrated_session(url) as session:
        assert session.query(AccountLookup).count() == 0
