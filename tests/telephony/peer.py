"""A fake Asterisk for AudioSocket tests: a real TCP client speaking the protocol."""

from __future__ import annotations

import asyncio
import time
import uuid

from telephony.audiosocket import Frame, Kind, audio_frame, dtmf_frame, encode_frame, read_frame, uuid_frame


async def until(predicate, timeout: float = 10.0) -> None:
    """Poll `predicate` until it holds (for conditions no event signals, like a reconnect count)."""
    for _ in range(int(timeout / 0.05)):
        if predicate():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not met in time")


class FakeAsterisk:
    """Connects like Asterisk's AudioSocket() and records what the server sends, with arrival times."""

    def __init__(self, call_id: str | None = None):
        self.call_id = call_id or str(uuid.uuid4())
        self.received: list[tuple[float, Frame]] = []
        self.eof = asyncio.Event()
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._task: asyncio.Task | None = None

    async def connect(self, port: int, *, send_id: bool = True) -> FakeAsterisk:
        self._reader, self._writer = await asyncio.open_connection("127.0.0.1", port)
        if send_id:
            self.send_raw(uuid_frame(self.call_id))
        self._task = asyncio.create_task(self._collect())
        return self

    def send_raw(self, data: bytes) -> None:
        assert self._writer is not None
        self._writer.write(data)

    def send_audio(self, pcm: bytes) -> None:
        self.send_raw(audio_frame(pcm))

    def send_dtmf(self, key: str) -> None:
        self.send_raw(dtmf_frame(key))

    def send_hangup(self) -> None:
        self.send_raw(encode_frame(Kind.HANGUP))

    async def _collect(self) -> None:
        assert self._reader is not None
        try:
            while True:
                frame = await read_frame(self._reader, max_payload=0xFFFF)
                if frame is None:
                    break
                self.received.append((time.monotonic(), frame))
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self.eof.set()

    def audio(self) -> list[tuple[float, bytes]]:
        return [(t, f.payload) for t, f in self.received if f.kind == Kind.AUDIO]

    def kinds(self) -> list[int]:
        return [f.kind for _, f in self.received]

    async def wait_for(self, predicate, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError("condition not met in time")
            await asyncio.sleep(0.01)

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        if self._task is not None:
            await asyncio.wait_for(self._task, 5)


class StreamingAsterisk(FakeAsterisk):
    """Also streams the caller's side like Asterisk does: a 20 ms frame every 20 ms."""

    async def connect(self, port: int, *, send_id: bool = True) -> StreamingAsterisk:
        await super().connect(port, send_id=send_id)
        self._streamer = asyncio.create_task(self._stream())
        return self

    async def _stream(self) -> None:
        start = time.monotonic()
        n = 0
        try:
            while not self.eof.is_set():
                self.send_audio(bytes(320))
                n += 1
                await asyncio.sleep(max(0.0, start + n * 0.02 - time.monotonic()))
        except (ConnectionError, RuntimeError):
            pass

    async def close(self) -> None:
        self._streamer.cancel()
        await super().close()
