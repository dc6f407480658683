"""A call that reaches the IVR while its AMI link is down still learns its caller and channel once
the link is back (the recovery after the reconnect), so it can be transferred. AMI is a recorded
Asterisk 22 conversation replayed by the fake server; the call is a Python AudioSocket peer."""

from __future__ import annotations

import re

from ivr.service import HotlineService
from telephony.ami import AmiClient
from telephony.sandbox import free_port

from .fake_ami import RECORDINGS, FakeAmi, load
from .fakes import RecordingBackend, ToneSynthesizer
from .peer import StreamingAsterisk, until

# The call in AudioSocket that recovery.ami's CoreShowChannels lists.
CALL_ID = re.search(r"ApplicationData: ([0-9a-f-]+)", (RECORDINGS / "recovery.ami").read_text()).group(1)


async def test_a_call_that_came_while_ami_was_down_learns_its_caller_after_the_reconnect():
    async with FakeAmi(load("recovery.ami")) as fake:  # connection 1 drops right after the login
        ami = AmiClient(
            "127.0.0.1", fake.port, "hotline", "secret", keepalive=30, backoff_initial=0.5, backoff_max=0.5
        )
        seen_at_start = {}

        async def dialog(channel, backend):
            seen_at_start.update(caller=channel.caller, channel=channel.channel)
            await until(lambda: channel.channel is not None, 5)  # the caller is still on the line

        service = HotlineService(
            dialog=dialog,
            backend=RecordingBackend(),
            synthesizer=ToneSynthesizer(),
            ami=ami,
            port=free_port(),
            join_timeout=0.2,
        )
        await ami.start()
        await service.start()
        peer = StreamingAsterisk(CALL_ID)
        try:
            await until(lambda: ami.connections == 1 and not ami.connected.is_set(), 5)
            await peer.connect(service.server.port)
            session = await service.wait_finished(CALL_ID, timeout=10)
        finally:
            await peer.close()
            await service.close()
            await ami.close()
    assert seen_at_start == {"caller": None, "channel": None}  # AMI was down when the call came
    assert ami.connections == 2
    assert session.caller == "79001110011"
    assert session.channel == "Local/s@test-caller-00000000;1"  # what a transfer redirects
