import numpy as np
import pytest
import soxr

from speech.audio import (
    FRAME_BYTES,
    PHONE_RATE,
    StreamResampler,
    duration_ms,
    frames,
    read_wav,
    resample,
    silence,
    wav_bytes,
)


def tone(freq: float, rate: int, seconds: float, amplitude: int = 8000) -> bytes:
    t = np.arange(int(rate * seconds)) / rate
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype("<i2").tobytes()


def dominant_frequency(pcm: bytes, rate: int) -> float:
    x = np.frombuffer(pcm, dtype="<i2").astype(float)
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.fft.rfftfreq(len(x), 1 / rate)[np.argmax(spectrum)])


def test_frame_is_20_ms_of_8khz_16bit():
    assert FRAME_BYTES == 320


def test_frames_split_and_pad_the_last_one():
    pcm = bytes(range(256)) * 3  # 768 bytes = 2 full frames + 128 bytes
    out = list(frames(pcm))
    assert [len(f) for f in out] == [320, 320, 320]
    assert b"".join(out)[:768] == pcm
    assert out[-1][128:] == bytes(192)


def test_silence_and_duration():
    assert duration_ms(silence(240)) == 240
    assert set(silence(20)) == {0}


def test_resample_keeps_pitch_and_length():
    src = tone(440, 22050, 1.0)
    out = resample(src, 22050, PHONE_RATE)
    assert abs(len(out) // 2 - PHONE_RATE) <= 2
    assert abs(dominant_frequency(out, PHONE_RATE) - 440) < 3


def test_resample_removes_what_8khz_cannot_carry():
    """A 6 kHz tone is above the 4 kHz Nyquist limit of the phone line: a real resampler
    filters it out instead of folding it back as a 2 kHz alias."""
    out = np.frombuffer(resample(tone(6000, 22050, 0.5), 22050, PHONE_RATE), dtype="<i2")
    assert np.abs(out[200:-200]).max() < 200  # from an 8000-amplitude tone


def test_stream_resampler_matches_one_shot_across_20ms_chunks():
    src = tone(1000, PHONE_RATE, 1.0)
    stream = StreamResampler(PHONE_RATE, 16000)
    out = b"".join(stream.process(chunk) for chunk in frames(src)) + stream.flush()
    reference = soxr.resample(np.frombuffer(src, dtype="<i2"), PHONE_RATE, 16000, quality="HQ")
    got = np.frombuffer(out, dtype="<i2")
    assert abs(len(got) - len(reference)) <= 2
    n = min(len(got), len(reference))
    # state kept across chunks: no clicks at chunk edges, so it equals the one-shot result
    assert np.abs(got[:n].astype(int) - reference[:n].astype(int)).max() <= 2


def test_stream_resampler_passthrough_when_rates_match():
    stream = StreamResampler(16000, 16000)
    assert stream.process(b"\x01\x02" * 10) == b"\x01\x02" * 10
    assert stream.flush() == b""


def test_odd_byte_count_is_rejected():
    with pytest.raises(ValueError, match="even number"):
        StreamResampler(8000, 16000).process(b"\x00\x01\x02")


def test_wav_round_trip_and_stereo_to_mono(tmp_path):
    pcm = tone(300, 8000, 0.1)
    assert read_wav(wav_bytes(pcm, 8000)) == (pcm, 8000)

    import wave

    left = np.frombuffer(tone(300, 8000, 0.1), dtype="<i2")
    stereo = np.column_stack([left, np.zeros_like(left)]).astype("<i2").tobytes()
    path = tmp_path / "stereo.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(stereo)
    mono, rate = read_wav(path)
    assert rate == 8000
    assert np.abs(np.frombuffer(mono, dtype="<i2") - left / 2).max() <= 1  # the mean of both channels
