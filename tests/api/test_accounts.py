"""Account summary, verification (limits, locks), balance, meters, promotion status, enumeration guard."""

import logging

import pytest

from tests.api.conftest import IVR, OP, PHONE_A1, PHONE_A2, A, B, auth, register_call, verify_by_phone

V1 = "/api/v1"


def _verify(client, account=A, **body):
    """Verify as the IVR does: the call registered first with the caller's number (the one trusted)."""
    body.setdefault("call_id", "call-1")
    if "caller" in body:
        register_call(client, body["call_id"], body["caller"])
    return client.post(f"{V1}/accounts/{account}/verify", headers=IVR, json=body)


# ------------------------------------------------------------ summary


def test_summary_for_ivr_has_no_personal_data(client, world):
    r = client.get(f"{V1}/accounts/{A}", headers=IVR)
    assert r.status_code == 200
    assert r.json() == {
        "account": A,
        "territory": {"suffix": 7, "name": "Калтан и район"},
        "web_registered_on": "2025-10-01",
        "e_receipt": True,
    }


def test_summary_for_operator_has_owner_address_phones(client, world):
    body = client.get(f"{V1}/accounts/{A}", headers=OP).json()
    assert body["owner_name"] == "Иванова Мария Петровна"
    assert body["address"].startswith("г. Калтан")
    assert body["phones"] == [PHONE_A1, PHONE_A2]


@pytest.mark.parametrize(
    "bad",
    ["00111001-7", "0011100111-7", "001110011", "001110011-77", "00111001a-7", "001110011_7", "٠٠١١١٠٠١١-٧"],
)
def test_malformed_account_is_422_everywhere(client, world, bad):
    for method, path in (
        ("get", ""),
        ("get", "/balance"),
        ("get", "/meters"),
        ("post", "/verify"),
        ("get", "/readings"),
        ("get", "/promotion"),
    ):
        kwargs = {"json": {"call_id": "c"}} if method == "post" else {}
        r = getattr(client, method)(
            f"{V1}/accounts/{bad}{path}", headers=OP if path == "/readings" else IVR, **kwargs
        )
        assert r.status_code == 422, (bad, path, r.text)
        assert r.json()["detail"]["reason"] == "invalid_account"


def test_unknown_account_is_404(client, world):
    r = client.get(f"{V1}/accounts/999999999-1", headers=OP)
    assert r.status_code == 404
    assert r.json()["detail"]["reason"] == "account_not_found"


# ------------------------------------------------------------ verification


def test_verify_by_phone_on_file(client, world):
    for spelling in ("+7 900 111-00-12", PHONE_A2):
        body = _verify(client, caller=spelling, call_id=f"c-{spelling}").json()
        assert body["verified"] is True and body["method"] == "phone"
        assert body["locked"] is False and body["attempts_left"] == 3


def test_verify_uses_the_registered_caller_when_the_body_has_none(client, world):
    client.post(f"{V1}/calls", headers=IVR, json={"id": "call-9", "caller": "+7 900 111-00-12"})
    body = _verify(client, call_id="call-9").json()
    assert body["verified"] is True and body["method"] == "phone"


def test_verify_unknown_phone_without_amount_asks_for_payment(client, world):
    body = _verify(client, caller="79995550000").json()
    assert body == {
        "verified": False,
        "method": None,
        "attempts_left": 3,
        "locked": False,
        "locked_until": None,
    }


def test_verify_by_last_payment_amount(client, world):
    # Last payment on file before "today" (2025-11-20): 123.45 on 2025-11-05.
    body = _verify(client, caller="79995550000", last_payment_amount="123.45").json()
    assert body["verified"] is True and body["method"] == "last_payment"
    assert _verify(client, call_id="c2", last_payment_amount="123,45").json()["verified"] is True


def test_wrong_amounts_lock_the_account_and_log(client, world, caplog):
    caplog.set_level(logging.INFO)
    lefts = []
    for i in range(3):
        body = _verify(client, call_id=f"c{i}", last_payment_amount="250.00").json()
        assert body["verified"] is False
        lefts.append(body["attempts_left"])
    assert lefts == [2, 1, 0]
    assert body["locked"] is True and body["locked_until"].startswith("2025-11-20T10:30")
    # Even the right amount is refused while locked, from another call.
    body = _verify(client, call_id="c9", last_payment_amount="123.45").json()
    assert body["verified"] is False and body["locked"] is True
    text = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("api"))
    assert "verification failed" in text and "verification locked" in text
    assert A not in text and "******011-7" in text


def test_lock_expires(client, world, clock):
    for i in range(3):
        _verify(client, call_id=f"c{i}", last_payment_amount="1.00")
    clock.advance(minutes=31)
    body = _verify(client, call_id="c5", last_payment_amount="123.45").json()
    assert body["verified"] is True and body["locked"] is False


def test_caller_number_is_locked_across_accounts(client, world):
    caller = "79995550000"
    _verify(client, A, call_id="x1", caller=caller, last_payment_amount="1.00")
    _verify(client, A, call_id="x2", caller=caller, last_payment_amount="2.00")
    body = _verify(client, B, call_id="x3", caller=caller, last_payment_amount="3.00").json()
    assert body["locked"] is True  # the third failure from one number locks the number
    # The number is locked for every account; another number may still try B.
    assert (
        _verify(client, B, call_id="x4", caller=caller, last_payment_amount="0.00").json()["locked"] is True
    )
    other = _verify(client, B, call_id="x5", caller="79995551111").json()
    assert other["locked"] is False


def test_phone_on_file_verifies_even_when_knowledge_checks_are_locked(client, world):
    for i in range(3):
        _verify(client, call_id=f"c{i}", last_payment_amount="1.00")
    body = _verify(client, call_id="c7", caller=PHONE_A1).json()
    assert body["verified"] is True and body["method"] == "phone"


def test_verify_validation(client, world):
    r = client.post(f"{V1}/accounts/{A}/verify", headers=IVR, json={"caller": PHONE_A1})
    assert r.status_code == 422 and r.json()["detail"]["reason"] == "invalid_request"
    assert "call_id" in r.json()["detail"]["message"]
    r = _verify(client, last_payment_amount="много")
    assert r.status_code == 422 and r.json()["detail"]["reason"] == "invalid_amount"
    r = client.post(f"{V1}/accounts/{A}/verify", headers=IVR, content=b"{not json")
    assert r.status_code == 422


def test_verify_is_for_the_ivr_only(client, world):
    r = client.post(f"{V1}/accounts/{A}/verify", headers=OP, json={"call_id": "c1", "caller": PHONE_A1})
    assert r.status_code == 403 and r.json()["detail"]["reason"] == "ivr_only"


# ------------------------------------------------------------ per-call access


@pytest.mark.parametrize("path", ["/balance", "/meters", "/promotion"])
def test_ivr_needs_a_verified_call(client, world, path):
    r = client.get(f"{V1}/accounts/{A}{path}", headers=IVR)
    assert r.status_code == 403 and r.json()["detail"]["reason"] == "not_verified"
    verify_by_phone(client, call_id="call-1")
    assert client.get(f"{V1}/accounts/{A}{path}", headers=auth("ivr-secret", "call-2")).status_code == 403
    # Verified for A does not open B.
    assert client.get(f"{V1}/accounts/{B}{path}", headers=auth("ivr-secret", "call-1")).status_code == 403
    assert client.get(f"{V1}/accounts/{A}{path}", headers=auth("ivr-secret", "call-1")).status_code == 200
    assert client.get(f"{V1}/accounts/{A}{path}", headers=OP).status_code == 200


# ------------------------------------------------------------ balance


def test_balance_default_is_latest_closed_month(client, world):
    verify_by_phone(client)
    r = client.get(f"{V1}/accounts/{A}/balance", headers=auth("ivr-secret", "call-1"))
    assert r.status_code == 200
    body = r.json()
    # By hand: opening Oct = 100.00 + (200.00 + 150.00) - 300.00 = 150.00;
    # Oct: charged 300.00, recalculation -20.00, penalties 5.50, paid 250.00 → closing 185.50.
    assert body["period"] == "2025-10"
    assert (
        body["opening"],
        body["charged"],
        body["recalculations"],
        body["penalties"],
        body["paid"],
        body["closing"],
    ) == ("150.00", "300.00", "-20.00", "5.50", "250.00", "185.50")
    assert body["last_payment"] == {"date": "2025-11-05", "amount": "123.45", "channel": "онлайн"}
    lines = {line["service"]: line for line in body["lines"]}
    assert lines["waste"]["recalculation"] == "-20.00" and lines["waste"]["service_name"] == "обращение с ТКО"
    assert lines["cold_water"] == {
        "service": "cold_water",
        "service_name": "холодная вода",
        "charged": "100.00",
        "recalculation": "0.00",
        "tariff": "50",
        "quantity": "2",
        "unit": "м³",
    }


def test_balance_of_an_earlier_month(client, world):
    body = client.get(f"{V1}/accounts/{A}/balance?period=2025-09", headers=OP).json()
    # Sep: opening 100.00, charged 350.00, paid 300.00 → closing 150.00 (an overpayment would be negative).
    assert (body["opening"], body["charged"], body["paid"], body["closing"]) == (
        "100.00",
        "350.00",
        "300.00",
        "150.00",
    )


def test_overpayment_is_negative(client, world):
    body = client.get(f"{V1}/accounts/{B}/balance", headers=OP).json()
    assert body["closing"] == "90.00"
    with client.app.state.sessions() as s, s.begin():
        from datetime import date
        from decimal import Decimal

        from api.models import Account, Payment

        b = s.query(Account).filter_by(number="002220022").one()
        s.add(Payment(account_id=b.id, paid_on=date(2025, 10, 3), amount=Decimal("100.00"), channel="почта"))
    assert client.get(f"{V1}/accounts/{B}/balance", headers=OP).json()["closing"] == "-10.00"


@pytest.mark.parametrize(
    "period,status,reason",
    [
        ("2025-13", 422, "invalid_period"),
        ("25-10", 422, "invalid_period"),
        ("2025-1", 422, "invalid_period"),
        ("2024-01", 404, "period_not_found"),
        ("2026-01", 404, "period_not_found"),
    ],
)
def test_balance_period_errors(client, world, period, status, reason):
    r = client.get(f"{V1}/accounts/{A}/balance", params={"period": period}, headers=OP)
    assert r.status_code == status and r.json()["detail"]["reason"] == reason


def test_balance_falls_back_when_latest_closed_month_is_not_loaded(client, world, clock):
    clock.set_local(2026, 1, 10)  # latest closed month December: nothing loaded after October
    assert client.get(f"{V1}/accounts/{A}/balance", headers=OP).json()["period"] == "2025-10"
    clock.set_local(2025, 10, 5)  # latest closed month September
    assert client.get(f"{V1}/accounts/{A}/balance", headers=OP).json()["period"] == "2025-09"


# ------------------------------------------------------------ meters, promotion


def test_meters_with_last_reading(client, world):
    verify_by_phone(client)
    body = client.get(f"{V1}/accounts/{A}/meters", headers=auth("ivr-secret", "call-1")).json()
    assert body["account"] == A
    meters = {m["serial"]: m for m in body["meters"]}
    assert meters["CW-1"]["service"] == "cold_water" and meters["CW-1"]["unit"] == "м³"
    assert meters["CW-1"]["last_reading"]["value"] == "100"
    assert meters["CW-1"]["last_reading"]["source"] == "import"
    assert meters["EL-1"]["last_reading"] is None and meters["EL-1"]["verification_due"] == "2025-01-01"


def test_promotion_status(client, world):
    assert client.get(f"{V1}/accounts/{A}/promotion", headers=OP).json() == {
        "participating": True,
        "reasons": ["territory_included", "registered_during_promotion"],
    }
    body = client.get(f"{V1}/accounts/{B}/promotion", headers=OP).json()
    assert body == {"participating": False, "reasons": ["territory_included", "registered_before_promotion"]}


# ------------------------------------------------------------ enumeration guard


def test_too_many_unknown_accounts_from_one_call_is_429_and_logged(client, world, caplog):
    caplog.set_level(logging.INFO)
    register_call(client, "call-enum")
    register_call(client, "call-other")
    headers = auth("ivr-secret", "call-enum")
    for i in range(5):
        r = client.get(f"{V1}/accounts/99999999{i}-1", headers=headers)
        assert r.status_code == 404
    r = client.get(f"{V1}/accounts/{A}", headers=headers)  # even a real account is refused now
    assert r.status_code == 429 and r.json()["detail"]["reason"] == "too_many_unknown_accounts"
    r = _verify(client, call_id="call-enum", caller=PHONE_A1)
    assert r.status_code == 429
    text = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("api"))
    assert "enumeration guard" in text and "999999990-1" not in text
    # Another call is not affected; operators never are.
    assert client.get(f"{V1}/accounts/{A}", headers=auth("ivr-secret", "call-other")).status_code == 200
    assert client.get(f"{V1}/accounts/{A}", headers=OP).status_code == 200


def test_too_many_unknown_accounts_from_one_caller_across_calls(client, world, clock):
    for i in range(5):
        r = _verify(client, f"88888888{i}-2", call_id=f"call-{i}", caller="+79995550000")
        assert r.status_code == 404
    assert _verify(client, call_id="call-new", caller="89995550000").status_code == 429
    clock.advance(minutes=31)
    assert _verify(client, call_id="call-later", caller="89995550000").status_code == 200


async def test_concurrent_verifications_of_one_call(app, world):
    import asyncio

    import httpx

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as c:
        await c.post(f"{V1}/calls", headers=IVR, json={"id": "c1", "caller": PHONE_A1})
        results = await asyncio.gather(
            *[
                c.post(f"{V1}/accounts/{A}/verify", headers=IVR, json={"call_id": "c1", "caller": PHONE_A1})
                for _ in range(6)
            ]
        )
    assert [r.status_code for r in results] == [200] * 6
    assert all(r.json()["verified"] for r in results)
