"""The robot's voice (speech issue): text → 8 kHz 16-bit mono PCM for the phone line.

`EspeakSynthesizer` drives espeak-ng through pyttsx3. pyttsx3 keeps global
engine state and espeak-ng initialises once per process, so every synthesis
runs on ONE worker thread fed by a queue; the event loop only awaits futures.
Rendered audio is cached on disk (key: sha256 of text + voice + rate), so the
fixed prompts rendered by `hotline prompts build` cost a file read at call time,
and an in-memory LRU keeps the hot ones without touching the disk.

pyttsx3 2.99's espeak driver, as checked here: `save_to_file` + `runAndWait`
renders headless (no audio device needed) and handles one queued file per
`runAndWait` (pyttsx3 issue #170: several queued files → only the first is
written), so the worker renders one text per call; `save_to_file("")` fails an
assertion, so empty text never reaches it; the engine is held strongly because
`pyttsx3.init` caches engines in a weak dictionary (issue #324: callbacks into
a collected engine); the driver writes the WAV header with a fixed 22050 Hz,
which is espeak-ng's rate for its own voices (not for mbrola voices, which we
refuse); and it prints "Audio saved to ..." on stdout for every file, which we
route to the debug log instead.

One real bug, found here by measuring durations (about a third of renders came
out at the previous rate): the driver runs espeak-ng in AUDIO_OUTPUT_RETRIEVAL
mode, where `SetParameter` is queued to espeak-ng's own thread; `runAndWait`
then calls the driver's `stop()`, which sees that queue busy (`IsPlaying()`)
and calls `espeak_Cancel()`, dropping or reverting the new rate. So after
setting voice and rate we wait for espeak-ng to go idle (`espeak_Synchronize`),
and a first empty `runAndWait` leaves the driver idle so property changes are
applied immediately instead of being queued behind the loop. Measured after the
fix: 0 wrong rates in 180 renders alternating 80/100/140/200 wpm, no cancels.

Pronunciation: `normalize_text` gives espeak-ng words from `speech.lexicon` as inline phonemes
`[[…]]`. The driver calls `espeak_Synth` with ENDPAUSE | CHARS_UTF8 only, so `[[…]]` would be
read out letter by letter; `_new_engine` adds espeak-ng's own PHONEMES flag to that call (the
`espeak-ng` command sets the same flag by default, which is why `phonemes()` below, run through
the command, shows what the engine renders).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import hashlib
import logging
import os
import queue
import re
import shutil
import subprocess
import tempfile
import threading
import wave
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from speech.audio import PHONE_RATE, read_wav, to_phone, wav_bytes
from speech.lexicon import apply_lexicon
from speech.verbalize import normalise_for_speech

if TYPE_CHECKING:
    from speech.settings import SpeechSettings

log = logging.getLogger(__name__)

CACHE_FORMAT = "espeak-soxr-8k-v2"  # change when rendering changes, so old cache files are not reused


class Synthesizer(Protocol):
    """What ivr.CallSession relies on."""

    async def synthesize(self, text: str, *, slow: bool = False) -> bytes:
        """Signed 16-bit little-endian mono PCM at 8 kHz, rendered off the event loop and cached."""


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


class SynthesisError(RuntimeError):
    pass


def _driver_print(*args: object, **_kwargs: object) -> None:
    log.debug("pyttsx3: %s", " ".join(map(str, args)))


class EspeakSynthesizer:
    """`Synthesizer` on pyttsx3 + espeak-ng, with a disk cache and an in-memory LRU."""

    def __init__(self, cache_dir: Path, *, voice: str = "ru", rate: int = 140, slow_rate: int = 110,
                 memory_items: int = 256) -> None:
        if voice.startswith("mb-"):
            raise ValueError(f"mbrola voice {voice!r} is not supported (pyttsx3 assumes 22050 Hz output)")
        self.cache_dir = Path(cache_dir)
        self.voice = voice
        self.rate = rate
        self.slow_rate = slow_rate
        self._memory: OrderedDict[str, bytes] = OrderedDict()
        self._memory_items = memory_items
        self._lock = threading.Lock()
        self._inflight: dict[str, concurrent.futures.Future[bytes]] = {}
        self.rendered = 0  # texts synthesised by espeak-ng (not served from a cache)

    @classmethod
    def from_settings(cls, settings: SpeechSettings) -> EspeakSynthesizer:
        return cls(settings.tts_cache_dir, voice=settings.tts_voice, rate=settings.tts_rate,
                   slow_rate=settings.tts_slow_rate)

    # --- cache keys ---

    def rate_for(self, slow: bool) -> int:
        return self.slow_rate if slow else self.rate

    def cache_key(self, text: str, *, slow: bool = False) -> str:
        """sha256 of the normalised text, voice, rate (and the rendering format)."""
        material = "\n".join((CACHE_FORMAT, self.voice, str(self.rate_for(slow)), normalize_text(text)))
        return hashlib.sha256(material.encode("utf-8")).hexdigest()

    def cache_path(self, key: str) -> Path:
        return self.cache_dir / key[:2] / f"{key}.wav"

    def is_cached(self, text: str, *, slow: bool = False) -> bool:
        return self.cache_path(self.cache_key(text, slow=slow)).is_file()

    # --- public API ---

    async def synthesize(self, text: str, *, slow: bool = False) -> bytes:
        text = normalize_text(text)
        if not text:
            return b""
        key = self.cache_key(text, slow=slow)
        pcm = self._recall(key)
        if pcm is None:
            pcm = await asyncio.to_thread(self._read_cache, key)
            if pcm is not None:
                self._remember(key, pcm)
        if pcm is None:
            pcm = await asyncio.wrap_future(self._submit(text, self.rate_for(slow), key))
        return pcm

    def render(self, text: str, *, slow: bool = False) -> bytes:
        """Blocking `synthesize` for scripts and the CLI (still through the one worker thread)."""
        text = normalize_text(text)
        if not text:
            return b""
        key = self.cache_key(text, slow=slow)
        return self._recall(key) or self._submit(text, self.rate_for(slow), key).result()

    def close(self) -> None:
        """Wait for this synthesizer's queued renders (the shared worker thread stays)."""
        with self._lock:
            pending = list(self._inflight.values())
        concurrent.futures.wait(pending, timeout=60)

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

    # --- disk cache ---

    def _read_cache(self, key: str) -> bytes | None:
        path = self.cache_path(key)
        try:
            pcm, rate = read_wav(path)
        except FileNotFoundError:
            return None
        except (OSError, ValueError, EOFError, wave.Error) as exc:  # damaged: render again, never serve
            log.warning("tts cache file %s unreadable (%s); rendering again", path, exc)
            return None
        return pcm if rate == PHONE_RATE else None

    def _write_cache(self, key: str, pcm: bytes) -> None:
        path = self.cache_path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".wav", dir=path.parent)
        with os.fdopen(fd, "wb") as f:
            f.write(wav_bytes(pcm))
        os.replace(tmp, path)

    # --- the worker ---

    def _submit(self, text: str, rate: int, key: str) -> concurrent.futures.Future[bytes]:
        with self._lock:
            future = self._inflight.get(key)
            if future is not None:
                return future
            future = self._inflight[key] = _worker.submit(lambda engine: self._job(engine, text, rate, key))
        future.add_done_callback(lambda _f: self._forget(key))  # outside the lock: may run at once
        return future

    def _forget(self, key: str) -> None:
        with self._lock:
            self._inflight.pop(key, None)

    def _job(self, engine: object, text: str, rate: int, key: str) -> bytes:
        """Runs on the worker thread: the disk cache may have been filled since the call was queued."""
        pcm = self._read_cache(key)
        if pcm is None:
            pcm = _espeak(engine, text, self.voice, rate, self.cache_dir)
            self._write_cache(key, pcm)
            self.rendered += 1
        self._remember(key, pcm)
        return pcm


def _espeak(engine: Any, text: str, voice: str, rate: int, tmp_dir: Path) -> bytes:
    tmp_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".espeak-", suffix=".wav", dir=tmp_dir)
    os.close(fd)
    try:
        _check_voice(engine, voice)
        engine.setProperty("voice", voice)
        engine.setProperty("rate", rate)
        _settle()
        engine.save_to_file(text, tmp)
        engine.runAndWait()
        pcm, native_rate = read_wav(Path(tmp))
    finally:
        Path(tmp).unlink(missing_ok=True)
    if not pcm:
        raise SynthesisError(f"espeak-ng produced no audio for {text[:60]!r}")
    return to_phone(pcm, native_rate)


_checked_voices: set[str] = set()


def _check_voice(engine: Any, voice: str) -> None:
    """Listing espeak-ng's 131 voices costs ≈5 ms: done once per voice, not on every render
    (only the worker thread calls this)."""
    if voice in _checked_voices:
        return
    voices = {v.id for v in engine.getProperty("voices")}
    if voice not in voices and not any(v.endswith("/" + voice) for v in voices):
        raise SynthesisError(f"espeak-ng has no voice {voice!r} (espeak-ng --voices lists them)")
    _checked_voices.add(voice)


class _EspeakWorker:
    """The process's one pyttsx3 thread. `pyttsx3.init("espeak")` returns the same engine to
    every caller in a process, so even two synthesizers must share one thread."""

    def __init__(self) -> None:
        self._queue: queue.Queue[_Job] = queue.Queue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def submit(self, job: Callable[[object], bytes]) -> concurrent.futures.Future[bytes]:
        future: concurrent.futures.Future[bytes] = concurrent.futures.Future()
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="tts-espeak", daemon=True)
                self._thread.start()
        self._queue.put((job, future))
        return future

    def _run(self) -> None:
        engine = None
        while True:
            job, future = self._queue.get()
            if not future.set_running_or_notify_cancel():
                continue
            try:
                if engine is None:
                    engine = _new_engine()  # kept referenced: pyttsx3 holds engines weakly
                future.set_result(job(engine))
            except Exception as exc:  # the caller gets the error; the worker lives on
                log.warning("speech synthesis failed: %s", exc)
                future.set_exception(exc)


def _new_engine() -> Any:
    import pyttsx3
    import pyttsx3.drivers.espeak as espeak_driver

    espeak_driver.print = _driver_print  # module-level name lookup: silences only the driver's print
    if not isinstance(espeak_driver._espeak, _PhonemeInput):
        espeak_driver._espeak = _PhonemeInput(espeak_driver._espeak)  # the driver's only name for it
    engine = pyttsx3.init("espeak")
    engine.runAndWait()  # nothing to say: leaves the driver idle, so later setProperty calls apply at once
    return engine


class _PhonemeInput:
    """pyttsx3's `_espeak` module as its driver sees it, with espeak-ng's PHONEMES flag added to
    every `Synth` call, so `[[…]]` from the lexicon is spoken as phonemes (module docstring)."""

    def __init__(self, module: Any) -> None:
        self._module = module

    def __getattr__(self, name: str) -> Any:
        return getattr(self._module, name)

    def Synth(self, text: Any, *args: Any, flags: int = 0, **kwargs: Any) -> Any:  # noqa: N802 - the wrapped name
        return self._module.Synth(text, *args, flags=flags | self._module.PHONEMES, **kwargs)


def _settle() -> None:
    """Wait until espeak-ng has applied the queued parameter changes (see the module docstring)."""
    from pyttsx3.drivers import _espeak

    _espeak.Synchronize()


_Job = tuple[Callable[[object], bytes], concurrent.futures.Future[bytes]]
_worker = _EspeakWorker()
