"""Asking a question until it is answered, the same way everywhere.

The policy, for every question of the hotline (the caller's words are understood by
`dialogs.understanding`, so any phrasing and word form counts):
- the operator, asked for in any words («соедините с человеком», «девушку дайте»; `0` on a menu),
  goes to the operator at once — unless negated («оператора не надо»);
- an answer to the question is taken first, even wrapped in politeness or a self-correction;
- «до свидания» ends the call; «меню», «назад», «в начало» go back to the main menu;
- a reply that asks about another subject («а где ваш офис?») goes straight to that subject;
- «повторите» (or `*` where `*` is not part of the answer) says again what was said since the
  last question; «медленнее» also slows the voice for the rest of the call;
- «ничего не понимаю», «помогите» with nothing else go to the operator;
- silence or an answer not understood: first the question in other words, then how to answer
  with the keypad, then the operator — never an endless loop. Misses also add up over the whole
  call, and the call itself ends at its time limit (Call.check_time).
A caller who answered with keys once (or a line with no speech recogniser) hears the keys first.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from dialogs import answers, lexicon, prompts
from dialogs.answers import Interpret
from dialogs.channel import DtmfSpec, Reply
from dialogs.context import BackToMenu, Call, CallerLeaves, Escalate, SwitchTopic
from dialogs.prompts import Question
from dialogs.understanding import Understood, understand, vocabulary, word_forms

T = TypeVar("T")

# How keys are collected, per kind of answer.
CHOICE_KEYS = DtmfSpec(max_digits=1, terminator=None, erase=None)
ACCOUNT_KEYS = DtmfSpec(max_digits=10, terminator="#", erase="*")
DECIMAL_KEYS = DtmfSpec(max_digits=12, terminator="#", erase=None)  # `*` is the decimal point
PHONE_KEYS = DtmfSpec(max_digits=11, terminator="#", erase="*")

MAX_REPEATS = 3  # "повторите" more often than this on one question counts as a miss
UNKNOWN = "[unk]"  # Vosk's word for anything outside a grammar: noise never becomes an answer

REPEAT, SLOWER, OPERATOR, STUCK = "repeat", "slower", "operator", "stuck"
HEAR_YOU, WHO_I_AM = "hear_you", "who_i_am"  # «вы меня слышите?», «это робот?»


def command(reply: Reply, heard: Understood | None, *, keys_are_data: bool, operator_key: bool) -> str | None:
    """A key that is not an answer: `*` repeat, `0` operator (where the question allows them)."""
    if reply.kind != "digits":
        return None
    if reply.digits == prompts.REPEAT_KEY and not keys_are_data:
        return REPEAT
    if reply.digits == prompts.OPERATOR_KEY and operator_key:
        return OPERATOR
    return None


def grammar_for(question: Question) -> list[str] | None:
    """What the recogniser listens for: None (free speech) for open questions; for closed ones the
    answers, every global command of the lexicon, and `[unk]` so that noise stays noise."""
    if question.open:
        return None
    choices = tuple(form for phrase in question.choice_words() for form in word_forms(phrase))
    words = question.grammar + question.choice_words() + choices + lexicon.global_phrases()
    return list(dict.fromkeys(words + vocabulary(lexicon.GLOBAL_INTENTS) + lexicon.TOPIC_WORDS + (UNKNOWN,)))


def _prompt_for(call: Call, question: Question, misses: int) -> str:
    if call.keys_first:
        return question.keypad if misses != 1 else question.reprompt
    if misses == 0:
        return question.prompt
    return question.reprompt if misses == 1 else question.keypad


async def ask(
    call: Call,
    question: Question,
    interpret: Interpret[T],
    *,
    dtmf: DtmfSpec,
    keys_are_data: bool = False,
    context: str | None = None,
    complete: Callable[[str], bool] | None = None,
) -> T:
    """Ask until `interpret` gives a value. Raises Escalate (operator), CallerLeaves (goodbye),
    BackToMenu («меню») or SwitchTopic (the caller asked about something else).
    `complete(text)`: the words so far already are a whole answer (see `answered_by`), so the
    phone need not wait out the caller's pause; leave it None where a pause may be mid-answer
    (numbers: «сто двадцать три… и пять десятых»)."""
    operator_key = bool(question.choices) and not any(c.key == prompts.OPERATOR_KEY for c in question.choices)
    said_before = call.take_recent()
    misses = repeats = 0
    while True:
        reply = await call.ask(
            _prompt_for(call, question, misses), expect=grammar_for(question), dtmf=dtmf, complete=complete
        )
        heard = understand(reply.text, context) if reply.kind == "speech" else None
        request = command(reply, heard, keys_are_data=keys_are_data, operator_key=operator_key)
        if heard is not None and heard.has(lexicon.OPERATOR):
            call.note_topics(heard.topics)
            raise Escalate("caller_request")
        if request == OPERATOR:
            raise Escalate("caller_request")
        value = interpret(reply) if request is None else None
        if value is not None:
            if reply.kind == "digits":
                call.used_keys = True  # answered by keys: lead with keys from now on
            if heard is not None and question.choices == prompts.YES_NO_CHOICES:
                call.pending.extend(t for t in heard.topics if t not in call.pending)
            return value
        if heard is not None:
            if heard.wants_to_leave:
                raise CallerLeaves
            if heard.has(lexicon.MENU):
                raise BackToMenu(heard.topics)
            if heard.topics or heard.has(lexicon.CALLBACK):
                raise SwitchTopic(heard.topics or (lexicon.CALLBACK,))
            if heard.has(lexicon.ARE_YOU_THERE):
                request = HEAR_YOU
            elif heard.has(lexicon.WHO_ARE_YOU):
                request = WHO_I_AM
            elif heard.has(lexicon.SLOWER):
                request = SLOWER
            elif heard.has(lexicon.REPEAT):
                request = REPEAT
            elif heard.has(lexicon.STUCK):
                raise Escalate("caller_stuck")
        if request in (REPEAT, SLOWER, HEAR_YOU, WHO_I_AM) and repeats < MAX_REPEATS:
            repeats += 1
            if request == SLOWER:
                call.channel.slow = True
                await call.say(prompts.SLOWER_OK)
            if request in (HEAR_YOU, WHO_I_AM):  # answered, then the question again: no miss
                await call.say(prompts.I_HEAR_YOU if request == HEAR_YOU else prompts.I_AM_A_ROBOT)
            else:
                for sentence in said_before:
                    await call.say(sentence)
            call.take_recent()
            continue
        misses += 1
        call.misses += 1
        silent = reply.kind == "silence"
        if misses >= call.options.question_misses or call.misses >= call.options.call_misses:
            raise Escalate("no_input" if silent else "no_match")
        await call.say(prompts.NOT_HEARD if silent else prompts.NOT_UNDERSTOOD)
        call.take_recent()


def answered_by(interpret: Interpret[object]) -> Callable[[str], bool]:
    """`complete` for a closed question: the words so far already give its answer."""

    def complete(text: str) -> bool:
        return interpret(Reply.speech(text)) is not None

    return complete


async def confirm(call: Call, question: Question) -> bool:
    """A yes/no question (voice, or 1 = да, 2 = нет)."""
    return await ask(call, question, answers.yes_no, dtmf=CHOICE_KEYS, complete=answered_by(answers.yes_no))


async def choose(call: Call, question: Question, *, context: str | None = None) -> str:
    """A closed question; returns the name of the chosen prompts.Choice."""
    interpret = answers.choice(question.choices)
    return await ask(
        call, question, interpret, dtmf=CHOICE_KEYS, context=context, complete=answered_by(interpret)
    )
