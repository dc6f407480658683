"""A long answer is played sentence by sentence as its pieces are rendered (ivr.player, speech.tts.stream).

Why: a caller who asked for the balance hears its first sentence while the rest is still being
rendered, hears no gap between the sentences, and a caller who cuts in leaves the rest unrendered.
The synthesizer here renders a piece only when the player asks for it, as a tone as long as the
sentence, and the test holds back the pieces it wants late.
"""

from __future__ import annotations

import asyncio

from dialogs.channel import DtmfSpec, Reply
from ivr.session import CallSession
from telephony.ami import CallInfo
from telephony.audiosocket import AudioSocketServer
from tests.telephony.fakes import RecordingBackend, tone
from tests.telephony.peer import StreamingAsterisk

SENTENCES = ["Ваш баланс семьсот рублей.", "Оплатить можно в отделении банка.", "Или на сайте.",
             "Спасибо за звонок.", "До свидания."]
SECONDS = 0.4  # each sentence's tone


class PiecewiseSynthesizer:
    """`stream` renders each sentence when asked for it; `gates[i]`, when set, holds piece i back."""

    def __init__(self) -> None:
        self.rendered: list[int] = []
        self.gates: dict[int, asyncio.Event] = {}
        self.prepared: list[str] = []

    async def synthesize(self, text: str, *, slow: bool = False) -> bytes:
        return tone(SECONDS)

    async def stream(self, text: str, *, slow: bool = False):
        for i, _sentence in enumerate(text.split(". ")):
            if i in self.gates:
                await self.gates[i].wait()
            self.rendered.append(i)
            yield tone(SECONDS, freq=300 + 100 * i)

    def prepare(self, text: str, *, slow: bool = False) -> None:
        self.prepared.append(text)


async def call_with(synth: PiecewiseSynthesizer, dialog):
    """Run `dialog` on one call; returns (peer, outcome task) once the call is connected."""
    server = AudioSocketServer(
        lambda call: CallSession(call, backend=RecordingBackend(), synthesizer=synth,
                                 info=CallInfo(call.call_id, "79001110011", "Local/test;1")).run(dialog),
        "127.0.0.1", 0, warmup=0)
    await server.start()
    peer = StreamingAsterisk()
    await peer.connect(server.port)
    return server, peer


def voiced(peer: StreamingAsterisk) -> list[tuple[float, bytes]]:
    return [(at, pcm) for at, pcm in peer.audio() if any(pcm)]


async def test_the_first_sentence_plays_before_the_last_is_rendered_and_none_is_left_out():
    synth = PiecewiseSynthesizer()
    synth.gates[len(SENTENCES) - 1] = asyncio.Event()
    done = asyncio.Event()

    async def dialog(ch, backend):
        await ch.say(" ".join(SENTENCES), barge_in=False)
        done.set()

    server, peer = await call_with(synth, dialog)
    try:
        await peer.wait_for(lambda: len(voiced(peer)) > 5)  # the caller hears the answer begin
        assert len(SENTENCES) - 1 not in synth.rendered
        synth.gates[len(SENTENCES) - 1].set()
        await asyncio.wait_for(done.wait(), 10)
        await asyncio.wait_for(peer.eof.wait(), 5)
    finally:
        await peer.close()
        await server.close()
    assert synth.rendered == list(range(len(SENTENCES)))
    frames = [pcm for _, pcm in peer.audio()]
    first = next(i for i, pcm in enumerate(frames) if any(pcm))
    last = max(i for i, pcm in enumerate(frames) if any(pcm))
    # every sentence, back to back: no silent frame between the first voiced frame and the last
    assert all(any(pcm) for pcm in frames[first : last + 1])
    assert last - first + 1 == len(SENTENCES) * round(SECONDS / 0.02)


async def test_a_key_during_the_first_sentence_leaves_the_rest_unrendered():
    synth = PiecewiseSynthesizer()
    replies: list[Reply] = []

    async def dialog(ch, backend):
        replies.append(await ch.ask(" ".join(SENTENCES), dtmf=DtmfSpec(max_digits=1), timeout=5))

    server, peer = await call_with(synth, dialog)
    try:
        await peer.wait_for(lambda: len(voiced(peer)) > 3)
        peer.send_dtmf("1")
        await peer.wait_for(lambda: bool(replies))
        await asyncio.sleep(3 * SECONDS)  # long enough for the whole answer, had it gone on
    finally:
        await peer.close()
        await server.close()
    assert replies == [Reply.keys("1")]
    # the sentence playing and the one queued behind it; nothing further was asked for
    assert synth.rendered == [0, 1]
    assert len(voiced(peer)) < 2 * round(SECONDS / 0.02)


async def test_what_the_dialog_prepares_reaches_the_synthesizer():
    synth = PiecewiseSynthesizer()

    async def dialog(ch, backend):
        ch.prepare("Ваш баланс семьсот рублей.")
        await ch.say("Здравствуйте.", barge_in=False)

    server, peer = await call_with(synth, dialog)
    try:
        await asyncio.wait_for(peer.eof.wait(), 10)
    finally:
        await peer.close()
        await server.close()
    assert synth.prepared == ["Ваш баланс семьсот рублей."]
