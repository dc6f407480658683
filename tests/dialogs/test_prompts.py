"""The prompt catalogue: every fixed sentence listed, keys and words consistent, no Russian elsewhere."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from dialogs import lexicon, policy, prompts
from dialogs.prompts import Question

DIALOGS = Path(prompts.__file__).parent
CYRILLIC = re.compile("[а-яё]", re.IGNORECASE)
QUESTIONS = {name: value for name, value in vars(prompts).items() if isinstance(value, Question)}


def test_static_texts_hold_every_fixed_question_and_sentence():
    texts = prompts.static_texts()
    assert len(texts) == len(set(texts))
    for name, question in QUESTIONS.items():
        for text in (question.prompt, question.reprompt, question.keypad):
            assert text in texts, name
    fixed = [
        value for name, value in vars(prompts).items()
        if name.isupper() and isinstance(value, str) and CYRILLIC.search(value)
        and not name.startswith("TRANSCRIPT_")
    ]
    for sentence in fixed:
        assert sentence in texts


@pytest.mark.parametrize("name", sorted(QUESTIONS))
def test_each_question_is_said_three_different_ways(name):
    question = QUESTIONS[name]
    assert len({question.prompt, question.reprompt, question.keypad}) == 3


@pytest.mark.parametrize("name", sorted(n for n, q in QUESTIONS.items() if q.choices))
def test_choices_have_distinct_keys_and_closed_ones_hear_their_words(name):
    question = QUESTIONS[name]
    keys = [c.key for c in question.choices if c.key]
    assert len(keys) == len(set(keys))
    assert prompts.OPERATOR_KEY not in keys and prompts.REPEAT_KEY not in keys
    grammar = policy.grammar_for(question)
    if question.open:  # heard in free mode: callers answer in their own words
        assert grammar is None
        return
    for choice in question.choices:
        for word in choice.words:
            assert word in grammar


def test_closed_questions_hear_global_commands_and_keep_noise_as_noise():
    for name, question in QUESTIONS.items():
        grammar = policy.grammar_for(question)
        if question.open:
            continue
        assert set(lexicon.global_phrases()) <= set(grammar), name
        assert "[unk]" in grammar, name


def test_menu_keys_are_the_ones_the_keypad_prompt_names():
    spoken_digits = {"1": "один", "2": "два", "3": "три", "4": "четыре", "9": "девять"}
    for choice in prompts.MENU_AGAIN.choices:
        assert f"— {spoken_digits[choice.key]}." in prompts.MENU_AGAIN.keypad


@pytest.mark.parametrize(("count", "word"), [
    (1, "попытка"), (2, "попытки"), (4, "попытки"), (5, "попыток"), (11, "попыток"), (12, "попыток"),
    (21, "попытка"), (22, "попытки"), (25, "попыток"), (111, "попыток"),
])
def test_plural(count, word):
    assert prompts.plural(count, "попытка", "попытки", "попыток") == word


def test_office_addresses_have_their_abbreviations_written_out():
    from dialogs import spoken

    where = spoken.address("г. Междуреченск, ул. Гончаренко, 4а, 2 этаж")
    assert prompts.office("Междуреченск и район", where) == (
        "Междуреченск и район: офис по адресу город Междуреченск, улица Гончаренко, 4 а, 2 этаж."
    )


def _string_literals(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        node.value for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    ]


def test_no_russian_wording_outside_the_catalogue():
    # prompts.py holds what the robot says; lexicon.py what callers say to it (never spoken by the robot)
    for path in sorted(DIALOGS.glob("*.py")):
        if path.name in ("prompts.py", "lexicon.py"):
            continue
        russian = [s for s in _string_literals(path) if CYRILLIC.search(s)]
        assert not russian, f"{path.name} says {russian}: move it to prompts.py (or lexicon.py if heard)"


# About 15 s of speech at the voice's normal rate (≈ 140 words a minute): past it, an elderly caller
# loses the thread. Longer answers are cut into pieces with «Продолжить?» (dialogs/pieces.py).
MAX_WORDS_IN_ONE_BREATH = 35


def test_no_fixed_sentence_is_a_monologue():
    long = [t for t in prompts.static_texts() if len(t.split()) > MAX_WORDS_IN_ONE_BREATH]
    assert long == []


def test_facts_and_promotion_answers_come_in_short_pieces():
    import tomllib

    from dialogs.facts import load_facts
    from dialogs.pieces import WORDS_PER_PIECE, pieces
    from dialogs.spoken import speakable

    texts = [t for fact in load_facts().items.values() for t in (fact.text, fact.more) if t]
    shipped = tomllib.loads((DIALOGS.parent / "api" / "promotion.toml").read_text(encoding="utf-8"))
    texts += [speakable(term["answer"]) for term in shipped["terms"]]
    for text in texts:
        for piece in pieces(text):
            sentences = piece.count(". ") + 1
            assert len(piece.split()) <= WORDS_PER_PIECE or sentences == 1, piece


def test_pieces_cut_at_sentence_ends_only():
    from dialogs.pieces import pieces

    text = "Раз два три. Четыре пять шесть. Семь восемь девять десять."
    assert pieces(text, words=6) == ["Раз два три. Четыре пять шесть.", "Семь восемь девять десять."]
    assert pieces(text, words=0) == ["Раз два три.", "Четыре пять шесть.", "Семь восемь девять десять."]
    assert pieces("улица Гончаренко, 4 а. этаж второй", words=0) == ["улица Гончаренко, 4 а. этаж второй"]
