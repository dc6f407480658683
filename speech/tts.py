"""The robot's voice (speech issue): text → 8 kHz 16-bit mono PCM for the phone line."""

from __future__ import annotations

from typing import Protocol


class Synthesizer(Protocol):
    """What ivr.CallSession relies on."""

    async def synthesize(self, text: str, *, slow: bool = False) -> bytes:
        """Signed 16-bit little-endian mono PCM at 8 kHz, rendered off the event loop and cached."""
