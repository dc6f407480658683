"""The whole hotline on real calls: Asterisk 22 → AudioSocket → CallSession → the real dialogs
(keypad; no Russian Vosk model here) with espeak-ng speech → the real account API (uvicorn in
this process, a temporary SQLite database filled with the demo data)."""

from __future__ import annotations

import asyncio
import shutil
from datetime import datetime, timedelta
from decimal import Decimal
from functools import partial
from zoneinfo import ZoneInfo

import httpx
import pytest
from num2words import num2words

from ivr.commands import fill_demo_data, serve_api
from ivr.service import HotlineService
from ivr.session import CallSession
from ivr.settings import Settings
from telephony.sandbox import free_port
from telephony.testcall import TestCall, place_call, voiced_seconds, wait

pytestmark = pytest.mark.asterisk

ACCOUNT = "001110011-7"  # the demo account whose phone on file is the test caller's number
CALLER = "79001110011"
IVR_TOKEN, OPERATOR_TOKEN = "ivr-test-token", "operator-test-token"


def pretend_now(tz: ZoneInfo) -> datetime:
    """A weekday morning inside this month's readings window (15th-25th) and operators' hours."""
    today = datetime.now(tz)
    day = today.replace(day=17, hour=10, minute=30, second=0, microsecond=0)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


@pytest.fixture(scope="session")
def demo_database(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo-db") / "demo.db"
    settings = Settings.from_env().replace(database_url=f"sqlite:///{path}")
    fill_demo_data(settings)
    return path


@pytest.fixture(scope="session")
def speech_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("tts-cache")


class Caller:
    """A test caller on the line who answers the robot's questions with keys, as it asks them."""

    def __init__(self, ami, test_call: TestCall, session: CallSession):
        self.ami = ami
        self.test_call = test_call
        self.session = session
        self._heard = 0  # robot lines already answered or passed

    async def when(self, prompt: str, keys: str = "") -> None:
        """When the robot says something containing `prompt`, press `keys` (during the prompt:
        barge-in, as a caller who knows the menu does)."""
        for _ in range(600):
            lines = [text for speaker, text in self.session.transcript if speaker == "robot"]
            hit = next(
                (i for i, text in enumerate(lines[self._heard :]) if prompt.lower() in text.lower()), None
            )
            if hit is not None:
                self._heard += hit + 1
                for key in keys:
                    await self.ami.action("PlayDTMF", Channel=self.test_call.channel, Digit=key, Duration=120)
                    await asyncio.sleep(0.15)
                return
            if self.session.call.is_closed:
                break
            await asyncio.sleep(0.05)
        raise AssertionError(f"the robot never said {prompt!r}; it said: {self.session.transcript}")


class Stack:
    """The running hotline: Asterisk sandbox, IVR, API (read with an operator's token)."""

    def __init__(self, service: HotlineService, ami, sandbox, operator: httpx.AsyncClient):
        self.service = service
        self.ami = ami
        self.sandbox = sandbox
        self.operator = operator

    async def call(self, number: str = CALLER) -> Caller:
        test_call = await place_call(self.ami, self.sandbox.recordings, [wait(120)], caller=number)
        call_id = await test_call.joined()
        await test_call.started()
        for _ in range(100):
            if call_id in self.service.sessions:
                return Caller(self.ami, test_call, self.service.sessions[call_id])
            await asyncio.sleep(0.05)
        raise AssertionError("the IVR did not take the call")

    async def api(self, path: str):
        response = await self.operator.get(path)
        response.raise_for_status()
        return response.json()


@pytest.fixture
async def stack(sandbox, ami, demo_database, speech_cache, tmp_path):
    from dialogs.conversation import run_conversation
    from ivr.api_client import ApiClient
    from speech.tts import EspeakSynthesizer

    db = tmp_path / "hotline.db"
    shutil.copy(demo_database, db)
    port = free_port()
    settings = Settings.from_env().replace(
        database_url=f"sqlite:///{db}",
        api_host="127.0.0.1",
        api_port=port,
        api_url=f"http://127.0.0.1:{port}",
        ivr_token=IVR_TOKEN,
        operator_tokens={OPERATOR_TOKEN: "tester"},
        tts_cache_dir=speech_cache,
    )
    now = pretend_now(ZoneInfo(settings.timezone))
    async with serve_api(settings, clock=lambda: now):
        backend = ApiClient(settings.api_url, IVR_TOKEN)
        service = HotlineService(
            dialog=partial(
                run_conversation, options=settings.dialog_options(clock=lambda: now)
            ),
            backend=backend,
            synthesizer=EspeakSynthesizer.from_settings(settings),
            ami=ami,
            port=sandbox.ivr_port,
            record_transcript=False,
        )
        operator = httpx.AsyncClient(
            base_url=f"{settings.api_url}/api/v1", headers={"Authorization": f"Bearer {OPERATOR_TOKEN}"}
        )
        async with service:
            yield Stack(service, ami, sandbox, operator)
        await operator.aclose()
        await backend.aclose()


async def test_balance_by_keypad(stack):
    caller = await stack.call()
    session = caller.session
    await caller.when("Баланс — один", "1")  # balance
    await caller.when("оканчивается на", "1")  # yes, the account on file for my number is mine
    await caller.when("подробнее", "2")  # no details
    await caller.when("Чем ещё могу помочь", "9")  # goodbye
    finished = await stack.service.wait_finished(session.call_id, timeout=60)
    await caller.test_call.ended()
    record = await stack.api(f"/calls/{session.call_id}")
    assert record["account"] == ACCOUNT
    assert record["caller"] == CALLER and record["channel"] == session.channel
    assert record["outcome"] == "completed" and record["ended_at"]
    closing = Decimal((await stack.api(f"/accounts/{ACCOUNT}/balance"))["closing"])
    rubles = num2words(int(abs(closing)), lang="ru")
    robot = [line["text"] for line in record["transcript"] if line["speaker"] == "robot"]
    assert any(rubles in text and "рубл" in text for text in robot), (rubles, robot)
    assert finished.outcome == "completed"
    samples, rate = caller.test_call.heard()
    # Our speech reached the caller: seconds of it, and never more than the call lasted.
    assert 5.0 < voiced_seconds(samples, rate) < len(samples) / rate


async def test_a_reading_by_keypad_is_stored_exactly_once(stack):
    meters = (await stack.api(f"/accounts/{ACCOUNT}/meters"))["meters"]
    before = (await stack.api(f"/accounts/{ACCOUNT}/readings"))["readings"]
    caller = await stack.call()
    session = caller.session
    await caller.when("Баланс — один", "2")  # meter readings
    await caller.when("оканчивается на", "1")
    value = int(Decimal(meters[0]["last_reading"]["value"])) + 3  # a plausible month's use
    await caller.when("новое показание", f"{value}#")  # keys lead after a keyed answer
    await caller.when("Верно?", "1")
    await caller.when("Показание принято")
    await stack.ami.hangup(caller.test_call.channel)  # the caller leaves before the next meter
    await stack.service.wait_finished(session.call_id, timeout=30)
    await caller.test_call.ended()
    after = (await stack.api(f"/accounts/{ACCOUNT}/readings"))["readings"]
    new = [r for r in after if r not in before]
    assert len(new) == 1, new
    assert Decimal(new[0]["value"]) == value and new[0]["source"] == "ivr"
    record = await stack.api(f"/calls/{session.call_id}")
    assert record["outcome"] == "hangup" and record["ended_at"]


async def test_operator_escalation_is_stored_before_the_redirect(stack):
    at_redirect: list = []
    real_redirect = stack.ami.redirect

    async def redirect_seeing_the_api(channel, context, exten="s", priority=1):
        at_redirect.append(await stack.api("/escalations?status=open"))
        await real_redirect(channel, context, exten, priority)

    stack.ami.redirect = redirect_seeing_the_api
    try:
        caller = await stack.call()
        session = caller.session
        await caller.when("Баланс — один", "0")  # an operator, please
        finished = await stack.service.wait_finished(session.call_id, timeout=60)
    finally:
        del stack.ami.redirect
    try:
        assert len(at_redirect) == 1
        escalations = [e for e in at_redirect[0] if e["call_id"] == session.call_id]
        assert len(escalations) == 1 and escalations[0]["reason"] == "caller_request"
        assert finished.outcome == "operator"
        queue = await asyncio.to_thread(stack.sandbox.cli, "queue show operators")
        assert session.channel in queue
    finally:
        await stack.ami.hangup(session.channel)
    await caller.test_call.ended()
