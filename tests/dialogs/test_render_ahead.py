"""Render ahead: the dialogs tell a speaking channel what they will say next (dialogs.channel.prepare).

Why: a new sentence with the caller's figures costs a render; told early, the channel renders it
while the caller hears something else or answers, and it plays the moment it is due.
"""

from __future__ import annotations

from dialogs.channel import prepare
from dialogs.textchannel import ScriptedChannel, TextChannel
from tests.dialogs.demo_api import DEBTOR
from tests.dialogs.talk import converse, money


class RenderingChannel(ScriptedChannel):
    """A scripted caller on a channel that renders: what it was told to prepare, and when."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.prepared: list[tuple[str, int, int]] = []  # (text, questions answered, sentences said)

    def prepare(self, text: str) -> None:
        self.prepared.append((text, len(self.asked), len(self.said)))


def test_a_channel_that_renders_nothing_ignores_the_hint():
    prepare(TextChannel(), "Ваш долг семьсот рублей.")  # no error, nothing said
    assert not hasattr(TextChannel(), "prepare")


async def test_balance_details_are_rendered_while_the_caller_is_asked_about_them(api):
    facts = await api.balance(DEBTOR)
    turns = [
        ("что вас интересует", "сколько платить"),
        ("Назовите номер лицевого счёта", "ноль ноль два два два ноль ноль два два тире ноль"),
        ("Верно?", "да"),
        ("сумму последнего платежа", money(facts["last_payment"]["amount"])),
        ((f"Ваш долг на конец октября: {money(facts['closing'])}.", "Рассказать подробнее"), "да"),
        ((f"На начало месяца долг: {money(facts['opening'])}.", "Продолжить?"), "да"),
        ((f"Пени: {money(facts['penalties'])}.", "Продолжить?"), "нет"),
        ("Чем ещё могу помочь?", "до свидания"),
    ]
    channel = RenderingChannel([line for _, line in turns])
    await converse(api.backend, turns, channel=channel, end="До свидания")
    texts = [text for text, _, _ in channel.prepared]
    # the details' first piece: prepared once the debt was said, before «Рассказать подробнее?» was answered
    details_question = next(i for i, asked in enumerate(channel.asked) if "подробнее" in asked.prompt)
    first, answered, _ = channel.prepared[0]
    assert "На начало месяца долг" in first and answered == details_question
    # the second piece: prepared while «Продолжить?» was asked; each prepared text was then said as such
    assert len(texts) == 3
    for text, _, said_before in channel.prepared[:2]:
        assert text in channel.said[said_before:]
    assert channel.prepared[2][0] not in channel.said  # the caller said «нет» to the third: a hint only
