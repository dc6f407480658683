"""PCM helpers for the phone line: 8 kHz signed 16-bit mono, 20 ms frames, soxr resampling.

Why one module: both directions of the call (the caller's audio into Vosk, the
robot's voice out of espeak-ng) need the same frame size and a real resampler,
and a stream resampler must keep its filter state across frames, which a
per-frame `soxr.resample` call would not.
"""

from __future__ import annotations

import io
import wave
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import soxr

PHONE_RATE = 8000
SAMPLE_WIDTH = 2  # bytes, signed 16-bit little-endian
FRAME_MS = 20
FRAME_BYTES = PHONE_RATE * FRAME_MS // 1000 * SAMPLE_WIDTH  # 320


def _samples(pcm: bytes) -> np.ndarray:
    if len(pcm) % SAMPLE_WIDTH:
        raise ValueError(f"16-bit PCM must have an even number of bytes, got {len(pcm)}")
    return np.frombuffer(pcm, dtype="<i2")


def silence(ms: int, rate: int = PHONE_RATE) -> bytes:
    """`ms` milliseconds of digital silence."""
    return bytes(rate * ms // 1000 * SAMPLE_WIDTH)


def duration_ms(pcm: bytes, rate: int = PHONE_RATE) -> float:
    return len(pcm) / SAMPLE_WIDTH * 1000 / rate


def resample(pcm: bytes, in_rate: int, out_rate: int) -> bytes:
    """Resample a whole clip (one shot, soxr high quality)."""
    if in_rate == out_rate or not pcm:
        return pcm
    out = soxr.resample(_samples(pcm), in_rate, out_rate, quality="HQ")
    return np.asarray(out, dtype="<i2").tobytes()


class StreamResampler:
    """Resamples a live stream chunk by chunk, keeping soxr's filter state between chunks.

    The output lags the input by the filter delay (a few ms); `flush()` returns
    the tail at the end of a stream and starts a fresh one.
    """

    def __init__(self, in_rate: int, out_rate: int) -> None:
        self.in_rate = in_rate
        self.out_rate = out_rate
        self._stream = self._new()

    def _new(self) -> soxr.ResampleStream | None:
        if self.in_rate == self.out_rate:
            return None
        return soxr.ResampleStream(self.in_rate, self.out_rate, 1, dtype="int16", quality="HQ")

    def process(self, pcm: bytes) -> bytes:
        if self._stream is None:
            return pcm
        out: bytes = self._stream.resample_chunk(_samples(pcm)).astype("<i2", copy=False).tobytes()
        return out

    def flush(self) -> bytes:
        """The samples still held in the filter; the next `process` starts a new stream."""
        if self._stream is None:
            return b""
        tail = self._stream.resample_chunk(np.zeros(0, dtype=np.int16), last=True)
        self._stream = self._new()
        out: bytes = tail.astype("<i2", copy=False).tobytes()
        return out


def frames(pcm: bytes, frame_bytes: int = FRAME_BYTES) -> Iterator[bytes]:
    """Split PCM into fixed-size frames (20 ms at 8 kHz by default); the last is padded with silence."""
    for start in range(0, len(pcm), frame_bytes):
        chunk = pcm[start : start + frame_bytes]
        if len(chunk) < frame_bytes:
            chunk += bytes(frame_bytes - len(chunk))
        yield chunk


def read_wav(source: Path | str | bytes) -> tuple[bytes, int]:
    """A 16-bit WAV file (path or bytes) → (mono PCM, sample rate). Stereo is averaged to mono."""
    handle = io.BytesIO(source) if isinstance(source, bytes) else open(source, "rb")  # noqa: SIM115
    with handle, wave.open(handle, "rb") as wav:
        if wav.getsampwidth() != SAMPLE_WIDTH:
            raise ValueError(f"expected 16-bit WAV, got {8 * wav.getsampwidth()}-bit")
        rate, channels = wav.getframerate(), wav.getnchannels()
        pcm = wav.readframes(wav.getnframes())
    if channels > 1:
        stereo = _samples(pcm).reshape(-1, channels).astype(np.int32)
        pcm = stereo.mean(axis=1).astype("<i2").tobytes()
    return pcm, rate


def wav_bytes(pcm: bytes, rate: int = PHONE_RATE) -> bytes:
    """Mono 16-bit PCM wrapped in a WAV header (for the disk cache and for listening)."""
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(SAMPLE_WIDTH)
        wav.setframerate(rate)
        wav.writeframes(pcm)
    return out.getvalue()


def to_phone(pcm: bytes, rate: int) -> bytes:
    """Any-rate mono PCM → 8 kHz for the phone line."""
    return resample(pcm, rate, PHONE_RATE)
