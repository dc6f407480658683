"""Calls, transcripts and escalations: what the IVR writes and the operator console reads."""

import pytest

from tests.api.conftest import IVR, OP, OP2, A

V1 = "/api/v1"


def _start(client, call_id="call-1", caller="+7 900 111-00-11"):
    return client.post(
        f"{V1}/calls", headers=IVR, json={"id": call_id, "caller": caller, "channel": "PJSIP/1"}
    )


def test_start_call_is_idempotent(client, clock):
    r = _start(client)
    assert r.status_code == 201
    assert r.json()["caller"] == "79001110011" and r.json()["active"] is True
    clock.advance(minutes=1)
    again = _start(client)
    assert again.status_code == 201 and again.json()["started_at"] == r.json()["started_at"]
    assert len(client.get(f"{V1}/calls", headers=OP).json()) == 1


def test_update_and_end_call(client, clock):
    _start(client)
    r = client.patch(f"{V1}/calls/call-1", headers=IVR, json={"account": A, "step": "balance"})
    assert r.status_code == 200 and (r.json()["account"], r.json()["step"]) == (A, "balance")
    assert [c["id"] for c in client.get(f"{V1}/calls?active=true", headers=OP).json()] == ["call-1"]
    clock.advance(minutes=2)
    r = client.patch(f"{V1}/calls/call-1", headers=IVR, json={"ended": True, "outcome": "served"})
    assert r.json()["active"] is False and r.json()["outcome"] == "served" and r.json()["step"] == "balance"
    assert client.get(f"{V1}/calls?active=true", headers=OP).json() == []
    assert [c["id"] for c in client.get(f"{V1}/calls?active=false", headers=OP).json()] == ["call-1"]


def test_call_errors(client):
    assert client.patch(f"{V1}/calls/nope", headers=IVR, json={"step": "x"}).json()["detail"]["reason"] == (
        "call_not_found"
    )
    _start(client)
    r = client.patch(f"{V1}/calls/call-1", headers=IVR, json={"account": "123"})
    assert r.status_code == 422 and r.json()["detail"]["reason"] == "invalid_account"
    r = client.patch(f"{V1}/calls/call-1", headers=IVR, json={"colour": "red"})
    assert r.status_code == 422 and r.json()["detail"]["reason"] == "invalid_request"
    r = client.post(f"{V1}/calls", headers=IVR, json={"id": "", "caller": None})
    assert r.status_code == 422
    r = client.post(f"{V1}/calls", headers=IVR, json={"id": "x" * 65})
    assert r.status_code == 422


def test_transcript(client):
    _start(client)
    assert (
        client.post(
            f"{V1}/calls/call-1/transcript", headers=IVR, json={"speaker": "robot", "text": "Здравствуйте!"}
        ).status_code
        == 201
    )
    client.post(f"{V1}/calls/call-1/transcript", headers=IVR, json={"speaker": "caller", "text": "баланс"})
    body = client.get(f"{V1}/calls/call-1", headers=OP).json()
    assert [(t["speaker"], t["text"]) for t in body["transcript"]] == [
        ("robot", "Здравствуйте!"),
        ("caller", "баланс"),
    ]
    bad = client.post(f"{V1}/calls/call-1/transcript", headers=IVR, json={"speaker": "alien", "text": "x"})
    assert bad.status_code == 422
    assert (
        client.post(
            f"{V1}/calls/call-1/transcript", headers=IVR, json={"speaker": "robot", "text": ""}
        ).status_code
        == 422
    )
    assert (
        client.post(
            f"{V1}/calls/none/transcript", headers=IVR, json={"speaker": "robot", "text": "x"}
        ).status_code
        == 404
    )


@pytest.mark.parametrize(
    "method,path",
    [
        ("get", "/calls"),
        ("get", "/calls/call-1"),
        ("get", "/escalations"),
        ("get", "/escalations/1"),
        ("patch", "/escalations/1"),
    ],
)
def test_operator_endpoints_refuse_the_ivr(client, method, path):
    kwargs = {"json": {"status": "taken"}} if method == "patch" else {}
    r = getattr(client, method)(f"{V1}{path}", headers=IVR, **kwargs)
    assert r.status_code == 403 and r.json()["detail"]["reason"] == "operator_only"


@pytest.mark.parametrize(
    "method,path,body",
    [
        ("post", "/calls", {"id": "c"}),
        ("patch", "/calls/c", {"step": "x"}),
        ("post", "/calls/c/transcript", {"speaker": "robot", "text": "x"}),
        ("post", "/escalations", {"call_id": "c", "reason": "x"}),
    ],
)
def test_ivr_endpoints_refuse_operators(client, method, path, body):
    r = getattr(client, method)(f"{V1}{path}", headers=OP, json=body)
    assert r.status_code == 403 and r.json()["detail"]["reason"] == "ivr_only"


def _escalate(client, call_id="call-1", **extra):
    body = {
        "call_id": call_id,
        "reason": "caller_request",
        "account": A,
        "verified": True,
        "summary": "Спрашивает про перерасчёт",
        **extra,
    }
    return client.post(f"{V1}/escalations", headers=IVR, json=body)


def test_escalation_with_context(client):
    _start(client)
    client.post(f"{V1}/calls/call-1/transcript", headers=IVR, json={"speaker": "caller", "text": "оператор"})
    r = _escalate(client)
    assert r.status_code == 201
    esc = r.json()
    assert (
        esc["status"] == "open"
        and esc["account"] == A
        and esc["verified"] is True
        and esc["operator"] is None
    )
    assert [e["id"] for e in client.get(f"{V1}/escalations?status=open", headers=OP).json()] == [esc["id"]]
    one = client.get(f"{V1}/escalations/{esc['id']}", headers=OP).json()
    assert one["call"]["transcript"][0]["text"] == "оператор" and one["call"]["caller"] == "79001110011"


def test_escalation_of_an_unregistered_call_is_kept(client):
    r = _escalate(client, call_id="never-started")
    assert r.status_code == 201
    assert client.get(f"{V1}/calls/never-started", headers=OP).status_code == 200


def test_escalation_validation(client):
    assert _escalate(client, account="1-1").json()["detail"]["reason"] == "invalid_account"
    assert client.post(f"{V1}/escalations", headers=IVR, json={"call_id": "c"}).status_code == 422
    assert client.get(f"{V1}/escalations?status=lost", headers=OP).status_code == 422
    assert client.get(f"{V1}/escalations/0", headers=OP).status_code == 422
    assert (
        client.get(f"{V1}/escalations/999", headers=OP).json()["detail"]["reason"] == "escalation_not_found"
    )


def test_taking_is_exclusive_and_closing(client):
    _start(client)
    esc_id = _escalate(client).json()["id"]
    url = f"{V1}/escalations/{esc_id}"
    r = client.patch(url, headers=OP, json={"status": "taken"})
    assert r.status_code == 200 and r.json()["operator"] == "anna" and r.json()["status"] == "taken"
    assert client.patch(url, headers=OP, json={"status": "taken"}).status_code == 200  # same operator again
    r = client.patch(url, headers=OP2, json={"status": "taken"})
    assert r.status_code == 409 and r.json()["detail"]["reason"] == "already_taken"
    assert r.json()["detail"]["operator"] == "anna"
    r = client.patch(url, headers=OP2, json={"status": "closed"})  # anna's: boris may not close it
    assert r.status_code == 403 and r.json()["detail"]["reason"] == "not_yours"
    r = client.patch(url, headers=OP, json={"status": "closed", "note": "объяснила", "outcome": "resolved"})
    assert r.json()["status"] == "closed" and r.json()["note"] == "объяснила" and r.json()["closed_at"]
    assert (
        client.patch(url, headers=OP2, json={"status": "taken"}).json()["detail"]["reason"]
        == "already_closed"
    )
    assert client.get(f"{V1}/escalations?status=open", headers=OP).json() == []
    assert client.patch(url, headers=OP, json={"status": "lost"}).status_code == 422


async def test_concurrent_takes_have_one_winner(app):
    import asyncio

    import httpx

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as c:
        esc = (await c.post(f"{V1}/escalations", headers=IVR, json={"call_id": "c", "reason": "r"})).json()
        heads = [OP, OP2] * 3
        results = await asyncio.gather(
            *[c.patch(f"{V1}/escalations/{esc['id']}", headers=h, json={"status": "taken"}) for h in heads]
        )
    winners = {r.json()["operator"] for r in results if r.status_code == 200}
    assert len(winners) == 1
    assert all(r.json()["detail"]["reason"] == "already_taken" for r in results if r.status_code != 200)


async def test_concurrent_registrations_of_one_call_store_it_once(app):
    import asyncio

    import httpx

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as c:
        results = await asyncio.gather(
            *[
                c.post(f"{V1}/calls", headers=IVR, json={"id": "same", "caller": "89001110011"})
                for _ in range(6)
            ]
        )
        assert {r.status_code for r in results} == {201}
        assert len((await c.get(f"{V1}/calls", headers=OP)).json()) == 1
