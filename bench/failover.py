"""How long a caller waits when the IVR holding the call dies: two IVR processes behind the shipped
dialplan (extensions.conf, ivr-hosts), the one holding the call killed with -9, rounds in a row.

Prints, per round and as medians: kill → Asterisk's HotlineIvrFailover event (it noticed the lost
leg), kill → the next leg's HotlineCall event (the survivor is dialled; it connects at once), and
kill → the survivor's dialog started (after the apology, prompts.CALL_RESUMED, as a tone here).
As root, with the Asterisk sandbox built.

    python -m bench.failover [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import statistics
import sys
import time
from pathlib import Path

from ivr.settings import Settings
from telephony.ami import AmiClient, AmiEvent
from telephony.sandbox import AsteriskSandbox, free_port
from telephony.testcall import TEST_CALL_EVENT, place_call, wait

REPO = Path(__file__).resolve().parents[1]


class Ivr:
    """One tests/telephony/failover_ivr.py process; `calls` maps a caller's number to arrival times."""

    def __init__(self, port: int, news: asyncio.Event):
        self.port = port
        self.news = news  # set at every call that arrives at any IVR
        self.process: asyncio.subprocess.Process | None = None
        self.calls: dict[str, float] = {}
        self.ready = asyncio.Event()

    async def start(self, box: AsteriskSandbox) -> None:
        env = {**os.environ, "HOTLINE_AMI_SECRET": box.ami_secret, "PYTHONPATH": str(REPO)}
        self.ready.clear()
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.telephony.failover_ivr", "--port", str(self.port),
            "--ami-port", str(box.ami_port), cwd=REPO, env=env, stdout=asyncio.subprocess.PIPE,
        )
        asyncio.ensure_future(self._read(self.process))
        await asyncio.wait_for(self.ready.wait(), 30)

    async def _read(self, process: asyncio.subprocess.Process) -> None:
        assert process.stdout is not None
        async for line in process.stdout:
            event = json.loads(line)
            if event["event"] == "ready":
                self.ready.set()
            elif event["event"] == "call":
                self.calls[event["caller"]] = time.monotonic()
                self.news.set()

    async def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()


async def run(rounds: int) -> None:
    root = Settings.from_env().asterisk_root
    news = asyncio.Event()
    ivrs = [Ivr(free_port(), news), Ivr(free_port(), news)]

    async def until_answered(number: str, by: list[Ivr]) -> None:
        while not any(number in ivr.calls for ivr in by):
            news.clear()
            await news.wait()
    box = AsteriskSandbox.for_tests(
        root, ivr_port=ivrs[0].port, name=f"bench-failover-{os.getpid()}",
        ivr_hosts=[f"127.0.0.1:{ivr.port}" for ivr in ivrs],
    )
    box.start()
    arrivals: dict[tuple[str, str], list[float]] = {}  # (linkedid, event) → arrival times

    def on_event(event: AmiEvent) -> None:
        if event.name == "UserEvent":
            key = (event.get("Linkedid") or "", event.get("UserEvent") or "")
            arrivals.setdefault(key, []).append(time.monotonic())

    noticed, dialled, resumed = [], [], []
    linked: dict[str, str] = {}  # test id → linkedid
    try:
        async with AmiClient("127.0.0.1", box.ami_port, box.ami_user, box.ami_secret) as ami:
            await ami.wait_connected(15)
            ami.add_listener(on_event)
            ami.add_listener(lambda e: _note_test_call(e, linked))
            await asyncio.gather(*(ivr.start(box) for ivr in ivrs))
            for n in range(rounds):
                number = f"7900000{n:04d}"
                call = await place_call(ami, box.recordings, [wait(30)], caller=number, tail=1)
                await until_answered(number, ivrs)
                await asyncio.sleep(1.0)  # mid-call
                holder = next(ivr for ivr in ivrs if number in ivr.calls)
                survivor = next(ivr for ivr in ivrs if ivr is not holder)
                killed_at = time.monotonic()
                await holder.kill()
                await until_answered(number, [survivor])
                linkedid = linked[call.test_id]
                failover = arrivals[(linkedid, "HotlineIvrFailover")][0]
                next_leg = arrivals[(linkedid, "HotlineCall")][1]
                noticed.append(failover - killed_at)
                dialled.append(next_leg - killed_at)
                resumed.append(survivor.calls[number] - killed_at)
                print(
                    f"round {n + 1}: kill → failover noticed {noticed[-1] * 1000:.0f} ms, next leg dialled "
                    f"{dialled[-1] * 1000:.0f} ms, dialog started again {resumed[-1]:.2f} s", flush=True,
                )
                await ami.hangup(await call.started())
                await call.ended()
                await holder.start(box)
            for ivr in ivrs:
                await ivr.kill()
    finally:
        box.stop()
        shutil.rmtree(box.host_dir, ignore_errors=True)
    ms = [statistics.median(noticed) * 1000, max(noticed) * 1000]
    ms += [statistics.median(dialled) * 1000, max(dialled) * 1000]
    print(
        f"failover  {rounds} rounds: kill → Asterisk notices median {ms[0]:.0f} ms (max {ms[1]:.0f}), "
        f"next IVR dialled median {ms[2]:.0f} ms (max {ms[3]:.0f}), its dialog starts after the apology "
        f"median {statistics.median(resumed):.2f} s"
    )


def _note_test_call(event: AmiEvent, linked: dict[str, str]) -> None:
    if event.get("UserEvent") == TEST_CALL_EVENT and event.get("Status") == "started":
        linked[event.get("TestId") or ""] = event.get("Linkedid") or ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(run(args.rounds))


if __name__ == "__main__":
    main()
