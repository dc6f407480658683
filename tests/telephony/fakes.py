"""Test doubles for what cannot run here: a Russian recogniser (no Russian Vosk model can be
downloaded on these machines) and, until the speech branch is merged, the synthesizer."""

from __future__ import annotations

import asyncio
import math
import struct
from collections.abc import Sequence
from typing import Any

from speech.asr import Recognition

TONE_SECONDS_PER_CHAR = 0.06  # ≈ espeak-ng at 140 words per minute for Russian text


def tone(seconds: float, freq: float = 440.0, amplitude: int = 8000) -> bytes:
    n = int(8000 * seconds)
    return struct.pack(
        f"<{n}h", *(int(amplitude * math.sin(2 * math.pi * freq * i / 8000)) for i in range(n))
    )


class ToneSynthesizer:
    """Speaks every text as a tone as long as the real voice would take to say it."""

    def __init__(self, seconds_per_char: float = TONE_SECONDS_PER_CHAR):
        self.seconds_per_char = seconds_per_char
        self.texts: list[str] = []

    def seconds_for(self, text: str) -> float:
        return max(0.3, len(text) * self.seconds_per_char)

    async def synthesize(self, text: str, *, slow: bool = False) -> bytes:
        self.texts.append(text)
        return tone(self.seconds_for(text) * (1.3 if slow else 1.0))


class ScriptedRecognizer:
    """Plays the recogniser's part: each `emit()`ed result is returned by the next `feed()`."""

    def __init__(self, fail_on_feed: bool = False):
        self.results: asyncio.Queue[Recognition] = asyncio.Queue()
        self.grammars: list[list[str] | None] = []
        self.frames = 0
        self.closed = False
        self.fail_on_feed = fail_on_feed

    def emit(self, kind: str, text: str) -> None:
        self.results.put_nowait(Recognition(kind, text))

    def set_grammar(self, phrases: Sequence[str] | None, *, complete=None) -> None:
        self.grammars.append(list(phrases) if phrases is not None else None)
        self.complete = complete

    async def feed(self, frame: bytes) -> Recognition | None:
        assert not self.closed, "fed after close"
        self.frames += 1
        if self.fail_on_feed:
            raise RuntimeError("native recogniser crashed")
        await asyncio.sleep(0)
        return None if self.results.empty() else self.results.get_nowait()

    async def flush(self) -> Recognition:
        return Recognition("final", "")

    def close(self) -> None:
        self.closed = True


class RecordingBackend:
    """Keeps what the session records about the call, in order."""

    def __init__(self) -> None:
        self.log: list[tuple[Any, ...]] = []

    async def start_call(
        self, call_id: str, *, caller: str | None, channel: str | None = None, idempotency_key: str = ""
    ) -> None:
        self.log.append(("start", call_id, caller, channel))

    async def update_call(self, call_id: str, *, idempotency_key: str = "", **fields: Any) -> None:
        self.log.append(("update", call_id, fields))

    async def add_transcript(
        self, call_id: str, speaker: str, text: str, *, idempotency_key: str = ""
    ) -> None:
        self.log.append(("transcript", speaker, text))

    async def end_call(self, call_id: str, *, outcome: str, idempotency_key: str = "") -> None:
        self.log.append(("end", call_id, outcome))

    async def escalate(self, call_id: str, *, idempotency_key: str = "", **fields: Any) -> dict:
        self.log.append(("escalate", call_id, fields))
        return {"id": 1, "status": "open"}

    def kinds(self) -> list[str]:
        return [entry[0] for entry in self.log]

    def transcript(self) -> list[tuple[str, str]]:
        return [(e[1], e[2]) for e in self.log if e[0] == "transcript"]
