"""`hotline chat`: the dialogs in a terminal."""

from __future__ import annotations

import io

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
