"""A bounded loopback attack on `hotline api` (issue 12): prints what an attacker gets now.

    python -m bench.attack_api [--seconds 10] [--registry-rows 6000]

Starts `hotline api` on 127.0.0.1 (a free port) over a temporary SQLite database
filled with the demo data, runs each attack for at most `--seconds` (and a fixed
number of requests), stops the server and deletes the database. Nothing leaves
the machine. The attacks, as measured before the fixes (README, Reliability):

1. 40 parallel guesses of one account's last payment;
2. account enumeration with the IVR token: no X-Call-Id, a fresh random call id per
   request, a freshly registered call per request; `/phones/{n}/accounts`;
3. console login guesses (one name, many names), and the IVR's latency meanwhile —
   also with the login limits lifted, so every guess reaches bcrypt;
4. a big registry import while an operator stores readings (SQLite's write lock).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import re
import secrets
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from telephony.sandbox import free_port

HERE = Path(__file__).resolve().parent.parent
DEMO_ACCOUNT, DEMO_PHONE = "001110011-7", "79001110011"


def _hotline(env: dict[str, str], *args: str, stdin: str | None = None) -> None:
    subprocess.run(
        [sys.executable, "-m", "ivr.cli", *args],
        env=env,
        cwd=HERE,
        input=stdin,
        text=True,
        check=True,
        capture_output=True,
    )


@contextlib.contextmanager
def api_server(env: dict[str, str], *args: str) -> Iterator[str]:
    """`hotline api [args]` on a free loopback port; stopped (and waited for) on exit."""
    port = free_port()
    log = open(Path(env["HOTLINE_DATA_DIR"]) / f"api-{port}.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "ivr.cli", "api", "--port", str(port), *args],
        env={**env, "HOTLINE_LOG_LEVEL": "WARNING"},
        cwd=HERE,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"hotline api did not start (see {log.name})")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def _bounded(seconds: float, limit: int, step: Callable[[int], int]) -> tuple[int, int, float]:
    """Call step(i) until `limit` calls or `seconds`; (answers, refusals, elapsed)."""
    answered = refused = 0
    started = time.monotonic()
    for i in range(limit):
        if time.monotonic() - started > seconds:
            break
        status = step(i)
        if status == 429:
            refused += 1
        elif status < 500:
            answered += 1
    return answered, refused, time.monotonic() - started


def _report(name: str, bound: str, answered: int, refused: int, elapsed: float) -> None:
    print(
        f"  {name:<38} {answered:4d} answered, {refused:5d} refused (429) in {elapsed:4.1f} s; bound: {bound}"
    )


def _random_account() -> str:
    return f"{random.randrange(10**9):09d}-{random.randrange(10)}"


def enumeration(url: str, ivr: dict[str, str], seconds: float) -> None:
    print("2. enumeration with the IVR token")
    with httpx.Client(base_url=f"{url}/api/v1", headers=ivr, timeout=10) as c:
        _report(
            "no X-Call-Id",
            "5 unknown / 10 in all per 30 min",
            *_bounded(seconds, 5000, lambda i: c.get(f"/accounts/{_random_account()}").status_code),
        )
        _report(
            "a fresh random call id per request",
            "the same no-call bucket",
            *_bounded(
                seconds,
                5000,
                lambda i: (
                    c.get(
                        f"/accounts/{_random_account()}", headers={"X-Call-Id": uuid.uuid4().hex}
                    ).status_code
                ),
            ),
        )

        def registered(i: int) -> int:
            call = uuid.uuid4().hex
            c.post("/calls", json={"id": call})
            return c.get(f"/accounts/{_random_account()}", headers={"X-Call-Id": call}).status_code

        _report("a freshly registered call per request", "60 a minute", *_bounded(seconds, 5000, registered))
        _report(
            "/phones/{n}/accounts, no X-Call-Id",
            "10 per 30 min",
            *_bounded(
                seconds,
                5000,
                lambda i: c.get(f"/phones/79{random.randrange(10**9):09d}/accounts").status_code,
            ),
        )


def guessing(url: str, ivr: dict[str, str], db: Path) -> None:
    print("1. 40 parallel guesses of one account's last payment")
    account = "002220022-0"
    with httpx.Client(base_url=f"{url}/api/v1", headers=ivr, timeout=30) as c:
        calls = [f"guess-{i}" for i in range(40)]
        for call in calls:
            c.post("/calls", json={"id": call})

        def guess(i: int) -> dict:
            body = {"call_id": calls[i], "last_payment_amount": f"{i + 1}.01"}
            return c.post(f"/accounts/{account}/verify", json=body).json()

        with ThreadPoolExecutor(40) as pool:
            answers = list(pool.map(guess, range(40)))
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        evaluated = conn.execute(
            "SELECT count(*) FROM verification_attempts a JOIN accounts ac ON ac.id = a.account_id "
            "WHERE ac.number = ? AND a.success = 0",
            (account[:9],),
        ).fetchone()[0]
    locked = sum(a.get("locked", False) for a in answers)
    print(f"  guesses evaluated: {evaluated} of 40 (limit 3); answers saying 'locked': {locked}")


def _login_form(c: httpx.Client) -> str:
    page = c.get("/console/login")
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def _ivr_latency(url: str, ivr: dict[str, str], stop: threading.Event, out: list[float]) -> None:
    with httpx.Client(base_url=f"{url}/api/v1", headers=ivr, timeout=30) as c:
        while not stop.is_set():
            started = time.perf_counter()
            c.get("/territories")
            out.append((time.perf_counter() - started) * 1000)
            time.sleep(0.05)


def logins(url: str, ivr: dict[str, str], seconds: float, label: str) -> None:
    """Parallel wrong-password logins for `seconds`, while the IVR's reads are timed."""
    latencies: list[float] = []
    stop = threading.Event()
    watcher = threading.Thread(target=_ivr_latency, args=(url, ivr, stop, latencies))
    quiet: list[float] = []
    _ivr_latency_for(url, ivr, 1.0, quiet)
    watcher.start()
    counts: dict[int, int] = {}
    lock = threading.Lock()
    started = time.monotonic()

    def attacker(n: int) -> None:
        with httpx.Client(base_url=url, timeout=30) as c:
            i = 0
            while time.monotonic() - started < seconds:
                token = _login_form(c)
                name = "bench" if n % 2 == 0 else f"user{n}-{i}"
                r = c.post(
                    "/console/login", data={"name": name, "password": f"guess{i}", "csrf_token": token}
                )
                with lock:
                    counts[r.status_code] = counts.get(r.status_code, 0) + 1
                i += 1

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(attacker, range(8)))
    elapsed = time.monotonic() - started
    stop.set()
    watcher.join()
    evaluated = counts.get(401, 0)
    print(
        f"  {label}: {sum(counts.values())} attempts in {elapsed:.1f} s, password checked {evaluated}, "
        f"refused 429: {counts.get(429, 0)}, busy 503: {counts.get(503, 0)}"
    )
    if latencies:
        print(
            f"    IVR read latency: quiet median {statistics.median(quiet):.0f} ms; during the logins "
            f"median {statistics.median(latencies):.0f} ms, max {max(latencies):.0f} ms "
            f"({len(latencies)} reads)"
        )


def _ivr_latency_for(url: str, ivr: dict[str, str], seconds: float, out: list[float]) -> None:
    stop = threading.Event()
    t = threading.Thread(target=_ivr_latency, args=(url, ivr, stop, out))
    t.start()
    time.sleep(seconds)
    stop.set()
    t.join()


def import_while_reading(url: str, env: dict[str, str], op: dict[str, str], rows: int, tmp: Path) -> None:
    print(f"4. registry import of {rows} rows while an operator stores readings (SQLite)")
    path = tmp / "big-registry.csv"
    lines = [
        "kind;account;owner_name;address;period;service;charged",
    ]
    for i in range(rows // 2):
        account = f"{600000000 + i:09d}-{i % 10}"
        lines.append(f"account;{account};Абонент {i};ул. Новая, {i};;;")
        lines.append(f"charge;{account};;;2025-10;waste;{100 + i % 50},00")
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    with httpx.Client(base_url=f"{url}/api/v1", headers=op, timeout=60) as c:
        meters = c.get(f"/accounts/{DEMO_ACCOUNT}/meters").json()["meters"]
        meter = meters[0]
        value = float(meter["last_reading"]["value"]) if meter["last_reading"] else 0.0
        done = threading.Event()
        outcome: dict[str, float] = {}

        def run_import() -> None:
            started = time.monotonic()
            _hotline(env, "import-registry", str(path))
            outcome["import_s"] = time.monotonic() - started
            done.set()

        importer = threading.Thread(target=run_import)
        importer.start()
        codes: dict[int, int] = {}
        latencies = []
        while not done.is_set():
            value += 0.001
            started = time.perf_counter()
            r = c.post(
                f"/accounts/{DEMO_ACCOUNT}/meters/{meter['id']}/readings", json={"value": f"{value:.3f}"}
            )
            latencies.append((time.perf_counter() - started) * 1000)
            codes[r.status_code] = codes.get(r.status_code, 0) + 1
            time.sleep(0.05)
        importer.join()
    failed = sum(n for code, n in codes.items() if code >= 500)
    print(
        f"  import took {outcome['import_s']:.1f} s; readings meanwhile: {sum(codes.values())}, "
        f"stored {codes.get(201, 0)}, failed (5xx) {failed}, other {codes}; "
        f"latency median {statistics.median(latencies):.0f} ms, max {max(latencies):.0f} ms"
    )


def main(argv: list[str] | None = None) -> int:
    """Run every attack once, bounded, and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="longest time per attack (default 10)")
    parser.add_argument("--registry-rows", type=int, default=6000, help="rows of the big registry import")
    args = parser.parse_args(argv)
    random.seed(12)
    with tempfile.TemporaryDirectory(prefix="hotline-attack-") as tmp_name:
        tmp = Path(tmp_name)
        db = tmp / "hotline.db"
        ivr_token, op_token, password = (
            secrets.token_urlsafe(16),
            secrets.token_urlsafe(16),
            "bench-password-1",
        )
        env = {
            **os.environ,
            "HOTLINE_DATA_DIR": str(tmp),
            "HOTLINE_DATABASE_URL": f"sqlite:///{db}",
            "HOTLINE_IVR_TOKEN": ivr_token,
            "HOTLINE_OPERATOR_TOKENS": f"bench-op:{op_token}",
            "HOTLINE_READINGS_WINDOW_START": "1",
            "HOTLINE_READINGS_WINDOW_END": "31",
            "PYTHONPATH": str(HERE),
        }
        _hotline(env, "demo-data")
        _hotline(env, "operators", "add", "bench", "--password-stdin", stdin=password + "\n")
        ivr = {"Authorization": f"Bearer {ivr_token}"}
        op = {"Authorization": f"Bearer {op_token}"}
        print(f"hotline api on 127.0.0.1, SQLite in {tmp}, each attack ≤ {args.seconds:g} s")
        with api_server(env) as url:
            guessing(url, ivr, db)  # first: the enumeration below uses up this minute's look-ups
            enumeration(url, ivr, args.seconds)
            print("3. console login guesses (8 parallel clients, half for one name, half new names)")
            logins(url, ivr, args.seconds, "limits as configured (per 15 min: 5 a name, 20 an address)")
        lifted = {
            **env,
            "HOTLINE_CONSOLE_LOGIN_FAILURES_PER_NAME": "1000000",
            "HOTLINE_CONSOLE_LOGIN_FAILURES_PER_ADDRESS": "1000000",
        }
        with api_server(lifted) as url:
            logins(url, ivr, args.seconds, "limits lifted (every guess reaches bcrypt, cost 12)")
            import_while_reading(url, env, op, args.registry_rows, tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
