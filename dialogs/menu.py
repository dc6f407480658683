"""What the caller wants: by voice ("баланс", "передать показания") or keys 1–4, 0 operator."""

from __future__ import annotations

from dialogs import answers, policy
from dialogs.channel import Reply
from dialogs.context import Call
from dialogs.prompts import Question

GOODBYE = "goodbye"


async def ask_intent(call: Call, question: Question) -> tuple[str, str]:
    """(intent, the caller's words); the words may carry more, like the town in "офис в Калтане"."""

    def interpret(reply: Reply) -> tuple[str, str] | None:
        found = answers.pick_choice(question.choices, reply)
        return (found.name, reply.text) if found else None

    intent, said = await policy.ask(call, question, interpret, dtmf=policy.CHOICE_KEYS)
    if intent != GOODBYE:
        call.topics.append(intent)
    return intent, said
