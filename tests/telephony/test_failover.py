"""Several IVR hosts behind the shipped dialplan (extensions.conf, ivr-hosts): round robin, failover.

The real-Asterisk part runs the sandbox with three hosts: a port nobody listens on, then two IVR
processes (tests/telephony/failover_ivr.py). A caller whose first host is down is answered by
the next; a caller whose IVR is killed (-9) mid-call goes on on the other one, which starts over
with an apology and still gets the caller's keys through Dial; a call the IVR ends itself is not
dialled again.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import sys
from pathlib import Path

import pytest

from dialogs import prompts
from ivr.settings import Settings
from telephony.ami import AmiClient, AmiEvent, audiosocket_call
from telephony.sandbox import AsteriskSandbox, free_port
from telephony.settings import TelephonySettings
from telephony.testcall import TEST_CALL_EVENT, TestCall, keys, place_call, wait

REPO = Path(__file__).resolve().parents[2]


# ---- the host list: one setting, rendered into the dialplan ------------------------------------
def test_the_host_list_defaults_to_the_one_ivr_and_reads_hotline_ivr_hosts(monkeypatch):
    monkeypatch.delenv("HOTLINE_IVR_HOSTS", raising=False)
    monkeypatch.setenv("HOTLINE_AUDIOSOCKET_PORT", "9300")
    assert TelephonySettings().ivr_host_list == ("127.0.0.1:9300",)
    monkeypatch.setenv("HOTLINE_IVR_HOSTS", "10.0.0.5:9092, 10.0.0.6:9092")
    assert TelephonySettings().ivr_host_list == ("10.0.0.5:9092", "10.0.0.6:9092")
    assert Settings.from_env().ivr_host_list == ("10.0.0.5:9092", "10.0.0.6:9092")


def test_a_host_without_a_port_is_an_error_naming_the_variable(monkeypatch):
    monkeypatch.setenv("HOTLINE_IVR_HOSTS", "10.0.0.5:9092,10.0.0.6")
    with pytest.raises(ValueError, match="HOTLINE_IVR_HOSTS: .*'10.0.0.6'"):
        Settings.from_env()


def test_the_sandbox_renders_the_host_list_from_the_settings(tmp_path):
    (tmp_path / "usr/sbin").mkdir(parents=True)
    (tmp_path / "usr/sbin/asterisk").touch()
    (tmp_path / "usr/lib/x86_64-linux-gnu/asterisk/modules").mkdir(parents=True)
    settings = TelephonySettings(ivr_hosts="10.0.0.5:9092,10.0.0.6:9093", asterisk_root=tmp_path)
    box = AsteriskSandbox.from_settings(settings, "hosts")
    extensions = (box.render() / "etc" / "extensions.conf").read_text()
    assert "HOTLINE_IVR_HOSTS = 10.0.0.5:9092&10.0.0.6:9093" in extensions


def test_a_missed_call_is_recovered_from_its_dial_to_an_ivr_host():
    """After an AMI reconnect, CoreShowChannels shows the caller's channel in Dial(AudioSocket/…)."""
    event = AmiEvent(
        "CoreShowChannel",
        {
            "Channel": "PJSIP/trunk-00000007",
            "CallerIDNum": "79001110011",
            "Application": "Dial",
            "ApplicationData": "AudioSocket/10.0.0.6:9092/6f1c2d3e-0000-4000-8000-00000000abcd,,g",
        },
    )
    info = audiosocket_call(event)
    assert info is not None
    assert (info.call_id, info.caller, info.channel) == (
        "6f1c2d3e-0000-4000-8000-00000000abcd", "79001110011", "PJSIP/trunk-00000007"
    )
    outgoing = AmiEvent(
        "CoreShowChannel",
        {"Channel": "AudioSocket/10.0.0.6:9092-6f1c", "Application": "AppDial"}
    )
    assert audiosocket_call(outgoing) is None


# ---- real Asterisk, two IVR processes ----------------------------------------------------------
class IvrProcess:
    """One `failover_ivr` process and the events it printed."""

    def __init__(self, name: str, port: int):
        self.name = name
        self.port = port
        self.events: list[dict] = []
        self.process: asyncio.subprocess.Process | None = None
        self._changed = asyncio.Event()
        self._reader: asyncio.Task[None] | None = None

    async def start(self, box: AsteriskSandbox) -> None:
        env = {**os.environ, "HOTLINE_AMI_SECRET": box.ami_secret, "PYTHONPATH": str(REPO)}
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.telephony.failover_ivr", "--port", str(self.port),
            "--ami-port", str(box.ami_port), cwd=REPO, env=env, stdout=asyncio.subprocess.PIPE,
        )
        self._reader = asyncio.create_task(self._read())
        await self.event("ready", timeout=30)

    async def _read(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        async for line in self.process.stdout:
            with contextlib.suppress(ValueError):
                self.events.append(json.loads(line))
                self._changed.set()

    async def event(self, kind: str, timeout: float = 20.0, **match: object) -> dict:
        async def find() -> dict:
            while True:
                for event in self.events:
                    if event["event"] == kind and all(event.get(k) == v for k, v in match.items()):
                        return event
                self._changed.clear()
                await self._changed.wait()

        return await asyncio.wait_for(find(), timeout)

    def calls(self) -> list[dict]:
        return [e for e in self.events if e["event"] == "call"]

    async def kill(self) -> None:
        assert self.process is not None
        with contextlib.suppress(ProcessLookupError):
            self.process.send_signal(signal.SIGKILL)
        await self.process.wait()

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.process.wait(), 10)
            if self.process.returncode is None:
                await self.kill()
        if self._reader is not None:
            self._reader.cancel()


class DialplanLog:
    """The dialplan's UserEvents of one caller (by Linkedid): every attempt and every failover."""

    def __init__(self, ami: AmiClient):
        self.events: list[AmiEvent] = []
        self._remove = ami.add_listener(self._on_event)

    def _on_event(self, event: AmiEvent) -> None:
        if event.name == "UserEvent":
            self.events.append(event)

    def of(self, caller: TestCall, kind: str) -> list[AmiEvent]:
        linkedid = next(
            e.get("Linkedid") for e in self.events
            if e.get("UserEvent") == TEST_CALL_EVENT and e.get("TestId") == caller.test_id
        )
        return [e for e in self.events if e.get("Linkedid") == linkedid and e.get("UserEvent") == kind]

    def close(self) -> None:
        self._remove()


@pytest.fixture(scope="module")
def hosts():
    return {"down": free_port(), "a": free_port(), "b": free_port()}


@pytest.fixture(scope="module")
def failover_box(asterisk_root, hosts, request):
    if os.geteuid() != 0:
        pytest.skip("running the Asterisk sandbox needs root (chroot)")
    listed = [f"127.0.0.1:{hosts[name]}" for name in ("down", "a", "b")]
    box = AsteriskSandbox.for_tests(
        asterisk_root, ivr_port=hosts["a"], name=f"failover-{os.getpid()}", ivr_hosts=listed
    )
    box.start()
    yield box
    box.stop()
    if request.session.testsfailed:
        print(f"\nAsterisk sandbox kept for a look: {box.host_dir} (log: {box.log_file})")
    else:
        shutil.rmtree(box.host_dir, ignore_errors=True)


@pytest.mark.asterisk
async def test_calls_go_on_on_the_other_ivr_host(failover_box, hosts):
    """Round robin from the first host: call 1 starts at the dead port, call 2 at IVR A."""
    box = failover_box
    ami = AmiClient("127.0.0.1", box.ami_port, box.ami_user, box.ami_secret)
    await ami.start()
    await ami.wait_connected(15)
    dialplan = DialplanLog(ami)
    a, b = IvrProcess("a", hosts["a"]), IvrProcess("b", hosts["b"])
    try:
        await asyncio.gather(a.start(box), b.start(box))

        # (1) The first host is down: the caller is answered by the next, and (4) the keys reach
        # it through Dial; (3) it ends the call itself and nothing is dialled again.
        first = await place_call(ami, box.recordings, [wait(2), keys("0011100117#")], tail=30)
        started = await a.event("call", caller="79001110011")
        assert started["resumes"] is None and started["said"] == []
        typed = await a.event("keys", id=started["id"])
        assert (typed["kind"], typed["digits"]) == ("digits", "0011100117")
        await a.event("goodbye", id=started["id"])
        await first.ended(timeout=15)  # long before its 30 s tail: the dialplan hung up
        attempts = dialplan.of(first, "HotlineCall")
        assert len(attempts) == 2 and attempts[1].get("Id") == started["id"]
        failovers = dialplan.of(first, "HotlineIvrFailover")
        assert [(e.get("Host"), e.get("Status")) for e in failovers] == [
            (f"127.0.0.1:{hosts['down']}", "CHANUNAVAIL")
        ]
        assert b.calls() == []

        # (2) The IVR holding the call is killed mid-call: the call goes on on the other IVR,
        # which says why it starts over, and the caller's keys reach it.
        script = [wait(5), keys("4455#")]
        second = await place_call(ami, box.recordings, script, caller="79002223344", tail=30)
        lost = await a.event("call", caller="79002223344")
        await a.kill()
        resumed = await b.event("call", caller="79002223344")
        assert resumed["resumes"] == lost["id"] and resumed["id"] != lost["id"]
        assert resumed["said"] == [prompts.CALL_RESUMED]
        typed = await b.event("keys", id=resumed["id"])
        assert (typed["kind"], typed["digits"]) == ("digits", "4455")
        await b.event("goodbye", id=resumed["id"])
        await second.ended(timeout=15)
        assert [e.get("Id") for e in dialplan.of(second, "HotlineCall")] == [lost["id"], resumed["id"]]
        assert [(e.get("Host"), e.get("Status")) for e in dialplan.of(second, "HotlineIvrFailover")] == [
            (f"127.0.0.1:{hosts['a']}", "ANSWER")
        ]
    finally:
        dialplan.close()
        await asyncio.gather(a.stop(), b.stop())
        await ami.close()
