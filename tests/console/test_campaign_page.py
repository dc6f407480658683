"""The debt reminder campaign page: today's calls by band and outcome, the chart, the promises
to pay and the «already paid» claims the operators check — as the dialer and the reminder
dialog leave them (contacts written through the IVR's endpoint)."""

from __future__ import annotations

from api import campaigns
from tests.console.conftest import IVR

DEBTOR, PHONE = "002220022-0", "79002220022"  # the demo's debtor: 10,000–50,000 ₽


def _contact(app, clock) -> int:
    with app.state.sessions.begin() as session:
        contact = campaigns.start_contact(session, DEBTOR, PHONE, clock())
    return contact


def test_the_days_calls_by_band_the_promises_and_the_payments_to_check(app, clock, anna):
    c = anna.client
    busy = _contact(app, clock)
    promised = _contact(app, clock)
    paid = _contact(app, clock)
    with app.state.sessions.begin() as session:
        campaigns.finish_contact(session, busy, "busy", clock())
    r = c.post(f"/api/v1/debt-contacts/{promised}/outcome", headers=IVR,
               json={"outcome": "promised", "promised_on": "2025-11-28"})
    assert r.status_code == 200, r.text
    assert r.json()["outcome"] == "promised" and r.json()["opted_out"] is False
    r = c.post(f"/api/v1/debt-contacts/{paid}/outcome", headers=IVR, json={"outcome": "paid"})
    assert r.status_code == 200
    page = c.get("/console/campaign")
    assert page.status_code == 200
    html = page.text
    assert 'id="fig-debt-calls">3<' in html and 'id="fig-promises">1<' in html and 'id="fig-paid">1<' in html
    assert "10 000–50 000 ₽" in html  # the debtor's band
    assert "обещал оплатить" in html and "занято" in html and "<svg" in html
    assert "28.11.2025" in html and DEBTOR in html


def test_the_outcome_endpoint_is_the_ivrs_and_a_promise_needs_its_day(app, clock, anna):
    contact = _contact(app, clock)
    c = anna.client
    r = c.post(f"/api/v1/debt-contacts/{contact}/outcome", json={"outcome": "paid"})  # no IVR token
    assert r.status_code in (401, 403)
    r = c.post(f"/api/v1/debt-contacts/{contact}/outcome", headers=IVR, json={"outcome": "promised"})
    assert r.status_code == 422 and r.json()["detail"]["reason"] == "promise_without_date"
    r = c.post("/api/v1/debt-contacts/999999/outcome", headers=IVR, json={"outcome": "paid"})
    assert r.status_code == 404
    r = c.post(f"/api/v1/debt-contacts/{contact}/outcome", headers=IVR, json={"outcome": "refused"})
    assert r.status_code == 200 and r.json()["opted_out"] is True


def test_an_empty_day_says_so(anna):
    html = anna.client.get("/console/campaign").text
    assert "Сегодня звонков должникам не было" in html and "Обещаний нет" in html


def test_the_calls_page_links_to_the_campaign(anna):
    assert 'href="/console/campaign"' in anna.client.get("/console/calls").text
