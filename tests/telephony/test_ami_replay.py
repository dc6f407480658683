"""The AMI adapter against recorded Asterisk 22 conversations (no root, no Asterisk): a link that
drops under an action in flight, the recovery of a call whose event was missed, refusals."""

from __future__ import annotations

import asyncio

import pytest

from telephony.ami import AmiClient, AmiError, AmiLinkLost, CallJoiner

from .fake_ami import FakeAmi, Step, load

CALL_ID = "2e7a7ed5-fa5c-4eee-bf81-d03dea98f86d"  # the call in recovery.ami


def _client(fake: FakeAmi, **options) -> AmiClient:
    options.setdefault("keepalive", 30.0)
    options.setdefault("backoff_initial", 0.05)
    options.setdefault("backoff_max", 0.1)
    return AmiClient("127.0.0.1", fake.port, "hotline", "secret", **options)


async def test_a_refused_redirect_raises_with_asterisks_message():
    async with FakeAmi(load("redirect_refused.ami")) as fake:
        client = _client(fake)
        await client.start()
        try:
            await client.wait_connected(5)
            with pytest.raises(AmiError, match="Channel does not exist"):
                await client.redirect("PJSIP/nobody-00000000", "operators")
        finally:
            await client.close()
        await asyncio.wait_for(fake.finished.wait(), 5)  # the Logoff read and answered
    assert [a["Action"] for a in fake.actions if a["Action"] != "Ping"] == ["Login", "Redirect", "Logoff"]


async def test_a_transfer_in_flight_fails_at_once_when_the_link_drops():
    """Asterisk never answers the Redirect: the link drops. The action must not wait out its
    timeout (30 s here) in silence: it fails as soon as the link is gone."""
    login, redirect = load("redirect_refused.ami")[0][:3], load("redirect_refused.ami")[0][3]
    assert redirect.kind == "expect" and redirect.get("Action") == "Redirect"
    async with FakeAmi([[*login, redirect, Step("drop")], login]) as fake:
        client = _client(fake, action_timeout=30.0)
        await client.start()
        try:
            await client.wait_connected(5)
            with pytest.raises(AmiLinkLost):
                await asyncio.wait_for(client.redirect("PJSIP/caller-00000001", "operators"), 5)
            await client.wait_connected(5)  # and it comes back
            assert client.connections == 2
        finally:
            await client.close()


async def test_a_transfer_in_flight_on_a_link_gone_silent_fails_after_one_ping():
    """No FIN, no answer: the action wakes the watchdog, whose ping goes unanswered; the action
    fails as a lost link (not after its own 30 s)."""
    login, redirect = load("redirect_refused.ami")[0][:3], load("redirect_refused.ami")[0][3]
    async with FakeAmi([[*login, redirect, Step("wait", seconds=10)], login]) as fake:
        client = _client(fake, action_timeout=30.0, ping_timeout=0.3)
        await client.start()
        try:
            await client.wait_connected(5)
            with pytest.raises(AmiLinkLost):
                await asyncio.wait_for(client.redirect("PJSIP/caller-00000001", "operators"), 5)
        finally:
            await client.close()


async def test_an_action_while_disconnected_is_refused_at_once():
    async with FakeAmi([[Step("drop")]]) as fake:
        client = _client(fake)
        await client.start()
        try:
            with pytest.raises(AmiError, match="not connected"):
                await client.redirect("PJSIP/caller-00000001", "operators")
        finally:
            await client.close()


async def test_after_a_reconnect_a_call_whose_event_was_missed_is_recovered():
    """The HotlineCall event came while the link was down; CoreShowChannels after the reconnect
    still gives the call its caller's number and the channel to transfer."""
    async with FakeAmi(load("recovery.ami")) as fake:
        client = _client(fake)
        joiner = CallJoiner()
        remove = joiner.attach(client)
        heard = []
        client.add_listener(heard.append)
        await client.start()
        try:
            info = await joiner.wait(CALL_ID, timeout=5)
            assert info is not None
            assert info.caller == "79001110011"
            assert info.channel == "Local/s@test-caller-00000000;1"
            assert client.connections == 2
            # The list's own events answer the action; they are not news for the listeners.
            assert not [e for e in heard if e.name.startswith("CoreShowChannel")]
        finally:
            remove()
            await client.close()
        await asyncio.wait_for(fake.finished.wait(), 5)  # the Logoff read and answered
    assert [a["Action"] for a in fake.actions if a["Action"] != "Ping"] == [
        "Login",
        "Login",
        "CoreShowChannels",
        "Logoff",
    ]


async def test_a_call_that_arrives_before_the_recovery_answers_is_joined_once():
    """The joiner's waiter gets the recovered call even when the socket came first."""
    async with FakeAmi(load("recovery.ami")) as fake:
        client = _client(fake)
        joiner = CallJoiner()
        joiner.attach(client)
        waiting = asyncio.create_task(joiner.wait(CALL_ID.upper(), timeout=5))
        await client.start()
        try:
            info = await waiting
            assert info is not None and info.call_id == CALL_ID
            assert joiner.pending == 0
        finally:
            await client.close()


async def test_channel_variables_arrive_apart_from_the_fields():
    """manager.conf's `channelvars = HOTLINE_ID`: every queue event names the hotline's call."""
    async with FakeAmi(load("queue_abandon.ami")) as fake:
        client = _client(fake)
        events = []
        abandoned = asyncio.Event()

        def heard(event):
            events.append(event)
            if event.name == "QueueCallerAbandon":
                abandoned.set()

        client.add_listener(heard)
        await client.start()
        try:
            await asyncio.wait_for(abandoned.wait(), 5)
        finally:
            await client.close()
    abandon = next(e for e in events if e.name == "QueueCallerAbandon")
    assert abandon.variables["HOTLINE_ID"] == "6f1c2b9e-3d4a-4b5c-8e7f-0a1b2c3d4e5f"
    assert abandon.get("Queue") == "operators" and abandon.get("HoldTime") == "3"
    assert all(isinstance(v, str) for v in abandon.fields.values())
