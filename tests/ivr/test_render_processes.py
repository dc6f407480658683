"""`hotline serve --workers N` shares the cores out for speech synthesis as well (ivr.workers.worker_env).

Why: every IVR worker process has its own render processes (speech.tts_pool, one per core by
default); N workers each starting one per core would run N × cores espeak-ng processes.
"""

from ivr import workers


def test_workers_share_the_cores_for_rendering(monkeypatch):
    monkeypatch.delenv("HOTLINE_TTS_WORKERS", raising=False)
    monkeypatch.setattr(workers, "default_workers", lambda: 16)
    assert workers.worker_env(4)["HOTLINE_TTS_WORKERS"] == "4"
    assert workers.worker_env(32)["HOTLINE_TTS_WORKERS"] == "1"  # never none


def test_a_setting_given_by_hand_wins(monkeypatch):
    monkeypatch.setenv("HOTLINE_TTS_WORKERS", "3")
    assert workers.worker_env(4)["HOTLINE_TTS_WORKERS"] == "3"
