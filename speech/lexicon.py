"""The robot's pronunciation lexicon: names and words espeak-ng's Russian voice stresses wrongly.

Why inline phonemes: espeak-ng has no run-time user dictionary (its `ru_extra` is compiled into
`ru_dict` together with `ru_listx`, which Debian does not ship), and it ignores a combining
acute (U+0301) on Cyrillic vowels; but it reads `[[…]]` as phoneme mnemonics when the
`espeakPHONEMES` flag is set (the `espeak-ng` command sets it; `speech.tts` sets it for
pyttsx3). So a word espeak-ng gets wrong is replaced by its phonemes, and a word that only lost
its ё gets the ё back (espeak-ng always stresses ё). The data is `speech/lexicon.toml`.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

LEXICON_FILE = Path(__file__).with_name("lexicon.toml")
STRESS = "+"  # in the file's keys: before the stressed vowel
VOWELS = "аеёиоуыэюя"


@dataclass(frozen=True, eq=False)  # hashed by identity: its compiled patterns are cached per object
class Lexicon:
    """`words`: form (with "+") → phonemes; `phrases`: phrase → respelled phrase;
    `spellings`: word or "stem*" → spelling."""

    words: dict[str, str]
    phrases: dict[str, str]
    spellings: dict[str, str]


def stressed_syllable_of_spelling(marked: str) -> int:
    """1-based syllable of the vowel after "+" ("калт+ан" → 2); ValueError without a mark."""
    head, mark, _ = marked.lower().partition(STRESS)
    if not mark:
        raise ValueError(f"no stress mark in {marked!r}")
    return sum(ch in VOWELS for ch in head) + 1


def _fold(word: str) -> str:
    return word.lower().replace("ё", "е")


@lru_cache(maxsize=1)
def load_lexicon(path: Path = LEXICON_FILE) -> Lexicon:
    """The lexicon file, parsed once per process."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return Lexicon(
        words=dict(data.get("words", {})),
        phrases=dict(data.get("phrases", {})),
        spellings=dict(data.get("spellings", {})),
    )


def _word_pattern(folded: str, *, prefix: bool = False) -> str:
    body = "".join("[её]" if ch == "е" else re.escape(ch) for ch in folded)
    return rf"(?<![\w\[']){body}" + (r"\w*" if prefix else r"(?![\w\]])")


@dataclass(frozen=True)
class _Compiled:
    phrases: re.Pattern[str] | None
    words: re.Pattern[str] | None
    spellings: re.Pattern[str] | None
    phrase_for: dict[str, str]
    phonemes_for: dict[str, str]
    exact_spelling: dict[str, str]
    stem_spelling: dict[str, str]


def _alternation(patterns: list[str]) -> re.Pattern[str] | None:
    return re.compile("|".join(patterns), re.IGNORECASE) if patterns else None


@lru_cache(maxsize=4)
def _compiled(lexicon: Lexicon) -> _Compiled:
    phrase_for = {_fold(k): v for k, v in lexicon.phrases.items()}
    phonemes_for = {_fold(k.replace(STRESS, "")): v for k, v in lexicon.words.items()}
    exact = {_fold(k): v for k, v in lexicon.spellings.items() if not k.endswith("*")}
    stems = {_fold(k[:-1]): v for k, v in lexicon.spellings.items() if k.endswith("*")}
    longest_first = sorted(phrase_for, key=len, reverse=True)
    phrase_patterns = [r"\s+".join(_word_pattern(w) for w in p.split()) for p in longest_first]
    return _Compiled(
        phrases=_alternation(phrase_patterns),
        words=_alternation([_word_pattern(w) for w in sorted(phonemes_for, key=len, reverse=True)]),
        spellings=_alternation(
            [_word_pattern(w) for w in sorted(exact, key=len, reverse=True)]
            + [_word_pattern(s, prefix=True) for s in sorted(stems, key=len, reverse=True)]
        ),
        phrase_for=phrase_for,
        phonemes_for=phonemes_for,
        exact_spelling=exact,
        stem_spelling=stems,
    )


def _keep_case(original: str, spelled: str) -> str:
    """"Зеленый" → "Зелёный": the capital of the text stays (espeak-ng reads both alike; the
    `prompts phonemes` output and the cache key stay readable)."""
    return spelled[:1].upper() + spelled[1:] if original[:1].isupper() else spelled


def apply_lexicon(text: str, lexicon: Lexicon | None = None) -> str:
    """Text with every lexicon word respelled for espeak-ng: phrases first (their context decides
    the stress), then words as `[[phonemes]]` (never glued to a quote or bracket before them:
    espeak-ng would drop them), then ё restored. Text already holding `[[` is left to the
    caller: it would be read as phonemes."""
    compiled = _compiled(lexicon or load_lexicon())
    if compiled.phrases:
        text = compiled.phrases.sub(
            lambda m: compiled.phrase_for[_fold(" ".join(m[0].split()))], text)
    if compiled.words:
        text = compiled.words.sub(lambda m: f"[[{compiled.phonemes_for[_fold(m[0])]}]]", text)
    if compiled.spellings:
        text = compiled.spellings.sub(lambda m: _keep_case(m[0], _spell(compiled, m[0])), text)
    # espeak-ng drops phonemes glued to an opening quote or bracket ("«[[…]]»" is silent)
    return re.sub(r"(?<=[^\s-])\[\[", " [[", text)


def _spell(compiled: _Compiled, word: str) -> str:
    folded = _fold(word)
    if folded in compiled.exact_spelling:
        return compiled.exact_spelling[folded]
    stem = next(s for s in sorted(compiled.stem_spelling, key=len, reverse=True) if folded.startswith(s))
    return compiled.stem_spelling[stem] + word[len(stem):].lower()


# --- reading espeak-ng's phoneme mnemonics -------------------------------------------------------

# Russian vowel phonemes of espeak-ng's ru voice ("@-" before r is a transition, not a syllable)
_PHONEME_VOWEL = re.compile(r"[@aAVoOeEiIuUy8]")


def stressed_syllable_of_phonemes(phonemes: str) -> int | None:
    """1-based syllable carrying the primary stress (') in one word's espeak-ng mnemonics,
    None when the word has no primary stress ("kalt'An" → 2)."""
    head, mark, _ = phonemes.partition("'")
    if not mark:
        return None
    return len(_PHONEME_VOWEL.findall(head.replace("@-", ""))) + 1
