"""Admission and a graceful stop: the IVR keeps serving the calls it has, whatever connects.

A cap on calls at once (over it the caller hears that the lines are busy), junk connections
closed before any dialog runs, SIGTERM's drain (live calls finish, then hear why they end).
The figures (longest gap a good call felt during a 700-connection burst) come from
`bench/attack_ivr.py`; these tests check the behaviour, with bounds far from any timing.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time

from dialogs import prompts
from dialogs.record import Outbox
from ivr.service import HotlineService
from telephony.audiosocket import Kind
from tests.telephony.fakes import RecordingBackend, ToneSynthesizer
from tests.telephony.peer import FakeAsterisk, StreamingAsterisk, until

TALK = "Здравствуйте! Это горячая линия. "


class Service:
    """An IVR with a tone voice and a dialog that talks until stopped; no API (a recording one)."""

    def __init__(self, **kwargs):
        self.backend = RecordingBackend()
        self.outbox = Outbox(self.backend)
        self.dialogs = 0
        self.synth = ToneSynthesizer()
        self.service = HotlineService(
            dialog=self._dialog, backend=self.backend, synthesizer=self.synth, port=0, outbox=self.outbox,
            **kwargs,
        )

    async def _dialog(self, channel, backend):
        self.dialogs += 1
        channel.record.start()
        while True:
            await channel.say(TALK * 2)
            await channel.ask("Скажите, что вас интересует.", timeout=1.0)

    @property
    def port(self) -> int:
        return self.service.server.port

    async def __aenter__(self):
        await self.outbox.start()
        await self.service.start()
        return self

    async def __aexit__(self, *exc):
        await self.service.close()
        await self.outbox.close()

    def outcomes(self) -> dict[str, str]:
        return {e[1]: e[2] for e in self.backend.log if e[0] == "end"}

    def robot_lines(self, call_id: str) -> list[str]:
        return [e[2] for e in self.backend.log if e[0] == "transcript" and e[1] == "robot"]


async def _voice(peer: FakeAsterisk, frames: int, timeout: float = 10.0) -> None:
    await until(lambda: sum(1 for _, p in peer.audio() if any(p)) >= frames, timeout)


async def test_over_the_cap_a_caller_hears_all_lines_busy_and_the_call_goes_on():
    async with Service(max_calls=1) as ivr:
        first = await StreamingAsterisk().connect(ivr.port)
        await _voice(first, 5)
        second = await StreamingAsterisk().connect(ivr.port)
        await asyncio.wait_for(second.eof.wait(), 20)  # told, then released
        assert second.kinds()[-1] == Kind.HANGUP
        heard = sum(1 for _, p in second.audio() if any(p)) * 0.02
        assert heard >= ivr.synth.seconds_for(prompts.LINES_BUSY) - 0.1
        assert ivr.dialogs == 1  # the busy caller never reached a dialog
        assert await ivr.outbox.settle(None, 5)
        assert ivr.outcomes()[second.call_id] == "busy"
        before = len(first.audio())
        await asyncio.sleep(0.5)
        assert len(first.audio()) > before and not first.eof.is_set()  # the first call talks on
        await first.close()


async def test_a_call_id_without_audio_is_closed_at_once_and_never_reaches_a_dialog():
    async with Service() as ivr:
        stray = await FakeAsterisk().connect(ivr.port)  # a call id, then nothing
        started = time.monotonic()
        await asyncio.wait_for(stray.eof.wait(), 10)
        assert time.monotonic() - started < 5.0  # not the 10 s it took before
        assert ivr.dialogs == 0 and ivr.service.server.refused == 1
        real = await StreamingAsterisk().connect(ivr.port)
        await _voice(real, 5)
        assert ivr.dialogs == 1
        await real.close()


async def test_a_graceful_stop_lets_calls_finish_then_ends_them_with_a_sentence():
    async with Service() as ivr:
        peers = [await StreamingAsterisk().connect(ivr.port) for _ in range(2)]
        for peer in peers:
            await _voice(peer, 5)
        ended = await ivr.service.drain(0.5)
        assert ended == 2
        for peer in peers:
            await asyncio.wait_for(peer.eof.wait(), 20)
            assert peer.kinds()[-1] == Kind.HANGUP
        assert await ivr.outbox.settle(None, 5)
        outcomes = ivr.outcomes()
        assert [outcomes[p.call_id] for p in peers] == ["shutdown", "shutdown"]
        assert [e for e in ivr.backend.log if e[0] == "end"].__len__() == 2  # each ended once
        assert prompts.SHUTTING_DOWN in ivr.robot_lines(peers[0].call_id)
        late = FakeAsterisk()
        try:  # no new calls while stopping
            await asyncio.wait_for(late.connect(ivr.port), 2)
            await asyncio.wait_for(late.eof.wait(), 5)
            assert late.audio() == []
        except (ConnectionError, OSError):
            pass


async def test_a_burst_of_junk_does_not_drop_the_calls_in_progress():
    async with Service(max_calls=10) as ivr:
        good = [await StreamingAsterisk().connect(ivr.port) for _ in range(3)]
        for peer in good:
            await _voice(peer, 5)
        burst = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.attack_ivr", "junk", "--port", str(ivr.port), "--junk", "300",
            "--seconds", "2", stdout=subprocess.DEVNULL,
        )
        await asyncio.wait_for(burst.wait(), 60)
        await asyncio.sleep(0.5)
        for peer in good:
            assert not peer.eof.is_set(), "a good call was dropped during the burst"
            times = [t for t, _ in peer.audio()]
            gap = max(b - a for a, b in zip(times, times[1:], strict=False))
            assert gap < 1.5, f"a good call went {gap:.2f} s without audio (Asterisk drops it at 2 s)"
        assert ivr.dialogs == 3  # no junk connection reached a dialog
        after = await StreamingAsterisk().connect(ivr.port)
        await _voice(after, 5)
        for peer in [*good, after]:
            await peer.close()
