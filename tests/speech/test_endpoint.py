"""The voice-activity endpointer on 8 kHz line audio: speech starts and stops where a person
hears it, clicks and line hiss start nothing, and the pre-roll keeps the first syllable."""

import shutil
import subprocess

import numpy as np
import pytest

from speech.audio import FRAME_BYTES, frames, read_wav, silence, to_phone
from speech.endpoint import Endpointer


@pytest.fixture(scope="module")
def spoken(tmp_path_factory) -> bytes:
    """«да, верно» as a caller says it on the phone (espeak-ng, trailing silence cut)."""
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed")
    wav = tmp_path_factory.mktemp("vad") / "da.wav"
    subprocess.run(["espeak-ng", "-v", "ru", "-s", "140", "-w", str(wav), "да верно"], check=True)
    pcm, rate = read_wav(wav)
    audio = to_phone(pcm, rate)
    samples = np.frombuffer(audio, dtype="<i2")
    loud = np.nonzero(np.abs(samples) > 300)[0]
    return audio[int(loud[0]) * 2 : (int(loud[-1]) + 1) * 2]


def events(endpointer: Endpointer, audio: bytes) -> list[tuple[str, int]]:
    """(event, ms of audio pushed when it was known) for each start and stop."""
    out = []
    for i, frame in enumerate(frames(audio)):
        step = endpointer.push(frame)
        if step.started:
            out.append(("start", (i + 1) * 20))
        if step.stopped:
            out.append(("stop", (i + 1) * 20))
    return out


def hiss(ms: int, level: float = 60.0, seed: int = 1) -> bytes:
    rng = np.random.default_rng(seed)
    return (rng.normal(0, level, 8 * ms)).astype("<i2").tobytes()


def test_speech_starts_and_stops_after_the_hangover(spoken):
    ep = Endpointer(hangover_ms=200)
    found = events(ep, silence(500) + spoken + silence(1000))
    assert [e for e, _ in found] == ["start", "stop"]
    start, stop = found[0][1], found[1][1]
    speech_end = 500 + len(spoken) // 16
    assert 500 <= start <= 500 + 200  # a word is under way within a fraction of its first syllable
    # the hangover after the last voiced frame (a word's last quiet samples are not voice)
    assert speech_end + 200 - 60 <= stop <= speech_end + 200 + 120


def test_silence_and_hiss_start_nothing():
    ep = Endpointer()
    assert events(ep, silence(2000)) == []
    assert events(ep, hiss(3000)) == []


def test_a_click_starts_nothing():
    click = (np.ones(80) * 20000).astype("<i2").tobytes() + bytes(FRAME_BYTES - 160)
    ep = Endpointer()
    assert events(ep, silence(500) + click + silence(500)) == []


def test_the_start_carries_the_pre_roll(spoken):
    ep = Endpointer(preroll_ms=300)
    audio = silence(1000) + spoken
    steps = [ep.push(frame) for frame in frames(audio)]
    first = next(s for s in steps if s.started)
    assert FRAME_BYTES * 4 <= len(first.audio) <= FRAME_BYTES * 15  # the voiced onset and a little before
    decoded = sum(len(s.audio) for s in steps)
    assert decoded < len(audio) - 600 * 16  # the leading silence is not passed on to decode


def test_frames_of_any_length_are_taken(spoken):
    whole = Endpointer()
    chunked = Endpointer()
    audio = silence(300) + spoken + silence(600)
    a = events(whole, audio)
    b = []
    for offset in range(0, len(audio), 1000):  # a softphone's odd packet sizes
        step = chunked.push(audio[offset : offset + 1000])
        b += ["start"] * step.started + ["stop"] * step.stopped
    assert [e for e, _ in a] == b == ["start", "stop"]


def test_reset_forgets_the_utterance(spoken):
    ep = Endpointer()
    events(ep, silence(200) + spoken[: len(spoken) // 2])
    assert ep.speaking
    ep.reset()
    assert not ep.speaking
    assert events(ep, silence(600)) == []  # no stop for an utterance that was dropped
