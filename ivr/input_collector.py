"""The input collector: one answer from the caller, by keys or by voice, within the question's time.

Why its own part: keys and speech arrive on their own (the keypad's frames, the recogniser
pump's finals) while the robot may still be talking; the collector applies the dialogs' one
keypad rule (`dialogs.keys.KeyEntry`), lets a caller who is still speaking finish
(`utterance_grace`), drops a habitual `#` after an entry complete by length, and says whether
the caller has started (for barge-in).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque

from dialogs.channel import DtmfSpec, Reply
from dialogs.keys import KeyEntry
from ivr.recogniser_pump import RecogniserPump
from telephony.audiosocket import AudioSocketCall

# After an entry complete by length, a terminator pressed within this time is dropped.
STRAY_TERMINATOR_SECONDS = 2.0


class InputCollector:
    """Keys from `call.dtmf`, speech from `pump`; `changed` is set whenever either moves."""

    def __init__(self, call: AudioSocketCall, pump: RecogniserPump, *, utterance_grace: float = 3.0):
        self.call = call
        self.pump = pump
        self.changed = asyncio.Event()
        self._keys: deque[str] = deque()
        self._stray: tuple[str, float] | None = None  # a terminator to ignore, until when
        self._utterance_grace = utterance_grace

    def kick(self) -> None:
        self.changed.set()

    def started(self) -> bool:
        """The caller pressed a key or started speaking (the robot stops: barge-in)."""
        return bool(self._keys or self.pump.finals or self.pump.speaking)

    def clear_keys(self) -> None:
        """Keys pressed before a question that takes none are no answer to it."""
        self._keys.clear()

    async def run_keys(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            key = await self.call.dtmf.get()
            stray, self._stray = self._stray, None
            if stray is not None and key == stray[0] and loop.time() < stray[1]:
                continue
            self._keys.append(key)
            self.kick()

    async def watch_hangup(self) -> None:
        await self.call.closed.wait()
        self.kick()

    async def collect(self, dtmf: DtmfSpec | None, timeout: float) -> Reply:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        entry = KeyEntry(dtmf) if dtmf is not None else None
        pump = self.pump
        while True:
            if self.call.is_closed:
                return Reply.hangup()
            while self._keys:
                key = self._keys.popleft()
                if entry is None or dtmf is None:
                    continue
                reply = entry.press(key)
                if reply is not None:
                    if entry.full and dtmf.max_digits > 1:
                        self._swallow_terminator(dtmf.terminator)
                    return reply
                deadline = loop.time() + dtmf.inter_digit_timeout
            digits = entry is not None and entry.started
            if pump.finals and not digits:
                return Reply.speech(pump.finals.popleft())
            now = loop.time()
            effective = deadline
            if pump.speaking and not digits:
                effective = max(deadline, pump.last_voice + self._utterance_grace)
            if now >= effective:
                if entry is not None and digits:
                    return entry.timed_out()
                text = await pump.flush()
                return Reply.speech(text) if text else Reply.silence()
            self.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), effective - now)

    def _swallow_terminator(self, terminator: str | None) -> None:
        """A full entry is often still ended with `#` out of habit: that key answers nothing."""
        if not terminator:
            return
        if self._keys and self._keys[0] == terminator:
            self._keys.popleft()
        else:
            self._stray = (terminator, asyncio.get_running_loop().time() + STRAY_TERMINATOR_SECONDS)
