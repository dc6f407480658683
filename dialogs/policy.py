"""Asking a question until it is answered, the same way everywhere.

The policy, for every question of the hotline:
- "повторите" (or `*` where `*` is not part of the answer) says again what was said since the
  last question and the question itself; "медленнее" also slows the voice for the rest of the call;
- "оператор" (or `0` on a menu) goes to the operator; "не понимаю"/"помогите" too;
- silence or an answer not understood: first the question in other words, then how to answer
  with the keypad, then the operator — never an endless loop. Misses also add up over the whole
  call, and the call itself ends at its time limit (Call.check_time).
"""

from __future__ import annotations

from typing import TypeVar

from dialogs import answers, prompts
from dialogs.answers import Interpret
from dialogs.channel import DtmfSpec, Reply
from dialogs.context import Call, Escalate
from dialogs.prompts import Question

T = TypeVar("T")

# How keys are collected, per kind of answer.
CHOICE_KEYS = DtmfSpec(max_digits=1, terminator=None, erase=None)
ACCOUNT_KEYS = DtmfSpec(max_digits=10, terminator="#", erase="*")
DECIMAL_KEYS = DtmfSpec(max_digits=12, terminator="#", erase=None)  # `*` is the decimal point

MAX_REPEATS = 3  # "повторите" more often than this on one question counts as a miss

REPEAT, SLOWER, OPERATOR, STUCK = "repeat", "slower", "operator", "stuck"


def command(reply: Reply, *, keys_are_data: bool, operator_key: bool) -> str | None:
    """A request that is not an answer: repeat, slower, operator, or the caller is lost."""
    if reply.kind == "digits":
        if reply.digits == prompts.REPEAT_KEY and not keys_are_data:
            return REPEAT
        if reply.digits == prompts.OPERATOR_KEY and operator_key:
            return OPERATOR
        return None
    if reply.kind != "speech":
        return None
    text = reply.text
    if answers.says_any(text, prompts.OPERATOR_WORDS, prompts.OPERATOR_STEMS):
        return OPERATOR
    if answers.says_any(text, prompts.SLOWER_WORDS):
        return SLOWER
    if answers.says_any(text, prompts.REPEAT_WORDS):
        return REPEAT
    if answers.says_any(text, prompts.STUCK_WORDS):
        return STUCK
    return None


def grammar_for(question: Question) -> list[str]:
    """The words the recogniser listens for: the answers plus the words understood everywhere."""
    return list(dict.fromkeys(question.grammar + question.choice_words() + prompts.GLOBAL_GRAMMAR))


async def ask(
    call: Call,
    question: Question,
    interpret: Interpret[T],
    *,
    dtmf: DtmfSpec,
    keys_are_data: bool = False,
) -> T:
    """Ask until `interpret` gives a value; raises Escalate when the caller should get the operator."""
    operator_key = bool(question.choices) and not any(c.key == prompts.OPERATOR_KEY for c in question.choices)
    said_before = call.take_recent()
    prompt = question.prompt
    misses = repeats = 0
    while True:
        reply = await call.ask(prompt, expect=grammar_for(question), dtmf=dtmf)
        request = command(reply, keys_are_data=keys_are_data, operator_key=operator_key)
        if request == OPERATOR:
            raise Escalate("caller_request")
        if request in (REPEAT, SLOWER) and repeats < MAX_REPEATS:
            repeats += 1
            if request == SLOWER:
                call.channel.slow = True
                await call.say(prompts.SLOWER_OK)
            for sentence in said_before:
                await call.say(sentence)
            call.take_recent()
            continue
        value = interpret(reply) if request in (None, STUCK) else None
        if value is not None:  # "помогите передать показания" is still an answer
            return value
        if request == STUCK:
            raise Escalate("caller_stuck")
        misses += 1
        call.misses += 1
        silent = reply.kind == "silence"
        if misses >= call.options.question_misses or call.misses >= call.options.call_misses:
            raise Escalate("no_input" if silent else "no_match")
        await call.say(prompts.NOT_HEARD if silent else prompts.NOT_UNDERSTOOD)
        call.take_recent()
        prompt = question.reprompt if misses == 1 else question.keypad


async def confirm(call: Call, question: Question) -> bool:
    """A yes/no question (voice, or 1 = да, 2 = нет)."""
    return await ask(call, question, answers.yes_no, dtmf=CHOICE_KEYS)


async def choose(call: Call, question: Question) -> str:
    """A closed question; returns the name of the chosen prompts.Choice."""
    return await ask(call, question, answers.choice(question.choices), dtmf=CHOICE_KEYS)
