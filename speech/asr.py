"""Streaming speech recognition for the call path.

The protocol below is what ivr.CallSession relies on; `VoskRecognizer` is the
real implementation (speech issue).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol


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
