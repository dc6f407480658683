"""The account's story on its card: calls with outcome and transcript, escalations and callbacks,
the ownership check's state, and lifting a payment-guess lock with a reason."""

from __future__ import annotations

import re

from sqlalchemy import select

from api.models import VerificationCounter, VerificationLift
from tests.console.conftest import ACCOUNT, IVR, escalate
from tests.console.test_callbacks import request_callback

STRANGER = "79995550000"  # not on file for any account


def _guess(client, call_id: str, amount: str, caller: str = STRANGER) -> dict:
    client.post("/api/v1/calls", headers=IVR, json={"id": call_id, "caller": caller})
    r = client.post(
        f"/api/v1/accounts/{ACCOUNT}/verify",
        headers={**IVR, "X-Call-Id": call_id},
        json={"call_id": call_id, "caller": caller, "last_payment_amount": amount},
    )
    assert r.status_code == 200, r.text
    return r.json()


def _lock(client) -> None:
    for i in range(3):
        state = _guess(client, f"guess-{i}", "1.00")
    assert state["locked"] is True


def _section(html: str, section_id: str) -> str:
    match = re.search(rf'<section id="{section_id}">(.*?)</section>', html, re.S)
    assert match, section_id
    return match.group(1)


def test_the_card_shows_the_accounts_calls_with_outcome_and_transcript(app, anna):
    c = anna.client
    c.post("/api/v1/calls", headers=IVR, json={"id": "named", "caller": STRANGER})
    c.patch("/api/v1/calls/named", headers=IVR, json={"account": ACCOUNT})
    c.post(
        "/api/v1/calls/named/transcript", headers=IVR, json={"speaker": "caller", "text": "какой у меня долг"}
    )
    c.patch("/api/v1/calls/named", headers=IVR, json={"outcome": "completed", "ended": True})
    # her number on file, no account named: still her call
    c.post("/api/v1/calls", headers=IVR, json={"id": "by-number", "caller": "79001110011"})
    c.patch("/api/v1/calls/by-number", headers=IVR, json={"outcome": "hangup", "ended": True})
    c.post("/api/v1/calls", headers=IVR, json={"id": "someone-else", "caller": "79002220022"})
    esc = escalate(c, "her-escalation", reason="recalculation")
    cb = request_callback(c, "her-callback")
    story = _section(c.get(f"/console/accounts/{ACCOUNT}").text, "story")
    calls = story[story.index('id="story-calls"') : story.index('id="story-escalations"')]
    assert 'data-call="named"' in calls and "Решено роботом" in calls
    assert 'data-call="by-number"' in calls and "Абонент положил трубку" in calls
    assert "номер в карточке" in calls and 'data-call="someone-else"' not in calls
    assert 'data-call="her-callback"' in calls and "Заявка на обратный звонок" in calls
    assert 'hx-get="/console/calls/named/panel"' in calls
    assert "какой у меня долг" in c.get("/console/calls/named/panel").text
    escalations = story[story.index('id="story-escalations"') :]
    assert f'data-esc="{esc}"' in escalations and "Перерасчёт, спорное начисление" in escalations
    assert f'data-esc="{cb}"' in escalations and f"/console/callbacks?open={cb}" in escalations
    assert "+7 900 555-00-55" in escalations


def test_the_card_shows_the_lock_and_an_operator_lifts_it_with_a_reason(app, clock, anna):
    c = anna.client
    html = c.get(f"/console/accounts/{ACCOUNT}").text
    assert "блокировки нет" in _section(html, "verification")
    _lock(c)
    card = c.get(f"/console/accounts/{ACCOUNT}").text
    assert re.search(r'id="lock-summary"><a class="warn" href="#verification">заблокирована до', card)
    verification = _section(card, "verification")
    account_state = re.search(r'data-scope="account" data-locked="1">(.*?)</div>', verification, re.S)
    assert account_state and "заблокирована до 20.11.2025 17:30" in account_state.group(1)
    assert "неверных сумм: 3" in account_state.group(1)
    assert 'data-scope="caller" data-locked="1"' in verification and "+7 999 555-00-00" in verification
    assert verification.count("неверно") == 3  # the attempts

    refused = anna.post(f"/console/accounts/{ACCOUNT}/verification/lift", {"scope": "account", "key": "x"})
    assert refused.status_code == 422
    with app.state.sessions() as session:
        account_id = session.scalar(
            select(VerificationCounter.key).where(VerificationCounter.scope == "account")
        )
    no_reason = anna.post(
        f"/console/accounts/{ACCOUNT}/verification/lift",
        {"scope": "account", "key": account_id, "reason": " "},
    )
    assert no_reason.status_code == 422 and "Укажите причину" in no_reason.text
    stranger = anna.post(
        f"/console/accounts/{ACCOUNT}/verification/lift",
        {"scope": "caller", "key": "79001110011", "reason": "владелец"},
    )
    assert stranger.status_code == 422 and "не относится" in stranger.text

    clock.advance(minutes=5)
    reason = "Владелица назвала паспортные данные, номер звонка её"
    r = anna.post(
        f"/console/accounts/{ACCOUNT}/verification/lift",
        {"scope": "account", "key": account_id, "reason": reason},
    )
    assert r.status_code == 200 and "Блокировка снята" in r.text
    assert 'data-scope="account" data-locked="0"' in r.text and reason in r.text
    with app.state.sessions() as session:
        row = session.get(VerificationCounter, ("account", account_id))
        assert (row.failures, row.locked_until) == (0, None)
        kept = session.scalar(select(VerificationLift))
        assert (kept.operator, kept.reason, kept.failures, kept.scope) == ("anna", reason, 3, "account")
        assert kept.at == clock() and kept.locked_until is not None
    # the caller number's own lock is separate: still locked, so its guesses are still refused
    assert _guess(c, "guess-after", "1.00")["locked"] is True
    # from another number the real owner may now try again
    assert _guess(c, "owner-call", "1.00", caller="79007770077")["attempts_left"] == 2
    again = anna.post(
        f"/console/accounts/{ACCOUNT}/verification/lift",
        {"scope": "account", "key": account_id, "reason": "ещё"},
    )
    assert again.status_code == 200  # one failure counted again: may be reset too


def test_lifting_needs_csrf(app, anna):
    r = anna.client.post(
        f"/console/accounts/{ACCOUNT}/verification/lift",
        data={"scope": "account", "key": "1", "reason": "x"},
        headers={"HX-Request": "true"},
    )
    assert r.status_code == 403
