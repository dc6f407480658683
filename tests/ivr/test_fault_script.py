"""The committed fault script, at a small size: kill -9 of the API (twice) and of the IVR mid-call
while callers confirm readings and callback requests; each is stored exactly once, every call
record is closed. Real processes (`hotline api`, an IVR child on the on-disk outbox)."""

from __future__ import annotations

import subprocess
import sys


def test_kill_minus_9_of_the_api_and_the_ivr_loses_nothing_and_doubles_nothing():
    done = subprocess.run(
        [sys.executable, "-m", "bench.fault_outbox", "--calls", "12"],
        capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    figures = dict(
        line.strip().split(": ") for line in done.stdout.splitlines() if ": " in line and line.startswith(" ")
    )
    assert figures["api_kills"] == "2" and figures["ivr_kills"] == "1"
    assert int(figures["readings_confirmed"]) > 0
    assert figures["readings_stored_once"] == figures["readings_confirmed"]
    assert figures["readings_stored_twice"] == "0"
    assert figures["call_records_closed"] == figures["calls"]
