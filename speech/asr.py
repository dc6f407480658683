"""Streaming speech recognition for the call path.

The protocol below is what ivr.CallSession relies on; `VoskRecognizer` is the
real implementation (speech issue).
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

from speech.audio import PHONE_RATE, SAMPLE_WIDTH, StreamResampler
from speech.models import (
    NO_MODEL_MESSAGE,
    ModelError,
    find_model,
    looks_like_model,
    model_sample_rate,
    model_supports_grammars,
)

if TYPE_CHECKING:
    from ivr.settings import Settings


@dataclass(frozen=True)
class Recognition:
    """A partial (the utterance so far, for barge-in) or final (end of utterance) result."""

    kind: Literal["partial", "final"]
    text: str


class Recognizer(Protocol):
    """One per call. Fed 20 ms frames of 8 kHz signed 16-bit little-endian mono audio."""

    def set_grammar(self, phrases: Sequence[str] | None) -> None:
        """Restrict recognition to these words/phrases for the next question (None: free speech).
        Also resets the utterance state."""

    async def feed(self, frame: bytes) -> Recognition | None:
        """Decode one frame off the event loop; return a partial or final result, if any."""

    async def flush(self) -> Recognition:
        """Force the end of the current utterance and return its final result."""

    def close(self) -> None:
        """Free the native recogniser."""


# --- the real recogniser: Vosk -------------------------------------------------------------------

log = logging.getLogger(__name__)


class SpeechModel:
    """One loaded `vosk.Model`, shared by every call's recogniser (Vosk allows this across threads).

    Loading takes seconds and hundreds of MB, so a process loads each model once
    (`load_model`); recognisers are cheap and made per call with `recognizer()`.
    """

    def __init__(self, path: Path) -> None:
        import vosk

        vosk.SetLogLevel(0 if log.isEnabledFor(logging.DEBUG) else -1)
        self.path = Path(path)
        self.sample_rate = model_sample_rate(self.path)
        self.grammars = model_supports_grammars(self.path)
        self.vosk_model = vosk.Model(str(self.path))
        self._lock = threading.Lock()
        self._reported: set[str] = set()
        self._grammar_warned = False
        # The dialogs ask the same few grammars (≈1,300 words each) again and again: checked once.
        self._usable: dict[tuple[str, ...], list[str]] = {}

    def __repr__(self) -> str:
        return f"SpeechModel({str(self.path)!r}, {self.sample_rate} Hz, grammars={self.grammars})"

    def has_word(self, word: str) -> bool:
        return self.vosk_model.vosk_model_find_word(word) != -1

    def _vocabulary_form(self, word: str) -> str | None:
        """The word as the model spells it (callers' text may use ё or е), or None if unknown."""
        for form in dict.fromkeys((word, word.replace("ё", "е"), word.replace("е", "ё"))):
            if self.has_word(form):
                return form
        return None

    def usable_phrases(self, phrases: Sequence[str]) -> list[str]:
        """The grammar Vosk will get: phrases whose words are all in the vocabulary.

        Vosk itself silently drops unknown words from inside a phrase, which changes
        its meaning; we drop the whole phrase instead and log each unknown word once
        per process, so a typo in the prompt catalogue shows up at start, not mid-call.
        """
        key = tuple(phrases)
        cached = self._usable.get(key)
        if cached is not None:
            return cached
        usable: list[str] = []
        for phrase in phrases:
            words = phrase.lower().split()
            if not words:
                continue
            known = [self._vocabulary_form(w) for w in words]
            missing = [w for w, k in zip(words, known, strict=True) if k is None]
            if missing:
                self._report_missing(missing, phrase)
                continue
            usable.append(" ".join(k for k in known if k is not None))
        result = list(dict.fromkeys(usable))
        with self._lock:
            if len(self._usable) < 256:  # bounded: grammars built per call (account endings) stay few
                self._usable[key] = result
        return result

    def _report_missing(self, words: list[str], phrase: str) -> None:
        with self._lock:
            new = [w for w in words if w not in self._reported]
            self._reported.update(new)
        for word in new:
            log.warning("grammar word %r (in %r) is not in the vocabulary of %s; phrase dropped",
                        word, phrase, self.path.name)

    def warn_no_grammars_once(self) -> None:
        with self._lock:
            if self._grammar_warned:
                return
            self._grammar_warned = True
        log.warning("model %s has a fixed graph (HCLG): per-question grammars are ignored, "
                    "recognition is free speech", self.path.name)

    def recognizer(self, *, executor: Executor | None = None, chunk_ms: int = 100) -> VoskRecognizer:
        return VoskRecognizer(self, executor=executor, chunk_ms=chunk_ms)


_loaded: dict[Path, SpeechModel] = {}
_loaded_lock = threading.Lock()


def load_model(path: Path | str) -> SpeechModel:
    """The process-wide `SpeechModel` for `path` (loaded on first use)."""
    key = Path(path).resolve()
    with _loaded_lock:
        model = _loaded.get(key)
        if model is None:
            if not looks_like_model(key):
                raise ModelError(f"{key} is not a Vosk model directory (no am/final.mdl, conf/model.conf)")
            model = _loaded[key] = SpeechModel(key)
            log.info("loaded %r", model)
        return model


def load_configured_model(settings: Settings) -> SpeechModel | None:
    """The model the settings point at, or None with a clear log line (the hotline then works by keypad)."""
    try:
        path = find_model(settings.models_dir, settings.vosk_model)
    except ModelError as exc:
        log.error("%s; %s", exc, NO_MODEL_MESSAGE)
        return None
    if path is None:
        log.warning(NO_MODEL_MESSAGE)
        return None
    return load_model(path)


class VoskRecognizer:
    """`Recognizer` on Vosk: one per call, decoding in a worker thread.

    8 kHz phone frames are resampled to the model's rate by a soxr stream that
    keeps its state across frames, and gathered into `chunk_ms` chunks so a call
    costs one thread hop per chunk, not per 20 ms frame. Partial results (for
    barge-in) come with each chunk whose best guess changed; a final comes on
    Vosk's endpoint (the model's `model.conf` rules). Empty finals (silence) are
    not reported: the dialog's own no-input timer handles silence.

    `set_grammar` resets the utterance; the native reset runs in the worker before
    the next audio: `FinalResult()` ends the utterance and frees the decoder and
    feature pipeline, and `SetGrammar` builds a fresh decoding graph, so the
    lazily expanded graph cache does not grow over a long call.
    """

    def __init__(self, model: SpeechModel, *, executor: Executor | None = None, chunk_ms: int = 100,
                 input_rate: int = PHONE_RATE) -> None:
        import vosk

        self.model = model
        self._executor = executor
        self._rec: vosk.KaldiRecognizer | None = vosk.KaldiRecognizer(model.vosk_model, model.sample_rate)
        self._resampler = StreamResampler(input_rate, model.sample_rate)
        self._chunk_bytes = max(1, input_rate * chunk_ms // 1000) * SAMPLE_WIDTH
        self._buffer = bytearray()
        self._lock = threading.Lock()
        self._grammar = "[]"  # Vosk's spelling of "no grammar: free speech"
        self._reset_pending = False
        self._last_partial = ""

    @property
    def grammar(self) -> list[str] | None:
        """The phrases Vosk decodes against now (None: free speech)."""
        return json.loads(self._grammar) or None

    def set_grammar(self, phrases: Sequence[str] | None) -> None:
        grammar = "[]"
        if phrases is not None:
            if not self.model.grammars:
                self.model.warn_no_grammars_once()
            else:
                usable = self.model.usable_phrases(phrases)
                if usable:
                    grammar = json.dumps(usable, ensure_ascii=False)
                else:
                    log.warning("no grammar phrase is in the vocabulary (%d phrases, e.g. %r); free speech",
                                len(phrases), list(phrases)[:5])
        with self._lock:
            self._grammar = grammar
            self._buffer.clear()
            self._last_partial = ""
            self._reset_pending = True

    async def feed(self, frame: bytes) -> Recognition | None:
        self._buffer += frame
        if len(self._buffer) < self._chunk_bytes:
            return None
        chunk = bytes(self._buffer)
        self._buffer.clear()
        return await asyncio.get_running_loop().run_in_executor(self._executor, self._accept, chunk)

    async def flush(self) -> Recognition:
        chunk = bytes(self._buffer)
        self._buffer.clear()
        return await asyncio.get_running_loop().run_in_executor(self._executor, self._finish, chunk)

    def close(self) -> None:
        with self._lock:
            self._rec = None  # vosk.KaldiRecognizer.__del__ frees the native recogniser

    def __enter__(self) -> VoskRecognizer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- worker-thread side (always under self._lock) ---

    def _apply_reset(self) -> None:
        if not self._reset_pending or self._rec is None:
            return
        self._rec.FinalResult()
        if self.model.grammars:
            self._rec.SetGrammar(self._grammar)
        self._reset_pending = False

    def _accept(self, chunk: bytes) -> Recognition | None:
        with self._lock:
            if self._rec is None:
                return None
            self._apply_reset()
            if self._rec.AcceptWaveform(self._resampler.process(chunk)):
                self._last_partial = ""
                text = json.loads(self._rec.Result()).get("text", "")
                return Recognition("final", text) if text else None
            partial = json.loads(self._rec.PartialResult()).get("partial", "")
            if partial and partial != self._last_partial:
                self._last_partial = partial
                return Recognition("partial", partial)
            return None

    def _finish(self, chunk: bytes) -> Recognition:
        with self._lock:
            if self._rec is None:
                return Recognition("final", "")
            self._apply_reset()
            texts = []
            audio = self._resampler.process(chunk) + self._resampler.flush()
            if audio and self._rec.AcceptWaveform(audio):
                texts.append(json.loads(self._rec.Result()).get("text", ""))
            texts.append(json.loads(self._rec.FinalResult()).get("text", ""))
            self._last_partial = ""
            return Recognition("final", " ".join(t for t in texts if t))
