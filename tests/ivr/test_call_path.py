"""The whole call path as production wires it: AudioSocket → CallSession → run_conversation →
the call record's outbox → the real account API (in-process, demo data).

Why here: the call record used to have two owners (registered and ended twice), a slow API
became dead air between the robot's sentences, and the session's own limit cut the dialog
before its goodbye. These tests run the real parts together and would show each again.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections import Counter
from datetime import datetime
from functools import partial
from typing import Any

from dialogs import prompts
from dialogs.conversation import run_conversation
from dialogs.options import DialogOptions
from dialogs.record import Outbox
from dialogs.understanding import warm_up
from ivr.api_client import ApiClient
from ivr.session import CallSession
from telephony.ami import CallInfo
from telephony.audiosocket import AudioSocketServer
from tests.dialogs.demo_api import IVR_TOKEN, PHONE
from tests.telephony.fakes import ToneSynthesizer
from tests.telephony.peer import StreamingAsterisk, until

WRITES = {"start_call", "update_call", "add_transcript", "add_transcript_lines", "end_call", "escalate",
          "submit_reading"}
API_DELAY = 1.0  # seconds the API takes to answer each write
# Thursday noon in the demo data's own time: operators open, readings window open.
NOON = datetime(2025, 11, 20, 12, 0)


class ApiInThread:
    """The demo API served by uvicorn on its own thread and event loop, as a separate process would
    be: its work never runs on the IVR's loop (an in-process ASGI app would stall the voice)."""

    def __init__(self, app: Any):
        import uvicorn

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    async def __aenter__(self) -> ApiClient:
        self.thread.start()
        await until(lambda: self.server.started)
        self.client = ApiClient(f"http://127.0.0.1:{self.port}", IVR_TOKEN)
        return self.client

    async def __aexit__(self, *exc: object) -> None:
        await self.client.aclose()
        self.server.should_exit = True
        await asyncio.to_thread(self.thread.join, 10)


class SlowApi:
    """The real API client, each write answered `API_DELAY` late; counts what the IVR sent."""

    def __init__(self, backend: Any):
        self._backend = backend
        self.sent: Counter[str] = Counter()

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._backend, name)
        if name not in WRITES:
            return method

        async def slow(*args: Any, **kwargs: Any) -> Any:
            self.sent[name] += 1
            await asyncio.sleep(API_DELAY)
            return await method(*args, **kwargs)

        return slow


class Observed(CallSession):
    """The real session, noting each question the dialog asks (the test presses keys in turn)."""

    asked: list[str]
    new_question: asyncio.Event

    async def ask(self, prompt: str, **kwargs: Any):  # type: ignore[override]
        self.asked.append(prompt)
        self.new_question.set()
        return await super().ask(prompt, **kwargs)


class Line:
    """One call from a streaming fake Asterisk into the real session and conversation."""

    def __init__(self, backend: Any, *, max_call_seconds: float = 120.0):
        self.backend = backend
        self.outbox = Outbox(backend)
        self.synth = ToneSynthesizer()
        self.options = DialogOptions(clock=_clock, max_call_seconds=max_call_seconds)
        self.max_call_seconds = max_call_seconds
        self.session: Observed | None = None
        self.outcome: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self.server = AudioSocketServer(self._handle, "127.0.0.1", 0, warmup=0)
        self.peer = StreamingAsterisk()

    async def _handle(self, call) -> None:
        session = Observed(
            call, backend=self.backend, synthesizer=self.synth,
            info=CallInfo(call.call_id, PHONE, "Local/test;1"), outbox=self.outbox,
            max_call_seconds=self.max_call_seconds, record_transcript=False,
        )
        session.asked, session.new_question = [], asyncio.Event()
        self.session = session
        try:
            self.outcome.set_result(await session.run(partial(run_conversation, options=self.options)))
        except BaseException as exc:
            self.outcome.set_exception(exc)
            raise

    async def __aenter__(self) -> Line:
        warm_up()  # as `hotline serve` does at start (ivr.commands): dictionaries loaded before calls
        await self.outbox.start()
        await self.server.start()
        await self.peer.connect(self.server.port)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.peer.close()
        await self.server.close()
        await self.outbox.close()

    async def answer(self, fragment: str, keys: str, timeout: float = 20.0) -> None:
        """Press `keys` once the robot asks a question containing `fragment`."""
        deadline = time.monotonic() + timeout
        while True:
            session = self.session
            if session is not None and session.asked and fragment in session.asked[-1]:
                break
            assert time.monotonic() < deadline, f"never asked {fragment!r}: {session and session.asked}"
            await asyncio.sleep(0.02)
        asked = len(session.asked)
        # As a caller does: the question has begun to sound before a key cuts it (barge-in).
        started = time.monotonic()
        await until(lambda: any(any(p) for at, p in self.peer.audio() if at > started), timeout)
        for key in keys:
            self.peer.send_dtmf(key)
        # taken: the next question comes (or the call ends)
        await until(lambda: len(session.asked) > asked or self.outcome.done(), timeout)

    def speech_runs(self) -> list[tuple[float, float]]:
        """(start, end) of each stretch of the robot's voice, as the caller's side received it."""
        runs: list[list[float]] = []
        for at, payload in self.peer.audio():
            if not any(payload):
                continue
            if runs and at - runs[-1][1] <= 0.1:
                runs[-1][1] = at
            else:
                runs.append([at, at])
        return [(a, b) for a, b in runs]


_START = time.monotonic()


def _clock() -> datetime:
    """Thursday noon, moving on in real time (the time limit is measured on it)."""
    from datetime import timedelta

    return NOON + timedelta(seconds=time.monotonic() - _START)


async def test_a_whole_call_is_recorded_once_and_a_slow_api_adds_no_silence(api):
    async with ApiInThread(api.app) as client, Line(backend := SlowApi(client)) as line:
        # balance → "да, мой счёт" → no details → goodbye: every sentence written to a 1 s API
        await line.answer("Баланс — один", "1")
        await line.answer("оканчивается на", "1")
        await line.answer("Рассказать подробнее", "2")
        await line.answer("Чем ещё могу помочь", "9")
        outcome = await asyncio.wait_for(line.outcome, 30)
        assert outcome == "completed"
        assert await line.outbox.settle(None, 30)
    call_id = line.session.call_id
    assert backend.sent["start_call"] == 1
    assert backend.sent["end_call"] == 1
    record = await api.call(call_id)
    assert record["outcome"] == "completed" and record["ended_at"]
    assert record["account"] == "001110011-7"
    said = [line["text"] for line in record["transcript"] if line["speaker"] == "robot"]
    assert said[0] == prompts.GREETING and said[-1] == prompts.GOODBYE
    # Every sentence was written to an API that takes 1 s: had any write been awaited on the voice
    # path, the caller would hear a second of silence somewhere (between the greeting and the menu,
    # after each key). The bound is half that, far above a busy machine's scheduling jitter (timing
    # figures belong to bench/, not to tests).
    # Counted in silent frames the IVR sent between the greeting's last frame of voice and the menu's
    # first: a robot waiting sends silence; a whole process descheduled or collecting garbage sends
    # nothing at all (that is not the API).
    audio = line.peer.audio()
    voiced = [k for k, (_, p) in enumerate(audio) if any(p)]
    greeting = round(line.synth.seconds_for(prompts.GREETING) / 0.02)
    waiting = voiced[greeting] - voiced[greeting - 1] - 1
    assert waiting * 0.02 < API_DELAY / 2, f"{waiting} silent frames between the greeting and the menu"


async def test_the_time_limit_ends_with_the_goodbye_and_one_record(api):
    async with ApiInThread(api.app) as client, Line(backend := SlowApi(client), max_call_seconds=6.0) as line:
        outcome = await asyncio.wait_for(line.outcome, 40)  # the caller says nothing at all
        assert await line.outbox.settle(None, 30)
    assert outcome == "time_limit"
    assert backend.sent["start_call"] == 1 and backend.sent["end_call"] == 1
    record = await api.call(line.session.call_id)
    assert record["outcome"] == "time_limit"
    robot = [x["text"] for x in record["transcript"] if x["speaker"] == "robot"]
    assert robot[-1] == prompts.TIME_LIMIT
    # and the caller heard it: the last stretch of voice is as long as that sentence
    last = line.speech_runs()[-1]
    assert last[1] - last[0] >= line.synth.seconds_for(prompts.TIME_LIMIT) - 0.2
