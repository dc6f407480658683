"""The text channel: typed lines become what a real call would deliver."""

from __future__ import annotations

import io

import pytest

from dialogs.channel import DtmfSpec, Hangup, Reply
from dialogs.textchannel import ScriptedChannel, TerminalChannel, keys_reply, reply_from_line

ACCOUNT_KEYS = DtmfSpec(max_digits=10, terminator="#", erase="*")
DECIMAL_KEYS = DtmfSpec(max_digits=12, terminator="#", erase=None)
ONE_KEY = DtmfSpec(max_digits=1, terminator=None, erase=None)


@pytest.mark.parametrize(("typed", "spec", "digits"), [
    ("0011100117#", ACCOUNT_KEYS, "0011100117"),
    ("00111*0011100117#", ACCOUNT_KEYS, "0011100117"),
    ("001110011799", ACCOUNT_KEYS, "0011100117"),  # stops at max_digits
    ("124*5#", DECIMAL_KEYS, "124*5"),
    ("12", ONE_KEY, "1"),
    ("*", ONE_KEY, "*"),
])
def test_keys_collected_as_the_phone_would(typed, spec, digits):
    assert keys_reply(typed, spec) == Reply.keys(digits)


def test_lines_to_replies():
    assert reply_from_line(None, None) == Reply.hangup()
    assert reply_from_line("  ", ONE_KEY) == Reply.silence()
    assert reply_from_line("Баланс", None) == Reply.speech("баланс")
    assert reply_from_line("#1", ONE_KEY) == Reply.keys("1")
    assert reply_from_line("#1", None) == Reply.silence()  # keys where none are taken are not heard


async def test_scripted_channel_checks_the_grammar_and_ends_with_a_hangup():
    channel = ScriptedChannel(["баланс", "кукуруза"])
    assert await channel.ask("?", expect=["баланс"]) == Reply.speech("баланс")
    with pytest.raises(AssertionError, match="grammar"):
        await channel.ask("?", expect=["баланс"])
    assert await channel.ask("?") == Reply.hangup()
    with pytest.raises(Hangup):
        await channel.say("never heard")


async def test_terminal_channel_prints_the_robot_and_reads_the_caller():
    out = io.StringIO()
    channel = TerminalChannel(stdin=io.StringIO("да\n#2\n\n"), stdout=out)
    await channel.say("Здравствуйте!")
    assert await channel.ask("Верно?", dtmf=ONE_KEY) == Reply.speech("да")
    assert await channel.ask("Верно?", dtmf=ONE_KEY) == Reply.keys("2")
    assert await channel.ask("Верно?", dtmf=ONE_KEY) == Reply.silence()
    assert await channel.ask("Верно?", dtmf=ONE_KEY) == Reply.hangup()  # end of input: Ctrl-D
    assert "robot> Здравствуйте!" in out.getvalue()
