"""One call's state and the thin layer over the channel that every flow uses.

Why a wrapper: every sentence said and every answer heard goes to the call's
transcript (for the operator console), the call must stop at its time limit,
and "повторите" needs the sentences said since the last question. Doing that
once here keeps the flows about the conversation only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from dialogs import prompts
from dialogs.backend import Backend
from dialogs.channel import Channel, DtmfSpec, Hangup, Reply
from dialogs.options import DialogOptions
from dialogs.record import CallRecord, Outbox

log = logging.getLogger(__name__)


class Escalate(Exception):
    """Leave the current flow for the operator; `reason` is one of prompts.ESCALATION_REASONS."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class CallTimeUp(Exception):
    """The call reached DialogOptions.max_call_seconds."""


class CallerLeaves(Exception):
    """The caller said goodbye («до свидания», «больше ничего»): end the call politely."""


class BackToMenu(Exception):
    """«меню», «назад», «в начало»: leave the current flow; `topics` said with it come next."""

    def __init__(self, topics: tuple[str, ...] = ()):
        super().__init__(", ".join(topics))
        self.topics = topics


class SwitchTopic(Exception):
    """The caller asked about another subject in the middle of a flow: answer that instead."""

    def __init__(self, topics: tuple[str, ...]):
        super().__init__(", ".join(topics))
        self.topics = topics


@dataclass
class Call:
    channel: Channel
    backend: Backend
    options: DialogOptions
    account: str | None = None
    verified: bool = False
    territory: int | None = None  # the account's suffix once identified
    phone_accounts: list[str] | None = None  # accounts on file for the caller's number, looked up once
    topics: list[str] = field(default_factory=list)  # what the caller asked for, in order
    pending: list[str] = field(default_factory=list)  # asked for in passing, answered next
    tasks_done: int = 0  # flows finished (an answer given, a reading stored, ...)
    resting: bool = False  # asked "anything else?" after a finished task: a hang-up now is no failure
    used_keys: bool = False  # answered with the keypad: questions lead with keys from now on
    callback_requested: bool = False
    callback_offered: bool = False
    last_heard: str = ""  # the caller's last words: a request may carry more («офис в Калтане»)
    misses: int = 0  # no-input/no-match answers in the whole call
    stored_meters: set[int] = field(default_factory=set)  # meters whose reading this call stored
    transcript: list[tuple[str, str]] = field(default_factory=list)
    started: datetime | None = None
    record: CallRecord = None  # type: ignore[assignment]  # the call record's one owner; see __post_init__
    _recent: list[str] = field(default_factory=list)  # said since the last question

    def __post_init__(self) -> None:
        if self.record is None:  # no one gave us the call's record: keep it in memory, sent behind
            self.record = CallRecord(Outbox(self.backend), self.channel.call_id, caller=self.channel.caller)

    @property
    def call_id(self) -> str:
        return self.channel.call_id

    # -- time ---------------------------------------------------------------

    def elapsed(self) -> float:
        if self.started is None:
            return 0.0
        return (self.options.now() - self.started).total_seconds()

    def check_time(self) -> None:
        if self.elapsed() >= self.options.max_call_seconds:
            raise CallTimeUp

    # -- speaking and listening --------------------------------------------

    async def say(self, text: str, *, check_time: bool = True) -> None:
        if check_time:
            self.check_time()
        await self.channel.say(text)
        self._recent.append(text)
        await self._note("robot", text)

    async def ask(
        self,
        prompt: str,
        *,
        expect: Sequence[str] | None,
        dtmf: DtmfSpec | None,
        complete: Callable[[str], bool] | None = None,
    ) -> Reply:
        """Ask once; raises Hangup when the caller has gone."""
        self.check_time()
        await self._note("robot", prompt)
        reply = await self.channel.ask(
            prompt, expect=expect, dtmf=dtmf, timeout=self.options.no_input_timeout, complete=complete
        )
        if reply.kind == "hangup":
            raise Hangup
        self.last_heard = reply.text if reply.kind == "speech" else ""
        if reply.kind == "speech":
            await self._note("caller", reply.text)
        elif reply.kind == "digits":
            await self._note("caller", prompts.transcript_keys(reply.digits))
        else:
            await self._note("caller", prompts.TRANSCRIPT_SILENCE)
        return reply

    @property
    def keys_first(self) -> bool:
        """Keys lead the questions for a caller who used them, and where no speech is recognised."""
        return self.used_keys or not getattr(self.channel, "hears_speech", True)

    def note_topics(self, topics: tuple[str, ...] | list[str]) -> None:
        """Remember subjects the caller named (for the operator's summary), once each, in order."""
        self.topics.extend(t for t in topics if t not in self.topics)

    def take_recent(self) -> list[str]:
        """Sentences said since the last question: what "повторите" says again."""
        recent, self._recent = self._recent, []
        return recent

    # -- call record in the API: written behind, never awaited ---------------

    async def _note(self, speaker: str, text: str) -> None:
        self.transcript.append((speaker, text))
        self.record.line(speaker, text)

    async def start(self) -> None:
        self.started = self.options.now()
        self.record.start(self.channel.caller)

    async def step(self, name: str) -> None:
        self.record.update(step=name)

    async def set_account(self, account: str) -> None:
        self.account = account
        self.territory = int(account[-1])
        self.record.update(account=account)

    async def finish(self, outcome: str) -> None:
        self.record.end(outcome)
