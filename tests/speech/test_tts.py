"""The robot's voice through the real pyttsx3 + espeak-ng (installed by scripts/setup.sh)."""

import asyncio
import shutil
import subprocess
from pathlib import Path

import pytest

from ivr import cli
from speech.audio import PHONE_RATE, duration_ms, read_wav
from speech.tts import EspeakSynthesizer, SynthesisError, normalize_text

if shutil.which("espeak-ng") is None:
    pytest.skip("espeak-ng is not installed", allow_module_level=True)

BALANCE = "Ваш баланс семьсот двадцать девять рублей пятьдесят одна копейка"


def espeak_cli_seconds(text: str, rate: int, tmp_path: Path) -> float:
    """The same sentence rendered by the espeak-ng command itself: an independent reference."""
    wav = tmp_path / f"cli-{rate}.wav"
    subprocess.run(["espeak-ng", "-v", "ru", "-s", str(rate), "-w", str(wav), text], check=True)
    pcm, rate_hz = read_wav(wav)
    return duration_ms(pcm, rate_hz) / 1000


@pytest.fixture
def synth(tmp_path):
    s = EspeakSynthesizer(tmp_path / "cache", voice="ru", rate=140, slow_rate=100)
    yield s
    s.close()


async def test_renders_the_whole_sentence_as_8khz_pcm(synth, tmp_path):
    pcm = await synth.synthesize(BALANCE)
    assert len(pcm) % 2 == 0 and pcm.count(0) < len(pcm)  # 16-bit samples, not silence
    seconds = duration_ms(pcm, PHONE_RATE) / 1000
    # pyttsx3 once dropped words on Linux (its issue #334): compare with espeak-ng's own rendering
    assert seconds == pytest.approx(espeak_cli_seconds(BALANCE, 140, tmp_path), rel=0.03)


async def test_every_rate_change_is_applied(synth, tmp_path):
    """Alternating rates: pyttsx3's driver used to cancel espeak-ng's queued rate change."""
    normal = espeak_cli_seconds(BALANCE, 140, tmp_path)
    slow = espeak_cli_seconds(BALANCE, 100, tmp_path)
    for i in range(6):
        text = f"{BALANCE} {'и ещё раз ' * i}".strip()
        fast_pcm = await synth.synthesize(text)
        slow_pcm = await synth.synthesize(text, slow=True)
        extra = espeak_cli_seconds(text, 140, tmp_path) - normal if i else 0.0
        assert duration_ms(fast_pcm) / 1000 == pytest.approx(normal + extra, rel=0.03), i
        extra_slow = espeak_cli_seconds(text, 100, tmp_path) - slow if i else 0.0
        assert duration_ms(slow_pcm) / 1000 == pytest.approx(slow + extra_slow, rel=0.03), i


async def test_cache_on_disk_and_in_memory(synth, tmp_path):
    first = await synth.synthesize(BALANCE)
    assert synth.rendered == 1
    assert await synth.synthesize(BALANCE) == first
    assert await synth.synthesize(" " + BALANCE.replace(" ", "  ") + "\n") == first  # same after normalising
    assert synth.rendered == 1
    path = synth.cache_path(synth.cache_key(BALANCE))
    assert read_wav(path) == (first, PHONE_RATE)

    later = EspeakSynthesizer(tmp_path / "cache", voice="ru", rate=140, slow_rate=100)  # e.g. after a restart
    assert await later.synthesize(BALANCE) == first
    assert later.rendered == 0


def test_cache_key_depends_on_text_voice_and_rate(tmp_path):
    a = EspeakSynthesizer(tmp_path, voice="ru", rate=140, slow_rate=100)
    assert a.cache_key("да") != a.cache_key("нет")
    assert a.cache_key("да") != a.cache_key("да", slow=True)
    assert a.cache_key("да") != EspeakSynthesizer(tmp_path, voice="ru-lv", rate=140).cache_key("да")
    assert a.cache_key("да") != EspeakSynthesizer(tmp_path, voice="ru", rate=150).cache_key("да")
    assert a.cache_key("да") == EspeakSynthesizer(tmp_path, voice="ru", rate=140).cache_key("да")


async def test_damaged_cache_file_is_rendered_again(synth):
    good = await synth.synthesize("Проверка")
    path = synth.cache_path(synth.cache_key("Проверка"))
    path.write_bytes(b"RIFF broken")
    synth._memory.clear()
    again = await synth.synthesize("Проверка")
    assert synth.rendered == 2
    assert duration_ms(again) == pytest.approx(duration_ms(good), rel=0.02)  # espeak-ng is not bit-exact
    assert read_wav(path) == (again, PHONE_RATE)  # the file was repaired


async def test_concurrent_calls_render_each_text_once(synth):
    texts = [f"Номер {i}" for i in range(5)] * 3
    results = await asyncio.gather(*(synth.synthesize(t) for t in texts))
    assert all(results)
    assert results[:5] == results[5:10] == results[10:]
    assert synth.rendered == 5


async def test_empty_text_is_silence_without_synthesis(synth):
    assert await synth.synthesize("   ") == b""
    assert synth.rendered == 0


async def test_unknown_voice_is_a_clear_error_and_the_worker_survives(tmp_path, synth):
    bad = EspeakSynthesizer(tmp_path / "bad", voice="xx-nonexistent")
    with pytest.raises(SynthesisError, match="no voice 'xx-nonexistent'"):
        await bad.synthesize("привет")
    assert await synth.synthesize("привет")


def test_mbrola_voices_are_refused(tmp_path):
    with pytest.raises(ValueError, match="mbrola"):
        EspeakSynthesizer(tmp_path, voice="mb-ru1")


async def test_driver_print_does_not_reach_stdout(synth, capfd):
    await synth.synthesize("Тишина в эфире")
    assert "Audio saved" not in capfd.readouterr().out


def test_normalize_text_collapses_whitespace():
    assert normalize_text("  Добрый \n день ") == "Добрый день"


def test_normalize_text_spells_numbers_so_espeak_never_reads_digits():
    spoken = normalize_text("К оплате 729.51 руб.")
    assert not any(ch.isdigit() for ch in spoken)
    assert "семьсот двадцать девять" in spoken


async def test_digits_and_words_share_one_rendering(synth):
    in_words = await synth.synthesize(normalize_text("Ваш долг 729.51 руб."))
    assert await synth.synthesize("Ваш долг 729.51 руб.") == in_words
    assert synth.rendered == 1


def test_prompts_build_renders_every_prompt_at_both_rates(tmp_path, monkeypatch, capsys):
    import dialogs.prompts

    monkeypatch.setattr(dialogs.prompts, "static_texts", lambda: ["Здравствуйте!", "Назовите номер счёта."])
    monkeypatch.setenv("HOTLINE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("HOTLINE_TTS_CACHE_DIR", raising=False)
    monkeypatch.setenv("HOTLINE_TTS_RATE", "150")
    monkeypatch.setenv("HOTLINE_TTS_SLOW_RATE", "90")
    assert cli.main(["prompts", "build"]) == 0
    assert "4 rendered, 0 already cached" in capsys.readouterr().out

    check = EspeakSynthesizer(tmp_path / "tts-cache", voice="ru", rate=150, slow_rate=90)
    for text in dialogs.prompts.static_texts():
        assert check.is_cached(text) and check.is_cached(text, slow=True)

    assert cli.main(["prompts", "build"]) == 0
    assert "0 rendered, 4 already cached" in capsys.readouterr().out


def test_prompts_say_writes_a_phone_quality_wav(tmp_path, monkeypatch):
    monkeypatch.setenv("HOTLINE_DATA_DIR", str(tmp_path))
    out = tmp_path / "say.wav"
    assert cli.main(["prompts", "say", "Добрый день", "-o", str(out)]) == 0
    pcm, rate = read_wav(out)
    assert rate == PHONE_RATE and len(pcm) > PHONE_RATE // 2
