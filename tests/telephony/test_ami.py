"""The AMI adapter against the real Asterisk sandbox."""

from __future__ import annotations

import asyncio
import shutil

import pytest

from telephony.ami import AmiClient, AmiError
from telephony.sandbox import AsteriskSandbox, free_port
from telephony.testcall import TestCall

from .peer import until

pytestmark = pytest.mark.asterisk


async def test_least_privileges_refuse_what_the_ivr_does_not_need(ami):
    with pytest.raises(AmiError, match="Permission denied"):
        await ami.action("Command", Command="core show version")
    with pytest.raises(AmiError):
        await ami.action("GetConfig", Filename="manager.conf")


async def test_wrong_secret_never_connects(sandbox):
    client = AmiClient("127.0.0.1", sandbox.ami_port, sandbox.ami_user, "wrong", backoff_max=0.5)
    await client.start()
    try:
        with pytest.raises(TimeoutError):
            await client.wait_connected(1.5)
        assert client.connections == 0
    finally:
        await client.close()


async def test_redirect_of_an_unknown_channel_is_an_error(ami):
    with pytest.raises(AmiError):
        await ami.redirect("PJSIP/nobody-00000000", "operators")


async def test_setvar_reaches_a_live_channel(sandbox, ami):
    caller = TestCall(ami, sandbox.recordings, "setvar")
    await ami.originate(
        "Local/s@test-caller/n",
        application="Wait",
        data="10",
        variables={"TEST_ID": "setvar", "TEST_SCRIPT": "w10"},
    )
    await caller.started(10)
    await ami.setvar(caller.channel, "HOTLINE_NOTE", "escalated")
    got = await ami.action("Getvar", Channel=caller.channel, Variable="HOTLINE_NOTE")
    assert got["Value"] == "escalated"
    await ami.hangup(caller.channel)
    await caller.ended(10)


async def test_keepalive_outlives_the_library_socket_timeout(sandbox):
    """asterisk-ami's listener thread dies when its socket is idle past its timeout (python-ami
    issue #47); our pings keep traffic flowing. The control client shows the failure."""
    kept = AmiClient(
        "127.0.0.1", sandbox.ami_port, sandbox.ami_user, sandbox.ami_secret, keepalive=0.3, socket_timeout=1.0
    )
    idle = AmiClient(
        "127.0.0.1", sandbox.ami_port, sandbox.ami_user, sandbox.ami_secret, keepalive=5.0, socket_timeout=1.0
    )
    for client in (kept, idle):
        await client.start()
        await client.wait_connected(10)
    try:
        await asyncio.sleep(2.5)
        assert kept.connections == 1 and kept.connected.is_set()
        await kept.action("Ping")
        await until(lambda: idle.connections > 1 or not idle.connected.is_set(), 10)
    finally:
        await kept.close()
        await idle.close()


async def test_connects_when_asterisk_comes_up_later(asterisk_root):
    port = free_port()
    late = AsteriskSandbox(
        asterisk_root, "test-late", ami_port=port, sip_port=free_port(), ivr_port=free_port()
    )
    client = AmiClient("127.0.0.1", port, late.ami_user, late.ami_secret, backoff_max=0.5)
    await client.start()
    try:
        await asyncio.sleep(0.5)
        assert not client.connected.is_set()
        await asyncio.to_thread(late.start)
        await client.wait_connected(10)
        await client.action("Ping")
    finally:
        await client.close()
        await asyncio.to_thread(late.stop)
        shutil.rmtree(late.host_dir, ignore_errors=True)
