"""A scripted caller through Asterisk: what the real-Asterisk tests and `hotline call` use.

The dialplan's `test-caller` context (see asterisk/extensions.conf) is one half of a Local
channel whose other half dials the hotline. It follows a script of steps (wait, keys, play
a file, hang up) and records what it hears, so a test can check that our speech reached a
caller and for how long.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
import wave
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from telephony.ami import HOTLINE_CALL_EVENT, AmiClient, AmiEvent

TEST_CALL_EVENT = "HotlineTestCall"


def script(*steps: str) -> str:
    """Join steps for the test caller: `wait(2)`, `keys("0011100117#")`, `play(path)`, `HANG_UP`."""
    for step in steps:
        if not step or step[0] not in "wdph" or "^" in step:
            raise ValueError(f"not a test-caller step: {step!r}")
    return "^".join(steps)


def wait(seconds: float) -> str:
    return f"w{seconds:g}"


def keys(digits: str) -> str:
    """DTMF keys; `w` inside pauses half a second (SendDTMF's syntax)."""
    if not digits or any(c not in "0123456789*#ABCDw" for c in digits):
        raise ValueError(f"not DTMF keys: {digits!r}")
    return f"d{digits}"


def play(sound: str) -> str:
    """A sound file inside the chroot, without its extension."""
    return f"p{sound}"


HANG_UP = "h"


class TestCall:
    """One originated test call; follows its AMI events to learn the IVR's call id."""

    __test__ = False  # not a pytest class

    def __init__(self, ami: AmiClient, recordings: Path, test_id: str):
        self.ami = ami
        self.test_id = test_id
        self.heard_path = Path(recordings) / f"{test_id}-heard.wav"
        self.call_id: str | None = None
        self.channel: str | None = None  # the caller's side (…;2)
        self._linkedid: str | None = None
        self._started = asyncio.Event()
        self._joined = asyncio.Event()
        self._ended = asyncio.Event()
        self._early: list[AmiEvent] = []
        self._remove = ami.add_listener(self._on_event)

    def _on_event(self, event: AmiEvent) -> None:
        if event.name != "UserEvent":
            return
        kind = event.get("UserEvent")
        if kind == TEST_CALL_EVENT and event.get("TestId") == self.test_id:
            if event.get("Status") == "started":
                self.channel = event.get("Channel")
                self._linkedid = event.get("Linkedid")
                self._started.set()
                for early in self._early:
                    self._on_event(early)
                self._early.clear()
            elif event.get("Status") == "ended":
                self._ended.set()
        elif kind == HOTLINE_CALL_EVENT:
            if self._linkedid is None:
                self._early.append(event)
            elif event.get("Linkedid") == self._linkedid and self.call_id is None:
                self.call_id = str(uuid.UUID(event.get("Id") or ""))
                self._joined.set()

    async def started(self, timeout: float = 15.0) -> str:
        """The caller's channel, once its side has answered."""
        await asyncio.wait_for(self._started.wait(), timeout)
        assert self.channel is not None
        return self.channel

    async def joined(self, timeout: float = 15.0) -> str:
        """The IVR's call id for this call (from the hotline's UserEvent)."""
        await asyncio.wait_for(self._joined.wait(), timeout)
        assert self.call_id is not None
        return self.call_id

    async def ended(self, timeout: float = 60.0) -> None:
        """Wait for the caller's side to hang up and its recording to be complete."""
        await asyncio.wait_for(self._ended.wait(), timeout)
        self._remove()
        await _settled(self.heard_path)

    def heard(self) -> tuple[np.ndarray, int]:
        return read_wav(self.heard_path)


async def place_call(
    ami: AmiClient,
    recordings: Path,
    steps: Iterable[str] = (),
    *,
    caller: str = "79001110011",
    context: str = "hotline",
    exten: str = "8800",
    tail: float = 120.0,
) -> TestCall:
    """Originate a Local-channel call from the test caller to `exten@context`."""
    test_id = uuid.uuid4().hex[:12]
    call = TestCall(ami, recordings, test_id)
    variables = {"TEST_ID": test_id, "TEST_SCRIPT": script(*steps), "TEST_TAIL": f"{tail:g}"}
    await ami.originate(
        "Local/s@test-caller/n",
        context=context,
        exten=exten,
        caller_id=f"Test caller <{caller}>",
        variables=variables,
    )
    return call


async def _settled(path: Path, timeout: float = 5.0) -> None:
    """MixMonitor closes its file a moment after the channel: wait until its size holds still."""
    last = -1
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        with contextlib.suppress(OSError):
            size = (await asyncio.to_thread(path.stat)).st_size
            if size == last and size > 44:
                return
            last = size
        await asyncio.sleep(0.15)


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path), "rb") as w:
        rate = w.getframerate()
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    return data, rate


def voiced_seconds(samples: np.ndarray, rate: int, threshold: float = 300.0, window_s: float = 0.02) -> float:
    """Seconds of audio louder than `threshold` RMS (our speech, not line silence)."""
    window = int(rate * window_s)
    n = len(samples) // window
    if n == 0:
        return 0.0
    frames = samples[: n * window].astype(np.float64).reshape(n, window)
    rms = np.sqrt((frames**2).mean(axis=1))
    return float((rms > threshold).sum() * window_s)
