"""The caller may hang up at any moment: every step ends the call cleanly, nothing half-stored."""

from __future__ import annotations

import pytest

from dialogs.conversation import run_conversation
from dialogs.textchannel import ScriptedChannel
from tests.dialogs.fake_backend import PHONE, FakeBackend
from tests.dialogs.talk import options

# One long call through every flow; the reading is confirmed by answer 6.
FULL_CALL = [
    "баланс", "да", "да",  # balance with details
    "показания", "сто двадцать пять", "да", "пропустить",  # one reading stored, one meter skipped
    "акция", "приз", "меню",
    "офисы", "нет",
    "до свидания",
]
CONFIRMED_AT = FULL_CALL.index("сто двадцать пять") + 2


async def _play(script, **kwargs) -> tuple[str, ScriptedChannel, FakeBackend]:
    backend = FakeBackend()
    channel = ScriptedChannel(script, caller=PHONE, **kwargs)
    outcome = await run_conversation(channel, backend, options())
    return outcome, channel, backend


async def test_the_full_call_completes():
    outcome, channel, backend = await _play(FULL_CALL)
    assert outcome == "completed", channel.said
    assert len(channel.asked) == len(FULL_CALL)
    assert len(backend.stored) == 1


@pytest.mark.parametrize("answers", range(len(FULL_CALL)))
async def test_hangup_instead_of_each_answer(answers):
    outcome, channel, backend = await _play(FULL_CALL[:answers])
    assert outcome == "hangup"
    assert len(channel.asked) == answers + 1  # the question left unanswered
    assert backend.calls[channel.call_id]["outcome"] == "hangup"
    assert len(backend.stored) == (1 if answers >= CONFIRMED_AT else 0)
    assert not channel.transferred and not backend.escalations


async def test_hangup_while_the_robot_speaks_every_sentence():
    _, full, _ = await _play(FULL_CALL)
    sentences = len(full.said)
    for n in range(1, sentences + 1):
        count = 0

        def nth(_text: str, n=n) -> bool:
            nonlocal count
            count += 1
            return count == n

        outcome, channel, backend = await _play(FULL_CALL, hangup_when=nth)
        assert outcome == "hangup", (n, channel.said[-1])
        assert len(channel.said) == n
        assert backend.calls[channel.call_id]["outcome"] == "hangup"
        assert len(backend.stored) <= 1
