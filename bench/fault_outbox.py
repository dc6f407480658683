"""kill -9 the account API and the IVR while callers confirm readings; check nothing is lost or doubled.

Loopback only, bounded (one call per demo account with a phone, a few minutes at most). Real
processes: `hotline api` on a temporary SQLite database with the demo data, and an "IVR" child
that holds calls the way `hotline serve` does — the call record and what callers confirm go
through `dialogs.record.Outbox` over the on-disk `ivr.outbox.SqliteStore`, and each reading is
submitted by the dialogs' own code (`dialogs.readings`: sent at once, kept on disk when the API
does not answer). The child prints what the robot told each caller; meanwhile this script kills
the API (-9) twice and restarts it, and kills the IVR child (-9) once mid-call and starts a new one
on the same outbox file. Afterwards, with an operator token, it checks that every reading and
callback request a caller was told about is stored exactly once, and that every call's record is
closed (the calls cut off by the IVR's death as `service_error`).

    .venv/bin/python -m bench.fault_outbox            # prints the figures, exit 1 if anything fails
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import date
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

import httpx

from telephony.sandbox import free_port

IVR_TOKEN = "fault-ivr-token"
OPERATOR_TOKEN = "fault-operator-token"


# ---- the IVR child ------------------------------------------------------------------------------
async def _until_ok(action: Any, seconds: float = 30.0) -> Any:
    """Retry `action()` while the API is down (a caller would have been told; we just go on)."""
    from dialogs.backend import BackendError

    deadline = time.monotonic() + seconds
    while True:
        try:
            return await action()
        except BackendError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.2)


async def ivr_child(url: str, outbox_file: Path, accounts: list[dict[str, Any]]) -> None:
    from dialogs.backend import BackendError, Rejected
    from dialogs.context import Call
    from dialogs.options import DialogOptions
    from dialogs.readings import _submit
    from dialogs.record import CallRecord, Outbox
    from dialogs.textchannel import ScriptedChannel
    from ivr.api_client import ApiClient
    from ivr.outbox import SqliteStore

    client = ApiClient(url, IVR_TOKEN, timeout=2.0, probe_interval=0.2)
    store = SqliteStore(outbox_file)
    outbox = Outbox(client, store, retry_base=0.2, retry_max=1.0)
    await outbox.start()  # what a killed predecessor kept goes first; its cut-off calls are closed

    def say(*words: object) -> None:
        print(*words, flush=True)

    for acc in accounts:
        call_id = str(uuid.uuid4())
        phone = acc["phone"]
        record = CallRecord(outbox, call_id, caller=phone, channel="fault")
        channel = ScriptedChannel([], call_id=call_id, caller=phone)
        call = Call(channel, client, DialogOptions(), record=record)
        await call.start()
        await outbox.keep_now()  # from here on the call exists, whatever happens to this process
        say("STARTED", acc["index"], call_id)
        account = acc["account"]
        try:
            while not await outbox.settle(call_id, 1.0):  # registered first, as a real call's menu is
                pass
            checked = await _until_ok(partial(client.verify, account, call_id=call_id, caller=phone))
            if not checked.get("verified"):
                raise Rejected(403, "not_verified", json.dumps(checked))
            meters = await _until_ok(partial(client.meters, account, call_id=call_id))
        except (BackendError, Rejected) as exc:
            say("ABANDONED", call_id, type(exc).__name__, exc)
            record.end("service_error")
            continue
        call.verified = True
        await call.set_account(acc["account"])
        for meter in meters:
            due = meter.get("verification_due")
            last = meter.get("last_reading") or {}
            if (due and date.fromisoformat(due[:10]) < date.today()) or last.get("value") is None:
                continue
            value = Decimal(str(last["value"])) + 1
            try:
                done = await _submit(call, acc["account"], meter, value)
            except BackendError:
                done = False
            if done and meter["id"] in call.stored_meters:
                say("CONFIRMED", call_id, acc["account"], meter["id"], value)
            await asyncio.sleep(0.05)
        with contextlib.suppress(Exception):
            await record.keep_escalation(
                reason="callback_request", account=acc["account"], verified=True, summary="fault test"
            )
            say("ESCALATION", call_id)
        record.end("completed")
        say("ENDED", call_id)
        await asyncio.sleep(0.1)
    for _ in range(600):  # everything sent (up to 2 min), through any API restart still going on
        if not outbox.unsent():
            break
        await asyncio.sleep(0.2)
    await outbox.close()
    await store.close()
    await client.aclose()
    say("DRAINED")


# ---- the conductor --------------------------------------------------------------------------------
class Fault:
    def __init__(self, workdir: Path, port: int):
        self.workdir = workdir
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.env = {
            **os.environ,
            "HOTLINE_DATA_DIR": str(workdir),
            "HOTLINE_DATABASE_URL": f"sqlite:///{workdir / 'hotline.db'}",
            "HOTLINE_API_HOST": "127.0.0.1",
            "HOTLINE_API_PORT": str(port),
            "HOTLINE_IVR_TOKEN": IVR_TOKEN,
            "HOTLINE_OPERATOR_TOKENS": f"fault:{OPERATOR_TOKEN}",
            "HOTLINE_READINGS_WINDOW_START": "1",
            "HOTLINE_READINGS_WINDOW_END": "31",
            "HOTLINE_IVR_LOOKUPS_PER_MINUTE": "100000",
            "HOTLINE_CALL_LOOKUPS_LIMIT": "100",
            "HOTLINE_LOG_LEVEL": "WARNING",
        }
        self.hotline = str(Path(sys.executable).with_name("hotline"))
        self.api: subprocess.Popen[bytes] | None = None
        self.api_log = open(workdir / "api.log", "ab")  # noqa: SIM115  (kept open for every restart)
        self.api_kills = 0
        self.ivr_kills = 0

    def prepare(self) -> None:
        subprocess.run([self.hotline, "demo-data"], env=self.env, check=True, stdout=subprocess.DEVNULL)

    async def start_api(self) -> None:
        self.api = subprocess.Popen(  # noqa: ASYNC220  (started and left running; never waited on here)
            [self.hotline, "api"], env=self.env, stdout=subprocess.DEVNULL, stderr=self.api_log
        )
        async with httpx.AsyncClient() as http:
            for _ in range(300):
                with contextlib.suppress(httpx.HTTPError):
                    if (await http.get(f"{self.url}/healthz")).status_code == 200:
                        return
                await asyncio.sleep(0.1)
        raise RuntimeError("hotline api did not start")

    async def kill_api(self, down_for: float = 2.0) -> None:
        assert self.api is not None
        self.api.send_signal(signal.SIGKILL)
        self.api.wait()
        self.api_kills += 1
        await asyncio.sleep(down_for)
        await self.start_api()

    async def operator(self, path: str) -> Any:
        async with httpx.AsyncClient(
            base_url=f"{self.url}/api/v1", headers={"Authorization": f"Bearer {OPERATOR_TOKEN}"}, timeout=30
        ) as http:
            response = await http.get(path)
            response.raise_for_status()
            return response.json()

    async def accounts(self) -> list[dict[str, Any]]:
        from api.demo import demo_accounts

        return [
            {"index": i, "account": a.text, "phone": a.phones[0]}
            for i, a in enumerate(demo_accounts())
            if a.phones and a.meters
        ]

    def ivr(self, accounts: list[dict[str, Any]]) -> asyncio.subprocess.Process:
        return asyncio.create_subprocess_exec(  # type: ignore[return-value]
            sys.executable, "-m", "bench.fault_outbox", "ivr", "--url", self.url,
            "--outbox", str(self.workdir / "outbox.sqlite3"), "--accounts", json.dumps(accounts),
            stdout=subprocess.PIPE, env=self.env,
        )


async def conduct(calls: int | None) -> dict[str, int]:
    with tempfile.TemporaryDirectory(prefix="hotline-fault-") as tmp:
        fault = Fault(Path(tmp), free_port())
        fault.prepare()
        await fault.start_api()
        try:
            return await _run(fault, calls)
        finally:
            if fault.api is not None:
                fault.api.kill()
                fault.api.wait()


async def _run(fault: Fault, calls: int | None) -> dict[str, int]:
    accounts = (await fault.accounts())[:calls]
    confirmed: list[tuple[str, str, int, Decimal]] = []
    escalations: list[str] = []
    started: list[str] = []
    ended: set[str] = set()
    started_index: set[int] = set()
    plan = {4: "api", 9: "ivr", 14: "api"}  # after this many confirmations: kill that
    remaining = list(accounts)
    drained = False
    while remaining and not drained:
        child = await fault.ivr(remaining)
        assert child.stdout is not None
        killed = False
        while line := (await child.stdout.readline()).decode().split():
            kind = line[0]
            if kind == "STARTED":
                started_index.add(int(line[1]))
                started.append(line[2])
            elif kind == "CONFIRMED":
                confirmed.append((line[1], line[2], int(line[3]), Decimal(line[4])))
                what = plan.pop(len(confirmed), None)
                if what == "api":
                    await fault.kill_api()
                elif what == "ivr":
                    child.send_signal(signal.SIGKILL)
                    fault.ivr_kills += 1
                    killed = True
                    break
            elif kind == "ABANDONED":
                print("  a call was abandoned:", " ".join(line[1:]), file=sys.stderr)
            elif kind == "ESCALATION":
                escalations.append(line[1])
            elif kind == "ENDED":
                ended.add(line[1])
            elif kind == "DRAINED":
                drained = True
        await child.wait()
        remaining = [a for a in accounts if a["index"] not in started_index]
        if not killed and not remaining:
            break
        if not remaining:  # the killed child had started every call: one more start sends its outbox
            child = await fault.ivr([])
            await child.wait()
            break
    return await _check(fault, accounts, confirmed, escalations, started)


async def _check(
    fault: Fault,
    accounts: list[dict[str, Any]],
    confirmed: list[tuple[str, str, int, Decimal]],
    escalations: list[str],
    started: list[str],
) -> dict[str, int]:
    stored: Counter[tuple[str, int]] = Counter()
    values: dict[tuple[str, int], Decimal] = {}
    for acc in accounts:
        for reading in (await fault.operator(f"/accounts/{acc['account']}/readings"))["readings"]:
            if reading.get("call_id"):
                key = (reading["call_id"], reading["meter_id"])
                stored[key] += 1
                values[key] = Decimal(str(reading["value"]))
    once = sum(1 for c, _, m, v in confirmed if stored[(c, m)] == 1 and values[(c, m)] == v)
    doubled = sum(1 for n in stored.values() if n > 1)
    esc_by_call = Counter(e["call_id"] for e in await fault.operator("/escalations?limit=500"))
    esc_once = sum(1 for c in escalations if esc_by_call[c] == 1)
    closed = 0
    for call_id in started:
        try:
            record = await fault.operator(f"/calls/{call_id}")
        except httpx.HTTPError as exc:
            record = {"error": str(exc)}
        if record.get("ended_at"):
            closed += 1
            continue
        print("  no closed record for call", call_id, {k: v for k, v in record.items() if k != "transcript"},
              file=sys.stderr)
    return {
        "calls": len(started),
        "api_kills": fault.api_kills,
        "ivr_kills": fault.ivr_kills,
        "readings_confirmed": len(confirmed),
        "readings_stored_once": once,
        "readings_stored_twice": doubled,
        "callbacks_confirmed": len(escalations),
        "callbacks_stored_once": esc_once,
        "call_records_closed": closed,
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("mode", nargs="?", default="run", choices=("run", "ivr"))
    parser.add_argument("--calls", type=int, default=None, help="at most this many calls (default: all)")
    parser.add_argument("--url")
    parser.add_argument("--outbox")
    parser.add_argument("--accounts")
    args = parser.parse_args()
    if args.mode == "ivr":
        asyncio.run(ivr_child(args.url, Path(args.outbox), json.loads(args.accounts)))
        return 0
    figures = asyncio.run(conduct(args.calls))
    for name, value in figures.items():
        print(f"{name:>24}: {value}")
    ok = (
        figures["readings_stored_once"] == figures["readings_confirmed"] > 0
        and figures["readings_stored_twice"] == 0
        and figures["callbacks_stored_once"] == figures["callbacks_confirmed"]
        and figures["call_records_closed"] == figures["calls"]
    )
    print("holds: every confirmed reading and request stored once, every call closed" if ok else "FAILS")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
