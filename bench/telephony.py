"""Figures for the call path: pacing drift of our audio, barge-in latency, concurrent calls,
and (with --asterisk, as root) the sandbox's start time and what a real caller hears.

    python -m bench.telephony [--seconds 30] [--calls 1 20 100] [--asterisk]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import time

from telephony.audiosocket import FRAME_BYTES, FRAME_SECONDS, AudioSocketServer
from tests.telephony.fakes import ToneSynthesizer, tone
from tests.telephony.peer import StreamingAsterisk


async def pacing(seconds: float, calls: int) -> None:
    pcm = tone(seconds)

    async def speak(call):
        await call.play(pcm)

    server = AudioSocketServer(speak, "127.0.0.1", 0, warmup=0)
    await server.start()
    # Each peer also streams the caller's 20 ms frames, as Asterisk does: the loop carries both ways.
    peers = [await StreamingAsterisk().connect(server.port) for _ in range(calls)]
    await asyncio.gather(*(asyncio.wait_for(p.eof.wait(), seconds * 3 + 30) for p in peers))
    await server.close()
    drifts, jitters = [], []
    for peer in peers:
        speech = [t for t, p in peer.audio() if any(p)]
        frames = len(pcm) // FRAME_BYTES
        drifts.append((speech[-1] - speech[0]) - (frames - 1) * FRAME_SECONDS)
        start = speech[0]
        jitters.append(max(abs(t - (start + i * FRAME_SECONDS)) for i, t in enumerate(speech)))
    print(
        f"pacing  {calls:4d} call(s), {seconds:.0f} s prompt:"
        f" end drift mean {statistics.mean(drifts) * 1000:+.1f} ms,"
        f" worst {max(drifts, key=abs) * 1000:+.1f} ms; worst frame lateness {max(jitters) * 1000:.1f} ms"
    )


async def barge_in(trials: int = 20) -> None:
    """Key sent by the caller → the first frame of silence that reaches the caller (the prompt cut)."""
    from dialogs.channel import DtmfSpec
    from ivr.session import CallSession
    from tests.telephony.fakes import RecordingBackend

    latencies = []

    async def dialog(ch, backend):
        await ch.ask("x" * 200, dtmf=DtmfSpec(max_digits=1))
        await asyncio.sleep(0.3)  # stay on the line: the caller hears what follows the cut

    async def handle(call):
        session = CallSession(call, backend=RecordingBackend(), synthesizer=ToneSynthesizer())
        await session.run(dialog)

    server = AudioSocketServer(handle, "127.0.0.1", 0, warmup=0)
    await server.start()
    for _ in range(trials):
        peer = await StreamingAsterisk().connect(server.port)
        await peer.wait_for(lambda peer=peer: sum(1 for _, p in peer.audio() if any(p)) >= 10)
        peer.send_dtmf("1")
        pressed = time.monotonic()
        await asyncio.wait_for(peer.eof.wait(), 10)
        cut = min(t for t, p in peer.audio() if t > pressed and not any(p))
        latencies.append(cut - pressed)
        await peer.close()
    await server.close()
    print(
        f"barge-in by key: silence reaches the caller {statistics.median(latencies) * 1000:.1f} ms (median),"
        f" {max(latencies) * 1000:.1f} ms (worst) after the key, over {trials} calls"
    )


async def through_asterisk(seconds: float) -> None:
    from ivr.service import HotlineService
    from ivr.settings import Settings
    from telephony.ami import AmiClient
    from telephony.sandbox import AsteriskSandbox, free_port
    from telephony.testcall import place_call, voiced_seconds, wait
    from tests.telephony.fakes import RecordingBackend

    class LongTone(ToneSynthesizer):
        async def synthesize(self, text, *, slow=False):
            return tone(seconds)

    box = AsteriskSandbox.for_tests(Settings.from_env().asterisk_root, free_port(), name="bench")
    started = await asyncio.to_thread(box.start)
    print(f"asterisk sandbox: fully booted {started:.2f} s after start")
    try:
        async with AmiClient("127.0.0.1", box.ami_port, box.ami_user, box.ami_secret) as ami:
            t0 = time.monotonic()
            await ami.wait_connected(10)
            print(f"AMI login {1000 * (time.monotonic() - t0):.0f} ms")
            service = HotlineService(
                dialog=lambda ch, b: ch.say("x", barge_in=False),
                backend=RecordingBackend(),
                synthesizer=LongTone(),
                ami=ami,
                port=box.ivr_port,
            )
            async with service:
                caller = await place_call(ami, box.recordings, [wait(seconds + 10)])
                await caller.joined()
                await caller.ended(seconds + 30)
            samples, rate = caller.heard()
            heard = voiced_seconds(samples, rate)
            print(f"real Asterisk: {seconds:.0f} s prompt paced → caller heard {heard:.2f} s")
    finally:
        await asyncio.to_thread(box.stop)
        shutil.rmtree(box.host_dir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--calls", type=int, nargs="*", default=[1, 20, 100])
    parser.add_argument("--asterisk", action="store_true")
    args = parser.parse_args()
    for calls in args.calls:
        asyncio.run(pacing(args.seconds, calls))
    asyncio.run(barge_in())
    if args.asterisk:
        asyncio.run(through_asterisk(args.seconds))


if __name__ == "__main__":
    main()
