"""The shipped Kamailio front (telephony/kamailio): its config passes Kamailio's own check, and a
SIP call through it reaches the hotline on a live Asterisk box when the other box in its
dispatcher list is down.

The call: the sandbox's loopback softphone (pjsip.conf) sends its INVITE to Kamailio instead of
to Asterisk; Kamailio dispatches it over [a dead box, the sandbox], Asterisk challenges it (digest
auth, through Kamailio), and the call lands in the hotline with its keys (RFC 4733).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from dialogs.channel import DtmfSpec, Reply
from ivr.service import HotlineService
from telephony.sandbox import AsteriskSandbox, free_port
from telephony.testcall import keys, place_call, wait

from .fakes import RecordingBackend, ToneSynthesizer
from .peer import until

CONFIG = Path(__file__).resolve().parents[2] / "telephony" / "kamailio" / "kamailio.cfg"
KAMAILIO = shutil.which("kamailio") or "/usr/sbin/kamailio"

needs_kamailio = pytest.mark.skipif(
    not Path(KAMAILIO).exists(), reason="kamailio is not installed (scripts/setup.sh installs it)"
)


def kamailio(*args: str) -> list[str]:
    return [KAMAILIO, "-f", str(CONFIG), *args]


@needs_kamailio
def test_the_shipped_config_passes_kamailios_check():
    shipped_list = CONFIG.parent / "dispatcher.list"
    result = subprocess.run(
        kamailio("-c", "-A", f'DISPATCHER_LIST="{shipped_list}"'), capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stderr
    assert "config file ok" in (result.stdout + result.stderr)


@pytest.fixture
def front(tmp_path):
    """Kamailio on a free loopback port; its dispatcher list is written by the test."""
    port, boxes = free_port(), tmp_path / "dispatcher.list"
    log = tmp_path / "kamailio.log"
    process: subprocess.Popen[bytes] | None = None

    def start(destinations: list[str]) -> int:
        nonlocal process
        boxes.write_text("".join(f"1 sip:{d} 0 0\n" for d in destinations))
        with open(log, "wb") as out:
            process = subprocess.Popen(
                kamailio(
                    "-DD", "-E", "-w", str(tmp_path), "-P", str(tmp_path / "kamailio.pid"),
                    "-A", f"LISTEN=udp:127.0.0.1:{port}", "-A", f'DISPATCHER_LIST="{boxes}"',
                    "-A", "PING_INTERVAL=60",  # no probe during the call: the failover is the call's own
                ),
                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            )
        return port

    yield start, log
    if process is not None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@needs_kamailio
@pytest.mark.asterisk
async def test_a_sip_call_through_kamailio_skips_the_dead_box_and_reaches_the_hotline(asterisk_root, front):
    if os.geteuid() != 0:
        pytest.skip("running the Asterisk sandbox needs root (chroot)")
    from telephony.ami import AmiClient

    start, log = front
    box = AsteriskSandbox.for_tests(asterisk_root, ivr_port=free_port(), name=f"kamailio-{os.getpid()}")
    dead = f"127.0.0.1:{free_port()}"
    proxy_port = start([dead, f"127.0.0.1:{box.sip_port}"])
    box.sip_loopback_contact = f"127.0.0.1:{proxy_port}"
    await asyncio.to_thread(box.start)
    replies: list[Reply] = []

    async def dialog(ch, backend):
        replies.append(await ch.ask("Нажмите любую кнопку", dtmf=DtmfSpec(max_digits=1), timeout=20))

    service = HotlineService(
        dialog=dialog, backend=RecordingBackend(), synthesizer=ToneSynthesizer(), port=box.ivr_port,
        ami=AmiClient("127.0.0.1", box.ami_port, box.ami_user, box.ami_secret),
    )
    assert service.ami is not None
    try:
        await service.ami.start()
        await service.ami.wait_connected(15)
        await service.start()
        caller = await place_call(
            service.ami, box.recordings, [wait(3), keys("7"), wait(3)], context="sip-loop", exten="8800"
        )
        # A new SIP call is a new Asterisk call (its own linkedid): take the service's only session.
        await until(lambda: len(service.finished) == 1, 30)
        session = service.finished[0]
        await caller.ended()
        assert replies == [Reply.keys("7")]
        assert session.caller == "79001110011"  # the demo account's number, through the proxy
        assert session.channel is not None and session.channel.startswith("PJSIP/demo-")
        said = log.read_text(errors="replace")
        assert f"Asterisk box sip:{dead} failed (408)" in said, said[-3000:]
        assert f"to sip:127.0.0.1:{box.sip_port}" in said
    finally:
        await service.close()
        await service.ami.close()
        await asyncio.to_thread(box.stop)
    shutil.rmtree(box.host_dir, ignore_errors=True)  # kept for a look when the test failed
