import asyncio
import struct
import uuid

import pytest

from telephony.audiosocket import (
    FRAME_BYTES,
    FRAME_SECONDS,
    AudioSocketCall,
    AudioSocketServer,
    Frame,
    Kind,
    ProtocolError,
    encode_frame,
    read_frame,
    uuid_frame,
)

from .peer import FakeAsterisk


def _reader_with(data: bytes, eof: bool = True) -> asyncio.StreamReader:
    reader = asyncio.StreamReader()
    reader.feed_data(data)
    if eof:
        reader.feed_eof()
    return reader


def _ramp(frames: int) -> bytes:
    """Audio whose every frame is distinct and non-silent, so order and loss are visible."""
    return b"".join(struct.pack("<160h", *([i + 1] * 160)) for i in range(frames))


# ---- codec -----------------------------------------------------------------------------------
async def test_frames_round_trip_through_the_codec():
    call_id = str(uuid.uuid4())
    data = uuid_frame(call_id) + encode_frame(Kind.DTMF, b"7") + encode_frame(Kind.AUDIO, b"\x01\x00" * 160)
    reader = _reader_with(data + encode_frame(Kind.HANGUP))
    first = await read_frame(reader)
    assert first == Frame(Kind.UUID, uuid.UUID(call_id).bytes)
    assert await read_frame(reader) == Frame(Kind.DTMF, b"7")
    audio = await read_frame(reader)
    assert audio.kind == Kind.AUDIO and len(audio.payload) == FRAME_BYTES
    assert await read_frame(reader) == Frame(Kind.HANGUP, b"")
    assert await read_frame(reader) is None


def test_header_is_kind_then_big_endian_length():
    assert encode_frame(Kind.AUDIO, b"\x00" * 320)[:3] == bytes([0x10, 0x01, 0x40])
    with pytest.raises(ValueError):
        encode_frame(Kind.AUDIO, b"\x00" * 0x10000)


@pytest.mark.parametrize(
    "data",
    [
        bytes([0x10, 0xFF, 0xFF]),  # announces 65535 bytes: over the limit
        bytes([0x01, 0x00, 0x04]) + b"abcd",  # call id of 4 bytes
        bytes([0x03, 0x00, 0x01]) + b"x",  # DTMF that is not a key
        bytes([0x03, 0x00, 0x02]) + b"12",  # two keys in one DTMF frame
        bytes([0x10, 0x00, 0x03]) + b"abc",  # odd-length audio
        bytes([0x10, 0x01]),  # stream ends inside the header
        bytes([0x10, 0x00, 0x10]) + b"short",  # stream ends inside the payload
    ],
)
async def test_malformed_input_is_a_protocol_error(data):
    with pytest.raises(ProtocolError):
        await read_frame(_reader_with(data))


# ---- server ----------------------------------------------------------------------------------
class Recorder:
    """A call handler that keeps the call and lets a test script it."""

    def __init__(self, script=None):
        self.calls: list[AudioSocketCall] = []
        self.connected = asyncio.Event()
        self.script = script

    async def __call__(self, call: AudioSocketCall) -> None:
        self.calls.append(call)
        self.connected.set()
        if self.script is not None:
            await self.script(call)
        else:
            await call.wait_closed()


@pytest.fixture
async def serve():
    servers = []

    async def start(handler, **kwargs):
        kwargs.setdefault("warmup", 0.0)
        server = AudioSocketServer(handler, "127.0.0.1", 0, **kwargs)
        await server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        await server.close()


async def test_call_id_audio_and_dtmf_reach_the_handler(serve):
    handler = Recorder()
    server = await serve(handler)
    peer = await FakeAsterisk().connect(server.port)
    spoken = _ramp(3)
    for i in range(3):
        peer.send_audio(spoken[i * FRAME_BYTES : (i + 1) * FRAME_BYTES])
    peer.send_dtmf("5")
    peer.send_dtmf("#")
    await asyncio.wait_for(handler.connected.wait(), 5)
    call = handler.calls[0]
    assert call.call_id == peer.call_id
    heard = b"".join([await asyncio.wait_for(call.audio.get(), 5) for _ in range(3)])
    assert heard == spoken
    assert [await asyncio.wait_for(call.dtmf.get(), 5) for _ in range(2)] == ["5", "#"]
    await peer.close()


async def test_our_audio_is_paced_in_real_time_not_burst(serve):
    frames = 40
    pcm = _ramp(frames)
    results = []

    async def speak(call):
        results.append(await call.play(pcm))
        await asyncio.sleep(0.1)

    server = await serve(Recorder(speak))
    peer = await FakeAsterisk().connect(server.port)
    await asyncio.wait_for(peer.eof.wait(), 10)
    assert results == [True]
    speech = [(t, p) for t, p in peer.audio() if any(p)]
    assert b"".join(p for _, p in speech) == pcm  # every frame, in order, none lost or doubled
    # Frame k leaves no earlier than k*20 ms after the first: the whole prompt takes at least
    # its own length to send (a burst would arrive in a few milliseconds).
    span = speech[-1][0] - speech[0][0]
    assert span >= (frames - 1) * FRAME_SECONDS * 0.95
    assert all(len(p) == FRAME_BYTES for _, p in peer.audio())


async def test_silence_keeps_the_leg_alive_while_we_think(serve):
    async def think(call):
        await asyncio.sleep(0.6)
        await call.play(_ramp(1))

    server = await serve(Recorder(think))
    peer = await FakeAsterisk().connect(server.port)
    await asyncio.wait_for(peer.eof.wait(), 10)
    payloads = [p for _, p in peer.audio()]
    first_speech = next(i for i, p in enumerate(payloads) if any(p))
    # While the handler thought, the server kept sending full frames of silence.
    assert first_speech >= 10
    assert all(p == bytes(FRAME_BYTES) for p in payloads[:first_speech])


async def test_warmup_delays_speech_but_not_the_keepalive(serve):
    async def speak_at_once(call):
        await call.play(_ramp(2))

    server = await serve(Recorder(speak_at_once), warmup=0.3)
    peer = await FakeAsterisk().connect(server.port)
    await asyncio.wait_for(peer.eof.wait(), 10)
    payloads = [p for _, p in peer.audio()]
    first_speech = next(i for i, p in enumerate(payloads) if any(p))
    assert first_speech >= int(0.3 / FRAME_SECONDS) - 1


async def test_stop_playback_cuts_the_prompt(serve):
    outcome = {}

    async def barge(call):
        task = asyncio.create_task(call.play(_ramp(200)))  # 4 s prompt
        await asyncio.sleep(0.2)
        call.stop_playback()
        outcome["played"] = await task
        await asyncio.sleep(0.2)

    server = await serve(Recorder(barge))
    peer = await FakeAsterisk().connect(server.port)
    await asyncio.wait_for(peer.eof.wait(), 10)
    assert outcome["played"] is False
    payloads = [p for _, p in peer.audio()]
    speech = [p for p in payloads if any(p)]
    assert 0 < len(speech) < 200
    last_speech = max(i for i, p in enumerate(payloads) if any(p))
    assert last_speech < len(payloads) - 5  # silence followed the cut


async def test_handler_return_hangs_up_the_call(serve):
    async def goodbye(call):
        await call.play(_ramp(2))

    server = await serve(Recorder(goodbye))
    peer = await FakeAsterisk().connect(server.port)
    await asyncio.wait_for(peer.eof.wait(), 10)
    assert peer.kinds()[-1] == Kind.HANGUP


async def test_peer_hangup_closes_the_call(serve):
    handler = Recorder()
    server = await serve(handler)
    peer = await FakeAsterisk().connect(server.port)
    await asyncio.wait_for(handler.connected.wait(), 5)
    peer.send_hangup()
    call = handler.calls[0]
    await asyncio.wait_for(call.wait_closed(), 5)
    assert call.close_reason == "peer_hangup"
    await asyncio.wait_for(peer.eof.wait(), 5)
    assert server.calls == {}


async def test_malformed_frame_closes_only_that_call(serve, caplog):
    handler = Recorder()
    server = await serve(handler)
    bad = await FakeAsterisk().connect(server.port)
    good = await FakeAsterisk().connect(server.port)
    await good.wait_for(lambda: len(handler.calls) == 2)
    calls = {c.call_id: c for c in handler.calls}
    bad.send_raw(bytes([Kind.AUDIO, 0xFF, 0xFF]) + b"\x00" * 100)
    await asyncio.wait_for(calls[bad.call_id].wait_closed(), 5)
    assert calls[bad.call_id].close_reason == "protocol_error"
    assert "malformed" in caplog.text
    await asyncio.wait_for(bad.eof.wait(), 5)
    # The other call goes on: keys still arrive and our audio still flows.
    good.send_dtmf("9")
    assert await asyncio.wait_for(calls[good.call_id].dtmf.get(), 5) == "9"
    before = len(good.audio())
    await good.wait_for(lambda: len(good.audio()) > before + 5)
    assert not calls[good.call_id].is_closed
    await good.close()


async def test_half_open_peer_is_closed_after_the_idle_limit(serve):
    handler = Recorder()
    server = await serve(handler, idle_timeout=0.3)
    peer = await FakeAsterisk().connect(server.port)  # sends its id, then nothing ever again
    await asyncio.wait_for(handler.connected.wait(), 5)
    call = handler.calls[0]
    await asyncio.wait_for(call.wait_closed(), 5)
    assert call.close_reason == "idle_timeout"
    await asyncio.wait_for(peer.eof.wait(), 5)
    assert peer.kinds()[-1] == Kind.HANGUP


async def test_a_connection_without_a_call_id_is_refused_and_the_server_goes_on(serve):
    handler = Recorder()
    server = await serve(handler, first_frame_timeout=0.3)
    silent = await FakeAsterisk().connect(server.port, send_id=False)
    wrong = await FakeAsterisk().connect(server.port, send_id=False)
    wrong.send_dtmf("1")
    await asyncio.wait_for(silent.eof.wait(), 5)
    await asyncio.wait_for(wrong.eof.wait(), 5)
    assert handler.calls == []
    peer = await FakeAsterisk().connect(server.port)
    await asyncio.wait_for(handler.connected.wait(), 5)
    assert handler.calls[0].call_id == peer.call_id
    await peer.close()


async def test_a_failing_handler_ends_only_its_call(serve):
    async def crash(call):
        raise RuntimeError("dialog bug")

    server = await serve(crash)
    peer = await FakeAsterisk().connect(server.port)
    await asyncio.wait_for(peer.eof.wait(), 5)
    assert peer.kinds()[-1] == Kind.HANGUP
    again = await FakeAsterisk().connect(server.port)
    await asyncio.wait_for(again.eof.wait(), 5)
    assert again.received  # the server still answers new calls


async def test_server_close_hangs_up_every_call():
    handler = Recorder()
    server = AudioSocketServer(handler, "127.0.0.1", 0, warmup=0)
    await server.start()
    peers = [await FakeAsterisk().connect(server.port) for _ in range(3)]
    await peers[0].wait_for(lambda: len(handler.calls) == 3)
    await server.close()
    for peer in peers:
        await asyncio.wait_for(peer.eof.wait(), 5)
    assert all(c.is_closed for c in handler.calls)
