"""Real calls through Asterisk 22: a Local-channel caller dials the hotline in the sandbox."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest

from dialogs.channel import DtmfSpec, Reply
from ivr.service import HotlineService
from telephony import testcall
from telephony.testcall import HANG_UP, keys, place_call, voiced_seconds, wait

from .fakes import RecordingBackend, ScriptedRecognizer, ToneSynthesizer
from .peer import until

pytestmark = pytest.mark.asterisk


@pytest.fixture
async def hotline(sandbox, ami):
    services: list[HotlineService] = []

    async def start(dialog, **kwargs) -> HotlineService:
        kwargs.setdefault("backend", RecordingBackend())
        kwargs.setdefault("synthesizer", ToneSynthesizer())
        service = HotlineService(dialog=dialog, ami=ami, port=sandbox.ivr_port, **kwargs)
        await service.start()
        services.append(service)
        return service

    yield start
    for service in services:
        await service.close()


async def call(ami, sandbox, *steps, **kwargs) -> testcall.TestCall:
    return await place_call(ami, sandbox.recordings, steps, **kwargs)


async def test_paced_speech_reaches_the_caller_whole(sandbox, ami, hotline):
    synth = ToneSynthesizer()
    text = "Здравствуйте! Вы позвонили на горячую линию."  # 45 characters: 2.7 s of tone
    service = await hotline(lambda ch, backend: ch.say(text, barge_in=False), synthesizer=synth)
    caller = await call(ami, sandbox, wait(30))
    call_id = await caller.joined()
    session = await service.wait_finished(call_id)
    await caller.ended()
    assert session.outcome == "completed"
    samples, rate = caller.heard()
    heard = voiced_seconds(samples, rate)
    expected = synth.seconds_for(text)
    # Sent as a burst, Asterisk drops about half of it; paced, the caller hears all of it.
    assert expected * 0.9 <= heard <= expected * 1.1, (heard, expected)


async def test_keys_and_caller_number_reach_the_session(sandbox, ami, hotline):
    replies = []

    async def dialog(ch, backend):
        replies.append(await ch.ask("Введите номер лицевого счёта", dtmf=DtmfSpec(max_digits=12), timeout=10))

    service = await hotline(dialog)
    caller = await call(ami, sandbox, wait(1), keys("0011100117#"), wait(5), caller="79005556677")
    call_id = await caller.joined()
    session = await service.wait_finished(call_id)
    await caller.ended()
    assert replies == [Reply.keys("0011100117")]
    assert session.caller == "79005556677"
    assert session.channel.startswith("Local/s@test-caller-") and session.channel.endswith(";1")
    assert session.backend.log[0] == ("start", call_id, "79005556677", session.channel)


async def test_two_calls_at_once_each_get_their_own_keys(sandbox, ami, hotline):
    replies: dict[str, Reply] = {}

    async def dialog(ch, backend):
        replies[ch.caller] = await ch.ask("Введите", dtmf=DtmfSpec(max_digits=12), timeout=10)

    service = await hotline(dialog)
    first = await call(ami, sandbox, wait(1), keys("111#"), wait(5), caller="79000000001")
    second = await call(ami, sandbox, wait(1), keys("222#"), wait(5), caller="79000000002")
    for caller in (first, second):
        await service.wait_finished(await caller.joined())
        await caller.ended()
    assert replies == {"79000000001": Reply.keys("111"), "79000000002": Reply.keys("222")}


async def test_hangup_mid_prompt_ends_the_session_cleanly(sandbox, ami, hotline):
    recognizers: list[ScriptedRecognizer] = []

    def new_recognizer():
        recognizers.append(ScriptedRecognizer())
        return recognizers[-1]

    async def dialog(ch, backend):
        await ch.say("Очень длинное объявление. " * 15)  # 23 s
        await ch.say("Недостижимо")

    backend = RecordingBackend()
    service = await hotline(dialog, backend=backend, recognizer_factory=new_recognizer)
    caller = await call(ami, sandbox, wait(2), HANG_UP)
    call_id = await caller.joined()
    session = await service.wait_finished(call_id)
    await caller.ended()
    assert session.outcome == "hangup"
    assert recognizers and recognizers[0].closed and recognizers[0].frames > 0
    assert backend.log[-1] == ("end", call_id, "hangup")
    assert ("robot", "Недостижимо") not in backend.transcript()
    assert service.sessions == {} and service.server.calls == {}
    leftovers = [
        t for t in asyncio.all_tasks() if t.get_name().startswith(("session-", "dialog-", "audiosocket-"))
    ]
    assert leftovers == []
    samples, rate = caller.heard()
    assert 1.0 < voiced_seconds(samples, rate) < 4.0  # about the 2 s the caller listened


async def test_transfer_redirects_the_caller_into_the_operators_queue(sandbox, ami, hotline):
    queued = asyncio.get_running_loop().create_future()

    def on_event(event):
        if event.get("UserEvent") == "HotlineOperatorQueue" and not queued.done():
            queued.set_result(event)

    remove = ami.add_listener(on_event)
    transferred = []

    async def dialog(ch, backend):
        await ch.say("Соединяю с оператором.")
        transferred.append(await ch.transfer_to_operator())

    backend = RecordingBackend()
    service = await hotline(dialog, backend=backend)
    caller = await call(ami, sandbox, wait(30))
    call_id = await caller.joined()
    session = await service.wait_finished(call_id)
    try:
        event = await asyncio.wait_for(queued, 10)
        assert transferred == [True]
        assert session.outcome == "operator"
        assert event.get("Id") == call_id and event.get("Channel") == session.channel
        queue = await asyncio.to_thread(sandbox.cli, "queue show operators")
        assert session.channel in queue  # waiting for an operator, with music on hold
        assert backend.log[-1] == ("end", call_id, "operator")
        assert session.call.close_reason in ("released", "peer_closed", "peer_hangup")
    finally:
        remove()
        await ami.hangup(session.channel)
    await caller.ended()


async def test_a_frozen_asterisk_is_dropped_not_held(sandbox, ami, hotline):
    """SIGSTOP freezes Asterisk with its AudioSocket open: a half-open peer. The IVR must let go."""
    service = await hotline(
        lambda ch, backend: ch.ask("Алло?", dtmf=DtmfSpec(), timeout=60), idle_timeout=1.0
    )
    caller = await call(ami, sandbox, wait(30))
    call_id = await caller.joined()
    await asyncio.sleep(0.5)
    pid = sandbox.pid()
    os.kill(pid, signal.SIGSTOP)
    try:
        session = await service.wait_finished(call_id, timeout=10)
    finally:
        os.kill(pid, signal.SIGCONT)
    assert session.call.close_reason == "idle_timeout"
    assert session.outcome == "hangup"
    # Thawed, Asterisk finds the IVR's leg gone without the IVR ending the call: the caller, still
    # on the line, is not dropped but starts over with the IVR (extensions.conf, ivr-hosts).
    await until(lambda: any(s.resumes == call_id for s in service.sessions.values()), 10)
    await ami.hangup(await caller.started())
    await caller.ended()


async def test_ami_restart_reconnects_and_the_next_call_works(sandbox, ami, hotline):
    replies = []

    async def dialog(ch, backend):
        replies.append(await ch.ask("Введите", dtmf=DtmfSpec(max_digits=1), timeout=10))

    service = await hotline(dialog)
    before = ami.connections
    await asyncio.to_thread(sandbox.restart)
    await until(lambda: ami.connections > before and ami.connected.is_set(), 20)
    caller = await call(ami, sandbox, wait(1), keys("9"), wait(3))
    call_id = await caller.joined()
    session = await service.wait_finished(call_id)
    await caller.ended()
    assert replies == [Reply.keys("9")]
    assert session.caller == "79001110011"  # the joiner got the UserEvent over the new connection


async def test_a_softphone_on_the_demo_account_reaches_the_hotline_over_sip(sandbox, ami, hotline):
    """Asterisk dials its own demo SIP account (digest auth, RTP, RFC 4733 keys) like a softphone."""
    synth = ToneSynthesizer()
    text = "Введите номер лицевого счёта"
    replies = []

    async def dialog(ch, backend):
        replies.append(await ch.ask(text, dtmf=DtmfSpec(max_digits=12), timeout=10))

    service = await hotline(dialog, synthesizer=synth)
    caller = await call(ami, sandbox, wait(3), keys("0011100117#"), wait(3), context="sip-loop")
    # A new SIP call is a new Asterisk call (its own linkedid): take the service's only session.
    await until(lambda: len(service.finished) == 1, 20)
    session = service.finished[0]
    await caller.ended()
    assert replies == [Reply.keys("0011100117")]
    assert session.channel.startswith("PJSIP/demo-")
    assert session.caller == "79001110011"  # the demo account's caller id
    samples, rate = caller.heard()
    expected = synth.seconds_for(text)
    assert expected * 0.8 <= voiced_seconds(samples, rate) <= expected * 1.2
