"""The recogniser pump: the caller's audio into the recogniser, its results kept for the collector.

Why its own part: decoding is the call's heaviest work and must never block the event loop or
be cancelled halfway (native decoding runs in the model's threads). The pump feeds every frame,
notes when the caller is speaking (a partial with at least one real word — never noise or
`[unk]`) and keeps each final answer until the collector takes it; a recogniser that fails
leaves the call on the keypad, never ends it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable, Sequence

from speech.asr import Recognition, Recognizer
from telephony.audiosocket import AudioSocketCall

log = logging.getLogger(__name__)

NOISE_WORDS = frozenset({"[unk]", "<unk>"})


def real_words(text: str) -> list[str]:
    """The words of a recogniser result that are speech, not noise markers."""
    return [w for w in text.split() if w.lower() not in NOISE_WORDS]


class RecogniserPump:
    """Feeds `call.audio` to `recognizer`; `on_change()` whenever the caller's speech changes."""

    def __init__(self, call: AudioSocketCall, recognizer: Recognizer | None, on_change: Callable[[], None]):
        self.call = call
        self.recognizer = recognizer
        self.finals: deque[str] = deque()
        self.speaking = False  # a partial with real words came, its final not yet
        self.last_voice = 0.0
        self._on_change = on_change
        self._feeding = False
        self._stopping = False

    @property
    def hears(self) -> bool:
        return self.recognizer is not None

    def set_grammar(self, phrases: Sequence[str] | None, complete: Callable[[str], bool] | None) -> None:
        if self.recognizer is None:
            return
        try:
            self.recognizer.set_grammar(list(phrases) if phrases is not None else None, complete=complete)
        except Exception:
            log.exception("call %s: setting the grammar failed", self.call.call_id)

    async def flush(self) -> str:
        """At the no-input limit, whatever the caller was saying, as their answer ("" if nothing)."""
        if self.recognizer is None or not self.speaking:
            return ""
        self.speaking = False
        try:
            result = await self.recognizer.flush()
        except Exception:
            log.exception("call %s: recogniser flush failed", self.call.call_id)
            return ""
        return " ".join(real_words(result.text))

    def stoppable(self) -> bool:
        """False while a frame is being decoded: cancelling then would cut native work in half."""
        return not self._feeding

    def stop(self) -> None:
        self._stopping = True

    def close(self) -> None:
        if self.recognizer is None:
            return
        try:
            self.recognizer.close()
        except Exception:
            log.exception("call %s: closing the recogniser failed", self.call.call_id)

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            frame = await self.call.audio.get()
            recognizer = self.recognizer
            if recognizer is None or self._stopping:
                continue
            self._feeding = True
            try:
                result = await recognizer.feed(frame)
            except Exception:
                log.exception(
                    "call %s: recogniser failed; keypad only for the rest of the call", self.call.call_id
                )
                self.recognizer = None
                with contextlib.suppress(Exception):
                    recognizer.close()
                continue
            finally:
                self._feeding = False
            if self._stopping:
                return
            if result is not None:
                self._take(result, loop.time())

    def _take(self, result: Recognition, now: float) -> None:
        words = real_words(result.text)
        if result.kind == "partial":
            if words:
                self.speaking = True
                self.last_voice = now
                self._on_change()
            return
        self.speaking = False
        if words:
            self.finals.append(" ".join(words))
        self._on_change()
