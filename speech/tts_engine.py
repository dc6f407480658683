"""One render worker process: pyttsx3 + espeak-ng turning normalised text into 8 kHz PCM.

Why a process of its own: pyttsx3 keeps global engine state (`pyttsx3.init("espeak")` returns
the same engine to every caller in a process) and espeak-ng initialises once per process, so
renders in one process are serial however many threads ask. `speech.tts_pool` runs several of
these processes; each holds one engine, made by `init_worker`, and renders with `render`.
This module imports little (no morphology, no settings), because every worker imports it.

pyttsx3 2.99's espeak driver, as checked here: `save_to_file` + `runAndWait`
renders headless (no audio device needed) and handles one queued file per
`runAndWait` (pyttsx3 issue #170: several queued files → only the first is
written), so a worker renders one text per call; `save_to_file("")` fails an
assertion, so empty text never reaches it; the engine is held strongly because
`pyttsx3.init` caches engines in a weak dictionary (issue #324: callbacks into
a collected engine); the driver writes the WAV header with a fixed 22050 Hz,
which is espeak-ng's rate for its own voices (not for mbrola voices, which
`speech.tts.EspeakSynthesizer` refuses); and it prints "Audio saved to ..." on
stdout for every file, which we route to the debug log instead.

One real bug, found here by measuring durations (about a third of renders came
out at the previous rate): the driver runs espeak-ng in AUDIO_OUTPUT_RETRIEVAL
mode, where `SetParameter` is queued to espeak-ng's own thread; `runAndWait`
then calls the driver's `stop()`, which sees that queue busy (`IsPlaying()`)
and calls `espeak_Cancel()`, dropping or reverting the new rate. So after
setting voice and rate we wait for espeak-ng to go idle (`espeak_Synchronize`),
and a first empty `runAndWait` leaves the driver idle so property changes are
applied immediately instead of being queued behind the loop. Measured after the
fix: 0 wrong rates in 180 renders alternating 80/100/140/200 wpm, no cancels.

Pronunciation: `speech.tts.normalize_text` gives espeak-ng words from `speech.lexicon` as inline
phonemes `[[…]]`. The driver calls `espeak_Synth` with ENDPAUSE | CHARS_UTF8 only, so `[[…]]`
would be read out letter by letter; `_new_engine` adds espeak-ng's own PHONEMES flag to that
call (the `espeak-ng` command sets the same flag by default, which is why `speech.tts.phonemes`,
run through the command, shows what the engine renders).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import select
import signal
import tempfile
import threading
import time
import wave
from pathlib import Path
from typing import Any

from speech.audio import PHONE_RATE, read_wav, to_phone, wav_bytes

log = logging.getLogger(__name__)


class SynthesisError(RuntimeError):
    pass


# --- the disk cache: read by the IVR process, written by the worker that rendered ---

def read_cached(path: Path) -> bytes | None:
    """The cached PCM at `path`, or None when absent or damaged (then it is rendered again)."""
    try:
        pcm, rate = read_wav(path)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, EOFError, wave.Error) as exc:  # damaged: render again, never serve
        log.warning("tts cache file %s unreadable (%s); rendering again", path, exc)
        return None
    return pcm if rate == PHONE_RATE else None


def write_cached(path: Path, pcm: bytes) -> None:
    """Atomically (a reader never sees half a file, two writers never mix)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".wav", dir=path.parent)
    with os.fdopen(fd, "wb") as f:
        f.write(wav_bytes(pcm))
    os.replace(tmp, path)


# --- the worker process ---

_engine: Any = None  # this process's one engine, kept referenced: pyttsx3 holds engines weakly
_checked_voices: set[str] = set()


def init_worker() -> None:
    """Pool initializer: the engine is made before the first render asks for it. Ctrl+C on the
    IVR's terminal reaches the whole process group; the IVR shuts its workers down itself."""
    global _engine
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent()
    try:
        _engine = _new_engine()
    except Exception as exc:  # told to the first render, which tries again and raises it there
        log.warning("tts: the render worker's engine did not start: %s", exc)


def _die_with_parent() -> None:
    """An IVR killed outright (SIGKILL, the OOM killer) runs no clean-up, and the forkserver lives on
    while any worker does: each worker watches the IVR itself and exits when it is gone."""
    parent = multiprocessing.parent_process()
    if parent is None or parent.pid is None:
        return
    ivr = parent.pid

    def watch() -> None:
        try:
            gone = os.pidfd_open(ivr)  # readable when the process has exited (Linux ≥ 5.3)
        except (AttributeError, OSError):
            while _alive(ivr):
                time.sleep(1.0)
        else:
            select.select([gone], [], [])
        os._exit(0)

    threading.Thread(target=watch, name="tts-watch-ivr", daemon=True).start()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


def ready() -> int:
    """A no-op job that starts a worker (and its engine) before a caller needs it."""
    return os.getpid()


def render(text: str, voice: str, rate: int, cache_path: Path) -> tuple[bytes, bool]:
    """(PCM, whether espeak-ng ran): the disk cache may have been filled since the job was queued
    (another IVR process, `hotline prompts build`); a fresh render is written to it."""
    pcm = read_cached(cache_path)
    if pcm is not None:
        return pcm, False
    global _engine
    if _engine is None:  # not started through init_worker (a test, a script)
        _engine = _new_engine()
    pcm = _espeak(_engine, text, voice, rate, cache_path.parent)
    write_cached(cache_path, pcm)
    return pcm, True


def _espeak(engine: Any, text: str, voice: str, rate: int, tmp_dir: Path) -> bytes:
    """One text; a render that came back without a sample (seen once, in a worker's first render
    on a machine loaded far past its cores) is tried once more before it counts as a failure."""
    tmp_dir.mkdir(parents=True, exist_ok=True)
    _check_voice(engine, voice)
    for attempt in (1, 2):
        fd, tmp = tempfile.mkstemp(prefix=".espeak-", suffix=".wav", dir=tmp_dir)
        os.close(fd)
        try:
            engine.setProperty("voice", voice)
            engine.setProperty("rate", rate)
            _settle()
            engine.save_to_file(text, tmp)
            engine.runAndWait()
            pcm, native_rate = read_wav(Path(tmp))
        finally:
            Path(tmp).unlink(missing_ok=True)
        if pcm:
            return to_phone(pcm, native_rate)
        log.warning("tts: espeak-ng gave no audio for %r (attempt %d)", text[:60], attempt)
    raise SynthesisError(f"espeak-ng produced no audio for {text[:60]!r}")


def _check_voice(engine: Any, voice: str) -> None:
    """Listing espeak-ng's 131 voices costs ≈5 ms: done once per voice and process, not per render."""
    if voice in _checked_voices:
        return
    voices = {v.id for v in engine.getProperty("voices")}
    if voice not in voices and not any(v.endswith("/" + voice) for v in voices):
        raise SynthesisError(f"espeak-ng has no voice {voice!r} (espeak-ng --voices lists them)")
    _checked_voices.add(voice)


def _driver_print(*args: object, **_kwargs: object) -> None:
    log.debug("pyttsx3: %s", " ".join(map(str, args)))


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
