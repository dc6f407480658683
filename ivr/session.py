"""CallSession: one phone call, wired from its AudioSocket connection to speech, a dialog and the API.

It is the real `dialogs.channel.Channel`, composed of three parts with one job each: the
recogniser pump (`ivr.recogniser_pump`: audio into the recogniser, its results kept), the input
collector (`ivr.input_collector`: one answer by keys per `DtmfSpec` or by voice) and the player
(`ivr.player`: speech at real time, cut for barge-in — a key, or a partial result holding at least
one real word, never noise or `[unk]`, which would make the robot stutter at every cough). The
session itself runs the dialog, the transfer and the call's end. The call record has one owner,
`dialogs.record.CallRecord` (`session.record`, over the process's outbox): the dialog starts and
ends it, and the session only ends it for a call that ended abnormally (hang-up mid-dialog, a
failure, the hard limit).
Nothing on the voice path waits for the API. On hang-up, whatever the dialog was doing, the
recogniser is freed. The hard limit is the dialog's own limit plus a grace, so a dialog that
notices its time is up still says goodbye.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from dialogs import prompts
from dialogs.backend import Backend
from dialogs.channel import DtmfSpec, Hangup, Reply
from dialogs.conversation import LIMIT_GRACE_SECONDS
from dialogs.record import CallRecord, Outbox, Outcome
from ivr.input_collector import InputCollector
from ivr.player import Player
from ivr.recogniser_pump import RecogniserPump, real_words
from speech.asr import Recognizer
from speech.tts import Synthesizer, spoken_pieces
from speech.tts import prepare as prepare_speech
from telephony.ami import AmiClient, AmiError, CallInfo, mark_ivr_done
from telephony.audiosocket import AudioSocketCall

log = logging.getLogger(__name__)

# A dialog may return its own outcome (dialogs.conversation does); it then wins over ours.
Dialog = Callable[["CallSession", Backend], Coroutine[Any, Any, str | None]]

# Outcomes this session may store itself (the dialog's own outcome wins when it returns one).
COMPLETED, HANGUP, TRANSFERRED, TIMEOUT, ERROR = (
    Outcome.COMPLETED, Outcome.HANGUP, Outcome.OPERATOR, Outcome.TIME_LIMIT, Outcome.SERVICE_ERROR
)
# After the call: how long the session waits for the API to take the call record.
SETTLE_SECONDS = 10.0
# Close reasons of the AudioSocket call that mean the caller's side went away.
PEER_GONE = frozenset(
    {"peer_hangup", "peer_closed", "peer_error", "link_lost", "idle_timeout", "write_stalled"}
)


class _Interrupted(Exception):
    """The IVR is stopping and ended this call with a sentence (see `CallSession.interrupt`)."""


__all__ = ["CallSession", "Dialog", "real_words"]


class CallSession:
    """The channel a dialog talks through on a real call (see module doc)."""

    def __init__(
        self,
        call: AudioSocketCall,
        *,
        backend: Backend,
        synthesizer: Synthesizer,
        recognizer: Recognizer | None = None,
        info: CallInfo | None = None,
        ami: AmiClient | None = None,
        no_input_timeout: float = 6.0,
        max_call_seconds: float = 600.0,
        operators_context: str = "operators",
        operators_exten: str = "s",
        utterance_grace: float = 3.0,
        record_transcript: bool = True,
        outbox: Outbox | None = None,
        limit_grace: float = LIMIT_GRACE_SECONDS,
    ):
        self.call = call
        self.call_id = call.call_id
        self.caller = info.caller if info else None
        self.channel = info.channel if info else None
        # The caller's previous leg, when the IVR that held this call died mid-call (see run).
        self.resumes = info.resumes if info else None
        self.slow = False
        # Without a speech model the caller can only use keys: every question names them at once.
        self.hears_speech = recognizer is not None
        self.backend = backend
        self.outcome: str | None = None
        self.transcript: list[tuple[str, str]] = []  # (speaker, text), also sent to the API
        self._synth = synthesizer
        self._ami = ami
        self._no_input_timeout = no_input_timeout
        self._max_call_seconds = max_call_seconds
        self._limit_grace = limit_grace
        self._operators = (operators_context, operators_exten)
        # dialogs.conversation keeps the transcript itself (with its own notes for silence and
        # keys); then the session must not write every line a second time.
        self._record_transcript = record_transcript
        # Three parts: the recogniser pump (audio in), the input collector (an answer), the player.
        self._pump = RecogniserPump(call, recognizer, lambda: self._input.kick())
        self._input = InputCollector(call, self._pump, utterance_grace=utterance_grace)
        self._player = Player(call, self._input)
        self._transferred = False
        self._interrupted = asyncio.Event()
        self._interrupt_text = ""
        self._hung_up_by_us = False
        # background work
        self._tasks: list[asyncio.Task[None]] = []
        # The call record: the process's outbox, or (tests, tools) one of this call's own.
        kept = outbox if outbox is not None else Outbox(backend)
        self._own_outbox = kept if outbox is None else None
        self.record = CallRecord(kept, self.call_id, caller=self.caller, channel=self.channel)

    # ---- running the call --------------------------------------------------------------------
    async def run(self, dialog: Dialog) -> str:
        """Run `dialog(self, backend)` for this call; returns the outcome stored on the call record."""
        loop = asyncio.get_running_loop()
        if self._own_outbox is not None:
            await self._own_outbox.start()
        self._tasks = [
            loop.create_task(self._pump.run(), name=f"session-audio-{self.call_id}"),
            loop.create_task(self._input.run_keys(), name=f"session-dtmf-{self.call_id}"),
            loop.create_task(self._input.watch_hangup(), name=f"session-hangup-{self.call_id}"),
        ]
        outcome: str = COMPLETED
        returned: str | None = None
        dialog_task = loop.create_task(self._run_dialog(dialog), name=f"dialog-{self.call_id}")
        try:
            async with asyncio.timeout(self._max_call_seconds + self._limit_grace):
                returned = await self._until_done(dialog_task)
            if isinstance(returned, str) and returned:
                outcome = returned
            else:
                returned = None
        except Hangup:
            outcome = HANGUP
        except _Interrupted:
            outcome = Outcome.SHUTDOWN
        except TimeoutError:
            log.warning(
                "call %s: longer than %.0f s (and its grace); ending it", self.call_id, self._max_call_seconds
            )
            outcome = TIMEOUT
        except asyncio.CancelledError:
            outcome = ERROR
            raise
        except Exception:
            log.exception("call %s: dialog failed", self.call_id)
            outcome = ERROR
        finally:
            if not dialog_task.done():
                dialog_task.cancel()
                await asyncio.gather(dialog_task, return_exceptions=True)
            if returned is not None:
                pass  # the dialog knows best why the call ended
            elif self._transferred:
                outcome = TRANSFERRED
            elif outcome == COMPLETED and self.call.close_reason in PEER_GONE and not self._hung_up_by_us:
                outcome = HANGUP
            self.outcome = outcome
            await self._finish(outcome)
        return outcome

    async def _run_dialog(self, dialog: Dialog) -> str | None:
        """The dialog; on a call resumed from a dead IVR, after a sentence saying why it starts over."""
        if self.resumes:
            log.info("call %s: resumes call %s, whose IVR died; starting over", self.call_id, self.resumes)
            if not self._record_transcript:  # the dialog keeps the transcript from its own start
                self.record.line("robot", prompts.CALL_RESUMED)
            await self.say(prompts.CALL_RESUMED, barge_in=False)
        return await dialog(self, self.backend)

    def interrupt(self, text: str) -> None:
        """End the call now with `text` (the IVR is stopping): the dialog is stopped, the caller hears
        the sentence, the record is closed as `shutdown`."""
        self._interrupt_text = text
        self._interrupted.set()

    async def _until_done(self, dialog_task: asyncio.Task[str | None]) -> str | None:
        """Wait for the dialog; if the caller hangs up, give it a moment to unwind, then stop it."""
        closed = asyncio.ensure_future(self.call.closed.wait())
        interrupted = asyncio.ensure_future(self._interrupted.wait())
        try:
            await asyncio.wait({dialog_task, closed, interrupted}, return_when=asyncio.FIRST_COMPLETED)
            if interrupted.done() and not dialog_task.done() and not self.call.is_closed:
                dialog_task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await dialog_task
                if self._transferred:
                    return None
                if not self._record_transcript:  # the dialog kept the transcript; it is gone now
                    self.record.line("robot", self._interrupt_text)
                with contextlib.suppress(Hangup):
                    await self.say(self._interrupt_text, barge_in=False)
                self._hung_up_by_us = True
                raise _Interrupted()
            if not dialog_task.done():
                await asyncio.wait({dialog_task}, timeout=2.0)
            if not dialog_task.done():
                dialog_task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await dialog_task
                raise Hangup()
            return dialog_task.result()
        finally:
            closed.cancel()
            interrupted.cancel()

    async def _finish(self, outcome: str) -> None:
        """Whatever happened: stop listening, free the recogniser, end the leg, close the record
        (unless the dialog did), then give the API a moment to take it."""
        await self._stop_pumps()
        self._pump.close()
        if self.record.end(outcome):
            log.info("call %s: record closed by the session (%s)", self.call_id, outcome)
        if self._transferred:
            await self.call.release()  # the channel lives on in the operators' queue
        elif not self.call.is_closed:
            await self._end_leg()
        if not await self.record.settle(SETTLE_SECONDS):
            log.warning("call %s: the API has not taken the call record yet (kept for it)", self.call_id)
        if self._own_outbox is not None:
            await self._own_outbox.close(timeout=1.0)
        log.info("call %s: ended (%s)", self.call_id, outcome)

    async def _stop_pumps(self) -> None:
        self._pump.stop()
        for task in self._tasks:
            # Never cancel the audio pump inside recognizer.feed: native decoding runs in a thread.
            if task.get_name().startswith("session-audio") and not self._pump.stoppable():
                continue
            task.cancel()
        self._input.kick()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    # ---- the Channel interface ---------------------------------------------------------------
    async def say(self, text: str, *, barge_in: bool = True) -> None:
        if self.call.is_closed:
            raise Hangup()
        self._add_transcript("robot", text)
        # sentence by sentence where the synthesizer can: the first plays while the rest render
        await self._player.play_pieces(spoken_pieces(self._synth, text, slow=self.slow), barge_in=barge_in)
        if self.call.is_closed:
            raise Hangup()

    def prepare(self, text: str) -> None:
        """Start rendering what the dialog will say soon (`dialogs.channel.prepare`)."""
        prepare_speech(self._synth, text, slow=self.slow)

    async def ask(
        self,
        prompt: str,
        *,
        expect: Sequence[str] | None = None,
        dtmf: DtmfSpec | None = None,
        timeout: float | None = None,
        complete: Callable[[str], bool] | None = None,
    ) -> Reply:
        if self.call.is_closed:
            return Reply.hangup()
        if dtmf is None:
            self._input.clear_keys()  # keys are not an answer to this question
        if not self._pump.speaking and not self._pump.finals:
            self._pump.set_grammar(expect, complete)
        try:
            if prompt:
                await self.say(prompt)
        except Hangup:
            return Reply.hangup()
        reply = await self._input.collect(dtmf, timeout if timeout is not None else self._no_input_timeout)
        if reply.kind == "speech":
            self._add_transcript("caller", reply.text)
        elif reply.kind == "digits":
            self._add_transcript("caller", f"[DTMF] {reply.digits}")
        return reply

    async def transfer_to_operator(self) -> bool:
        if self._ami is None or not self.channel or self.call.is_closed:
            log.warning("call %s: cannot transfer (no AMI or no channel known)", self.call_id)
            return False
        await self.record.settle(5.0)  # the operator console should see the whole transcript
        try:
            await self._ami.redirect(self.channel, *self._operators)
        except AmiError as exc:
            log.warning("call %s: transfer to operators failed: %s", self.call_id, exc)
            return False
        self._transferred = True
        log.info("call %s: redirected to %s", self.call_id, "/".join(self._operators))
        return True

    async def hangup(self) -> None:
        self._hung_up_by_us = True
        await self._end_leg()

    async def _end_leg(self) -> None:
        """Hang up our leg, first telling the dialplan the call is over (else it would take the
        hang-up for a dead IVR and dial the next host)."""
        if not self.call.is_closed:
            await mark_ivr_done(self._ami, self.channel)
        await self.call.hangup()

    # ---- the call record, in order, off the voice path ----------------------------------------
    def _add_transcript(self, speaker: str, text: str) -> None:
        self.transcript.append((speaker, text))
        if self._record_transcript:
            self.record.line(speaker, text)
