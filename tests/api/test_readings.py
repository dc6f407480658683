"""Meter readings: every validation rule, idempotency per call (also under concurrent requests), history."""

import asyncio
from datetime import date

import httpx
import pytest

from api.readings import MAX_MONTHLY_USE, Window, months_between
from tests.api.conftest import IVR, OP, A, B, auth, verify_by_phone

V1 = "/api/v1"
CALL = auth("ivr-secret", "call-1")


def _post(client, meter, value, headers=CALL, **body):
    return client.post(
        f"{V1}/accounts/{A}/meters/{meter}/readings", headers=headers, json={"value": value, **body}
    )


@pytest.fixture
def verified(client, world):
    verify_by_phone(client, call_id="call-1")
    return world


def test_reading_is_stored_with_consumption(client, verified):
    r = _post(client, verified.cold_meter, "112.5", call_id="call-1")
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["value"], body["previous"], body["consumption"]) == ("112.5", "100", "12.5")
    assert body["source"] == "ivr" and body["call_id"] == "call-1" and body["meter_id"] == verified.cold_meter
    assert body["taken_at"].startswith("2025-11-20T10:00")
    meters = client.get(f"{V1}/accounts/{A}/meters", headers=CALL).json()["meters"]
    assert next(m for m in meters if m["id"] == verified.cold_meter)["last_reading"]["value"] == "112.5"


def test_call_id_defaults_to_the_header(client, verified):
    body = _post(client, verified.cold_meter, "101").json()
    assert body["call_id"] == "call-1"


def test_same_call_and_meter_is_409_with_the_stored_reading(client, verified):
    first = _post(client, verified.cold_meter, "110", call_id="call-1").json()
    r = _post(client, verified.cold_meter, "111", call_id="call-1")
    assert r.status_code == 409
    detail = r.json()["detail"]
    assert detail["reason"] == "duplicate" and detail["reading"]["id"] == first["id"]
    assert detail["reading"]["value"] == "110"
    history = client.get(f"{V1}/accounts/{A}/readings", headers=OP).json()["readings"]
    assert [h["value"] for h in history if h["source"] == "ivr"] == ["110"]


async def test_concurrent_identical_posts_store_once(app, verified):
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as c:
        url = f"{V1}/accounts/{A}/meters/{verified.cold_meter}/readings"
        results = await asyncio.gather(
            *[c.post(url, headers=CALL, json={"value": "105", "call_id": "call-1"}) for _ in range(8)]
        )
        statuses = sorted(r.status_code for r in results)
        assert statuses == [201] + [409] * 7, [r.text for r in results]
        history = (await c.get(f"{V1}/accounts/{A}/readings", headers=OP)).json()["readings"]
    assert len([h for h in history if h["call_id"] == "call-1"]) == 1


def test_below_previous(client, verified):
    r = _post(client, verified.cold_meter, "99.9")
    assert r.status_code == 422
    assert r.json()["detail"]["reason"] == "below_previous" and r.json()["detail"]["previous"] == "100"


def test_equal_to_previous_is_accepted(client, verified):
    assert _post(client, verified.cold_meter, "100").json()["consumption"] == "0"


def test_implausible_use_scales_with_months(client, verified, clock):
    # Previous reading 2025-10-20, now 2025-11-20: one month allowed.
    limit = MAX_MONTHLY_USE["cold_water"]
    r = _post(client, verified.cold_meter, str(100 + limit + 1))
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert detail["reason"] == "implausible_use"
    assert detail["previous"] == "100" and detail["max_expected"] == str(100 + limit)
    # Three months later the same value is plausible.
    clock.set_local(2026, 1, 20)
    verify_by_phone(client, call_id="call-2")
    assert (
        _post(
            client, verified.cold_meter, str(100 + limit + 1), headers=auth("ivr-secret", "call-2")
        ).status_code
        == 201
    )


def test_outside_window(client, verified, clock):
    clock.set_local(2025, 11, 26)
    r = _post(client, verified.cold_meter, "101")
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert detail["reason"] == "outside_window"
    assert detail["window"] == {"start": "2025-12-15", "end": "2025-12-25"}
    clock.set_local(2025, 11, 3)
    assert _post(client, verified.cold_meter, "101").json()["detail"]["window"] == {
        "start": "2025-11-15",
        "end": "2025-11-25",
    }


def test_window_edges_are_inclusive(client, verified, clock):
    clock.set_local(2025, 11, 15, hour=0)
    assert _post(client, verified.cold_meter, "101", call_id="call-1").status_code == 201
    clock.set_local(2025, 11, 25, hour=23)
    verify_by_phone(client, call_id="call-3")
    assert _post(client, verified.cold_meter, "102", headers=auth("ivr-secret", "call-3")).status_code == 201


def test_verification_overdue(client, verified):
    r = _post(client, verified.day_meter, "5000")
    assert r.status_code == 422
    assert r.json()["detail"] | {} == {
        **r.json()["detail"],
        "reason": "verification_overdue",
        "verification_due": "2025-01-01",
    }


@pytest.mark.parametrize("value", ["abc", "-1", "1.2345", "", "1e5", "NaN", None, True, [1]])
def test_invalid_value(client, verified, value):
    r = _post(client, verified.cold_meter, value)
    assert r.status_code == 422
    assert r.json()["detail"]["reason"] in ("invalid_value", "invalid_request")


def test_numbers_and_russian_commas_are_accepted(client, verified):
    assert _post(client, verified.cold_meter, 101.5, call_id="call-1").json()["value"] == "101.5"
    verify_by_phone(client, call_id="call-2")
    assert (
        _post(client, verified.cold_meter, "102,25", headers=auth("ivr-secret", "call-2")).json()["value"]
        == "102.25"
    )


def test_unknown_meter_or_meter_of_another_account(client, verified):
    for meter in (verified.b_meter, 99999):
        r = _post(client, meter, "1")
        assert r.status_code == 404 and r.json()["detail"]["reason"] == "meter_not_found"
    assert _post(client, 10**20, "1").status_code == 422


def test_ivr_needs_verification_and_cannot_claim_operator(client, world):
    assert _post(client, world.cold_meter, "101", headers=IVR).json()["detail"]["reason"] == "not_verified"
    verify_by_phone(client, call_id="call-1")
    r = _post(client, world.cold_meter, "101", source="operator")
    assert r.status_code == 422 and r.json()["detail"]["reason"] == "invalid_source"
    r = _post(client, world.cold_meter, "101", call_id="call-other")
    assert r.status_code == 422 and r.json()["detail"]["reason"] == "call_id_mismatch"


def test_operator_reading_and_history(client, world):
    r = _post(client, world.cold_meter, "107", headers=OP)
    assert r.status_code == 201 and r.json()["source"] == "operator" and r.json()["call_id"] is None
    history = client.get(f"{V1}/accounts/{A}/readings", headers=OP).json()
    assert [(h["value"], h["source"]) for h in history["readings"]] == [
        ("107", "operator"),
        ("100", "import"),
    ]
    assert history["readings"][0]["operator"] == "anna" and history["readings"][0]["consumption"] == "7"


def test_readings_history_is_operator_only(client, world):
    r = client.get(f"{V1}/accounts/{A}/readings", headers=CALL)
    assert r.status_code == 403 and r.json()["detail"]["reason"] == "operator_only"
    assert client.get(f"{V1}/accounts/{B}/readings", headers=OP).json()["readings"] == []


def test_window_rolls_to_next_month_and_handles_short_months():
    w = Window(15, 31)
    assert w.around(date(2026, 2, 10)) == (date(2026, 2, 15), date(2026, 2, 28))
    assert w.contains(date(2026, 2, 28))
    assert Window(15, 25).around(date(2025, 12, 26)) == (date(2026, 1, 15), date(2026, 1, 25))


def test_months_between_counts_calendar_months():
    assert months_between(date(2025, 10, 20), date(2025, 10, 25)) == 1
    assert months_between(date(2025, 10, 20), date(2025, 11, 20)) == 1
    assert months_between(date(2025, 10, 31), date(2026, 1, 15)) == 3
