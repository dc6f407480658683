"""One understanding step per reply: the recogniser's words → what the caller wants.

Why lemmas: residents answer in their own words and word forms («соедините с оператором»,
«дайте девушку», «какие призы в акции»). Matching lemmas (pymorphy3 with its Russian
dictionaries) against the patterns of `dialogs.lexicon` makes every case form and word order
work without hand-written stems. The step also knows:
- self-corrections: «шестьсот сорок шесть, ой нет, шестьсот сорок пять» — only what follows counts;
- negation: «не надо оператора» is not a request for the operator;
- specificity: «где получить приз» is the collection of prizes, not the prize; «квитанция не
  пришла» is the missing receipt, not the balance;
- order: several requests in one breath come back in the order said.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from functools import cache, lru_cache

import pymorphy3

from dialogs import lexicon
from dialogs.lexicon import Intent
from speech.numerals import Group, scan

_TOKEN = re.compile(r"[^\W\d_]+|\d+(?:[.,]\d+)?")
_NOISE = re.compile(r"\[unk\]|<unk>", re.IGNORECASE)


@lru_cache(maxsize=1)
def _morph() -> pymorphy3.MorphAnalyzer:
    return pymorphy3.MorphAnalyzer()


def warm_up() -> None:
    """Load the morphology dictionaries now (≈0.1 s, ≈15 MB), not during a caller's first reply."""
    _compiled()


@lru_cache(maxsize=50_000)
def lemma(word: str) -> str:
    """The dictionary form of one lower-case word, ё folded to е («оператора» → «оператор»)."""
    if not word or word[0].isdigit():
        return word
    normal: str = _morph().parse(word)[0].normal_form
    return normal.translate(lexicon.FOLD_YO)


@lru_cache(maxsize=4096)
def word_forms(word: str) -> tuple[str, ...]:
    """Every form of a single word («второй» → «второго», «второму», …), for grammars; a phrase
    of several words is returned as it is."""
    if " " in word.strip() or not word.strip():
        return (word,)
    forms = {f.word for f in _morph().parse(word.lower())[0].lexeme}
    return (word, *sorted(forms - {word}))


_NOT_SPOKEN_FORMS = frozenset({"PRTF", "PRTS", "GRND"})  # participles and gerunds: not how callers ask


@cache
def vocabulary(intents: tuple[str, ...]) -> tuple[str, ...]:
    """Every word form the patterns of these intents can match, self-corrections included: the
    wide part of a closed question's grammar, so that «соедините с девушкой» or «да, ой нет» is
    heard there, not turned into `[unk]`."""
    forms: set[str] = {w for marker in lexicon.CORRECTIONS for w in words_of(marker)}
    for intent, patterns in _compiled():
        if intent.name not in intents:
            continue
        for pattern in patterns:
            for alternative in (alt for slot in pattern.slots for alt in slot):
                for word in alternative.words:
                    forms.update((word,) if alternative.surface else _lemma_forms(word))
    return tuple(sorted(forms))


def _lemma_forms(lemma_: str) -> set[str]:
    parses = _morph().parse(lemma_)
    parse = next((p for p in parses if p.normal_form.translate(lexicon.FOLD_YO) == lemma_), parses[0])
    spoken = (f for f in parse.lexeme if not _NOT_SPOKEN_FORMS & f.tag.grammemes)
    return {f.word.translate(lexicon.FOLD_YO) for f in spoken}


def words_of(text: str) -> list[str]:
    """Lower-case words with ё folded to е; recogniser noise dropped. Never raises."""
    text = _NOISE.sub(" ", str(text or "")).lower().translate(lexicon.FOLD_YO)
    for written, word in lexicon.HYPHENATED:
        text = text.replace(written, word)
    return _TOKEN.findall(text)


# --- self-corrections -----------------------------------------------------------------------------

_CORRECTIONS = tuple(sorted((tuple(m.split()) for m in lexicon.CORRECTIONS), key=len, reverse=True))


def _has_number(words: list[str]) -> bool:
    return any(isinstance(item, Group) for item in scan(words))


def after_correction(words: list[str]) -> list[str]:
    """The words after the caller's last self-correction, or all of them if there was none.

    «да, ой нет» → «нет»; «шестьсот сорок шесть нет шестьсот сорок пять» → the second number
    (a bare «нет» corrects only between two numbers: «у меня нет квитанции» is no correction)."""
    cut, tail_if_empty = 0, None
    i = 0
    while i < len(words):
        for marker in _CORRECTIONS:
            if tuple(words[i:i + len(marker)]) == marker:
                cut = i + len(marker)
                tail_if_empty = [lexicon.NO_WORD] if lexicon.NO_WORD in marker else None
                i = cut - 1
                break
        else:
            if words[i] == lexicon.NO_WORD and 0 < i < len(words) - 1 and _has_number(words[cut:i]) \
                    and _has_number(words[i + 1:]):
                cut, tail_if_empty = i + 1, None
        i += 1
    if cut == 0:
        return list(words)
    tail = words[cut:]
    if tail:
        return tail
    return tail_if_empty or list(words[:cut])


def corrected(text: str) -> str:
    """The caller's text from its last self-correction on: what the value parsers read."""
    return " ".join(after_correction(words_of(text)))


# --- patterns -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Alternative:
    words: tuple[str, ...]  # lemmas, or surface forms when `surface`
    surface: bool

    @property
    def negative(self) -> bool:
        return self.words[0] == lexicon.NEGATION


@dataclass(frozen=True)
class _Pattern:
    slots: tuple[tuple[_Alternative, ...], ...]
    in_context: bool  # counts only inside a sub-menu (the promotion's topics), where short answers are clear


def _alternative(text: str) -> _Alternative:
    text = text.strip().translate(lexicon.FOLD_YO)
    if text.startswith("="):
        return _Alternative(tuple(words_of(text[1:])), True)
    return _Alternative(tuple(lemma(w) for w in words_of(text)), False)


def _pattern(text: str) -> _Pattern:
    in_context = text.startswith("@")
    slots = tuple(
        tuple(_alternative(alt) for alt in slot.split("|") if alt.strip())
        for slot in text.lstrip("@").split("+")
    )
    return _Pattern(slots, in_context)


@lru_cache(maxsize=1)
def _compiled() -> tuple[tuple[Intent, tuple[_Pattern, ...]], ...]:
    return tuple((intent, tuple(_pattern(p) for p in intent.patterns)) for intent in lexicon.INTENTS)


@dataclass(frozen=True)
class _Match:
    intent: Intent
    order: int  # the intent's place in the lexicon: breaks ties
    score: int  # slots matched: more is more specific
    positions: frozenset[int]
    first: int
    negated: bool


def _occurrences(alt: _Alternative, words: list[str], lemmas: list[str]) -> list[int]:
    seq = words if alt.surface else lemmas
    n = len(alt.words)
    return [i for i in range(len(seq) - n + 1) if tuple(seq[i:i + n]) == alt.words]


def _negated_at(words: list[str], start: int, end: int) -> bool:
    """«не оператора», «не надо оператора», «не нужен мне оператор», «оператора не надо»."""
    before = [w for w in words[max(0, start - 3):start] if w not in lexicon.NEGATION_SKIPPED]
    if before[-1:] == [lexicon.NEGATION]:
        return True
    if len(before) >= 2 and before[-2] == lexicon.NEGATION and before[-1] in lexicon.NEGATED_AUX:
        return True
    after = words[end:end + 2]
    return len(after) == 2 and after[0] == lexicon.NEGATION and after[1] in lexicon.NEGATED_AUX


def _match(pattern: _Pattern, words: list[str], lemmas: list[str]) -> tuple[frozenset[int], int, bool] | None:
    """Where every slot of the pattern occurs, taking the most compact set of occurrences (so
    «где офис и как оплатить» pairs «как» with «оплатить», not «где»)."""
    per_slot = []
    for slot in pattern.slots:
        found = [
            (start, start + len(alt.words), alt) for alt in slot for start in _occurrences(alt, words, lemmas)
        ]
        if not found:
            return None
        per_slot.append(found)
    def span(combo: tuple[tuple[int, int, _Alternative], ...]) -> tuple[int, int]:
        first = min(start for start, _, _ in combo)
        return max(end for _, end, _ in combo) - first, first

    best = min(itertools.product(*per_slot), key=span)
    positions = frozenset(i for start, end, _ in best for i in range(start, end))
    first = min(start for start, _, _ in best)
    negated = False
    if len(pattern.slots) == 1 and not best[0][2].negative:
        start, end, _ = best[0]
        negated = _negated_at(words, start, end)
    return positions, first, negated


# --- the result ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Understood:
    """What one reply asked for. `intents` in the order said; `topics` are the intents that are
    subjects to answer (not commands like «повторите»)."""

    words: tuple[str, ...]  # the words that count: from the last self-correction on
    intents: tuple[str, ...] = ()
    negated: frozenset[str] = field(default_factory=frozenset)

    @property
    def text(self) -> str:
        return " ".join(self.words)

    @property
    def topics(self) -> tuple[str, ...]:
        return tuple(i for i in self.intents if i not in lexicon.GLOBAL_INTENTS)

    @property
    def topic(self) -> str | None:
        return self.topics[0] if self.topics else None

    def has(self, intent: str) -> bool:
        return intent in self.intents

    @property
    def content_words(self) -> tuple[str, ...]:
        """Words besides fillers, greetings and thanks: empty for «ну здравствуйте, спасибо»."""
        return tuple(w for w in self.words if w not in lexicon.FILLERS and w not in lexicon.THANKS_WORDS)

    @property
    def wants_to_leave(self) -> bool:
        """A real goodbye: «до свидания», «больше ничего» — said after any request in the same breath."""
        if not self.has(lexicon.GOODBYE):
            return False
        return not self.topics or self._last(lexicon.GOODBYE) > self._last_topic()

    def _last(self, intent: str) -> int:
        return self.intents.index(intent)

    def _last_topic(self) -> int:
        return max(self.intents.index(t) for t in self.topics)


def understand(text: str, context: str | None = None) -> Understood:
    """The intents of one reply. `context`: the subject being discussed (a lexicon family such as
    "promotion"), which lets short answers count («кто?» while the promotion is discussed)."""
    words = after_correction(words_of(text))
    lemmas = [lemma(w) for w in words]
    found: list[_Match] = []
    for order, (intent, patterns) in enumerate(_compiled()):
        best: _Match | None = None
        for pattern in patterns:
            if pattern.in_context and context is None:
                continue
            hit = _match(pattern, words, lemmas)
            if hit is None:
                continue
            positions, first, negated = hit
            candidate = _Match(intent, order, len(pattern.slots), positions, first, negated)
            if best is None or (not candidate.negated, candidate.score) > (not best.negated, best.score):
                best = candidate
        if best is not None:
            found.append(best)
    negated_intents = frozenset(m.intent.name for m in found if m.negated)
    kept = _resolve([m for m in found if not m.negated])
    return Understood(tuple(words), tuple(m.intent.name for m in kept), negated_intents)


def _resolve(matches: list[_Match]) -> list[_Match]:
    """One intent per family (the most specific), catch-alls that another intent explains dropped,
    the rest in the order said."""
    best: dict[str, _Match] = {}
    for m in matches:
        current = best.get(m.intent.family)
        if current is None or _rank(m) > _rank(current):
            best[m.intent.family] = m
    kept = list(best.values())
    kept = [m for m in kept if not any(_explains(o, m) for o in kept if o is not m)]
    return sorted(kept, key=lambda m: (m.first, m.order))


def _explains(other: _Match, m: _Match) -> bool:
    """`other` used every word `m` matched and is the more specific reading of them, or `other`
    is a need that answers `m` too («оплатить долг в рассрочку»: instalments, not the balance)."""
    if m.intent.name in other.intent.absorbs:
        return True
    return m.positions <= other.positions and (m.intent.general or other.score > m.score)


def _rank(m: _Match) -> tuple[bool, int, int]:
    return (not m.intent.general, m.score, -m.order)
