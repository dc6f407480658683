"""Endpointing: when the caller started and stopped speaking, from the 8 kHz line audio.

Why our own: Vosk's endpoint rules (model.conf: 0.5–1 s of trailing silence, plus the
decoder's lag) made every answer wait over a second, and vosk 0.3.45 exposes no setting
for them. A voice-activity detector (WebRTC's, `webrtcvad-wheels`: a few µs per 20 ms
frame, no model to load) decides instead; the recogniser is finalised a short hangover
after the last voiced frame. It also gates decoding: silence is not decoded at all, only a
short pre-roll before the speech starts (so the first syllable is not clipped).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np
import webrtcvad

from speech.audio import FRAME_MS, PHONE_RATE


@dataclass(frozen=True)
class Step:
    """What one pushed frame means: audio to decode now, and whether speech started or stopped."""

    audio: bytes = b""
    started: bool = False
    stopped: bool = False


NOTHING = Step()


class Endpointer:
    """Voice activity with hysteresis, one per call (it keeps the call's recent audio).

    Speech starts when `start_ms` of the last `start_window_ms` are voiced (a click or a
    single voiced frame of hiss does not start it); it stops after `hangover_ms` without a
    voiced frame. `aggressiveness` is WebRTC's 0–3 (3 rejects the most non-speech; phone
    lines with hiss want 2–3). A frame quieter than `min_rms` (≈ −47 dBFS: line hiss, comfort
    noise) is never voiced: WebRTC's detector takes the onset of any steady noise for speech
    until it has adapted to it.
    """

    def __init__(
        self,
        *,
        aggressiveness: int = 2,
        hangover_ms: int = 240,
        start_ms: int = 80,
        start_window_ms: int = 120,
        preroll_ms: int = 300,
        min_rms: float = 150.0,
        rate: int = PHONE_RATE,
    ) -> None:
        self._vad = webrtcvad.Vad(aggressiveness)
        self._min_square = min_rms * min_rms
        self._rate = rate
        self._frame_bytes = rate * FRAME_MS // 1000 * 2
        self.hangover_ms = hangover_ms
        self._start_frames = max(1, start_ms // FRAME_MS)
        self._window: deque[bool] = deque(maxlen=max(self._start_frames, start_window_ms // FRAME_MS))
        self._preroll: deque[bytes] = deque(maxlen=max(1, preroll_ms // FRAME_MS))
        self._pending = b""  # a partial frame (a peer's frames need not be 20 ms)
        self.speaking = False
        self.silent_ms = 0  # since the last voiced frame, while speaking

    def reset(self) -> None:
        """Forget the utterance (a new question): the next voiced audio starts a new one."""
        self.speaking = False
        self.silent_ms = 0
        self._window.clear()
        self._preroll.clear()
        self._pending = b""

    def push(self, audio: bytes) -> Step:
        """Feed line audio (any length); what it means for the utterance."""
        data = self._pending + audio
        usable = len(data) - len(data) % self._frame_bytes
        self._pending = data[usable:]
        if usable == self._frame_bytes:  # the usual case: exactly one 20 ms frame
            return self._frame(data[:usable])
        out = bytearray()
        started = stopped = False
        for offset in range(0, usable, self._frame_bytes):
            step = self._frame(data[offset : offset + self._frame_bytes])
            out += step.audio
            started |= step.started
            if step.stopped:
                stopped = True
                break  # the rest waits for the next utterance (kept as pre-roll below)
        if stopped:
            for rest in range(offset + self._frame_bytes, usable, self._frame_bytes):
                self._frame(data[rest : rest + self._frame_bytes])
        return Step(bytes(out), started, stopped) if (out or started or stopped) else NOTHING

    def _voiced(self, frame: bytes) -> bool:
        samples = np.frombuffer(frame, dtype="<i2").astype(np.float32)
        if float(np.dot(samples, samples)) < self._min_square * len(samples):
            return False
        return bool(self._vad.is_speech(frame, self._rate))

    def _frame(self, frame: bytes) -> Step:
        voiced = self._voiced(frame)
        if not self.speaking:
            self._preroll.append(frame)
            self._window.append(voiced)
            if sum(self._window) < self._start_frames:
                return NOTHING
            self.speaking = True
            self.silent_ms = 0
            audio = b"".join(self._preroll)
            self._preroll.clear()
            self._window.clear()
            return Step(audio, started=True)
        if voiced:
            self.silent_ms = 0
            return Step(frame)
        self.silent_ms += FRAME_MS
        if self.silent_ms >= self.hangover_ms:
            self.speaking = False
            self.silent_ms = 0
            return Step(frame, stopped=True)
        return Step(frame)

