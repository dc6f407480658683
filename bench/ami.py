"""Figures for the AMI link when it fails: how long an action in flight waits once the link is gone
(a dropped socket; a silent link that stops answering), and how long after a drop a call whose
event was missed is known again (reconnect + CoreShowChannels). Replays the recorded Asterisk 22
conversations of tests/telephony/ami_recordings (no root, no Asterisk).

    .venv/bin/python -m bench.ami [--rounds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import time

from telephony.ami import AmiClient, AmiError, CallJoiner
from tests.telephony.fake_ami import RECORDINGS, FakeAmi, Step, load

ACTION_TIMEOUT = 5.0  # the adapter's default: what an action in flight waited before


def _client(port: int, **options: float) -> AmiClient:
    return AmiClient("127.0.0.1", port, "hotline", "secret", **options)


async def in_flight(ending: Step) -> float:
    """Seconds from sending a Redirect to its failure, when the link `ending`s under it."""
    script = load("redirect_refused.ami")[0]
    login, redirect = script[:3], script[3]
    async with FakeAmi([[*login, redirect, ending], login]) as fake:
        client = _client(fake.port, keepalive=2.0, ping_timeout=2.0, action_timeout=ACTION_TIMEOUT)
        await client.start()
        try:
            await client.wait_connected(5)
            started = time.perf_counter()
            try:
                await client.redirect("PJSIP/caller-00000001", "operators")
            except AmiError:
                pass
            return time.perf_counter() - started
        finally:
            await client.close()


async def recovery(backoff: float) -> float:
    """Seconds from the link's drop until the joiner knows the call whose event was missed."""
    text = (RECORDINGS / "recovery.ami").read_text()
    match = re.search(r"ApplicationData: ([0-9a-f-]+)", text)
    assert match is not None
    async with FakeAmi(load("recovery.ami")) as fake:
        client = _client(fake.port, keepalive=30.0, backoff_initial=backoff, backoff_max=backoff)
        joiner = CallJoiner()
        joiner.attach(client)
        logins: list[float] = []

        async def logged_in() -> None:
            logins.append(time.perf_counter())

        client.add_connect_listener(logged_in)
        await client.start()
        try:
            info = await joiner.wait(match.group(1), timeout=10)
            assert info is not None
            # The recording drops the first link right after its login.
            return time.perf_counter() - logins[0]
        finally:
            await client.close()


def _report(name: str, values: list[float]) -> None:
    ms = [v * 1000 for v in values]
    print(
        f"{name:58s} median {statistics.median(ms):7.1f} ms   max {max(ms):7.1f} ms   ({len(ms)} rounds)"
    )


async def main(rounds: int) -> None:
    before = f"before: an action in flight waited out its timeout ({ACTION_TIMEOUT:.0f} s)"
    print(f"{before} whatever the link did")
    dropped = [await in_flight(Step("drop")) for _ in range(rounds)]
    _report("Redirect in flight, the socket drops", dropped)
    silent = [await in_flight(Step("wait", seconds=8)) for _ in range(max(1, rounds // 5))]
    _report("Redirect in flight, the link goes silent (ping at once, 2 s)", silent)
    recovered = [await recovery(0.25) for _ in range(rounds)]
    _report("missed call known again after a drop (backoff 0.25 s)", recovered)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    asyncio.run(main(parser.parse_args().rounds))
