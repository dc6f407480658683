"""Text channels: the same dialogs without a phone, for tests and for `hotline chat`.

A person (terminal) or a test (script) plays the recogniser and the keypad:
a line of words is what Vosk would print, `#` starts keys (`#1`, `#0011100117#`,
where a trailing `#` is the terminator and `*` erases or is the decimal point
as the question says), an empty line is silence, and the end of input (Ctrl-D,
or the end of a script) is the caller hanging up.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

from dialogs import keys
from dialogs.answers import normalise
from dialogs.channel import DtmfSpec, Hangup, Reply

KEYS_MARK = "#"
UNKNOWN_WORD = "[unk]"  # what Vosk prints for a word outside the grammar


def keys_reply(typed: str, dtmf: DtmfSpec) -> Reply:
    """Keys as the phone's DTMF collector would deliver them under `dtmf`."""
    return keys.collect(typed, dtmf)


def reply_from_line(line: str | None, dtmf: DtmfSpec | None) -> Reply:
    """One typed line → the Reply a real call would give. Keys where none are taken are not heard."""
    if line is None:
        return Reply.hangup()
    line = line.strip()
    if not line:
        return Reply.silence()
    if line.startswith(KEYS_MARK):
        return keys_reply(line[1:], dtmf) if dtmf is not None else Reply.silence()
    return Reply.speech(line.lower())


@dataclass(frozen=True)
class Asked:
    """One question as the channel saw it: what the robot said and what it listened for."""

    prompt: str
    expect: tuple[str, ...] | None
    dtmf: DtmfSpec | None
    reply: Reply
    robot: str  # everything the robot said since the previous answer, this question included


class TextChannel:
    """Shared by the scripted and the terminal channel: records the call, plays the caller's lines."""

    def __init__(
        self,
        *,
        call_id: str = "text-call",
        caller: str | None = None,
        transfer_ok: bool = True,
        hears_speech: bool = True,
    ):
        self.call_id = call_id
        self.caller = caller
        self.slow = False
        self.hears_speech = hears_speech  # False plays a line with no speech model: keys only
        self.transfer_ok = transfer_ok
        self.said: list[str] = []  # every sentence the robot said, questions included
        self.asked: list[Asked] = []
        self.events: list[str] = []  # "say", "ask", "transfer", "hangup", in order
        self.transferred = False
        self.hung_up = False  # by our side
        self.gone = False  # the caller has left
        self._since_answer: list[str] = []

    async def say(self, text: str, *, barge_in: bool = True) -> None:
        if self.gone or self.hung_up:
            raise Hangup
        self.events.append("say")
        self._speak(text)

    async def ask(
        self,
        prompt: str,
        *,
        expect: Sequence[str] | None = None,
        dtmf: DtmfSpec | None = None,
        timeout: float | None = None,
        complete: Callable[[str], bool] | None = None,
    ) -> Reply:
        if self.gone or self.hung_up:
            return Reply.hangup()
        self.events.append("ask")
        self._speak(prompt)
        reply = await self._next_reply(expect, dtmf)
        if reply.kind == "hangup":
            self.gone = True
        robot = " ".join(self._since_answer)
        self._since_answer = []
        self.asked.append(Asked(prompt, tuple(expect) if expect is not None else None, dtmf, reply, robot))
        return reply

    async def transfer_to_operator(self) -> bool:
        self.events.append("transfer")
        self.transferred = self.transfer_ok
        return self.transfer_ok

    async def hangup(self) -> None:
        self.events.append("hangup")
        self.hung_up = True

    def _speak(self, text: str) -> None:
        self.said.append(text)
        self._since_answer.append(text)

    @property
    def tail(self) -> str:
        """What the robot said after the caller's last answer (the goodbye, the handover)."""
        return " ".join(self._since_answer)

    async def _next_reply(self, expect: Sequence[str] | None, dtmf: DtmfSpec | None) -> Reply:
        raise NotImplementedError


class ScriptedChannel(TextChannel):
    """The caller's side given in advance, for tests. Items are typed lines (see module doc) or
    Reply objects; when the script runs out the caller hangs up.

    Typed words are checked against the question's grammar (what the robot listens for), so a
    test cannot pass with a word the recogniser would never return; pass `Reply.speech(...)` to
    play a recogniser result as it is (noise, "[unk]").
    `hangup_when(sentence)`: the caller hangs up while the robot says a matching sentence.
    """

    def __init__(
        self,
        script: Iterable[str | Reply | None],
        *,
        hangup_when: Callable[[str], bool] | None = None,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        self.script = list(script)
        self.hangup_when = hangup_when

    def _speak(self, text: str) -> None:
        super()._speak(text)
        if self.hangup_when is not None and self.hangup_when(text):
            self.gone = True
            raise Hangup

    async def _next_reply(self, expect: Sequence[str] | None, dtmf: DtmfSpec | None) -> Reply:
        if not self.script:
            return Reply.hangup()
        item = self.script.pop(0)
        if isinstance(item, Reply):
            return item
        if item is not None and item.strip() and not item.strip().startswith(KEYS_MARK):
            item = _as_heard(item, expect)
        if item is not None and item.strip().startswith(KEYS_MARK) and dtmf is None:
            raise AssertionError(f"keys {item!r} typed where the robot takes no keys")
        return reply_from_line(item, dtmf)


def _as_heard(line: str, expect: Sequence[str] | None) -> str:
    """The line as a recogniser under `expect` would print it: words outside a grammar that has
    `[unk]` come out as `[unk]`; outside a grammar without it they could not be heard at all."""
    if expect is None:
        return line
    known = {word for phrase in expect for word in normalise(phrase).split()}
    words = normalise(line).split()
    unknown = [word for word in words if word not in known]
    if not unknown:
        return line
    if UNKNOWN_WORD in expect:
        return " ".join(word if word in known else UNKNOWN_WORD for word in words)
    raise AssertionError(f"{unknown} are not in this question's grammar; the recogniser would not hear them")


class TerminalChannel(TextChannel):
    """A person at the keyboard plays the caller (`hotline chat`)."""

    def __init__(self, *, stdin: TextIO | None = None, stdout: TextIO | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout

    def _speak(self, text: str) -> None:
        super()._speak(text)
        self.stdout.write(f"robot> {text}\n")
        self.stdout.flush()

    async def transfer_to_operator(self) -> bool:
        ok = await super().transfer_to_operator()
        self.stdout.write(f"[transfer to the operators' queue: {'done' if ok else 'failed'}]\n")
        return ok

    async def hangup(self) -> None:
        await super().hangup()
        self.stdout.write("[the robot hung up]\n")

    async def _next_reply(self, expect: Sequence[str] | None, dtmf: DtmfSpec | None) -> Reply:
        self.stdout.write("you> ")
        self.stdout.flush()
        line = await asyncio.to_thread(self.stdin.readline)
        if line == "":  # end of input: Ctrl-D
            self.stdout.write("\n")
            return Reply.hangup()
        if not _is_terminal(self.stdin):  # piped input: show it, so the session reads as a dialogue
            self.stdout.write(line if line.endswith("\n") else line + "\n")
        reply = reply_from_line(line, dtmf)
        if line.strip().startswith(KEYS_MARK) and dtmf is None:
            self.stdout.write("[this question takes no keys: the robot heard nothing]\n")
        return reply


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
