"""Record the AMI conversations `fake_ami.py` replays, from a real Asterisk sandbox (needs root).

    .venv/bin/python -m tests.telephony.record_conversations

Starts a test sandbox, drives each scenario through `AmiRecorder` and writes
`tests/telephony/ami_recordings/*.ami`. Re-record after changing the dialplan or manager.conf.
"""

from __future__ import annotations

import asyncio
import datetime
import shutil
import uuid

from ivr.settings import Settings
from telephony.ami import AmiClient, AmiError
from telephony.audiosocket import AudioSocketCall, AudioSocketServer
from telephony.sandbox import AsteriskSandbox, free_port
from telephony.testcall import place_call

from .ami_recorder import AmiRecorder
from .fake_ami import RECORDINGS

CALLER = "79001110011"


def _header(box: AsteriskSandbox, what: str) -> str:
    version = box.cli("core show version").strip().split(" built")[0]
    day = datetime.date.today().isoformat()
    tool = "tests/telephony/record_conversations.py"
    return f"# {what}\n# Recorded from {version} (sandbox) on {day} by {tool}\n"


async def _client(port: int, user: str, secret: str, backoff: float = 0.25) -> AmiClient:
    client = AmiClient(
        "127.0.0.1", port, user, secret, keepalive=60.0, backoff_initial=backoff, backoff_max=backoff
    )
    await client.start()
    await client.wait_connected(10)
    return client


async def redirect_refused(box: AsteriskSandbox) -> str:
    async with AmiRecorder(box.ami_port) as rec:
        client = await _client(rec.port, box.ami_user, box.ami_secret)
        try:
            await client.redirect("PJSIP/nobody-00000000", "operators")
        except AmiError:
            pass
        await client.close()
        await asyncio.sleep(0.3)
        what = "The IVR's user logs in and asks for a Redirect of a channel that is gone."
        return _header(box, what) + rec.text()


async def recovery(box: AsteriskSandbox, control: AmiClient) -> str:
    """A call enters AudioSocket while the IVR's link is down; after the reconnect, CoreShowChannels."""

    async def hold(call: AudioSocketCall) -> None:
        await asyncio.sleep(6)

    server = AudioSocketServer(hold, "127.0.0.1", box.ivr_port)
    await server.start()
    try:
        async with AmiRecorder(box.ami_port) as rec:
            first = await _client(rec.port, box.ami_user, box.ami_secret, backoff=30)
            rec.drop()
            await asyncio.sleep(0.2)
            await first.close()
            call = await place_call(control, box.recordings, ["w5", "h"], caller=CALLER, tail=1)
            await call.joined(10)
            second = await _client(rec.port, box.ami_user, box.ami_secret)
            await second.core_show_channels()
            await second.close()
            await call.ended(20)
            await asyncio.sleep(0.3)
            what = "The link drops; a call reaches AudioSocket meanwhile; reconnected: CoreShowChannels"
            return _header(box, what) + rec.text()
    finally:
        await server.close()


async def queue_abandon(box: AsteriskSandbox, control: AmiClient) -> str:
    async with AmiRecorder(box.ami_port) as rec:
        console = await _client(rec.port, box.console_ami_user, box.console_ami_secret)
        call_id = str(uuid.UUID("6f1c2b9e-3d4a-4b5c-8e7f-0a1b2c3d4e5f"))
        test_id = uuid.uuid4().hex[:12]
        await control.originate(
            "Local/s@test-caller/n",
            context="operators",
            exten="s",
            caller_id=f"Test caller <{CALLER}>",
            variables={"TEST_ID": test_id, "TEST_SCRIPT": "w3^h", "HOTLINE_ID": call_id},
        )
        await asyncio.sleep(5)
        await console.close()
        await asyncio.sleep(0.3)
        what = "The console's user: a caller redirected to the operators' queue hangs up after 3 s."
        return _header(box, what) + rec.text()


async def callback_dial(box: AsteriskSandbox) -> str:
    async with AmiRecorder(box.ami_port) as rec:
        console = await _client(rec.port, box.console_ami_user, box.console_ami_secret)
        await console.originate(
            "Local/s@test-caller/n",
            context="callbacks",
            exten=CALLER,
            caller_id=f"Callback <{CALLER}>",
            variables={"HOTLINE_CALLBACK_ID": "7", "TEST_ID": "operator-7", "TEST_SCRIPT": "w3^h"},
        )
        await asyncio.sleep(5)
        await console.close()
        await asyncio.sleep(0.3)
        return (
            _header(
                box,
                "The console's user places a callback: the operator (a test caller) answers, the "
                "resident (test-resident) answers, the operator hangs up after 3 s.",
            )
            + rec.text()
        )


async def main() -> None:
    root = Settings.from_env().asterisk_root
    box = AsteriskSandbox.for_tests(root, ivr_port=free_port(), name="record-ami")
    await asyncio.to_thread(box.start)
    try:
        control = await _client(box.ami_port, box.ami_user, box.ami_secret)
        RECORDINGS.mkdir(exist_ok=True)
        made = {
            "redirect_refused.ami": await redirect_refused(box),
            "recovery.ami": await recovery(box, control),
            "queue_abandon.ami": await queue_abandon(box, control),
            "callback_dial.ami": await callback_dial(box),
        }
        await control.close()
        for name, text in made.items():
            (RECORDINGS / name).write_text(text)
            print(f"{RECORDINGS / name}: {len(text.splitlines())} lines")
    finally:
        await asyncio.to_thread(box.stop)
        shutil.rmtree(box.host_dir, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
