"""The current promotion: short spoken answers from its terms, and whether the caller takes part.

Why answers come from the API: the terms ("Хорошая привычка – твой Личный кабинет!", seed 000_)
belong to the promotion record, so a new promotion needs no new code; this module only picks
the answer for the topic asked. A caller who asked a question straight away («какие призы в
акции?») hears its answer at once; the list of topics is offered only when no topic was named,
four at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from dialogs import lexicon, needs, policy, prompts, spoken
from dialogs.channel import Reply
from dialogs.context import Call
from dialogs.offices import offices
from dialogs.pieces import pieces, say_in_pieces
from dialogs.understanding import understand
from dialogs.verify import identified_and_verified

BACK, STATUS, MORE, WINNER = "back", "status", "more", "winner"
# The understanding's intents → the topics of the promotion's terms.
TOPIC_OF_INTENT = {
    lexicon.PROMO_PARTICIPANTS: "participants",
    lexicon.PROMO_TERRITORIES: "territories",
    lexicon.PROMO_PERIOD: "period",
    lexicon.REGISTER: "registration",
    lexicon.REGISTER_OFFLINE: "registration",
    lexicon.PROMO_PRIZE: "prize",
    lexicon.PROMO_DRAW: "draw",
    lexicon.PROMO_COLLECT: "collect",
    lexicon.PROMO_UNCLAIMED: "unclaimed",
    lexicon.PROMO_STATUS: STATUS,
    lexicon.PROMO_WINNER: WINNER,
}


def topic_of(intent: str) -> str | None:
    return TOPIC_OF_INTENT.get(intent)


def _interpret(question_choices: Sequence[prompts.Choice]) -> Any:
    def interpret(reply: Reply) -> str | None:
        if reply.kind == "digits":
            return next((c.name for c in question_choices if c.key == reply.digits), None)
        if reply.kind != "speech":
            return None
        heard = understand(reply.text, context="promotion")
        for intent in heard.topics:
            if topic_of(intent):
                return topic_of(intent)
        if heard.has(lexicon.MORE):
            return MORE
        if heard.has(lexicon.MENU) or (heard.words and set(heard.words) <= lexicon.ENOUGH_WORDS):
            return BACK
        return None

    return interpret


async def promotion(call: Call, topic: str | None = None) -> None:
    """The promotion: `topic` answered at once when the caller named one, else the topics offered."""
    promo = await call.backend.promotion()
    if not promo:
        await call.say(prompts.PROMOTION_NONE)
        return
    terms = {term["topic"]: term["answer"] for term in promo.get("terms", [])}
    if topic is not None:
        await _answer(call, topic, promo, terms)
        return
    await _intro(call, promo)
    question = prompts.PROMOTION_TOPIC
    while True:
        chosen = await policy.ask(
            call, question, _interpret(question.choices), dtmf=policy.CHOICE_KEYS, context="promotion"
        )
        if chosen == BACK:
            return
        if chosen == MORE:
            question = prompts.PROMOTION_OTHER_TOPICS
            continue
        question = prompts.PROMOTION_MORE
        await _answer(call, chosen, promo, terms)


async def _intro(call: Call, promo: dict[str, Any]) -> None:
    await call.say(
        prompts.promotion_intro(
            promo["name"],
            spoken.say_date(date.fromisoformat(promo["starts_on"])),
            spoken.say_date(date.fromisoformat(promo["ends_on"]), case="accusative"),  # «по двадцать восьмое»
        )
    )


async def _answer(call: Call, topic: str, promo: dict[str, Any], terms: dict[str, str]) -> None:
    if topic == STATUS:
        await participation(call)
    elif topic == WINNER:
        await needs.tell(call, "promo_winner")
    elif topic == "collect" and terms.get(topic):
        # the rule in one sentence, then only the office that serves the caller, not all seven
        await call.say(pieces(spoken.speakable(terms[topic]), words=0)[0])
        await offices(call, call.last_heard, offer_another=False)
    elif terms.get(topic):
        await say_in_pieces(call, spoken.speakable(terms[topic]))
    elif topic == "period":
        await _intro(call, promo)
    else:
        await call.say(prompts.PROMOTION_TOPIC_MISSING)


async def participation(call: Call) -> None:
    account = await identified_and_verified(call)
    status = await call.backend.promotion_status(account, call_id=call.call_id)
    if status.get("participating"):
        await call.say(prompts.PROMOTION_PARTICIPATING)
        return
    await call.say(prompts.PROMOTION_NOT_PARTICIPATING)
    reasons = [str(r) for r in status.get("reasons") or []]
    for reason in reasons:
        text = prompts.PROMOTION_REASONS.get(reason)  # codes that are no obstacle are not said
        if text:
            await call.say(text)
    if "territory_not_included" in reasons:
        return
    if "registered_before_promotion" in reasons:
        await call.say(prompts.PROMOTION_REGISTERED_BEFORE)  # registering again would not help
        return
    await call.say(prompts.PROMOTION_HOW_TO_JOIN)
