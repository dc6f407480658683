"""Load on `hotline api` (issue 13): the balance path's req/s, p50/p99, CPU per request, and a burst.

    .venv/bin/python -m bench.api_load [--seconds 10] [--connections 1,8,64] [--burst 64] [--no-pg]
                                       [--workers N] [--rate 1000]

Starts `hotline api` on 127.0.0.1 over a temporary SQLite database filled with the
demo data (and, when PostgreSQL 15 is installed or `HOTLINE_TEST_PG` names a server,
once more over a throwaway PostgreSQL database), registers a call from a demo
account's number, verifies it, then drives `GET /api/v1/accounts/{account}/balance`
with `X-Call-Id` — what the IVR asks (`ivr/api_client.py` `balance`) — with `wrk`
(Debian: `apt-get install -y wrk`) for each number of open connections, twice: with the
answers kept in memory as `hotline api` runs (`api.balance_cache`), and with every answer
computed (HOTLINE_BALANCE_RECHECK_SECONDS=0: the first balance of an account), and once
more paced to `--rate` requests a second (wrk's delay(): p99 below saturation). Printed per
run: requests per second, p50/p99 latency as wrk saw it, and the server's CPU
seconds per request (from /proc), so "requests per core-second" is measured even on
a busy machine, and how long the server's event loop was ready to run but waited for a
CPU (ms per second of the run, /proc/PID/schedstat). The burst sends N requests at once
on N connections (the pool deadlock of issue 13: 0 answers for 20 s, then 500s) and prints
what came back.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx

from bench.attack_api import DEMO_ACCOUNT, DEMO_PHONE, HERE, _hotline, api_server

IVR_TOKEN = "bench-ivr-token"
CALL_ID = "bench-call-1"
PG_BIN = Path("/usr/lib/postgresql/15/bin")


def _server_pid(url: str) -> int | None:
    """The pid listening on the url's port (the uvicorn process), from /proc/net/tcp."""
    port = int(url.rsplit(":", 1)[1])
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(table) as f:
            for line in f.readlines()[1:]:
                parts = line.split()
                if int(parts[1].rsplit(":", 1)[1], 16) == port and parts[3] == "0A":
                    inodes.add(parts[9])
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        with contextlib.suppress(OSError):
            for fd in os.listdir(f"/proc/{pid}/fd"):
                link = os.readlink(f"/proc/{pid}/fd/{fd}")
                if link.startswith("socket:[") and link[8:-1] in inodes:
                    return int(pid)
    return None


def _stat(pid: int | str) -> list[str]:
    """/proc/PID/stat's fields after the command name (state, ppid, ...)."""
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()


def _server_root(pid: int) -> int:
    """The `hotline api` process above a listening worker (itself with one process)."""
    parent = int(_stat(pid)[1])
    with contextlib.suppress(OSError), open(f"/proc/{parent}/cmdline", "rb") as f:
        if b"ivr.cli\0api" in f.read():
            return parent
    return pid


def _family(root: int) -> list[str]:
    """The process and its children (`--workers N`: all the workers)."""
    found = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            with contextlib.suppress(OSError):
                if int(pid) == root or int(_stat(pid)[1]) == root:
                    found.append(pid)
    return found


def _cpu_seconds(root: int) -> float:
    """User + system CPU so far of a process and its children."""
    total = 0
    for pid in _family(root):
        with contextlib.suppress(OSError):
            fields = _stat(pid)
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def _cpu_waited(root: int) -> float:
    """Seconds the main threads (the event loops) of a process and its children were ready to run
    but waited for a CPU (/proc/PID/schedstat): on a shared machine, what the tail latency is made of."""
    total = 0
    for pid in _family(root):
        with contextlib.suppress(OSError), open(f"/proc/{pid}/schedstat") as f:
            total += int(f.read().split()[1])
    return total / 1e9


def _found(pattern: str, text: str) -> str:
    """The first group of `pattern` in wrk's output (which always prints these lines)."""
    match = re.search(pattern, text)
    if match is None:
        raise SystemExit(f"wrk printed no {pattern!r}:\n{text}")
    return match.group(1)


def _ms(text: str) -> float:
    """wrk's "350.32us", "1.52ms", "1.50s" → milliseconds."""
    for unit, scale in (("us", 0.001), ("ms", 1.0), ("s", 1000.0)):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * scale
    raise SystemExit(f"not a wrk duration: {text}")


def wrk(
    url: str, connections: int, seconds: int, headers: dict[str, str], pause_ms: int = 0
) -> dict[str, float]:
    """One wrk run (one thread: the machine has 2 cores and the server needs one).

    `pause_ms`: each connection waits so long before each request (wrk's `delay()`), so N
    connections ask at most N × 1000 / pause_ms a second: latency at a set rate, not at saturation.
    """
    args = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(f"function delay() return {pause_ms} end\n")
        script.flush()
        if pause_ms:
            args += ["-s", script.name]
        out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    found = {
        "rps": float(_found(r"Requests/sec:\s+([0-9.]+)", out)),
        "p50": _ms(_found(r"\s50%\s+(\S+)", out)),
        "p99": _ms(_found(r"\s99%\s+(\S+)", out)),
        "requests": int(_found(r"(\d+) requests in", out)),
        "non2xx": 0,
    }
    if m := re.search(r"Non-2xx or 3xx responses: (\d+)", out):
        found["non2xx"] = int(m.group(1))
    return found


async def burst(url: str, n: int, headers: dict[str, str]) -> tuple[Counter, float, float]:
    """N requests at once on N connections: (statuses, first answer s, last answer s)."""
    limits = httpx.Limits(max_connections=n, max_keepalive_connections=n)
    async with httpx.AsyncClient(headers=headers, timeout=60, limits=limits) as client:
        started = time.monotonic()
        times: list[float] = []

        async def one() -> int:
            try:
                status = (await client.get(url)).status_code
            except httpx.HTTPError:
                status = 0
            times.append(time.monotonic() - started)
            return status

        statuses = Counter(await asyncio.gather(*(one() for _ in range(n))))
    return statuses, min(times), max(times)


def prepare(base: str, headers: dict[str, str]) -> str:
    """Register and verify a call from the demo account's number; the balance URL to load."""
    with httpx.Client(base_url=f"{base}/api/v1", headers=headers, timeout=10) as c:
        c.post("/calls", json={"id": CALL_ID, "caller": DEMO_PHONE}).raise_for_status()
        r = c.post(f"/accounts/{DEMO_ACCOUNT}/verify", json={"call_id": CALL_ID})
        r.raise_for_status()
        assert r.json()["verified"], r.text
        url = f"{base}/api/v1/accounts/{DEMO_ACCOUNT}/balance"
        c.get(url, headers={"X-Call-Id": CALL_ID}).raise_for_status()
    return url


# What is measured: answers repeated from memory (api.balance_fast_lane) while the data has not
# changed, and every answer computed by the route (the version read on every request, so the
# fast lane never answers): the first balance of an account, or every one after a write.
SCENARIOS: tuple[tuple[str, dict[str, str]], ...] = (
    ("answers kept", {}),
    ("every answer computed (HOTLINE_BALANCE_RECHECK_SECONDS=0)", {"HOTLINE_BALANCE_RECHECK_SECONDS": "0"}),
)


def run(label: str, env: dict[str, str], args: argparse.Namespace) -> None:
    _hotline(env, "demo-data")
    for scenario, extra in SCENARIOS:
        measure(f"{label}, {scenario}", {**env, **extra}, args)


def measure(label: str, env: dict[str, str], args: argparse.Namespace) -> None:
    with api_server(env, "--workers", str(args.workers)) as base:
        headers = {"Authorization": f"Bearer {IVR_TOKEN}"}
        url = prepare(base, headers)
        headers["X-Call-Id"] = CALL_ID
        listening = _server_pid(base)
        pid = _server_root(listening) if listening else None
        wrk(url, 4, 2, headers)  # warm-up
        print(
            f"{label}: GET balance with X-Call-Id, {args.seconds} s per run (wrk, 1 thread), "
            f"{args.workers} API process(es), load average {os.getloadavg()[0]:.2f}"
        )
        print(
            f"  {'connections':>11} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'CPU ms/req':>10} "
            f"{'req per CPU-s':>13} {'non-2xx':>7} {'waited for a CPU':>16}"
        )
        runs = [(str(c), c, 0) for c in args.connections]
        if args.rate:  # 10 connections, each pausing 10,000 / rate ms before a request
            runs.append((f"10 at ≤{args.rate}/s", 10, max(1, round(10_000 / args.rate))))
        for shown, connections, pause_ms in runs:
            cpu = _cpu_seconds(pid) if pid else 0.0
            waited = _cpu_waited(pid) if pid else 0.0
            r = wrk(url, connections, args.seconds, headers, pause_ms)
            per_req = (_cpu_seconds(pid) - cpu) / r["requests"] * 1000 if pid and r["requests"] else 0.0
            waited = (_cpu_waited(pid) - waited) / args.seconds * 1000 if pid else 0.0
            print(
                f"  {shown:>11} {r['rps']:>8.0f} {r['p50']:>8.2f} {r['p99']:>8.2f} {per_req:>10.2f} "
                f"{1000 / per_req if per_req else 0:>13.0f} {r['non2xx']:>7d} {waited:>11.0f} ms/s"
            )
        statuses, first, last = asyncio.run(burst(url, args.burst, headers))
        shown = ", ".join(f"{code or 'no answer'}: {count}" for code, count in sorted(statuses.items()))
        print(f"  burst of {args.burst} at once: {shown}; first answer {first:.2f} s, last {last:.2f} s")
        print(f"  load average after: {os.getloadavg()[0]:.2f}")


@contextlib.contextmanager
def postgres_url() -> Iterator[str | None]:
    """A throwaway PostgreSQL database: HOTLINE_TEST_PG's server, or a cluster of Debian's postgresql-15."""
    server = os.environ.get("HOTLINE_TEST_PG")
    cluster = None
    if not server:
        if not (PG_BIN / "initdb").exists():
            yield None
            return
        from tests.api.conftest import PgCluster  # the tests' throwaway cluster, one home

        cluster = PgCluster()
        server = cluster.start()
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"hotline_bench_{os.getpid()}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
        if cluster is not None:
            cluster.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10, help="length of each wrk run")
    parser.add_argument(
        "--connections",
        type=lambda s: [int(x) for x in s.split(",")],
        default=[1, 8, 64],
        help="open connections per run, comma-separated",
    )
    parser.add_argument("--burst", type=int, default=64, help="requests sent at once at the end")
    parser.add_argument("--no-pg", action="store_true", help="SQLite only")
    parser.add_argument("--workers", type=int, default=1, help="hotline api --workers N (default 1)")
    parser.add_argument(
        "--rate",
        type=int,
        default=1000,
        help="one more run paced to at most this many requests a second (latency below saturation; 0: none)",
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is not installed: apt-get install -y wrk", file=sys.stderr)
        return 2
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} (shared)")
    with tempfile.TemporaryDirectory(prefix="hotline-load-") as tmp:
        env = {
            **os.environ,
            "HOTLINE_DATA_DIR": tmp,
            "HOTLINE_DATABASE_URL": f"sqlite:///{tmp}/hotline.db",
            "HOTLINE_IVR_TOKEN": IVR_TOKEN,
            "PYTHONPATH": str(HERE),
        }
        run("SQLite", env, args)
        if not args.no_pg:
            with postgres_url() as pg:
                if pg is None:
                    print("PostgreSQL: not installed here (set HOTLINE_TEST_PG to a server to measure it)")
                else:
                    run("PostgreSQL", {**env, "HOTLINE_DATABASE_URL": pg}, args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
