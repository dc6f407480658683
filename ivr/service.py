"""The running IVR: AudioSocket server + AMI adapter + one CallSession per call.

Why its own module: `hotline serve`, `hotline demo` and the real-Asterisk tests all need the
same wiring, with different dialogs, backends and voices injected.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from dialogs import prompts
from dialogs.backend import Backend
from dialogs.record import CallRecord, Outbox, Outcome
from ivr.session import CallSession, Dialog
from speech.asr import Recognizer
from speech.tts import Synthesizer
from telephony.ami import AmiClient, CallInfo, CallJoiner, mark_ivr_done
from telephony.audiosocket import AudioSocketCall, AudioSocketServer

if TYPE_CHECKING:
    from ivr.settings import Settings

log = logging.getLogger(__name__)

RecognizerFactory = Callable[[], Recognizer | None]


class HotlineService:
    """Answers every AudioSocket call with `dialog`, joined to its AMI UserEvent by call id."""

    def __init__(
        self,
        *,
        dialog: Dialog,
        backend: Backend,
        synthesizer: Synthesizer,
        recognizer_factory: RecognizerFactory | None = None,
        ami: AmiClient | None = None,
        host: str = "127.0.0.1",
        port: int = 9092,
        join_timeout: float = 2.0,
        idle_timeout: float = 10.0,
        no_input_timeout: float = 6.0,
        max_call_seconds: float = 600.0,
        record_transcript: bool = True,
        outbox: Outbox | None = None,
        max_calls: int | None = None,
        first_audio_timeout: float | None = 1.0,
        reuse_port: bool = False,
        route: Callable[[CallInfo], Dialog | None] | None = None,
    ):
        self._dialog = dialog
        # Calls the dialplan marks as another kind (an outbound debt reminder) get their own dialog.
        self._route = route
        self._backend = backend
        self._synth = synthesizer
        self._recognizer_factory = recognizer_factory
        self.ami = ami
        self.joiner = CallJoiner()
        self._join_timeout = join_timeout
        self._session_options: dict[str, Any] = dict(
            no_input_timeout=no_input_timeout,
            max_call_seconds=max_call_seconds,
            record_transcript=record_transcript,
            outbox=outbox,
        )
        self.server = AudioSocketServer(
            self._handle, host, port, idle_timeout=idle_timeout, max_calls=max_calls, on_busy=self._busy,
            first_audio_timeout=first_audio_timeout, reuse_port=reuse_port,
        )
        self.sessions: dict[str, CallSession] = {}
        self.finished: deque[CallSession] = deque(maxlen=100)  # recent calls, newest last
        self._finished_event = asyncio.Event()
        self._remove_listener: Callable[[], None] | None = None

    @classmethod
    def from_settings(cls, settings: Settings, **parts: Any) -> HotlineService:
        parts.setdefault("host", settings.audiosocket_host)
        parts.setdefault("port", settings.audiosocket_port)
        parts.setdefault("idle_timeout", settings.audiosocket_idle_timeout)
        parts.setdefault("no_input_timeout", settings.no_input_timeout)
        parts.setdefault("max_call_seconds", settings.max_call_seconds)
        parts.setdefault("max_calls", settings.max_calls)
        return cls(**parts)

    async def start(self) -> None:
        if self.ami is not None:
            # Events, and after every reconnect the calls whose event fell into the gap.
            self._remove_listener = self.joiner.attach(self.ami)
        await self.server.start()

    async def drain(self, seconds: float) -> int:
        """A graceful stop: take no new calls, let live ones finish for up to `seconds`, then end
        the rest with a sentence (outcome `shutdown`). Returns how many had to be ended."""
        self.server.stop_accepting()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        if self.sessions:
            log.info("stopping: %d calls still talking; waiting up to %.0f s", len(self.sessions), seconds)
        while self.sessions and loop.time() < deadline:
            self._finished_event.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._finished_event.wait(), deadline - loop.time())
        ended = list(self.sessions.values())
        for session in ended:
            session.interrupt(prompts.SHUTTING_DOWN)
        waiting = [s.call_id for s in ended]
        limit = loop.time() + 20.0  # the sentence, the hang-up, the record handed to the outbox
        while any(c in self.sessions for c in waiting) and loop.time() < limit:
            self._finished_event.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._finished_event.wait(), 0.5)
        return len(ended)

    async def _busy(self, call: AudioSocketCall) -> None:
        """Over the cap: a short sentence, the leg hung up, and the call noted for the admin."""
        record = CallRecord(self._session_options["outbox"] or Outbox(self._backend), call.call_id)
        record.line("robot", prompts.LINES_BUSY)
        with contextlib.suppress(Exception):
            await call.play(await self._synth.synthesize(prompts.LINES_BUSY))
        if self.ami is not None and not call.is_closed:  # ended on purpose: no failover to the next host
            wait = self._join_timeout if self.ami.connected.is_set() else 0.0
            info = await self.joiner.wait(call.call_id, wait)
            await mark_ivr_done(self.ami, info.channel if info else None)
        await call.hangup()
        record.end(Outcome.BUSY)

    async def close(self) -> None:
        await self.server.close()
        if self._remove_listener is not None:
            self._remove_listener()

    async def __aenter__(self) -> HotlineService:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def wait_finished(self, call_id: str, timeout: float = 30.0) -> CallSession:
        """The session of call `call_id` once it has finished."""

        def found() -> CallSession | None:
            return next((s for s in self.finished if s.call_id == call_id), None)

        async def wait() -> CallSession:
            while (session := found()) is None:
                self._finished_event.clear()
                await self._finished_event.wait()
            return session

        return await asyncio.wait_for(wait(), timeout)

    async def _learn_late(self, session: CallSession) -> None:
        """A call that came while AMI was down: the reconnect's recovery still tells its caller's
        number and channel, so the caller can be transferred to an operator."""
        info = await self.joiner.wait(session.call_id, timeout=self._session_options["max_call_seconds"])
        if info is not None:
            session.caller = session.caller or info.caller
            session.channel = session.channel or info.channel
            log.info("call %s: caller and channel learnt after the AMI reconnect", session.call_id)

    async def _make_recognizer(self) -> Recognizer | None:
        if self._recognizer_factory is None:
            return None
        try:
            return await asyncio.to_thread(self._recognizer_factory)
        except Exception:
            log.exception("no recogniser for this call; keypad only")
            return None

    async def _handle(self, call: AudioSocketCall) -> None:
        info = None
        if self.ami is not None:
            # With AMI down no event will come: do not keep the caller waiting for it.
            timeout = self._join_timeout if self.ami.connected.is_set() else 0.0
            info = await self.joiner.wait(call.call_id, timeout)
        dialog = self._dialog
        if info is not None and self._route is not None:
            dialog = self._route(info) or dialog
        session = CallSession(
            call,
            backend=self._backend,
            synthesizer=self._synth,
            recognizer=await self._make_recognizer(),
            info=info,
            ami=self.ami,
            **self._session_options,
        )
        self.sessions[call.call_id] = session
        late = None
        if info is None and self.ami is not None:
            late = asyncio.create_task(self._learn_late(session), name=f"late-info-{call.call_id}")
        try:
            await session.run(dialog)
        finally:
            if late is not None:
                late.cancel()
            self.sessions.pop(call.call_id, None)
            self.finished.append(session)
            self._finished_event.set()
