"""The hotline's dialogs in a terminal: one call over a text channel (`hotline chat`).

Why: a newcomer or an author of prompts can walk every branch of the conversation in a
minute, without a phone, Asterisk or Vosk. The robot's lines are printed; the caller types
words as the recogniser would print them, keys as `#1` or `#0011100117#`, an empty line for
silence, Ctrl-D to hang up. The account backend is handed in: `ivr.chat` wires the command
to the real API over a demo database (dialogs know no API and no settings).
"""

from __future__ import annotations

import uuid
from typing import TextIO

from dialogs import prompts
from dialogs.backend import Backend
from dialogs.conversation import run_conversation
from dialogs.options import DialogOptions
from dialogs.textchannel import TerminalChannel

HELP = """\
Type what the caller says, in Russian, as the recogniser would print it ({examples}).
Keys: #1, #0011100117# (* erases an account, or is the decimal point in amounts and readings).
Empty line: silence. Ctrl-D: hang up.
"""


def chat_help() -> str:
    """What the terminal shows before the call: how to talk to the robot."""
    return HELP.format(examples=", ".join(f'"{w}"' for w in prompts.CHAT_EXAMPLES)) + "\n"


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
