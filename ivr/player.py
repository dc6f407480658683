"""The player: the robot's speech to the caller at real time, cut the moment the caller starts.

Why its own part: barge-in is what makes a phone robot bearable — a caller who knows the menu
presses a key or speaks over it, and the next 20 ms frame out is silence. The player watches the
input collector's `changed` event while the AudioSocket leg paces the audio.

A long answer comes as pieces (`speech.tts.spoken_pieces`: a sentence each, rendered while the
one before plays): the next piece is queued on the leg while this one plays, so it follows
without a gap, and no piece is asked for before the one two ahead of it has been heard — a
caller who cuts in leaves the rest of the answer unrendered.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator
from typing import Any

from ivr.input_collector import InputCollector
from telephony.audiosocket import AudioSocketCall


async def _one(pcm: bytes) -> AsyncGenerator[bytes, None]:
    yield pcm


class Player:
    def __init__(self, call: AudioSocketCall, listener: InputCollector):
        self.call = call
        self.listener = listener

    async def play(self, pcm: bytes, *, barge_in: bool) -> bool:
        """Play `pcm`; True if it played to the end."""
        return await self.play_pieces(_one(pcm), barge_in=barge_in)

    async def play_pieces(self, pieces: AsyncGenerator[bytes, None], *, barge_in: bool) -> bool:
        """Play the pieces one after another as they come; True if all of them played to the end.
        A failure to produce a piece (speech synthesis) stops the playing and is raised."""
        async with contextlib.aclosing(pieces):
            if barge_in and self.listener.started():
                return False
            plays: list[asyncio.Future[bool]] = []
            feeder = asyncio.ensure_future(self._feed(pieces, plays))
            try:
                while True:
                    if barge_in and self.listener.started():
                        self.call.stop_playback()  # the next 20 ms frame out is silence
                        return False
                    if feeder.done() and (not plays or plays[-1].done()):
                        break
                    self.listener.changed.clear()
                    changed = asyncio.ensure_future(self.listener.changed.wait())
                    waits: set[asyncio.Future[Any]] = {changed}
                    if not feeder.done():
                        waits.add(feeder)
                    if plays and not plays[-1].done():
                        waits.add(plays[-1])
                    try:
                        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
                    finally:
                        changed.cancel()
                if feeder.exception() is not None:
                    self.call.stop_playback()
                    feeder.result()  # raises it
                return feeder.result() and all(play.result() for play in plays)
            finally:
                feeder.cancel()
                for play in plays:
                    if not play.done():
                        play.cancel()
                await asyncio.gather(feeder, *plays, return_exceptions=True)

    async def _feed(self, pieces: AsyncGenerator[bytes, None], plays: list[asyncio.Future[bool]]) -> bool:
        """Queue each piece on the leg as it comes, but ask for the next only once the piece
        before this one has been heard (this one plays now). False when the playing was cut."""
        async for pcm in pieces:
            if not pcm:
                continue
            plays.append(asyncio.ensure_future(self.call.play(pcm)))
            if len(plays) > 1 and not await plays[-2]:
                return False
        return True
