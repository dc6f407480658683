"""Attack the IVR's AudioSocket port while good calls stream, and print what the good calls felt.

Loopback only, bounded. What it reproduces (the reliability issue's list): a burst of junk
connections (no call id, a call id and then nothing, malformed frames), with G good calls
streaming real-time audio throughout like Asterisk. For each good call it prints the longest
gap between the IVR's frames (Asterisk drops a leg after 2 s without audio; a caller hears any
gap over ~200 ms) and how many frames arrived against the number expected; then it places one
more call and checks it is answered at once.

    .venv/bin/python -m bench.attack_ivr --port 9092 --junk 700 --seconds 3 --good 5
    .venv/bin/python -m bench.attack_ivr --port 9092 --junk 700 --seconds 3 --good 5 --serve

`--serve` starts an IVR in this process's child (HotlineService with a tone voice and a dialog
that talks and listens, no API): the figures then do not depend on a running `hotline serve`.
`junk` alone (used by the tests) only sends the junk and exits.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import time
import uuid

from telephony.audiosocket import Kind, audio_frame, encode_frame, read_frame, uuid_frame

FRAME = 0.02


# ---- the junk ---------------------------------------------------------------------------------
async def _one_junk(port: int, kind: str) -> None:
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 5)
    except (OSError, TimeoutError):
        return
    try:
        if kind == "nothing":  # connects and says nothing
            await asyncio.sleep(2.0)
        elif kind == "silent_id":  # a call id, then nothing at all
            writer.write(uuid_frame(str(uuid.uuid4())))
            await asyncio.sleep(2.0)
        elif kind == "garbage":  # bytes that are no frame
            writer.write(os.urandom(64))
        elif kind == "malformed":  # a call id, then frames that break the protocol
            writer.write(uuid_frame(str(uuid.uuid4())))
            for _ in range(20):
                writer.write(encode_frame(Kind.AUDIO, os.urandom(random.choice((1, 3, 4000)))))
                writer.write(b"\x10\xff\xff")  # a header promising 64 KiB
        await writer.drain()
        await asyncio.sleep(0.5)
    except (OSError, ConnectionError):
        pass
    finally:
        writer.close()
        try:
            await asyncio.wait_for(writer.wait_closed(), 1)
        except (OSError, TimeoutError, ConnectionError):
            pass


async def junk(port: int, count: int, seconds: float) -> None:
    """`count` junk connections spread over `seconds`."""
    kinds = ("nothing", "silent_id", "garbage", "malformed")
    tasks = []
    for i in range(count):
        tasks.append(asyncio.create_task(_one_junk(port, kinds[i % len(kinds)])))
        await asyncio.sleep(seconds / max(1, count))
    await asyncio.gather(*tasks, return_exceptions=True)


# ---- a good call --------------------------------------------------------------------------------
class GoodCall:
    """Streams 20 ms frames like Asterisk and notes when the IVR's frames arrive."""

    def __init__(self) -> None:
        self.arrivals: list[float] = []
        self.voice = 0
        self.done = asyncio.Event()

    async def run(self, port: int, seconds: float) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(uuid_frame(str(uuid.uuid4())))
        reading = asyncio.create_task(self._read(reader))
        start = time.monotonic()
        n = 0
        try:
            while time.monotonic() - start < seconds and not reading.done():
                writer.write(audio_frame(bytes(320)))
                n += 1
                await asyncio.sleep(max(0.0, start + n * FRAME - time.monotonic()))
        finally:
            writer.write(encode_frame(Kind.HANGUP))
            writer.close()
            reading.cancel()
            self.done.set()

    async def _read(self, reader: asyncio.StreamReader) -> None:
        while True:
            frame = await read_frame(reader, max_payload=0xFFFF)
            if frame is None:
                return
            if frame.kind == Kind.AUDIO:
                self.arrivals.append(time.monotonic())
                self.voice += any(frame.payload)

    def longest_gap(self) -> float:
        gaps = [b - a for a, b in zip(self.arrivals, self.arrivals[1:], strict=False)]
        return max(gaps, default=float("inf"))


async def attack(port: int, *, junk_count: int, seconds: float, good: int) -> dict[str, float]:
    """Good calls streaming before, during and after a junk burst (sent from a child process,
    so the burst's own work does not run on our loop); then one more call."""
    calls = [GoodCall() for _ in range(good)]
    talking = [asyncio.create_task(c.run(port, seconds + 4.0)) for c in calls]
    await asyncio.sleep(1.0)
    burst = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.attack_ivr", "junk", "--port", str(port), "--junk", str(junk_count),
        "--seconds", str(seconds), stdout=subprocess.DEVNULL,
    )
    await burst.wait()
    await asyncio.gather(*talking)
    after = GoodCall()
    await after.run(port, 2.0)
    expected = (seconds + 4.0) / FRAME
    return {
        "longest_gap_ms": 1000 * max(c.longest_gap() for c in calls),
        "frames_received_pct": 100 * statistics.mean(min(1.0, len(c.arrivals) / expected) for c in calls),
        "next_call_frames": float(len(after.arrivals)),
        "next_call_voice_frames": float(after.voice),
    }


# ---- an IVR to attack (--serve) ---------------------------------------------------------------------
async def serve_for_attack(port: int, ready: asyncio.Event, stop: asyncio.Event) -> None:
    """A HotlineService that greets, asks, and keeps talking: no API, a tone for a voice."""
    from dialogs.record import Outbox
    from ivr.service import HotlineService
    from tests.telephony.fakes import RecordingBackend, ToneSynthesizer

    async def dialog(channel, backend):
        while True:
            await channel.say("Здравствуйте! Это горячая линия. " * 3)
            await channel.ask("Скажите, что вас интересует.", timeout=2.0)

    backend = RecordingBackend()
    outbox = Outbox(backend)
    await outbox.start()
    service = HotlineService(dialog=dialog, backend=backend, synthesizer=ToneSynthesizer(), port=port,
                             outbox=outbox, max_calls=30, idle_timeout=3.0)
    await service.start()
    ready.set()
    await stop.wait()
    await service.close()
    await outbox.close()


def _rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


async def main_async(args: argparse.Namespace) -> int:
    if args.mode == "junk":
        await junk(args.port, args.junk, args.seconds)
        return 0
    server = None
    if args.serve:
        server = await asyncio.create_subprocess_exec(
            sys.executable, "-c",
            "import asyncio, sys; from bench.attack_ivr import serve_for_attack\n"
            "async def m():\n ready, stop = asyncio.Event(), asyncio.Event()\n"
            f" await serve_for_attack({args.port}, ready, stop)\n"
            "asyncio.run(m())",
        )
        await asyncio.sleep(3.0)
    try:
        rss_before = _rss_mb(server.pid) if server else None
        figures = await attack(args.port, junk_count=args.junk, seconds=args.seconds, good=args.good)
        if server:
            figures["server_rss_mb_before"] = rss_before or 0.0
            figures["server_rss_mb_after"] = _rss_mb(server.pid)
    finally:
        if server:
            server.terminate()
            await server.wait()
    print(f"junk connections: {args.junk} in {args.seconds:.0f} s; good calls streaming: {args.good}")
    for name, value in figures.items():
        print(f"  {name:>24}: {value:.1f}")
    ok = figures["longest_gap_ms"] <= 200 and figures["next_call_frames"] > 50
    print("holds" if ok else "FAILS: a good call lost audio or the next call was not served")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("mode", nargs="?", default="attack", choices=("attack", "junk"))
    parser.add_argument("--port", type=int, default=9092)
    parser.add_argument("--junk", type=int, default=700)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--good", type=int, default=5)
    parser.add_argument(
        "--serve", action="store_true", help="attack an IVR started here (tone voice, no API)"
    )
    return asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
