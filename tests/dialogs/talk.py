"""Run a conversation from a script that reads like one: what the robot says, what the caller answers.

    await converse(backend, [
        ("что вас интересует", "баланс"),
        ("оканчивается на ноль ноль один один", "да"),
    ], end="До свидания", caller=PHONE)

Each turn: fragments the robot must say (in this order) before and while asking, then the caller's
line (`#…` keys, "" silence, None hang-up, or a Reply). `end`: fragments said after the last answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from dialogs.channel import Reply
from dialogs.conversation import run_conversation
from dialogs.options import DialogOptions
from dialogs.textchannel import ScriptedChannel
from speech.numbers import say_money, say_reading

# 2025-11-20 is a Thursday: operators (mon-fri 08:00-20:00) answer at noon, not at 23:00.
# The same moment as the API's clock in tests/dialogs/demo_api.py.
THURSDAY_NOON = datetime(2025, 11, 20, 12, 0)
THURSDAY_NIGHT = datetime(2025, 11, 20, 23, 0)

Fragments = str | Sequence[str]
Turn = tuple[Fragments, str | Reply | None]


def money(value) -> str:
    """An amount from the API as the robot must say it (speech.numbers, tested on its own)."""
    return say_money(Decimal(str(value)))


def reading(value, unit: str | None = None) -> str:
    """A reading as the robot says it; with the meter's unit ("м³") as in read-backs."""
    return say_reading(Decimal(str(value)), unit)


def keys(value) -> str:
    """A decimal typed on the keypad: `*` is the point, `#` ends."""
    return "#" + str(value).replace(".", "*") + "#"


class Clock:
    """A clock that moves on by `step` each time it is read: time passes as the call goes on."""

    def __init__(self, start: datetime = THURSDAY_NOON, step: timedelta = timedelta(seconds=1)):
        self.now, self.step = start, step

    def __call__(self) -> datetime:
        current = self.now
        self.now += self.step
        return current


def options(clock: Clock | None = None, **kwargs) -> DialogOptions:
    return DialogOptions(clock=clock or Clock(), **kwargs)


@dataclass
class Talk:
    outcome: str
    channel: ScriptedChannel

    def transcript(self) -> str:
        lines = []
        for asked in self.channel.asked:
            lines.append(f"  ROBOT:  {asked.robot}")
            reply = asked.reply
            lines.append(
                f"  CALLER: {reply.text or ('#' + reply.digits if reply.kind == 'digits' else reply.kind)}"
            )
        lines.append(f"  ROBOT:  {self.channel.tail}")
        return "\n".join(lines)

    def said(self, fragment: str) -> bool:
        return any(fragment in sentence for sentence in self.channel.said)


def _fragments(value: Fragments) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _check_in_order(text: str, fragments: list[str]) -> str | None:
    position = 0
    for fragment in fragments:
        found = text.find(fragment, position)
        if found < 0:
            return fragment
        position = found + len(fragment)
    return None


async def converse(
    backend,
    turns: Sequence[Turn],
    *,
    end: Fragments = (),
    outcome: str | None = None,
    caller: str | None = None,
    opts: DialogOptions | None = None,
    channel: ScriptedChannel | None = None,
    **channel_kwargs,
) -> Talk:
    """Play the script, then check every turn; a failure prints the whole conversation."""
    channel = channel or ScriptedChannel([line for _, line in turns], caller=caller, **channel_kwargs)
    result = Talk(await run_conversation(channel, backend, opts or options()), channel)
    problems = []
    if len(channel.asked) != len(turns):
        problems.append(
            f"the robot asked {len(channel.asked)} questions, the script has {len(turns)} answers"
        )
    for i, ((expected, _line), asked) in enumerate(zip(turns, channel.asked, strict=False)):
        missing = _check_in_order(asked.robot, _fragments(expected))
        if missing:
            problems.append(f"turn {i + 1}: the robot did not say {missing!r}")
    missing = _check_in_order(channel.tail, _fragments(end))
    if missing:
        problems.append(f"at the end the robot did not say {missing!r}")
    if outcome is not None and result.outcome != outcome:
        problems.append(f"outcome {result.outcome!r}, expected {outcome!r}")
    assert not problems, "\n".join(problems) + "\nThe conversation:\n" + result.transcript()
    return result
