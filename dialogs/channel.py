"""The channel a dialog talks through: say, ask, transfer, hang up.

Why an interface: the same dialog code runs on a real call (ivr.CallSession over
AudioSocket, with Vosk and espeak-ng) and on a text channel in tests and in
`hotline chat`, where a person or a test plays the recogniser and the keypad.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

ReplyKind = Literal["speech", "digits", "silence", "hangup"]


class Hangup(Exception):
    """The caller has gone; raised by `say` (and by dialog helpers) to unwind the dialog."""


@dataclass(frozen=True)
class Reply:
    """What the caller answered: recognised speech, keys, nothing, or a hang-up."""

    kind: ReplyKind
    text: str = ""  # the recogniser's final text (lower case, numbers as words)
    digits: str = ""  # keys pressed, terminator removed, `*` erasures applied

    @classmethod
    def speech(cls, text: str) -> Reply:
        return cls("speech", text=text)

    @classmethod
    def keys(cls, digits: str) -> Reply:
        return cls("digits", digits=digits)

    @classmethod
    def silence(cls) -> Reply:
        return cls("silence")

    @classmethod
    def hangup(cls) -> Reply:
        return cls("hangup")


@dataclass(frozen=True)
class DtmfSpec:
    """How keys are collected for one question.

    max_digits=1 answers on the first key (menus); longer entries end with the
    terminator or when max_digits keys were pressed; the erase key clears what
    was typed so far (the caller starts again).
    """

    max_digits: int = 1
    terminator: str | None = "#"
    erase: str | None = "*"
    inter_digit_timeout: float = 5.0


class Channel(Protocol):
    """What every dialog may use. Implementations: ivr.CallSession, dialogs.textchannel."""

    call_id: str
    caller: str | None  # the caller's number as the network gave it, or None
    slow: bool  # speak slower for the rest of the call ("медленнее")
    hears_speech: bool  # False: no speech recogniser on this line, the caller answers with keys

    async def say(self, text: str, *, barge_in: bool = True) -> None:
        """Speak `text`. A key or a real word from the caller stops it early (barge-in);
        what they said or pressed is kept for the next `ask`. Raises Hangup if the caller left."""

    async def ask(
        self,
        prompt: str,
        *,
        expect: Sequence[str] | None = None,
        dtmf: DtmfSpec | None = None,
        timeout: float | None = None,
        complete: Callable[[str], bool] | None = None,
    ) -> Reply:
        """Speak `prompt`, then wait for speech (recogniser grammar `expect`, None = free
        speech) or keys (`dtmf`, None = keys not accepted, collected by `dialogs.keys`) up to
        `timeout` seconds of silence. `complete(text)`: True when words heard so far already
        are a whole answer, so the channel need not wait out the caller's pause (a speech
        channel ends the utterance sooner). Returns Reply.hangup() if the caller left (never
        raises for it)."""

    async def transfer_to_operator(self) -> bool:
        """Hand the call to the operators' queue. True if the handover happened."""

    async def hangup(self) -> None:
        """End the call from our side."""


def prepare(channel: Channel, text: str) -> None:
    """Tell the channel what the dialog will say soon, so a speaking channel renders it while
    something else happens (a sentence plays, the caller answers): no wait when it is said.
    A hint only: channels that render nothing (the text channel) have no `prepare` and ignore it."""
    hook = getattr(channel, "prepare", None)
    if hook is not None:
        hook(text)
