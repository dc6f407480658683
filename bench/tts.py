"""Benchmark of the robot's voice: milliseconds to synthesise a balance sentence, cold and cached.

    python -m bench.tts [--count 20]

cold    = a sentence never rendered before: pyttsx3/espeak-ng, soxr to 8 kHz, written to the cache
disk    = rendered earlier (e.g. by `hotline prompts build`), read back by a fresh synthesizer
memory  = asked again from the same synthesizer (in-memory LRU)
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
        first_ms, pcm = await timed(synth, sentence(0))
        print(f"first call (engine start + cold render): {first_ms:.1f} ms for "
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


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=20)
    asyncio.run(main(parser.parse_args().count))
    sys.exit(0)
