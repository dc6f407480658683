"""Long answers said a piece at a time, with a pause for the caller in between.

Why: an elderly caller keeps one or two facts at a time, and a monologue of half a minute is
lost on them. A text longer than about fifteen seconds of speech is cut at sentence ends into
pieces; after each piece the robot asks «Продолжить?» and stops on «нет».
"""

from __future__ import annotations

import re

from dialogs import policy, prompts
from dialogs.channel import prepare
from dialogs.context import Call

# About 13 s of speech at the voice's normal rate (≈ 140 words a minute).
WORDS_PER_PIECE = 30
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def pieces(text: str, words: int = WORDS_PER_PIECE) -> list[str]:
    """Sentences grouped into pieces of at most `words` words (a longer sentence is a piece alone)."""
    result: list[str] = []
    for sentence in _SENTENCE_END.split(text.strip()):
        starts_lower = sentence[:1].islower()  # "… 4 а. этаж": no sentence end there
        if result and (starts_lower or len(result[-1].split()) + len(sentence.split()) <= words):
            result[-1] = f"{result[-1]} {sentence}"
        else:
            result.append(sentence)
    return [p for p in result if p]


async def say_in_pieces(call: Call, text: str) -> None:
    """Say `text`; past the first piece, only while the caller wants more."""
    parts = pieces(text)
    for number, part in enumerate(parts):
        if number and not await policy.confirm(call, prompts.CONTINUE):
            return
        await call.say(part)
        if number + 1 < len(parts):  # rendered while «Продолжить?» is asked and answered
            prepare(call.channel, parts[number + 1])
