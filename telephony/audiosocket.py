"""AudioSocket: the TCP protocol Asterisk's `AudioSocket()` speaks, and our asyncio server for it.

Why hand-written: the protocol is four frame kinds over TCP (1 byte kind, 2 bytes big-endian
length, payload) and no maintained asyncio library implements the server side with what a phone
line needs: our audio paced in real time (Asterisk drops what arrives faster than it plays),
silence while we think (Asterisk ends the leg after 2 s without a frame from us), and a peer
that goes quiet or sends garbage costing only its own call.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import struct
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import IntEnum

log = logging.getLogger(__name__)

SAMPLE_RATE = 8000
FRAME_SECONDS = 0.020
FRAME_BYTES = 320  # 20 ms of signed 16-bit little-endian mono at 8 kHz
SILENCE_FRAME = bytes(FRAME_BYTES)
# Asterisk sends 320-byte frames; a softphone with a long ptime may give a few times that.
# Anything far larger is not audio from Asterisk, and reading it would only waste memory.
MAX_PAYLOAD = 4096
DTMF_KEYS = frozenset("0123456789*#ABCD")
# Audio frames a new leg must stream before a dialog starts for it (60 ms: Asterisk streams at once).
FRAMES_TO_ADMIT = 3
_HEADER = struct.Struct(">BH")


class Kind(IntEnum):
    HANGUP = 0x00
    UUID = 0x01
    DTMF = 0x03
    AUDIO = 0x10
    ERROR = 0xFF


class ProtocolError(Exception):
    """The peer sent something that is not a valid AudioSocket frame; its call is closed."""


@dataclass(frozen=True)
class Frame:
    kind: int
    payload: bytes = b""


def encode_frame(kind: int, payload: bytes = b"") -> bytes:
    if not 0 <= kind <= 0xFF:
        raise ValueError(f"frame kind out of range: {kind}")
    if len(payload) > 0xFFFF:
        raise ValueError(f"payload of {len(payload)} bytes does not fit a frame")
    return _HEADER.pack(kind, len(payload)) + payload


def uuid_frame(call_id: str) -> bytes:
    return encode_frame(Kind.UUID, uuid.UUID(call_id).bytes)


def audio_frame(pcm: bytes) -> bytes:
    return encode_frame(Kind.AUDIO, pcm)


def dtmf_frame(key: str) -> bytes:
    return encode_frame(Kind.DTMF, key.encode("ascii"))


def hangup_frame() -> bytes:
    return encode_frame(Kind.HANGUP)


def validate_frame(frame: Frame) -> Frame:
    """Check a frame's payload against its kind; raises ProtocolError."""
    kind, payload = frame.kind, frame.payload
    if kind == Kind.UUID and len(payload) != 16:
        raise ProtocolError(f"call id frame with {len(payload)} bytes, expected 16")
    if kind == Kind.DTMF and (len(payload) != 1 or chr(payload[0]) not in DTMF_KEYS):
        raise ProtocolError(f"DTMF frame with payload {payload[:8]!r}")
    if kind == Kind.AUDIO and len(payload) % 2:
        raise ProtocolError(f"audio frame with an odd length {len(payload)}")
    return frame


async def read_frame(reader: asyncio.StreamReader, *, max_payload: int = MAX_PAYLOAD) -> Frame | None:
    """Read one frame. None when the peer closed the stream cleanly between frames."""
    try:
        header = await reader.readexactly(_HEADER.size)
    except asyncio.IncompleteReadError as exc:
        if not exc.partial:
            return None
        raise ProtocolError("stream ended inside a frame header") from exc
    kind, length = _HEADER.unpack(header)
    if length > max_payload:
        raise ProtocolError(f"frame kind 0x{kind:02x} announces {length} bytes (limit {max_payload})")
    try:
        payload = await reader.readexactly(length) if length else b""
    except asyncio.IncompleteReadError as exc:
        raise ProtocolError(f"stream ended inside a frame ({len(exc.partial)} of {length} bytes)") from exc
    return validate_frame(Frame(kind, payload))


@dataclass
class PacingStats:
    """How well our outgoing audio kept to real time (for logs and benchmarks)."""

    frames_sent: int = 0
    audio_frames: int = 0  # frames that carried our speech, not keep-alive silence
    max_lag: float = 0.0  # worst lateness of a frame against its deadline, seconds
    resyncs: int = 0  # times the clock was reset after the event loop stalled


class _Playback:
    """One piece of audio queued for sending, and the future its `play()` waits on."""

    __slots__ = ("data", "offset", "done")

    def __init__(self, data: bytes, done: asyncio.Future[bool]):
        self.data = data
        self.offset = 0
        self.done = done


class _QuietLog:
    """At most one warning a second for stray peers, with a count: a burst of junk connections
    must not turn into thousands of log lines written on the event loop."""

    def __init__(self, interval: float = 1.0):
        self._interval = interval
        self._last = -interval
        self._skipped = 0

    def warning(self, message: str, *args: object) -> None:
        now = asyncio.get_running_loop().time()
        if now - self._last < self._interval:
            self._skipped += 1
            return
        if self._skipped:
            message += f" ({self._skipped} more like this since the last report)"
            self._skipped = 0
        self._last = now
        log.warning(message, *args)


class AudioSocketCall:
    """One AudioSocket connection = one call leg.

    Incoming: `audio` (a bounded queue of PCM frames; the oldest are dropped if nobody
    reads) and `dtmf` (keys as one-character strings). Outgoing: `play(pcm)` queues our
    audio; a sender task emits exactly one 20 ms frame per tick of a monotonic clock —
    our audio if there is some, silence otherwise — so the leg stays alive and nothing is
    sent in a burst. `closed` is set when either side hangs up or the link fails;
    `close_reason` says which.
    """

    def __init__(
        self,
        call_id: str,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        idle_timeout: float = 10.0,
        warmup: float = 0.5,
        write_timeout: float = 2.0,
        max_backlog_frames: int = 250,
        max_lag: float = 0.2,
    ):
        self.call_id = call_id
        self.audio: asyncio.Queue[bytes] = asyncio.Queue(maxsize=max_backlog_frames)
        self.dtmf: asyncio.Queue[str] = asyncio.Queue()
        self.closed = asyncio.Event()
        # A few well-formed audio frames arrived: a real leg streaming, not a stray or broken socket.
        self.heard = asyncio.Event()
        self._frames_heard = 0
        self.close_reason: str | None = None
        self.stats = PacingStats()
        self.dropped_frames = 0
        self._reader = reader
        self._writer = writer
        self._idle_timeout = idle_timeout
        self._warmup = warmup
        self._write_timeout = write_timeout
        self._max_lag = max_lag
        self._queue: deque[_Playback] = deque()
        self._tasks: list[asyncio.Task[None]] = []
        self._unknown_kinds: set[int] = set()

    # ---- lifecycle -------------------------------------------------------------------------
    def start(self, *, send: bool = True) -> None:
        """Read the peer's frames; with `send`, also start our 20 ms frames (else `start_sending`)."""
        self._tasks = [asyncio.create_task(self._read_loop(), name=f"audiosocket-read-{self.call_id}")]
        if send:
            self.start_sending()

    def start_sending(self) -> None:
        """Our side of the stream: one frame every 20 ms until the call closes. Held back while a
        new leg is checked (a stray socket costs no frames; Asterisk waits 2 s for our first)."""
        name = f"audiosocket-send-{self.call_id}"
        if not self.is_closed and not any(t.get_name() == name for t in self._tasks):
            self._tasks.append(asyncio.create_task(self._send_loop(), name=name))

    async def hangup(self) -> None:
        """End the call from our side: a hang-up frame, then the socket closes."""
        await self._close("local_hangup", send_hangup=True)

    async def release(self) -> None:
        """Let go of the leg without hanging it up: after an AMI redirect the channel lives on
        elsewhere in the dialplan and a hang-up frame must not reach it."""
        await self._close("released", send_hangup=False)

    async def wait_closed(self) -> None:
        await self.closed.wait()

    @property
    def is_closed(self) -> bool:
        return self.closed.is_set()

    # ---- our audio -------------------------------------------------------------------------
    async def play(self, pcm: bytes) -> bool:
        """Send `pcm` (8 kHz s16le mono) at real time. True when all of it went out;
        False when `stop_playback()` cut it or the call closed."""
        if self.is_closed:
            return False
        if len(pcm) % 2:
            pcm = pcm[:-1]
        done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        if not pcm:
            return True
        item = _Playback(pcm, done)
        self._queue.append(item)
        try:
            return await done
        finally:
            if item in self._queue:  # cancelled while playing: stop sending it
                self._queue.remove(item)

    def stop_playback(self) -> None:
        """Cut what is playing now (barge-in); the next frame out is silence."""
        while self._queue:
            item = self._queue.popleft()
            if not item.done.done():
                item.done.set_result(False)

    @property
    def playing(self) -> bool:
        return bool(self._queue)

    def _next_frame(self, may_speak: bool) -> bytes:
        if not may_speak or not self._queue:
            return SILENCE_FRAME
        item = self._queue[0]
        chunk = item.data[item.offset : item.offset + FRAME_BYTES]
        item.offset += len(chunk)
        if item.offset >= len(item.data):
            self._queue.popleft()
            if not item.done.done():
                item.done.set_result(True)
        self.stats.audio_frames += 1
        if len(chunk) < FRAME_BYTES:
            chunk += bytes(FRAME_BYTES - len(chunk))
        return chunk

    async def _send_loop(self) -> None:
        loop = asyncio.get_running_loop()
        start = loop.time()  # the loop's clock is time.monotonic()
        sent = 0
        try:
            while not self.is_closed:
                now = loop.time()
                self._writer.write(audio_frame(self._next_frame(now - start >= self._warmup)))
                sent += 1
                self.stats.frames_sent += 1
                if self._writer.transport.get_write_buffer_size() > 16 * FRAME_BYTES:
                    # The peer stopped reading: give it a moment, then give up on the call.
                    try:
                        await asyncio.wait_for(self._writer.drain(), self._write_timeout)
                    except TimeoutError:
                        log.warning("call %s: peer stopped reading our audio; closing", self.call_id)
                        await self._close("write_stalled", send_hangup=False)
                        return
                delay = start + sent * FRAME_SECONDS - loop.time()
                if -delay > self.stats.max_lag:
                    self.stats.max_lag = -delay
                if delay < -self._max_lag:
                    # The event loop stalled; bursting to catch up would make Asterisk drop the
                    # audio anyway, so restart the clock from now.
                    self.stats.resyncs += 1
                    start = loop.time() - sent * FRAME_SECONDS
                elif delay > 0:
                    await asyncio.sleep(delay)
        except (ConnectionError, RuntimeError) as exc:
            log.info("call %s: link lost while sending: %s", self.call_id, exc)
            await self._close("link_lost", send_hangup=False)

    # ---- caller's side ---------------------------------------------------------------------
    async def _read_loop(self) -> None:
        try:
            while not self.is_closed:
                # A timeout context per frame: no task per frame, as wait_for would make.
                try:
                    async with asyncio.timeout(self._idle_timeout):
                        frame = await read_frame(self._reader)
                except TimeoutError:
                    log.warning(
                        "call %s: nothing from Asterisk for %.0f s (half-open link?); closing",
                        self.call_id,
                        self._idle_timeout,
                    )
                    await self._close("idle_timeout", send_hangup=True)
                    return
                if frame is None:
                    await self._close("peer_closed", send_hangup=False)
                    return
                ended = self._handle(frame)
                if ended:
                    await self._close(ended, send_hangup=ended == "peer_error")
                    return
        except ProtocolError as exc:
            _junk_log.warning("call %s: malformed AudioSocket frame, closing it: %s", self.call_id, exc)
            await self._close("protocol_error", send_hangup=True)
        except ConnectionError as exc:
            log.info("call %s: link lost: %s", self.call_id, exc)
            await self._close("link_lost", send_hangup=False)

    def _handle(self, frame: Frame) -> str | None:
        """Dispatch one frame; the close reason when it ended the call."""
        if frame.kind == Kind.AUDIO:
            if not self.heard.is_set():
                self._frames_heard += 1
                if self._frames_heard >= FRAMES_TO_ADMIT:
                    self.heard.set()
            if self.audio.full():
                self.audio.get_nowait()
                self.dropped_frames += 1
            self.audio.put_nowait(frame.payload)
        elif frame.kind == Kind.DTMF:
            self.dtmf.put_nowait(frame.payload.decode("ascii"))
        elif frame.kind == Kind.HANGUP:
            return "peer_hangup"
        elif frame.kind == Kind.ERROR:
            log.warning("call %s: Asterisk reported an error (payload %s)", self.call_id, frame.payload.hex())
            return "peer_error"
        elif frame.kind == Kind.UUID:
            log.info("call %s: repeated call id frame ignored", self.call_id)
        elif frame.kind not in self._unknown_kinds:
            self._unknown_kinds.add(frame.kind)
            log.warning("call %s: ignoring frames of unknown kind 0x%02x", self.call_id, frame.kind)
        return None

    async def _close(self, reason: str, *, send_hangup: bool) -> None:
        if self.is_closed:
            return
        self.close_reason = reason
        self.closed.set()
        self.stop_playback()
        current = asyncio.current_task()
        for task in self._tasks:
            if task is not current:
                task.cancel()
        if send_hangup and not self._writer.is_closing():
            with contextlib.suppress(ConnectionError, RuntimeError):
                self._writer.write(hangup_frame())
        self._writer.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._writer.wait_closed(), 1.0)
        log.info("call %s: closed (%s)", self.call_id, reason)

    async def aclose(self) -> None:
        """Hang up if still up and wait for our tasks to finish (used by the server)."""
        await self._close("local_hangup", send_hangup=True)
        current = asyncio.current_task()
        tasks = [t for t in self._tasks if t is not current]
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)


CallHandler = Callable[[AudioSocketCall], Awaitable[None]]
_junk_log = _QuietLog()  # malformed streams, shared by every call: a burst logs a line a second


class AudioSocketServer:
    """Accepts Asterisk's AudioSocket connections and runs `handler(call)` for each.

    The handler owns the call for its lifetime; when it returns the call is hung up.
    An exception in one handler or a malformed stream is logged and ends only that call.

    Admission, so a burst of junk or too many calls cannot starve the calls already talking:
    a peer must send its call id within `first_frame_timeout` (1 s) and, with
    `first_audio_timeout`, its first audio frame within that time too (Asterisk streams at once),
    before a handler runs; at most `max_calls` handlers run at once, a call over the cap gets
    `on_busy(call)` (say "all lines are busy" and hang up) while at most `max_busy` of those play,
    and beyond that the connection is simply closed (Asterisk's dialplan goes on after
    AudioSocket(): it may route the call elsewhere). `stop_accepting` is the first step of a
    graceful stop: no new calls, the live ones go on.
    """

    def __init__(
        self,
        handler: CallHandler,
        host: str = "127.0.0.1",
        port: int = 9092,
        *,
        first_frame_timeout: float = 1.0,
        first_audio_timeout: float | None = None,
        idle_timeout: float = 10.0,
        warmup: float = 0.5,
        max_calls: int | None = None,
        on_busy: CallHandler | None = None,
        max_busy: int = 20,
        backlog: int = 1024,
        reuse_port: bool = False,
    ):
        self._handler = handler
        self._host = host
        self._port = port
        self._first_frame_timeout = first_frame_timeout
        self._first_audio_timeout = first_audio_timeout
        self._idle_timeout = idle_timeout
        self._warmup = warmup
        self._max_calls = max_calls
        self._on_busy = on_busy
        self._max_busy = max_busy
        self._backlog = backlog
        self._reuse_port = reuse_port  # several processes, one port: the kernel spreads calls
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()
        self._quiet = _junk_log
        self.calls: dict[str, AudioSocketCall] = {}
        self.active = 0  # handlers running (calls admitted)
        self.busy_now = 0  # calls over the cap hearing the busy message
        self.refused = 0  # connections closed at admission (junk, over every cap)

    async def start(self) -> None:
        self._server = await asyncio.start_server(
            self._on_connect, self._host, self._port, backlog=self._backlog, reuse_port=self._reuse_port
        )
        log.info("AudioSocket server listening on %s:%d", self._host, self.port)

    def stop_accepting(self) -> None:
        """No new connections; calls already connected go on (a graceful stop's first step)."""
        if self._server is not None:
            self._server.close()

    @property
    def port(self) -> int:
        if self._server is None or not self._server.sockets:
            return self._port
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    async def close(self) -> None:
        """Stop accepting, hang up every call, wait for the handlers to finish."""
        if self._server is not None:
            self._server.close()
        for task in list(self._connections):
            task.cancel()
        if self._connections:
            await asyncio.gather(*self._connections, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    async def __aenter__(self) -> AudioSocketServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _on_connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            await self._serve(reader, writer)
        finally:
            self._connections.discard(task)

    def _refuse(self, writer: asyncio.StreamWriter, message: str, *args: object) -> None:
        self.refused += 1
        self._quiet.warning(message, *args)
        writer.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        try:
            async with asyncio.timeout(self._first_frame_timeout):
                first = await read_frame(reader)
        except (TimeoutError, ProtocolError, ConnectionError) as exc:
            self._refuse(writer, "AudioSocket peer %s: no valid call id frame (%s); closing", peer,
                         exc or "timeout")
            return
        if first is None or first.kind != Kind.UUID:
            self._refuse(writer, "AudioSocket peer %s: first frame is not a call id; closing", peer)
            return
        call_id = str(uuid.UUID(bytes=first.payload))
        if call_id in self.calls:
            self._refuse(writer, "AudioSocket peer %s: call id %s already connected; closing", peer, call_id)
            return
        over_cap = self._max_calls is not None and self.active >= self._max_calls
        if over_cap and (self._on_busy is None or self.busy_now >= self._max_busy):
            self._refuse(writer, "AudioSocket: %d calls already (the cap); call %s not taken", self.active,
                         call_id)
            return
        call = AudioSocketCall(call_id, reader, writer, idle_timeout=self._idle_timeout, warmup=self._warmup)
        self.calls[call_id] = call
        call.start(send=self._first_audio_timeout is None)
        try:
            if self._first_audio_timeout is not None:
                if not await self._streams(call):
                    self.refused += 1
                    self._quiet.warning("AudioSocket peer %s: call %s sent no audio; closing", peer, call_id)
                    return
                call.start_sending()
            if over_cap:
                log.warning("call %s: all %d lines busy; told to call back", call_id, self.active)
                assert self._on_busy is not None
                await self._run(self._on_busy, call, busy=True)
                return
            log.info("call %s: AudioSocket connected from %s", call_id, peer)
            await self._run(self._handler, call, busy=False)
        finally:
            self.calls.pop(call_id, None)
            await call.aclose()

    async def _streams(self, call: AudioSocketCall) -> bool:
        """True once the peer streamed its first frames in time (then it is a real call leg)."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self._first_audio_timeout):
                await call.heard.wait()
        return call.heard.is_set()

    async def _run(self, handler: CallHandler, call: AudioSocketCall, *, busy: bool) -> None:
        if busy:
            self.busy_now += 1
        else:
            self.active += 1
        try:
            await handler(call)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("call %s: handler failed", call.call_id)
        finally:
            if busy:
                self.busy_now -= 1
            else:
                self.active -= 1
