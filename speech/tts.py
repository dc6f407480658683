"""The robot's voice (speech issue): text → 8 kHz 16-bit mono PCM for the phone line.

`EspeakSynthesizer` drives espeak-ng through pyttsx3 in a pool of render worker processes
(`speech.tts_pool`, HOTLINE_TTS_WORKERS, default one per core), so a caller's new sentence never
waits behind another call's render; the pyttsx3/espeak-ng quirks worked around there (the lost
rate change, the PHONEMES flag, one file per `runAndWait`) are told in `speech.tts_engine`.
Rendered audio is cached on disk (key: sha256 of text + voice + rate), so the fixed prompts
rendered by `hotline prompts build` cost a file read at call time, and an in-memory LRU keeps
the hot ones without touching the disk.

First audio sooner: `stream` gives a text not rendered whole yet sentence by sentence, the next
one rendering while the previous plays; `prepare` starts rendering what the dialog will say
next while something else happens (the caller answers, an earlier sentence plays).

Pronunciation: `normalize_text` gives espeak-ng words from `speech.lexicon` as inline phonemes
`[[…]]`, which the engine renders as phonemes (`speech.tts_engine`); `phonemes()` below, run
through the `espeak-ng` command (which has the same flag on by default), shows what it renders.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import hashlib
import logging
import re
import shutil
import subprocess
import threading
from collections import OrderedDict
from collections.abc import AsyncGenerator
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from speech.lexicon import apply_lexicon
from speech.tts_engine import SynthesisError, read_cached
from speech.tts_pool import RenderPool
from speech.verbalize import normalise_for_speech

if TYPE_CHECKING:
    from speech.settings import SpeechSettings

log = logging.getLogger(__name__)

CACHE_FORMAT = "espeak-soxr-8k-v2"  # change when rendering changes, so old cache files are not reused

__all__ = ["CACHE_FORMAT", "EspeakSynthesizer", "PhonemeError", "SynthesisError", "Synthesizer",
           "normalize_text", "phonemes", "prepare", "sentences", "spoken_pieces"]


class Synthesizer(Protocol):
    """What ivr.CallSession relies on (`stream` and `prepare` are optional: see `spoken_pieces`)."""

    async def synthesize(self, text: str, *, slow: bool = False) -> bytes:
        """Signed 16-bit little-endian mono PCM at 8 kHz, rendered off the event loop and cached."""


def spoken_pieces(synth: Synthesizer, text: str, *, slow: bool = False) -> AsyncGenerator[bytes, None]:
    """TEXT's audio in the pieces to play one after another: the synthesizer's own `stream` when
    it has one (sentence by sentence, `EspeakSynthesizer`), else all of it at once."""
    stream = getattr(synth, "stream", None)
    if stream is not None:
        pieces: AsyncGenerator[bytes, None] = stream(text, slow=slow)
        return pieces
    return _whole(synth, text, slow)


async def _whole(synth: Synthesizer, text: str, slow: bool) -> AsyncGenerator[bytes, None]:
    yield await synth.synthesize(text, slow=slow)


def prepare(synth: Synthesizer, text: str, *, slow: bool = False) -> None:
    """Start rendering TEXT now, if the synthesizer can (`EspeakSynthesizer.prepare`); a hint only."""
    hook = getattr(synth, "prepare", None)
    if hook is not None:
        hook(text, slow=slow)


@functools.lru_cache(maxsize=4096)  # on the event loop for every sentence: ≈1.5 ms of morphology each time
def normalize_text(text: str) -> str:
    """The one place text is prepared for espeak-ng, which reads digits without case agreement
    and stresses some names wrongly: abbreviations and numbers become Russian words
    (`speech.verbalize.normalise_for_speech`), lexicon words become phonemes or get their ё back
    (`speech.lexicon`), and whitespace is collapsed so trivially different spellings share a
    cache entry. "[[" in the input is not ours and would be read as phonemes: it is dropped; so is
    a written stress mark (U+0301), which espeak-ng ignores and which would hide a lexicon word."""
    text = re.sub(r"\[\[|\]\]", " ", text).replace("\u0301", "")
    return " ".join(apply_lexicon(normalise_for_speech(text)).split())


class PhonemeError(RuntimeError):
    pass


def phonemes(text: str, voice: str = "ru") -> str:
    """espeak-ng's phoneme mnemonics (as `espeak-ng -v VOICE -x` prints them) for TEXT exactly as
    the robot says it: the same normalisation, lexicon and voice, the same libespeak-ng and data
    the pyttsx3 engine uses, with inline phonemes on as in `_new_engine`. One line per clause."""
    binary = shutil.which("espeak-ng")
    if binary is None:
        raise PhonemeError("espeak-ng is not installed (Debian package espeak-ng)")
    spoken = normalize_text(text)
    if not spoken:
        return ""
    # as an argument: the command reads standard input in 1 KiB pieces and garbles a character
    # cut at the boundary; the leading space keeps text starting with "-" from being an option
    done = subprocess.run([binary, "-v", voice, "-q", "-x", " " + spoken], capture_output=True,
                          text=True, encoding="utf-8", timeout=60, check=False)
    if done.returncode != 0:
        raise PhonemeError(f"espeak-ng failed: {done.stderr.strip() or done.returncode}")
    return done.stdout.strip()


# Where a sentence ends in text `normalize_text` gave: after . ! ? … and spaces, before anything
# but a lower-case word ("… 4 а. этаж" goes on); never inside espeak-ng's inline phonemes [[…]].
_SENTENCE_END = re.compile(r"\[\[.*?\]\]|(?<=[.!?…])\s+(?=[^\sa-zа-яё])")


def sentences(spoken: str) -> list[str]:
    """Normalised text cut into its sentences (one piece when it has one)."""
    parts: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(spoken):
        if match.group().startswith("[["):
            continue
        parts.append(spoken[start : match.start()])
        start = match.end()
    parts.append(spoken[start:])
    return [p for p in parts if p]


class EspeakSynthesizer:
    """`Synthesizer` on pyttsx3 + espeak-ng in render processes, with a disk cache and an in-memory LRU."""

    def __init__(self, cache_dir: Path, *, voice: str = "ru", rate: int = 140, slow_rate: int = 110,
                 memory_items: int = 256, workers: int | None = None) -> None:
        if voice.startswith("mb-"):
            raise ValueError(f"mbrola voice {voice!r} is not supported (pyttsx3 assumes 22050 Hz output)")
        self.cache_dir = Path(cache_dir)
        self.voice = voice
        self.rate = rate
        self.slow_rate = slow_rate
        self.pool = RenderPool(workers)
        self._memory: OrderedDict[str, bytes] = OrderedDict()
        self._memory_items = memory_items
        self._lock = threading.Lock()
        self._inflight: dict[str, concurrent.futures.Future[bytes]] = {}
        self._ahead: set[asyncio.Task[bytes]] = set()  # renders started by `stream`/`prepare`
        self.rendered = 0  # texts synthesised by espeak-ng (not served from a cache)

    @classmethod
    def from_settings(cls, settings: SpeechSettings) -> EspeakSynthesizer:
        return cls(settings.tts_cache_dir, voice=settings.tts_voice, rate=settings.tts_rate,
                   slow_rate=settings.tts_slow_rate, workers=settings.tts_workers)

    # --- cache keys ---

    def rate_for(self, slow: bool) -> int:
        return self.slow_rate if slow else self.rate

    def cache_key(self, text: str, *, slow: bool = False) -> str:
        """sha256 of the normalised text, voice, rate (and the rendering format)."""
        return self._key(normalize_text(text), slow)

    def _key(self, spoken: str, slow: bool) -> str:
        material = "\n".join((CACHE_FORMAT, self.voice, str(self.rate_for(slow)), spoken))
        return hashlib.sha256(material.encode("utf-8")).hexdigest()

    def cache_path(self, key: str) -> Path:
        return self.cache_dir / key[:2] / f"{key}.wav"

    def is_cached(self, text: str, *, slow: bool = False) -> bool:
        return self.cache_path(self.cache_key(text, slow=slow)).is_file()

    # --- public API ---

    async def synthesize(self, text: str, *, slow: bool = False) -> bytes:
        """All of TEXT as one piece of PCM."""
        return await self._spoken(normalize_text(text), slow)

    async def stream(self, text: str, *, slow: bool = False) -> AsyncGenerator[bytes, None]:
        """TEXT's PCM as soon as its first sentence is ready: one piece when the whole text is
        cached (the fixed prompts), else a piece per sentence, the next one rendering while the
        caller hears this one. Stopping early (barge-in) starts no further renders."""
        spoken = normalize_text(text)
        if not spoken:
            return
        whole = await self._cached(self._key(spoken, slow))
        parts = sentences(spoken)
        if whole is not None or len(parts) == 1:
            yield whole if whole is not None else await self._spoken(spoken, slow)
            return
        ahead = self._start(parts[0], slow)
        for following in [*parts[1:], None]:
            pcm = await asyncio.shield(ahead)  # a piece given up on still reaches the cache
            if following is not None:
                ahead = self._start(following, slow)
            yield pcm

    def prepare(self, text: str, *, slow: bool = False) -> None:
        """Start rendering TEXT in the pieces `stream` will ask for, without waiting for it: the
        dialog knows what it will say next before it must say it. Call on the event loop."""
        spoken = normalize_text(text)
        if not spoken:
            return
        key = self._key(spoken, slow)
        if self._recall(key) is not None or self.cache_path(key).is_file():  # a stat, no read
            return
        for part in sentences(spoken):
            if self._recall(self._key(part, slow)) is None:
                self._start(part, slow)

    def render(self, text: str, *, slow: bool = False) -> bytes:
        """Blocking `synthesize` for scripts and the CLI (through the same render processes)."""
        spoken = normalize_text(text)
        if not spoken:
            return b""
        key = self._key(spoken, slow)
        return self._recall(key) or self._submit(spoken, self.rate_for(slow), key).result()

    def warm(self) -> list[concurrent.futures.Future[int]]:
        """Start the render processes now (the IVR at start-up), not when the first caller needs one."""
        return self.pool.warm()

    def close(self) -> None:
        """Wait for this synthesizer's renders, then stop its render processes."""
        with self._lock:
            pending = list(self._inflight.values())
        concurrent.futures.wait(pending, timeout=60)
        self.pool.close()

    # --- one piece: memory, disk, render ---

    async def _spoken(self, spoken: str, slow: bool) -> bytes:
        if not spoken:
            return b""
        key = self._key(spoken, slow)
        pcm = await self._cached(key)
        if pcm is None:
            # shielded: a caller who hangs up must not cancel a render another call waits for
            pcm = await asyncio.shield(asyncio.wrap_future(self._submit(spoken, self.rate_for(slow), key)))
        return pcm

    async def _cached(self, key: str) -> bytes | None:
        pcm = self._recall(key)
        if pcm is None:
            pcm = await asyncio.to_thread(read_cached, self.cache_path(key))
            if pcm is not None:
                self._remember(key, pcm)
        return pcm

    def _start(self, spoken: str, slow: bool) -> asyncio.Task[bytes]:
        """`_spoken` in the background; its failure is for whoever awaits it (else only logged)."""
        task = asyncio.ensure_future(self._spoken(spoken, slow))
        self._ahead.add(task)
        task.add_done_callback(self._ahead_done)
        return task

    def _ahead_done(self, task: asyncio.Task[bytes]) -> None:
        self._ahead.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.debug("tts: a render ahead failed: %s", task.exception())

    # --- memory LRU ---

    def _recall(self, key: str) -> bytes | None:
        with self._lock:
            pcm = self._memory.get(key)
            if pcm is not None:
                self._memory.move_to_end(key)
            return pcm

    def _remember(self, key: str, pcm: bytes) -> None:
        with self._lock:
            self._memory[key] = pcm
            self._memory.move_to_end(key)
            while len(self._memory) > self._memory_items:
                self._memory.popitem(last=False)

    # --- the render processes ---

    def _submit(self, spoken: str, rate: int, key: str) -> concurrent.futures.Future[bytes]:
        """One render of `spoken` however many ask for it at once."""
        with self._lock:
            future = self._inflight.get(key)
            if future is not None:
                return future
            future = self._inflight[key] = concurrent.futures.Future()
        job = self.pool.submit(spoken, self.voice, rate, self.cache_path(key))
        job.add_done_callback(lambda done: self._rendered(key, done, future))
        return future

    def _rendered(self, key: str, done: concurrent.futures.Future[tuple[bytes, bool]],
                  future: concurrent.futures.Future[bytes]) -> None:
        with self._lock:
            self._inflight.pop(key, None)
        exc = done.exception() if not done.cancelled() else SynthesisError("render cancelled")
        if exc is not None:
            log.warning("speech synthesis failed: %s", exc)
            future.set_exception(exc)
            return
        pcm, rendered = done.result()
        if rendered:
            with self._lock:
                self.rendered += 1
        self._remember(key, pcm)
        future.set_result(pcm)
