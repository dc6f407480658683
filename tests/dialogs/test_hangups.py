"""The caller may hang up at any moment: every step ends the call cleanly, nothing half-stored."""

from __future__ import annotations

import pytest

from dialogs import prompts
from dialogs.conversation import run_conversation
from dialogs.textchannel import ScriptedChannel
from tests.dialogs.demo_api import ACCOUNT, PHONE, DemoApi
from tests.dialogs.talk import keys, options

# One long call through every flow; the reading is confirmed by answer 6.
FULL_CALL = [
    "баланс", "да", "да",  # balance with details
    "показания", keys(645), "да", "пропустить", "пропустить", "пропустить",  # one stored, three skipped
    "акция", "приз", "меню",
    "офисы", "нет",
    "до свидания",
]
CONFIRMED_AT = FULL_CALL.index(keys(645)) + 2
# A caller who hangs up at "anything else?" after a finished task leaves a call that did its job.
AT_REST = {prompts.MENU_AGAIN.prompt, prompts.MENU_AGAIN.reprompt, prompts.MENU_AGAIN.keypad}


def expected_outcome(last_question: str) -> str:
    return "completed" if last_question in AT_REST else "hangup"


async def _play(template, directory, script, **kwargs) -> tuple[str, ScriptedChannel, dict, list]:
    """One call on a fresh copy of the demo; returns the outcome, the channel, the call's record
    and the readings it stored."""
    directory.mkdir()
    api = DemoApi(template, directory)
    try:
        channel = ScriptedChannel(script, caller=PHONE, **kwargs)
        outcome = await run_conversation(channel, api.backend, options())
        stored = await api.readings_of_call(ACCOUNT, channel.call_id)
        return outcome, channel, await api.call(channel.call_id), stored
    finally:
        await api.close()


async def test_the_full_call_completes(demo_template, tmp_path):
    outcome, channel, record, stored = await _play(demo_template, tmp_path / "full", FULL_CALL)
    assert outcome == "completed", channel.said
    assert len(channel.asked) == len(FULL_CALL)
    assert record["outcome"] == "completed"
    assert len(stored) == 1


@pytest.mark.parametrize("answers", range(len(FULL_CALL)))
async def test_hangup_instead_of_each_answer(demo_template, tmp_path, answers):
    outcome, channel, record, stored = await _play(demo_template, tmp_path / "call", FULL_CALL[:answers])
    assert len(channel.asked) == answers + 1  # the question left unanswered
    expected = expected_outcome(channel.asked[-1].prompt)
    assert outcome == expected
    assert (record["outcome"], record["active"]) == (expected, False)
    assert len(stored) == (1 if answers >= CONFIRMED_AT else 0)
    assert not channel.transferred


async def test_hangup_while_the_robot_speaks_every_sentence(demo_template, tmp_path):
    _, full, _, _ = await _play(demo_template, tmp_path / "full", FULL_CALL)
    for n in range(1, len(full.said) + 1):
        count = 0

        def nth(_text: str, n=n) -> bool:
            nonlocal count
            count += 1
            return count == n

        outcome, channel, record, stored = await _play(
            demo_template, tmp_path / f"n{n}", FULL_CALL, hangup_when=nth
        )
        expected = expected_outcome(channel.said[-1])
        assert outcome == expected, (n, channel.said[-1])
        assert len(channel.said) == n
        assert (record["outcome"], record["active"]) == (expected, False)
        assert len(stored) <= 1
