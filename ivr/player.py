"""The player: the robot's speech to the caller at real time, cut the moment the caller starts.

Why its own part: barge-in is what makes a phone robot bearable — a caller who knows the menu
presses a key or speaks over it, and the next 20 ms frame out is silence. The player watches the
input collector's `changed` event while the AudioSocket leg paces the audio.
"""

from __future__ import annotations

import asyncio

from ivr.input_collector import InputCollector
from telephony.audiosocket import AudioSocketCall


class Player:
    def __init__(self, call: AudioSocketCall, listener: InputCollector):
        self.call = call
        self.listener = listener

    async def play(self, pcm: bytes, *, barge_in: bool) -> bool:
        """Play `pcm`; True if it played to the end."""
        if not pcm:
            return True
        if barge_in and self.listener.started():
            return False
        play = asyncio.ensure_future(self.call.play(pcm))
        try:
            while not play.done():
                if barge_in and self.listener.started():
                    self.call.stop_playback()  # the next 20 ms frame out is silence
                    break
                self.listener.changed.clear()
                changed = asyncio.ensure_future(self.listener.changed.wait())
                try:
                    await asyncio.wait({play, changed}, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    changed.cancel()
            return await play
        finally:
            if not play.done():
                play.cancel()
