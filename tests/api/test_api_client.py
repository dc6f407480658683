"""The IVR's ApiClient against the real API in-process, and against no server at all."""

import socket
from decimal import Decimal

import httpx
import pytest

from dialogs.backend import BackendError, Rejected
from ivr.api_client import ApiClient
from tests.api.conftest import IVR_TOKEN, PHONE_A1, A, B


@pytest.fixture
async def api(app, world):
    async with ApiClient("http://api", IVR_TOKEN, transport=httpx.ASGITransport(app=app)) as client:
        yield client


async def test_identify_verify_balance_meters_reading(api, world):
    assert await api.accounts_for_phone("+7 (900) 111-00-11") == [A, B]
    summary = await api.account(A)
    assert summary["territory"] == {"suffix": 7, "name": "Калтан и район"} and "owner_name" not in summary
    assert await api.account("999999999-9") is None
    with pytest.raises(Rejected) as exc:
        await api.balance(A, call_id="c1")
    assert (exc.value.status, exc.value.reason) == (403, "not_verified")

    result = await api.verify(A, call_id="c1", caller="79990000000", last_payment=Decimal("123.45"))
    assert result["verified"] is True and result["method"] == "last_payment"
    balance = await api.balance(A, call_id="c1")
    assert balance["period"] == "2025-10" and balance["closing"] == "185.50"
    assert (await api.balance(A, call_id="c1", period="2025-09"))["closing"] == "150.00"
    meters = await api.meters(A, call_id="c1")
    cold = next(m for m in meters if m["serial"] == "CW-1")
    stored = await api.submit_reading(A, cold["id"], Decimal("104.5"), call_id="c1")
    assert stored["value"] == "104.5" and stored["consumption"] == "4.5"
    with pytest.raises(Rejected) as exc:
        await api.submit_reading(A, cold["id"], Decimal("104.5"), call_id="c1")
    assert exc.value.reason == "duplicate" and exc.value.data["reading"]["id"] == stored["id"]


async def test_reading_rejections_carry_data(api, world):
    await api.start_call("c1", caller=PHONE_A1)  # the number verification trusts is the registered one
    await api.verify(A, call_id="c1", caller=PHONE_A1)
    with pytest.raises(Rejected) as exc:
        await api.submit_reading(A, world.cold_meter, Decimal("50"), call_id="c1")
    assert (exc.value.status, exc.value.reason, exc.value.data["previous"]) == (422, "below_previous", "100")
    with pytest.raises(Rejected) as exc:
        await api.submit_reading(A, world.day_meter, Decimal("50"), call_id="c1")
    assert exc.value.reason == "verification_overdue"


async def test_promotion_territories_and_call_log(api, app):
    promo = await api.promotion()
    assert promo["territories"] == list(range(10)) and len(promo["terms"]) == 8
    await api.start_call("c1", caller=PHONE_A1)
    await api.verify(A, call_id="c1", caller=PHONE_A1)
    assert (await api.promotion_status(A, call_id="c1"))["participating"] is True
    assert len(await api.territories()) == 10

    await api.start_call("c1", caller="89001110011", channel="PJSIP/x")
    await api.update_call("c1", account=A, step="menu")
    await api.add_transcript("c1", "robot", "Здравствуйте")
    esc = await api.escalate(
        "c1", reason="caller_request", account=A, verified=True, summary="просит оператора"
    )
    assert esc["status"] == "open"
    await api.end_call("c1", outcome="escalated")
    with pytest.raises(Rejected) as exc:
        await api.update_call("nope", step="x")
    assert exc.value.reason == "call_not_found"
    from fastapi.testclient import TestClient

    call = TestClient(app).get("/api/v1/calls/c1", headers={"Authorization": "Bearer op-secret"}).json()
    assert (
        call["outcome"] == "escalated"
        and call["account"] == A
        and call["transcript"][0]["text"] == "Здравствуйте"
    )


async def test_no_promotion_is_none(api, clock):
    clock.set_local(2030, 1, 1)
    assert await api.promotion() is None


async def test_bad_token_is_rejected(app):
    async with ApiClient("http://api", "wrong", transport=httpx.ASGITransport(app=app)) as client:
        with pytest.raises(Rejected) as exc:
            await client.territories()
    assert exc.value.status == 401


async def test_unreachable_server_is_backend_error():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again below: nothing listens there
    async with ApiClient(f"http://127.0.0.1:{port}", IVR_TOKEN, timeout=2.0) as client:
        with pytest.raises(BackendError):
            await client.territories()
        with pytest.raises(BackendError):
            await client.start_call("c1", caller=None)


async def test_database_down_is_backend_error(settings, clock):
    from api.app import create_app

    down = create_app("sqlite:////proc/hotline-no-such-dir/x.db", settings, clock=clock)
    async with ApiClient("http://api", IVR_TOKEN, transport=httpx.ASGITransport(app=down)) as client:
        with pytest.raises(BackendError):
            await client.account(A)


async def test_timeout_is_backend_error():
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("too slow", request=request)

    async with ApiClient("http://api", IVR_TOKEN, transport=httpx.MockTransport(slow)) as client:
        with pytest.raises(BackendError):
            await client.promotion()
