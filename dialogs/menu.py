"""What the caller wants: in their own words («сколько я должна», «где ваш офис») or keys 1–4, 0 operator.

Why the whole reply is understood, not matched against five words: a caller who asks a question
straight away gets its answer («какие призы в акции» → the prize), and several requests said in
one breath are answered one after another. At "anything else?" a plain «нет», «спасибо» or
«всё» is a goodbye; at the first question politeness alone is not.
"""

from __future__ import annotations

from dialogs import lexicon, policy, spoken
from dialogs.channel import Reply
from dialogs.context import Call
from dialogs.prompts import Question
from dialogs.understanding import understand

GOODBYE = lexicon.GOODBYE
MORE = lexicon.MORE
LISTENING = "listening"  # «да» to "anything else?" without saying what


def topics_of(reply: Reply, question: Question, *, resting: bool = False) -> tuple[str, ...] | None:
    """The subjects a reply to the menu asks for, in the order said; (GOODBYE,) for a goodbye;
    None when it names none. `resting`: asked after a finished task, where «нет, спасибо» is a goodbye."""
    if reply.kind == "digits":
        choice = next((c for c in question.choices if c.key == reply.digits), None)
        return (choice.name,) if choice else None
    if reply.kind != "speech":
        return None
    heard = understand(reply.text)
    if heard.wants_to_leave:
        return (GOODBYE,)
    if heard.topics:
        return heard.topics
    if heard.has(lexicon.CALLBACK):
        return (lexicon.CALLBACK,)
    if heard.has(MORE):
        return (MORE,)
    if resting and _done(heard.text, heard.content_words, heard.has(lexicon.THANKS)):
        return (GOODBYE,)
    if resting and spoken.parse_yes_no(heard.text) is True:  # «да» to "anything else?": ask what
        return (LISTENING,)
    return None


async def ask_topics(call: Call, question: Question, *, resting: bool = False) -> tuple[str, ...]:
    """Ask the menu question until the caller names a subject (see `topics_of`)."""
    call.resting = resting  # stays set if the caller hangs up here: that call did its job
    topics = await policy.ask(
        call, question, lambda reply: topics_of(reply, question, resting=resting), dtmf=policy.CHOICE_KEYS
    )
    call.resting = False
    call.note_topics([t for t in topics if t not in (GOODBYE, MORE, LISTENING)])
    return topics


def _done(text: str, content: tuple[str, ...], thanked: bool) -> bool:
    """«нет», «нет спасибо», «всё», «спасибо», «понятно, спасибо», «да нет, ничего» after a finished task."""
    if spoken.parse_yes_no(text) is False:
        return True
    said = set(content)
    if thanked and said <= lexicon.ACKNOWLEDGEMENTS:
        return True
    return bool(said & lexicon.DONE_WORDS) and said <= lexicon.DONE_WORDS | lexicon.ACKNOWLEDGEMENTS
