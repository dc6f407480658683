"""Console logins under attack (issue 12): bursts of guesses are throttled per name and per address,
and bcrypt runs in its own bounded pool, never on the event loop that serves the IVR."""

from __future__ import annotations

import asyncio
import threading
import time
import warnings

import httpx
from fastapi.testclient import TestClient

from api.console import auth
from tests.console.conftest import PASSWORD, hidden_token, submit_login

PER_NAME, PER_ADDRESS = 5, 20  # Settings defaults


def _client(app, address: str) -> TestClient:
    """A browser at `address` (what request.client.host will say)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return TestClient(app, client=(address, 40000))


def _counting(monkeypatch) -> list[str]:
    """Record each password check (and the thread it ran on) while still checking it for real."""
    seen: list[str] = []
    real = auth.password_matches

    def counted(password: str, hashed: str) -> bool:
        seen.append(threading.current_thread().name)
        return real(password, hashed)

    monkeypatch.setattr(auth, "password_matches", counted)
    return seen


def test_a_burst_of_guesses_for_one_name_is_throttled(app, monkeypatch):
    checked = _counting(monkeypatch)
    client = _client(app, "10.0.0.1")
    codes = [submit_login(client, "anna", f"guess-{i}").status_code for i in range(30)]
    assert codes == [401] * PER_NAME + [429] * (30 - PER_NAME)
    assert len(checked) == PER_NAME  # refused attempts never reach bcrypt
    r = submit_login(client, "anna", PASSWORD)  # even the right password waits out the window
    assert r.status_code == 429 and "Слишком много попыток входа" in r.text
    assert int(r.headers["Retry-After"]) > 0
    # Another operator from another address is not held up by it.
    assert submit_login(_client(app, "10.0.0.2"), "boris", PASSWORD).status_code == 303


def test_many_names_from_one_address_are_throttled(app, monkeypatch):
    checked = _counting(monkeypatch)
    client = _client(app, "10.0.0.3")
    codes = [submit_login(client, f"user{i}", "guess").status_code for i in range(40)]
    assert codes.count(401) == PER_ADDRESS and codes.count(429) == 40 - PER_ADDRESS
    assert len(checked) == PER_ADDRESS
    assert submit_login(_client(app, "10.0.0.4"), "anna", PASSWORD).status_code == 303


def test_an_operators_own_typos_do_not_pile_up_across_logins(app):
    for _round in range(3):  # 3 × (4 typos + the right password): 12 wrong in all, never refused
        client = _client(app, "10.0.0.5")  # a new browser each time (a logged-in one skips the form)
        assert [submit_login(client, "anna", "typo").status_code for _ in range(4)] == [401] * 4
        assert submit_login(client, "anna", PASSWORD).status_code == 303


async def test_bcrypt_runs_in_a_small_pool_off_the_event_loop(app, monkeypatch):
    running, peak, threads = 0, 0, set()
    lock = threading.Lock()

    def slow_check(password: str, hashed: str) -> bool:  # a bcrypt check taking 0.2 s of a thread
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
            threads.add(threading.current_thread().name)
        time.sleep(0.2)
        with lock:
            running -= 1
        return False

    monkeypatch.setattr(auth, "password_matches", slow_check)
    transport = httpx.ASGITransport(app=app)
    forms = []
    for i in range(12):  # twelve browsers, each with its login form's cookie and token
        c = httpx.AsyncClient(transport=transport, base_url="http://testserver")
        page = await c.get("/console/login")
        forms.append((c, {"name": f"op{i}", "password": "x", "csrf_token": hidden_token(page.text)}))

    async def healthz_latency() -> float:
        await asyncio.sleep(0.1)  # while the checks run
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            started = time.perf_counter()
            await c.get("/healthz")
            return time.perf_counter() - started

    results = await asyncio.gather(
        *[c.post("/console/login", data=data) for c, data in forms], healthz_latency()
    )
    *logins, latency = results
    for c, _ in forms:
        await c.aclose()
    codes = sorted(r.status_code for r in logins)
    assert codes == [401] * 10 + [503] * 2  # 2 checking + 8 waiting; the rest told at once
    assert "Сервер занят" in next(r.text for r in logins if r.status_code == 503)
    assert peak <= 2 and threads and all(name.startswith("console-bcrypt") for name in threads)
    assert latency < 0.5  # 10 checks × 0.2 s / 2 threads = 1 s of checking; the API kept answering
