"""Benchmark of the robot's voice: milliseconds to synthesise a balance sentence, cold and cached.

    python -m bench.tts [--count 20]
    python -m bench.tts --burst 20 [--workers N]

cold    = a sentence never rendered before: pyttsx3/espeak-ng, soxr to 8 kHz, written to the cache
disk    = rendered earlier (e.g. by `hotline prompts build`), read back by a fresh synthesizer
memory  = asked again from the same synthesizer (in-memory LRU)
burst   = BURST calls each needing a new balance sentence (a different amount) at the same moment:
          time from the request to the call's first audio, with one render process (as the one
          pyttsx3 thread was) and with the pool (N processes, default HOTLINE_TTS_WORKERS or one
          per core), the answer rendered whole (`synthesize`) or sentence by sentence (`stream`),
          and the distinct sentences rendered per second of the burst.
Uses a temporary cache directory and the voice/rates from the settings. Prints figures only.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

from num2words import num2words

from ivr.settings import Settings
from speech.audio import duration_ms
from speech.tts import EspeakSynthesizer
from speech.tts_pool import default_workers


def sentence(i: int) -> str:
    """What the balance dialog says (numbers already in words), a different amount each time."""
    rubles = num2words(700 + 10 * i, lang="ru")
    return (f"Ваш баланс на двадцать второе ноября: задолженность {rubles} рублей пятьдесят одна копейка. "
            f"Оплатить можно в отделении банка или на сайте.")


def ms(samples: list[float]) -> str:
    return f"median {statistics.median(samples):7.2f} ms, max {max(samples):7.2f} ms"


async def timed(synth: EspeakSynthesizer, text: str, slow: bool = False) -> tuple[float, bytes]:
    started = time.perf_counter()
    pcm = await synth.synthesize(text, slow=slow)
    return (time.perf_counter() - started) * 1000, pcm


async def main(count: int) -> None:
    settings = Settings.from_env()
    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp)
        synth = EspeakSynthesizer(cache, voice=settings.tts_voice, rate=settings.tts_rate,
                                  slow_rate=settings.tts_slow_rate)
        print(f"voice {settings.tts_voice}, {settings.tts_rate} wpm (slow {settings.tts_slow_rate} wpm); "
              f"sentence: {sentence(0)!r}")
        started = time.perf_counter()
        for ready in synth.warm():  # `hotline serve` does this at start
            ready.result(timeout=60)
        print(f"render processes started ({synth.pool.workers}, each with its engine): "
              f"{(time.perf_counter() - started) * 1000:.0f} ms")
        first_ms, pcm = await timed(synth, sentence(0))
        print(f"first render (voice list read + cold render): {first_ms:.1f} ms for "
              f"{duration_ms(pcm) / 1000:.2f} s of audio")
        cold, audio_s = [], []
        for i in range(1, count + 1):
            t, pcm = await timed(synth, sentence(i))
            cold.append(t)
            audio_s.append(duration_ms(pcm) / 1000)
        slow = [(await timed(synth, sentence(i), slow=True))[0] for i in range(1, count + 1)]
        memory = [(await timed(synth, sentence(i)))[0] for i in range(1, count + 1)]
        fresh = EspeakSynthesizer(cache, voice=settings.tts_voice, rate=settings.tts_rate,
                                  slow_rate=settings.tts_slow_rate)
        disk = [(await timed(fresh, sentence(i)))[0] for i in range(1, count + 1)]
        speed = statistics.median(a * 1000 / c for a, c in zip(audio_s, cold, strict=True))
        print(f"cold, normal rate: {ms(cold)}  ({statistics.median(audio_s):.2f} s of audio; "
              f"{speed:.0f}x faster than real time)")
        print(f"cold, slow rate:   {ms(slow)}")
        print(f"cached on disk:    {ms(disk)}")
        print(f"cached in memory:  {ms(memory)}")
        synth.close()
        fresh.close()


def percentiles(samples: list[float]) -> str:
    cuts = statistics.quantiles(samples, n=20, method="inclusive")
    return f"p50 {statistics.median(samples):6.0f} ms, p95 {cuts[18]:6.0f} ms, max {max(samples):6.0f} ms"


async def first_audio(synth: EspeakSynthesizer, text: str, streamed: bool) -> float:
    """Milliseconds until the call has audio to play (the rest of a stream is rendered too)."""
    started = time.perf_counter()
    if not streamed:
        await synth.synthesize(text)
        return (time.perf_counter() - started) * 1000
    first = None
    async for _piece in synth.stream(text):
        first = first if first is not None else (time.perf_counter() - started) * 1000
    assert first is not None
    return first


async def burst_once(settings: Settings, workers: int, calls: int, streamed: bool,
                     run: int) -> tuple[list[float], int, float]:
    """One burst on a fresh synthesizer and cache: (first-audio ms per call, renders, seconds)."""
    with tempfile.TemporaryDirectory() as tmp:
        synth = EspeakSynthesizer(Path(tmp), voice=settings.tts_voice, rate=settings.tts_rate,
                                  slow_rate=settings.tts_slow_rate, workers=workers)
        try:
            for started in synth.warm():  # as `hotline serve` does at start
                started.result(timeout=60)
            # every process has rendered (engine, voice list) before the burst, as after a few calls
            await asyncio.gather(*(synth.synthesize(f"Проверка {n}.") for n in range(2 * workers)))
            before = synth.rendered
            texts = [sentence(1000 * run + i) for i in range(calls)]
            started = time.perf_counter()
            waits = await asyncio.gather(*(first_audio(synth, t, streamed) for t in texts))
            wall = time.perf_counter() - started
            return list(waits), synth.rendered - before, wall
        finally:
            synth.close()


async def burst(calls: int, workers: int, repeat: int) -> None:
    settings = Settings.from_env()
    print(f"{calls} calls at once, each a new balance sentence, {repeat} bursts per row, "
          f"{default_workers()} cores here; e.g. {sentence(1)!r}")
    configs = [(n, streamed) for n in sorted({1, workers}) for streamed in (False, True)]
    waits: dict[tuple[int, bool], list[float]] = {c: [] for c in configs}
    rates: dict[tuple[int, bool], list[float]] = {c: [] for c in configs}
    run = 0
    for _ in range(repeat):  # interleaved, so a busy moment of the machine hits every row alike
        for config in configs:
            run += 1
            n, streamed = config
            got, rendered, wall = await burst_once(settings, n, calls, streamed, run)
            waits[config] += got
            rates[config].append(rendered / wall)
    for (n, streamed), samples in waits.items():
        how = "sentence by sentence" if streamed else "whole answer        "
        print(f"{n:2d} render process{'es' if n > 1 else '  '}, {how}: first audio {percentiles(samples)}; "
              f"{statistics.median(rates[(n, streamed)]):4.0f} renders/s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--burst", type=int, default=0, metavar="CALLS",
                        help="CALLS calls needing a new sentence at once (instead of the render times)")
    parser.add_argument("--repeat", type=int, default=3, help="bursts per configuration (with --burst)")
    parser.add_argument("--workers", type=int, default=None,
                        help="render processes for the pool (default: HOTLINE_TTS_WORKERS or one per core)")
    args = parser.parse_args()
    if args.burst:
        workers = args.workers or Settings.from_env().tts_workers or default_workers()
        asyncio.run(burst(args.burst, workers, args.repeat))
    else:
        asyncio.run(main(args.count))
    sys.exit(0)
