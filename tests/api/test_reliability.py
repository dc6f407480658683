"""Issue 12, written as the attacks: enumeration, payment guessing, forged callers, retries, NUL bytes, logs.

Each test plays what was measured against `hotline api` (on SQLite and PostgreSQL)
and checks that it is now bounded: how many answers an attacker gets, how many
guesses are evaluated, how many rows a retry stores, what reaches the logs.
"""

from __future__ import annotations

import asyncio
import io
import logging
import re
import uuid

import httpx
import pytest
from sqlalchemy import func, select

from api.models import Escalation, TranscriptLine, VerificationAttempt
from tests.api.conftest import IVR, OP, OP2, PHONE_A1, A, auth, register_call

V1 = "/api/v1"
UNKNOWN_LIMIT = 5  # settings.unknown_accounts_limit in conftest
CALL_LIMIT = 10  # Settings.call_lookups_limit default
PER_MINUTE = 60  # Settings.ivr_lookups_per_minute default


def _unknown(i: int) -> str:
    return f"{900000000 + i:09d}-{i % 10}"


def _answered(responses) -> int:
    """Account-existence answers an attacker got (anything but a refusal)."""
    return sum(r.status_code in (200, 404) for r in responses)


# ------------------------------------------------------------ enumeration


def test_enumeration_without_a_call_id_is_bounded(client, world):
    responses = [client.get(f"{V1}/accounts/{_unknown(i)}", headers=IVR) for i in range(40)]
    assert _answered(responses) == UNKNOWN_LIMIT
    assert {r.json()["detail"]["reason"] for r in responses[UNKNOWN_LIMIT:]} == {"too_many_unknown_accounts"}
    # The no-call bucket is shared: a real account is refused too now.
    assert client.get(f"{V1}/accounts/{A}", headers=IVR).status_code == 429


def test_enumeration_with_a_fresh_random_call_id_per_request_is_bounded(client, world):
    responses = [
        client.get(f"{V1}/accounts/{_unknown(i)}", headers=auth("ivr-secret", uuid.uuid4().hex))
        for i in range(40)
    ]
    assert _answered(responses) == UNKNOWN_LIMIT  # unregistered ids count as no call


def test_known_accounts_are_bounded_per_call_too(client, world):
    """Existing accounts are answers as well: a call may ask about CALL_LIMIT subjects at most."""
    with client.app.state.sessions() as s, s.begin():
        from tests.api.conftest import add_account

        for i in range(15):
            add_account(s, f"{700000000 + i:09d}-1")
    register_call(client, "call-x", "79995550000")
    headers = auth("ivr-secret", "call-x")
    codes = [
        client.get(f"{V1}/accounts/{700000000 + i:09d}-1", headers=headers).status_code for i in range(15)
    ]
    assert codes == [200] * CALL_LIMIT + [429] * 5
    # Asking again about an account it was told about is no new answer: still 200.
    assert client.get(f"{V1}/accounts/700000000-1", headers=headers).status_code == 200


def test_registering_a_fresh_call_per_question_meets_the_per_minute_limit(client, world, clock):
    responses = []
    for i in range(PER_MINUTE + 20):
        call_id = f"reg-{i}"
        register_call(client, call_id)
        responses.append(client.get(f"{V1}/accounts/{_unknown(i)}", headers=auth("ivr-secret", call_id)))
    assert _answered(responses) == PER_MINUTE
    assert responses[-1].json()["detail"]["why"] == "ivr_lookups_per_minute"
    clock.advance(minutes=2)
    register_call(client, "later")
    assert client.get(f"{V1}/accounts/{A}", headers=auth("ivr-secret", "later")).status_code == 200


def test_a_flood_of_refused_questions_does_not_use_up_real_calls_limits(client, world):
    """Refused questions give nothing away and do not count towards the per-minute limit."""
    responses = [client.get(f"{V1}/accounts/{_unknown(i)}", headers=IVR) for i in range(PER_MINUTE + 40)]
    assert _answered(responses) == UNKNOWN_LIMIT
    register_call(client, "real", PHONE_A1)
    assert (
        client.get(f"{V1}/phones/{PHONE_A1}/accounts", headers=auth("ivr-secret", "real")).status_code == 200
    )
    assert client.get(f"{V1}/accounts/{A}", headers=auth("ivr-secret", "real")).status_code == 200


def test_phone_lookups_are_guarded_and_the_callers_own_number_still_works(client, world):
    responses = [client.get(f"{V1}/phones/7999{i:07d}/accounts", headers=IVR) for i in range(40)]
    assert _answered(responses) == CALL_LIMIT
    assert responses[-1].status_code == 429
    # A real call asks for its caller's number without X-Call-Id (as the dialogs do): it is counted
    # against that call, not against the exhausted no-call bucket.
    register_call(client, "real-call", "+7 900 111-00-11")
    r = client.get(f"{V1}/phones/{PHONE_A1}/accounts", headers=IVR)
    assert r.status_code == 200 and r.json()["accounts"] == [A, "002220022-0"]
    assert client.get(f"{V1}/phones/{PHONE_A1}/accounts", headers=OP).status_code == 200  # operators


async def test_forty_parallel_lookups_in_one_call_get_at_most_the_limit(app, world):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as c:
        await c.post(f"{V1}/calls", headers=IVR, json={"id": "burst"})
        responses = await asyncio.gather(
            *[c.get(f"{V1}/accounts/{_unknown(i)}", headers=auth("ivr-secret", "burst")) for i in range(40)]
        )
    assert _answered(responses) <= UNKNOWN_LIMIT
    assert sum(r.status_code == 429 for r in responses) >= 40 - UNKNOWN_LIMIT


# ------------------------------------------------------------ the caller is the registered one


def test_the_caller_in_the_verify_body_is_not_trusted(client, world):
    register_call(client, "forged", "79995550000")  # Asterisk reported another number
    r = client.post(f"{V1}/accounts/{A}/verify", headers=IVR, json={"call_id": "forged", "caller": PHONE_A1})
    assert r.status_code == 200 and r.json()["verified"] is False
    assert client.get(f"{V1}/accounts/{A}/balance", headers=auth("ivr-secret", "forged")).status_code == 403
    # An unregistered call naming a resident's number gets nothing either.
    r = client.post(f"{V1}/accounts/{A}/verify", headers=IVR, json={"call_id": "ghost", "caller": PHONE_A1})
    assert r.json()["verified"] is False
    # The registered number verifies, whatever the body says.
    register_call(client, "real", PHONE_A1)
    r = client.post(
        f"{V1}/accounts/{A}/verify", headers=IVR, json={"call_id": "real", "caller": "79990000000"}
    )
    assert r.json()["verified"] is True and r.json()["method"] == "phone"


# ------------------------------------------------------------ last-payment guessing


async def test_forty_parallel_guesses_evaluate_at_most_the_allowed_number(app, world):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as c:
        for i in range(40):
            await c.post(f"{V1}/calls", headers=IVR, json={"id": f"g{i}"})
        responses = await asyncio.gather(
            *[
                c.post(
                    f"{V1}/accounts/{A}/verify",
                    headers=IVR,
                    json={"call_id": f"g{i}", "last_payment_amount": f"{i + 1}.00"},
                )
                for i in range(40)
            ]
        )
        assert {r.status_code for r in responses} == {200}
        assert not any(r.json()["verified"] for r in responses)
        # The right amount is refused now: the account is locked.
        await c.post(f"{V1}/calls", headers=IVR, json={"id": "late"})
        late = await c.post(
            f"{V1}/accounts/{A}/verify",
            headers=IVR,
            json={"call_id": "late", "last_payment_amount": "123.45"},
        )
    assert late.json()["verified"] is False and late.json()["locked"] is True
    with app.state.sessions() as s:
        evaluated = s.scalar(
            select(func.count())
            .select_from(VerificationAttempt)
            .where(VerificationAttempt.success.is_(False))
        )
    assert evaluated == 3  # HOTLINE_VERIFY_MAX_ATTEMPTS, never more
    assert sum(r.json()["attempts_left"] == 0 for r in responses) >= 38


# ------------------------------------------------------------ idempotency


def test_escalation_retries_store_one_escalation(client):
    register_call(client, "c1")
    body = {"call_id": "c1", "reason": "caller_request", "summary": "просит оператора"}
    first = client.post(f"{V1}/escalations", headers={**IVR, "Idempotency-Key": "k-1"}, json=body)
    again = [
        client.post(f"{V1}/escalations", headers={**IVR, "Idempotency-Key": "k-1"}, json=body)
        for _ in range(3)
    ]
    assert first.status_code == 201 and {r.status_code for r in again} == {200}
    assert {r.json()["id"] for r in again} == {first.json()["id"]}
    assert again[0].headers["Idempotent-Replayed"] == "true"
    # The key may come in the body instead (an outbox replaying a stored body).
    in_body = client.post(f"{V1}/escalations", headers=IVR, json={**body, "idempotency_key": "k-1"})
    assert in_body.json()["id"] == first.json()["id"]
    assert len(client.get(f"{V1}/escalations", headers=OP).json()) == 1
    # Another escalation under the same key is a conflict, not silently the old one.
    r = client.post(
        f"{V1}/escalations", headers={**IVR, "Idempotency-Key": "k-1"}, json={**body, "reason": "no_input"}
    )
    assert r.status_code == 409 and r.json()["detail"]["reason"] == "idempotency_conflict"
    r = client.post(
        f"{V1}/escalations",
        headers={**IVR, "Idempotency-Key": "k-2"},
        json={**body, "idempotency_key": "k-3"},
    )
    assert r.status_code == 422
    r = client.post(f"{V1}/escalations", headers={**IVR, "Idempotency-Key": "bad key!"}, json=body)
    assert r.status_code == 422


def test_transcript_retries_store_one_line(client):
    register_call(client, "c1")
    for _ in range(5):
        r = client.post(
            f"{V1}/calls/c1/transcript",
            headers={**IVR, "Idempotency-Key": "line-1"},
            json={"speaker": "robot", "text": "Здравствуйте!"},
        )
        assert r.status_code in (200, 201)
    client.post(f"{V1}/calls/c1/transcript", headers=IVR, json={"speaker": "caller", "text": "баланс"})
    lines = client.get(f"{V1}/calls/c1", headers=OP).json()["transcript"]
    assert [(t["speaker"], t["text"]) for t in lines] == [("robot", "Здравствуйте!"), ("caller", "баланс")]


def test_a_retried_update_never_undoes_a_later_one(client, clock):
    register_call(client, "c1")
    menu = {**IVR, "Idempotency-Key": "upd-menu"}
    assert client.patch(f"{V1}/calls/c1", headers=menu, json={"step": "menu"}).json()["step"] == "menu"
    client.patch(f"{V1}/calls/c1", headers={**IVR, "Idempotency-Key": "upd-bal"}, json={"step": "balance"})
    r = client.patch(f"{V1}/calls/c1", headers=menu, json={"step": "menu"})  # the late retry
    assert r.status_code == 200 and r.json()["step"] == "balance"
    end = {**IVR, "Idempotency-Key": "end"}
    ended = client.patch(f"{V1}/calls/c1", headers=end, json={"ended": True, "outcome": "completed"}).json()
    clock.advance(minutes=1)
    again = client.patch(f"{V1}/calls/c1", headers=end, json={"ended": True, "outcome": "completed"}).json()
    assert again["ended_at"] == ended["ended_at"]
    r = client.post(f"{V1}/calls", headers={**IVR, "Idempotency-Key": "start"}, json={"id": "c2"})
    assert r.status_code == 201
    r = client.post(f"{V1}/calls", headers={**IVR, "Idempotency-Key": "start"}, json={"id": "c2"})
    assert r.status_code == 200 and r.headers["Idempotent-Replayed"] == "true"


async def test_concurrent_retries_of_one_key_store_one_row(app):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as c:
        await c.post(f"{V1}/calls", headers=IVR, json={"id": "c1"})
        esc = [
            c.post(
                f"{V1}/escalations",
                headers={**IVR, "Idempotency-Key": "same"},
                json={"call_id": "c1", "reason": "caller_request"},
            )
            for _ in range(6)
        ]
        lines = [
            c.post(
                f"{V1}/calls/c1/transcript",
                headers={**IVR, "Idempotency-Key": "same"},
                json={"speaker": "robot", "text": "Алло"},
            )
            for _ in range(6)
        ]
        results = await asyncio.gather(*esc, *lines)
    assert all(r.status_code in (200, 201) for r in results), [r.text for r in results]
    with app.state.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Escalation)) == 1
        assert s.scalar(select(func.count()).select_from(TranscriptLine)) == 1


async def test_the_ivr_client_retries_a_lost_answer_with_the_same_key(app):
    """The API stored the write but the answer was lost: the client's retry must not store it again."""
    from ivr.api_client import ApiClient

    inner = httpx.ASGITransport(app=app)
    keys: list[str | None] = []

    class LosesFirstAnswers(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            response = await inner.handle_async_request(request)
            if request.method != "GET":
                keys.append(request.headers.get("Idempotency-Key"))
                if len(keys) % 2 == 1:  # every first try of a write: stored, then the answer is lost
                    await response.aread()
                    raise httpx.ReadTimeout("answer lost", request=request)
            return response

    async with ApiClient("http://api", "ivr-secret", transport=LosesFirstAnswers(), retry_delay=0) as client:
        await client.start_call("c1", caller=PHONE_A1)
        await client.add_transcript("c1", "robot", "Здравствуйте!")
        await client.add_transcript("c1", "robot", "Здравствуйте!")  # said twice: two lines
        esc = await client.escalate("c1", reason="caller_request", account=A, verified=False)
        await client.end_call("c1", outcome="operator")
    assert len(keys) == 10 and all(keys)
    assert keys[0::2] == keys[1::2]  # each retry reused its write's key
    assert len(set(keys[0::2])) == 5  # and each logical write had its own
    with app.state.sessions() as s:
        assert s.scalar(select(func.count()).select_from(TranscriptLine)) == 2
        assert s.scalar(select(func.count()).select_from(Escalation)) == 1
        assert s.get(Escalation, esc["id"]) is not None


# ------------------------------------------------------------ escalation ownership


def test_escalations_belong_to_the_operator_who_took_them(client):
    register_call(client, "c1")
    esc = client.post(f"{V1}/escalations", headers=IVR, json={"call_id": "c1", "reason": "r"}).json()["id"]
    url = f"{V1}/escalations/{esc}"
    r = client.patch(url, headers=OP2, json={"note": "до взятия"})
    assert r.status_code == 409 and r.json()["detail"]["reason"] == "not_taken"
    client.patch(url, headers=OP, json={"status": "taken"})
    assert client.patch(url, headers=OP, json={"note": "моя заметка"}).status_code == 200
    for change in ({"note": "чужая"}, {"outcome": "чужой итог"}, {"status": "closed", "outcome": "x"}):
        r = client.patch(url, headers=OP2, json=change)
        assert r.status_code == 403 and r.json()["detail"]["reason"] == "not_yours", change
    r = client.patch(url, headers=OP, json={"status": "closed", "outcome": "решено"})
    assert r.status_code == 200
    # Closed: read-only, for its own operator too.
    for who in (OP, OP2):
        r = client.patch(url, headers=who, json={"note": "переписать"})
        assert r.status_code == 409 and r.json()["detail"]["reason"] == "already_closed"
        r = client.patch(url, headers=who, json={"status": "closed", "outcome": "другой итог"})
        assert r.status_code in (403, 409)
    body = client.get(url, headers=OP).json()
    assert (body["note"], body["outcome"], body["operator"]) == ("моя заметка", "решено", "anna")
    # The same close again (a double click) is no error.
    assert client.patch(url, headers=OP, json={"status": "closed"}).status_code == 200


# ------------------------------------------------------------ control characters


@pytest.mark.parametrize(
    "method,path,kwargs",
    [
        ("post", "/calls", {"json": {"id": "a\x00b"}}),
        ("post", "/calls", {"json": {"id": "c1", "caller": "7900\x001110011"}}),
        ("patch", "/calls/a%00b", {"json": {"step": "menu"}}),
        ("patch", "/calls/c1", {"json": {"step": "me\x00nu"}}),
        ("post", "/calls/c1/transcript", {"json": {"speaker": "robot", "text": "при\x00вет"}}),
        ("post", "/calls/c1/transcript", {"json": {"speaker": "robot", "text": "\x1b[31mred"}}),
        ("post", "/calls/a%00/transcript", {"json": {"speaker": "robot", "text": "x"}}),
        ("post", "/escalations", {"json": {"call_id": "c\x00", "reason": "r"}}),
        ("post", "/escalations", {"json": {"call_id": "c1", "reason": "r", "summary": "a\x00b"}}),
        ("post", f"/accounts/{A}/verify", {"json": {"call_id": "c\x001"}}),
        ("get", f"/accounts/{A}", {"headers": {"X-Call-Id": "c\x01d"}}),
        ("get", "/phones/7900%001110011/accounts", {}),
        ("get", "/calls?active=tr%00ue", {}),
    ],
)
def test_control_characters_are_422_not_500(client, method, path, kwargs):
    register_call(client, "c1")
    kwargs = dict(kwargs)  # the parameters are shared by the SQLite and PostgreSQL runs: never mutate them
    headers = {**(OP if path.startswith("/calls?") else IVR), **kwargs.pop("headers", {})}
    r = getattr(client, method)(f"{V1}{path}", headers=headers, **kwargs)
    assert r.status_code == 422, r.text
    assert r.json()["detail"]["reason"] == "invalid_request"


def test_line_breaks_in_free_text_are_fine(client):
    register_call(client, "c1")
    r = client.post(
        f"{V1}/calls/c1/transcript", headers=IVR, json={"speaker": "caller", "text": "да\nнет\tда"}
    )
    assert r.status_code == 201


# ------------------------------------------------------------ logs


FULL_NUMBERS = re.compile(r"001110011|0011100117|79001110011|9001110011|900 111|111-00-11|%2B7900|1110011")


def test_logs_never_show_a_whole_account_or_phone(app, client, world, caplog):
    """Every spelling seen in the attack's logs, through our loggers and a non-propagating one."""
    from api.logmask import install

    install()
    caplog.set_level(logging.DEBUG)
    own = io.StringIO()
    noprop = logging.getLogger("test.uvicorn.access")  # like uvicorn's: own handler, no propagation
    noprop.propagate = False
    handler = logging.StreamHandler(own)
    handler.setFormatter(logging.Formatter("%(message)s"))
    noprop.addHandler(handler)
    try:
        register_call(client, "c1", PHONE_A1)
        client.get(f"{V1}/accounts/{A}", headers=auth("ivr-secret", "c1"))
        client.get(f"{V1}/accounts/999999999-1", headers=auth("ivr-secret", "c1"))
        client.post(f"{V1}/accounts/{A}/verify", headers=IVR, json={"call_id": "c1", "caller": "79995550000"})
        for path in (
            "/console/accounts/0011100117",
            "/console/accounts/001110011%207",
            f"{V1}/phones/79001110011/accounts",
            f"{V1}/phones/%2B7%20900%20111-00-11/accounts",
        ):
            noprop.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5", "GET", path, "1.1", 200)
        logging.getLogger("api").error(
            "database unavailable on GET /api/v1/accounts/001110011-7/balance: "
            "(psycopg.OperationalError) "
            "[parameters: {'number_1': '001110011', 'phone': '+7 (900) 111-00-11'}]"
        )
        try:
            raise RuntimeError("account 001110011-7 phone 8 900 111 00 11")
        except RuntimeError:
            logging.getLogger("api").exception("unexpected")
        logging.getLogger("api").info("phone as a number %d", 79001110011)
    finally:
        noprop.removeHandler(handler)
    text = caplog.text + "\n".join(r.getMessage() for r in caplog.records) + own.getvalue()
    assert "database unavailable" in text and "unexpected" in text and "******011-7" in text
    assert not FULL_NUMBERS.search(text), FULL_NUMBERS.search(text)


# ------------------------------------------------------------ migration


def test_migration_0003_carries_running_locks_over(tmp_path):
    """Upgrading from 0002 keeps a lock in force: a guesser does not get fresh attempts from an upgrade."""
    from datetime import datetime

    from alembic import command
    from sqlalchemy import text

    from api.db import alembic_config, make_engine, upgrade
    from api.models import VerificationCounter

    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url)
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0002_console")
        conn.execute(
            text(
                "INSERT INTO verification_locks (scope, key, locked_at, locked_until) "
                "VALUES ('caller', '79995550000', '2025-11-20 10:00:00', '2025-11-20 10:30:00')"
            )
        )
    upgrade(url)
    from sqlalchemy.orm import Session

    with Session(engine) as s:
        row = s.get(VerificationCounter, ("caller", "79995550000"))
        assert row is not None and row.locked_until.replace(tzinfo=None) == datetime(2025, 11, 20, 10, 30)
    with engine.connect() as conn:
        heads = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    assert len(heads) == 1
    engine.dispose()
