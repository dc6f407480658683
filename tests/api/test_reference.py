"""Territories and offices, phone look-up, the current promotion, and bearer auth."""

from api.reference import OFFICES, PROMOTION_TOPICS
from tests.api.conftest import IVR, OP, PHONE_A1, PHONE_A2, A, B, auth

V1 = "/api/v1"


def test_no_token_is_401(client):
    r = client.get(f"{V1}/territories")
    assert r.status_code == 401
    assert r.json()["detail"]["reason"] == "unauthorized"
    assert r.headers["www-authenticate"] == "Bearer"


def test_wrong_token_and_wrong_scheme_are_401(client):
    assert client.get(f"{V1}/territories", headers=auth("nope")).status_code == 401
    assert client.get(f"{V1}/territories", headers={"Authorization": "Basic abc"}).status_code == 401


def test_territories_have_ten_suffixes_with_offices(client):
    r = client.get(f"{V1}/territories", headers=IVR)
    assert r.status_code == 200
    body = r.json()
    assert [t["suffix"] for t in body] == list(range(10))
    by_suffix = {t["suffix"]: t for t in body}
    assert by_suffix[7]["name"] == "Калтан и район"
    assert by_suffix[0]["name"] == "Новокузнецк и район"
    assert by_suffix[9]["name"] == "Шерегеш"
    # Offices that serve groups of suffixes (seed 000, 3.3.4).
    assert by_suffix[7]["office"] == by_suffix[6]["office"]
    assert "Осинники" in by_suffix[7]["office"]["address"]
    assert by_suffix[3]["office"] == by_suffix[2]["office"]
    assert "Киселевск" in by_suffix[3]["office"]["address"]
    assert by_suffix[9]["office"] == by_suffix[8]["office"]
    assert "Таштагол" in by_suffix[9]["office"]["address"]
    assert len({t["office"]["address"] for t in body}) == len(OFFICES) == 7


def test_office_hours_are_structured(client):
    body = {t["suffix"]: t for t in client.get(f"{V1}/territories", headers=IVR).json()}
    assert body[0]["office"]["hours"] == [
        {"days": ["mon", "tue", "thu", "fri"], "open": "08:30", "close": "17:00", "break": ["12:00", "13:00"]}
    ]
    assert body[1]["office"]["hours"][0]["break"] is None  # Прокопьевск: без обеда
    myski = body[4]["office"]["hours"]
    assert [h["days"] for h in myski] == [["mon", "tue", "thu"], ["fri"]]
    assert myski[1]["close"] == "16:00"
    assert body[2]["office"]["hours"][0]["break"] == ["12:30", "13:30"]


def test_phone_lookup_normalises_spellings(client, world):
    for spelling in ("+7 900 111-00-11", "89001110011", "9001110011", "8 (900) 111-00-11"):
        r = client.get(f"{V1}/phones/{spelling}/accounts", headers=IVR)
        assert r.status_code == 200, spelling
        assert r.json() == {"phone": PHONE_A1, "accounts": [A, B]}
    assert client.get(f"{V1}/phones/{PHONE_A2}/accounts", headers=IVR).json()["accounts"] == [A]


def test_unknown_phone_has_no_accounts_and_bad_phone_is_422(client, world):
    assert client.get(f"{V1}/phones/79990000000/accounts", headers=IVR).json()["accounts"] == []
    r = client.get(f"{V1}/phones/12345/accounts", headers=IVR)
    assert r.status_code == 422
    assert r.json()["detail"]["reason"] == "invalid_phone"


def test_current_promotion_with_terms(client, world):
    r = client.get(f"{V1}/promotions/current", headers=IVR)
    assert r.status_code == 200
    body = r.json()
    assert body["name"] == "Хорошая привычка – твой Личный кабинет!"
    assert (body["starts_on"], body["ends_on"]) == ("2025-09-01", "2025-12-31")
    assert body["territories"] == list(range(10))
    assert "10 000" in body["prize"]
    assert [t["topic"] for t in body["terms"]] == list(PROMOTION_TOPICS)
    assert all(t["question"] and t["answer"] for t in body["terms"])
    period = next(t for t in body["terms"] if t["topic"] == "period")
    assert "1 сентября 2025" in period["answer"] and "31 декабря 2025" in period["answer"]


def test_no_promotion_is_404(client, world, clock):
    clock.set_local(2026, 2, 1)
    r = client.get(f"{V1}/promotions/current", headers=OP)
    assert r.status_code == 404
    assert r.json()["detail"]["reason"] == "no_promotion"


def test_unknown_route_is_json_404(client):
    r = client.get(f"{V1}/nothing-here", headers=IVR)
    assert r.status_code == 404
    assert r.json()["detail"]["reason"] == "not_found"


def test_openapi_lists_every_contract_endpoint(client):
    paths = client.get("/openapi.json").json()["paths"]
    expected = {
        "/api/v1/territories": {"get"},
        "/api/v1/phones/{number}/accounts": {"get"},
        "/api/v1/accounts/{account}": {"get"},
        "/api/v1/accounts/{account}/verify": {"post"},
        "/api/v1/accounts/{account}/balance": {"get"},
        "/api/v1/accounts/{account}/meters": {"get"},
        "/api/v1/accounts/{account}/meters/{meter_id}/readings": {"post"},
        "/api/v1/accounts/{account}/readings": {"get"},
        "/api/v1/promotions/current": {"get"},
        "/api/v1/accounts/{account}/promotion": {"get"},
        "/api/v1/calls": {"get", "post"},
        "/api/v1/calls/{call_id}": {"get", "patch"},
        "/api/v1/calls/{call_id}/transcript": {"post"},
        "/api/v1/escalations": {"get", "post"},
        "/api/v1/escalations/{esc_id}": {"get", "patch"},
    }
    for path, methods in expected.items():
        assert set(paths[path]) == methods, path
