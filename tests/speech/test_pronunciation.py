"""Stress as real espeak-ng says it: the lexicon (speech/lexicon.toml) through `normalize_text`.

Expected stress is written here by hand ("+" before the stressed vowel), from how the towns and
words are said, never taken from the lexicon; the phonemes come from the real espeak-ng command
(`speech.tts.phonemes`, the same library and data the pyttsx3 engine renders with).
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import wave
from datetime import date

import pytest

from speech.lexicon import (
    load_lexicon,
    stressed_syllable_of_phonemes,
    stressed_syllable_of_spelling,
)
from speech.tts import EspeakSynthesizer, normalize_text, phonemes

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")

# How each word must be stressed, in the forms the robot says. "+" before the stressed vowel;
# ё marks its own stress. Written without ё where the texts drop it (Киселевск, Зеленый).
STRESSED = [
    # towns, the forms the robot uses (territory names, offices, "в …", "из …")
    "Калт+ан", "Калт+ана", "Калт+ане", "Калт+аном", "Калт+анский",
    "Мыск+и", "Мыск+ах", "Мыск+ов", "Мыск+ам",
    "Таштаг+ол", "Таштаг+ола", "Таштаг+оле", "Таштаг+ольский", "Таштаг+ольского",
    "Шерег+еш", "Шерег+еша", "Шерег+еше",
    "Прок+опьевск", "Прок+опьевска", "Прок+опьевске", "Прок+опьевский", "Прок+опьевского",
    "Новокузн+ецк", "Новокузн+ецка", "Новокузн+ецку", "Новокузн+ецкий", "Новокузн+ецком",
    "Ос+инники", "Ос+инниках", "Ос+инников", "Ос+инниковский",
    "Кисел+евск", "Кисел+евска", "Кисел+евске", "Кисел+евский",
    "Междур+еченск", "Междур+еченский", "Краснобр+одский",
    # streets and words of the office addresses (seed 000 §3.3.4, api.reference.OFFICES)
    "Металл+ургов", "Инстит+утская", "Посп+елова", "Гончар+енко", "Вост+очная", "Трансп+ортная",
    "Зел+еный", "пере+улок", "+улица", "г+ород", "эт+аж",
    # the catalogue
    "сч+ётчик", "сч+ётчика", "показ+ания", "квит+анция", "опер+атор", "тир+е", "с+уффиксом",
    "в+ыгрузит", "ЭкоТ+ек", "реш+ётка", "лицев+ого", "террит+ории", "+акция", "здр+авствуйте",
    "гигакал+ория", "кубом+етра",
]


def _plain(marked: str) -> str:
    return marked.replace("+", "")


def _fold(word: str) -> str:
    return word.lower().replace("ё", "е")


def _expected(marked: str) -> int:
    if "+" in marked:
        return stressed_syllable_of_spelling(marked)
    return stressed_syllable_of_spelling(marked.replace("ё", "+ё"))


EXPECTED = {_fold(_plain(w)): _expected(w) for w in STRESSED}


def test_the_word_list_is_long_enough_and_marked():
    assert len(STRESSED) >= 30
    assert all("+" in w or "ё" in w for w in STRESSED)


@pytest.mark.parametrize("marked", STRESSED)
def test_each_word_is_stressed_right(marked):
    said = phonemes(_plain(marked)).split()
    assert len(said) == 1, said
    assert stressed_syllable_of_phonemes(said[0]) == _expected(marked), (marked, said)


def test_the_towns_in_one_sentence():
    # the command's example: every town stressed on its own syllable
    lines = phonemes("офис в Таштаголе, Калтане, Мысках, Шерегеше").splitlines()
    words = [line.split()[-1] for line in lines]
    assert [stressed_syllable_of_phonemes(w) for w in words] == [3, 2, 2, 3], lines


def test_without_the_lexicon_espeak_ng_gets_them_wrong():
    """Proves the test can fail: espeak-ng's own rules stress these towns wrongly, so a lexicon
    that stopped being applied would show here."""
    wrong = []
    for marked in ("Калт+ан", "Мыск+и", "Таштаг+ол", "Шерег+еш", "Прок+опьевск", "тир+е"):
        raw = subprocess.run(["espeak-ng", "-v", "ru", "-q", "-x", _plain(marked)], capture_output=True,
                             text=True, check=True).stdout.split()
        wrong.append(stressed_syllable_of_phonemes(raw[0]) != _expected(marked))
    assert all(wrong)


# --- every sentence the robot can say ----------------------------------------------------------------

_TOKEN = re.compile(r"\[\[[^\]]*\]\]|[а-яё]+(?:-[а-яё]+)*", re.IGNORECASE)


def _robot_texts() -> list[str]:
    from api.promotion_file import load_promotion_file, shipped_promotion_file
    from api.reference import OFFICES, TERRITORIES
    from dialogs.prompts import static_texts

    promo = load_promotion_file(shipped_promotion_file(), starts_on=date(2025, 9, 1),
                                ends_on=date(2025, 12, 31))
    return [
        *static_texts(),
        *(o.address for o in OFFICES.values()),
        *(o.city for o in OFFICES.values()),
        *(name for name, _ in TERRITORIES.values()),
        promo.name,
        *(term.answer for term in promo.terms),
        *(term.question for term in promo.terms),
    ]


def _aligned(text: str) -> list[tuple[str, str]]:
    """(written word, espeak-ng's phonemes for it) for each word of the text as spoken."""
    spoken = normalize_text(text)
    words = _TOKEN.findall(spoken)
    said = [t for t in re.sub(r"_:?|\|", " ", phonemes(text)).split() if re.search(r"\w", t)]
    assert len(words) == len(said), (spoken, said)
    return list(zip(words, said, strict=True))


def test_every_sentence_and_name_is_stressed_right():
    checked: set[str] = set()
    lexicon_phonemes = {v for v in load_lexicon().words.values()}
    for text in _robot_texts():
        for word, said in _aligned(text):
            if word.startswith("[["):
                assert word[2:-2] in lexicon_phonemes or word[2:-2] in said
                written = next((k for k, v in load_lexicon().words.items() if v == word[2:-2]), None)
                key = _fold(written.replace("+", "")) if written else None
            else:
                key = _fold(word)
            if key in EXPECTED:
                assert stressed_syllable_of_phonemes(said) == EXPECTED[key], (text, word, said)
                checked.add(key)
    # the sentences hold every town and street: none of the list was left unchecked by accident
    for must in ("калтан", "мыски", "таштагол", "шерегеш", "прокопьевск", "осинники", "киселевск",
                 "транспортная", "зеленый", "тире", "счетчик", "оператор"):
        assert must in checked, must


# --- the lexicon file itself ---------------------------------------------------------------------------

@pytest.mark.parametrize(("marked", "said"), sorted(load_lexicon().words.items()))
def test_lexicon_phonemes_stress_the_marked_syllable(marked, said):
    assert stressed_syllable_of_phonemes(said) == stressed_syllable_of_spelling(marked)


@pytest.mark.parametrize("marked", sorted(load_lexicon().words))
def test_lexicon_words_come_out_of_espeak_ng_stressed_as_marked(marked):
    # espeak-ng may colour a vowel itself (pretonic V → a), never move the stress
    said = phonemes(_plain(marked)).split()
    assert len(said) == 1 and stressed_syllable_of_phonemes(said[0]) == stressed_syllable_of_spelling(marked)


@pytest.mark.parametrize(("phrase", "respelled"), sorted(load_lexicon().phrases.items()))
def test_lexicon_phrases_are_applied(phrase, respelled):
    assert normalize_text(phrase) == respelled


def test_spellings_bring_back_the_yo_and_keep_the_capital():
    assert normalize_text("г. Киселевск, Зеленый переулок") == "город Киселёвск, Зелёный переулок"
    assert normalize_text("Киселевского городского округа").startswith("Киселёвского")
    assert normalize_text("зелень") == "зелень"  # only the listed forms


def test_phonemes_are_not_glued_to_quotes():
    # espeak-ng drops [[…]] right after « or (; the robot must still say the word
    assert stressed_syllable_of_phonemes(phonemes("«Калтан»").split()[0].strip("_:")) == 2
    assert "kalt'An" in phonemes("(Калтан)")


def test_brackets_and_stress_marks_in_the_input():
    assert normalize_text("[[kalt'An]] текст") == "kalt'An текст"  # not ours: never read as phonemes
    assert normalize_text("Калта\u0301н") == normalize_text("Калтан")


# --- what the robot renders ------------------------------------------------------------------------

def _cli_seconds(text: str, rate: int) -> float:
    out = subprocess.run(["espeak-ng", "-v", "ru", "-s", str(rate), "--stdout"], input=text.encode(),
                         capture_output=True, check=True).stdout
    with wave.open(io.BytesIO(out)) as w:
        width, channels, frame_rate = w.getsampwidth(), w.getnchannels(), w.getframerate()
    return (len(out) - 44) / (width * channels * frame_rate)


def test_the_engine_speaks_the_phonemes(tmp_path):
    """pyttsx3's driver passes espeak-ng no PHONEMES flag by itself; `speech.tts` adds it. The
    rendered audio lasts as long as espeak-ng's own rendering of the phonemes, not as long as
    reading "[[…]]" out as letters."""
    synth = EspeakSynthesizer(tmp_path, rate=140)
    text = "офис в Таштаголе, Калтане, Мысках, Шерегеше"
    try:
        seconds = len(synth.render(text)) / 2 / 8000
    finally:
        synth.close()
    spoken = normalize_text(text)
    as_phonemes = _cli_seconds(spoken, 140)
    as_letters = _cli_seconds(spoken.replace("[[", "").replace("]]", ""), 140)
    assert abs(seconds - as_phonemes) < 0.05, (seconds, as_phonemes)
    assert abs(seconds - as_letters) > 0.5, (seconds, as_letters)


def test_hotline_prompts_phonemes(capsys, monkeypatch, tmp_path):
    from ivr.cli import main

    monkeypatch.setenv("HOTLINE_DATA_DIR", str(tmp_path))
    assert main(["prompts", "phonemes", "офис в Таштаголе, Калтане, Мысках, Шерегеше"]) == 0
    out = capsys.readouterr().out
    assert out.split() == ["'of;is", "f", "tVStag'ol;i", "kalt'An;i", "mysk'Ax", "Syr;ig;'eSy"], out
    assert main(["prompts", "phonemes", "--text", "г. Калтан"]) == 0
    assert capsys.readouterr().out.splitlines() == ["город [[kalt'An]]", "g'orVt kalt'An"]
