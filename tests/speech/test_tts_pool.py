"""The render processes (speech.tts_pool) and the sentence-by-sentence voice (EspeakSynthesizer.stream,
.prepare), through real pyttsx3 + espeak-ng worker processes."""

import asyncio
import os
import shutil
import signal
import sys
from pathlib import Path

import numpy as np
import pytest

from speech.audio import duration_ms
from speech.tts import EspeakSynthesizer, SynthesisError, normalize_text, sentences
from tests.telephony.peer import until

if shutil.which("espeak-ng") is None:
    pytest.skip("espeak-ng is not installed", allow_module_level=True)

ANSWER = ("Ваш баланс на двадцать второе ноября: задолженность семьсот рублей пятьдесят одна копейка. "
          "Оплатить можно в отделении банка или на сайте. Показания передают до двадцать пятого числа. "
          "Спасибо за звонок!")


def balance(i: int) -> str:
    return f"Задолженность {700 + 10 * i} рублей {i} копеек. Оплатить можно в отделении банка."


def loudness(pcm: bytes) -> float:
    return float(np.sqrt(np.mean(np.frombuffer(pcm, dtype="<i2").astype(np.float64) ** 2)))


def gone(pid: int) -> bool:
    """No such process, or one that has exited and waits only to be reaped. A process reaped between
    opening its stat file and reading it answers ESRCH (ProcessLookupError), not ENOENT."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z"
    except (FileNotFoundError, ProcessLookupError):
        return True


@pytest.fixture
def synth(tmp_path):
    s = EspeakSynthesizer(tmp_path / "cache", voice="ru", rate=140, slow_rate=100, workers=2)
    yield s
    s.close()


async def test_parallel_renders_sound_as_serial_ones(tmp_path, synth):
    """espeak-ng is not bit-exact (what a process rendered before shifts the next rendering by a few
    samples), so the same text compares by length and loudness, not byte for byte."""
    texts = [balance(i) for i in range(6)]
    serial = EspeakSynthesizer(tmp_path / "serial", voice="ru", rate=140, slow_rate=100, workers=1)
    try:
        one_by_one = [await serial.synthesize(t) for t in texts]
    finally:
        serial.close()
    at_once = await asyncio.gather(*(synth.synthesize(t) for t in texts))
    assert len(synth.pool.pids()) == 2  # the burst started both processes
    assert synth.rendered == len(texts)
    for a, b in zip(one_by_one, at_once, strict=True):
        assert duration_ms(b) == pytest.approx(duration_ms(a), rel=0.02)
        assert loudness(b) == pytest.approx(loudness(a), rel=0.05)


async def test_a_killed_worker_fails_its_render_then_the_pool_recovers(synth):
    for started in synth.warm():
        started.result(timeout=30)
    victim = synth.pool.pids()[0]
    os.kill(victim, signal.SIGKILL)
    await until(lambda: gone(victim))
    with pytest.raises(SynthesisError, match="worker process died"):
        await synth.synthesize(balance(1))
    pcm = await synth.synthesize(balance(1))  # rendered by new processes
    assert duration_ms(pcm) > 1000
    assert victim not in synth.pool.pids()


async def test_close_leaves_no_render_processes(synth):
    await asyncio.gather(*(synth.synthesize(balance(i)) for i in range(4)))
    workers = synth.pool.pids()
    assert workers
    synth.close()
    assert synth.pool.pids() == []
    assert all(gone(pid) for pid in workers)
    assert await synth.synthesize(balance(9))  # a later render starts them again


async def test_no_render_process_outlives_an_ivr_killed_outright(tmp_path):
    """SIGKILL (the OOM killer, `kill -9`) runs no clean-up in the IVR: its workers must go by themselves."""
    code = ("import sys; from speech.tts import EspeakSynthesizer; "
            f"s = EspeakSynthesizer({str(tmp_path)!r}, workers=2); s.render('Проверка связи'); "
            "print(*s.pool.pids(), flush=True); sys.stdin.read()")
    ivr = await asyncio.create_subprocess_exec(sys.executable, "-c", code, stdin=asyncio.subprocess.PIPE,
                                               stdout=asyncio.subprocess.PIPE)
    try:
        workers = [int(pid) for pid in (await asyncio.wait_for(ivr.stdout.readline(), 60)).split()]
        assert workers and not any(gone(pid) for pid in workers)
    finally:
        ivr.kill()
        await ivr.wait()
    await until(lambda: all(gone(pid) for pid in workers))


async def test_a_long_answer_streams_sentence_by_sentence(synth):
    parts = sentences(normalize_text(ANSWER))
    assert len(parts) == 4
    pieces = [pcm async for pcm in synth.stream(ANSWER)]
    assert len(pieces) == 4 and synth.rendered == 4
    assert pieces == [await synth.synthesize(p) for p in parts]  # each sentence cached on its own
    assert synth.rendered == 4
    whole = await synth.synthesize(ANSWER)
    # the pieces back to back last as long as the answer rendered whole: no pause added
    assert sum(map(duration_ms, pieces)) == pytest.approx(duration_ms(whole), rel=0.02)


async def test_a_text_cached_whole_streams_as_one_piece(synth):
    whole = await synth.synthesize(ANSWER)  # e.g. a fixed prompt from `hotline prompts build`
    assert [pcm async for pcm in synth.stream(ANSWER)] == [whole]
    assert synth.rendered == 1


async def test_a_stream_given_up_after_its_first_sentence_renders_one_more_at_most(synth):
    text = " ".join(f"Предложение номер {n}." for n in ("один", "два", "три", "четыре", "пять", "шесть"))
    pieces = synth.stream(text)
    assert await anext(pieces)
    await pieces.aclose()  # the caller cut in
    await asyncio.gather(*synth._ahead, return_exceptions=True)  # what was already started
    synth.close()
    assert synth.rendered == 2  # the one heard and the one rendered while it played


async def test_prepared_sentences_are_not_rendered_again(synth):
    synth.prepare(ANSWER)
    synth.prepare(ANSWER, slow=True)
    assert [pcm async for pcm in synth.stream(ANSWER)]
    assert [pcm async for pcm in synth.stream(ANSWER, slow=True)]
    assert synth.rendered == 8  # four sentences at each rate, each once


async def test_a_failing_sentence_fails_the_stream(tmp_path):
    bad = EspeakSynthesizer(tmp_path / "bad", voice="xx-nonexistent", workers=1)
    try:
        with pytest.raises(SynthesisError, match="no voice"):
            async for _ in bad.stream(ANSWER):
                pass
    finally:
        bad.close()
