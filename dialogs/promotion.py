"""The current promotion: short spoken answers from its terms, and whether the caller takes part.

Why answers come from the API: the terms ("Хорошая привычка – твой Личный
кабинет!", seed 000_) belong to the promotion record, so a new promotion needs
no new code; this module only picks the answer for the topic asked.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from dialogs import policy, prompts, spoken
from dialogs.context import Call
from dialogs.verify import identified_and_verified

BACK, STATUS = "back", "status"


async def promotion(call: Call) -> None:
    promo = await call.backend.promotion()
    if not promo:
        await call.say(prompts.PROMOTION_NONE)
        return
    await call.say(
        prompts.promotion_intro(
            promo["name"],
            spoken.say_date(date.fromisoformat(promo["starts_on"])),
            spoken.say_date(date.fromisoformat(promo["ends_on"])),
        )
    )
    terms = {term["topic"]: term["answer"] for term in promo.get("terms", [])}
    question = prompts.PROMOTION_TOPIC
    while True:
        topic = await policy.choose(call, question)
        question = prompts.PROMOTION_MORE
        if topic == BACK:
            return
        if topic == STATUS:
            await participation(call)
        else:
            answer = terms.get(topic)
            await call.say(spoken.speakable(answer) if answer else prompts.PROMOTION_TOPIC_MISSING)


async def participation(call: Call) -> None:
    account = await identified_and_verified(call)
    status = await call.backend.promotion_status(account, call_id=call.call_id)
    if status.get("participating"):
        await call.say(prompts.PROMOTION_PARTICIPATING)
        return
    await call.say(prompts.PROMOTION_NOT_PARTICIPATING)
    for reason in status.get("reasons") or []:
        text = _reason_text(reason)
        if text:
            await call.say(text)
    await call.say(prompts.PROMOTION_HOW_TO_JOIN)


def _reason_text(reason: Any) -> str | None:
    """A reason code in words; codes that are no obstacle (or unknown codes) are not said."""
    return prompts.PROMOTION_REASONS.get(str(reason))
