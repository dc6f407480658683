"""The console's AMI link against recorded Asterisk conversations (no root): a caller who hangs up in
the operators' queue is marked at once and becomes a callback request; «Позвонить» places the
callback through Asterisk and notes how it went."""

from __future__ import annotations

import re
import time

import pytest
from sqlalchemy import select

from api.console.phone import PhoneSettings, parse_endpoints
from api.models import Escalation
from ivr.console_phone import attach_console_phone
from tests.console.conftest import escalate
from tests.console.test_callbacks import end_call, request_callback
from tests.telephony.fake_ami import ThreadedFakeAmi, load

QUEUED_CALL = "6f1c2b9e-3d4a-4b5c-8e7f-0a1b2c3d4e5f"  # HOTLINE_ID in queue_abandon.ami (waited 3 s)


def _phone(fake, **overrides) -> PhoneSettings:
    values = {"secret": "x", "port": fake.port, "default_endpoint": "PJSIP/operator"}
    return PhoneSettings(**{**values, **overrides})


def _until(app, check, timeout: float = 5.0):
    deadline = time.monotonic() + timeout
    while True:
        with app.state.sessions() as session:
            found = check(session)
            if found or time.monotonic() > deadline:
                return found
        time.sleep(0.05)


def _escalations(session, call_id: str) -> list[Escalation]:
    query = select(Escalation).where(Escalation.call_id == call_id).order_by(Escalation.id)
    return list(session.scalars(query))


def test_settings_come_from_the_environment_and_are_off_without_a_secret():
    assert PhoneSettings.from_env({}) is None
    settings = PhoneSettings.from_env(
        {
            "HOTLINE_CONSOLE_AMI_SECRET": "s",
            "HOTLINE_CONSOLE_AMI_PORT": "15038",
            "HOTLINE_CONSOLE_OPERATOR_ENDPOINTS": "anna:PJSIP/anna, boris:SIP/boris",
            "HOTLINE_CONSOLE_CALLBACK_AFTER_SECONDS": "90",
        }
    )
    assert settings is not None and settings.port == 15038 and settings.user == "console"
    assert settings.endpoint_for("anna") == "PJSIP/anna"
    assert settings.endpoint_for("vera") == "PJSIP/operator"  # the default endpoint
    assert settings.callback_after_seconds == 90
    assert parse_endpoints("junk, :x, y:") == {}


@pytest.mark.parametrize(("limit", "becomes_callback"), [(3, True), (60, False)])
def test_a_caller_who_hangs_up_in_the_queue_is_marked_at_once(app, anna, limit, becomes_callback):
    esc_id = escalate(anna.client, QUEUED_CALL, caller="+7 900 111-00-11")
    end_call(anna.client, QUEUED_CALL, "operator")  # the IVR's record ends with the redirect
    with ThreadedFakeAmi(load("queue_abandon.ami")) as fake:
        attach_console_phone(app, _phone(fake, callback_after_seconds=limit))
        with anna.client:  # the app's startup connects its AMI link
            closed = _until(app, lambda s: s.get(Escalation, esc_id).status == "closed")
            assert closed, "the escalation was not marked from the queue's event"
            wait = 5 if becomes_callback else 0.5
            found = _until(app, lambda s: len(_escalations(s, QUEUED_CALL)) > 1, timeout=wait)
            page = anna.client.get("/console/escalations").text
    with app.state.sessions() as session:
        first, *more = _escalations(session, QUEUED_CALL)
        assert first.id == esc_id and first.closed_at is not None
        assert first.outcome.startswith("Абонент положил трубку в очереди") and "3 с" in first.outcome
        if becomes_callback:
            assert found and len(more) == 1
            callback = more[0]
            assert callback.reason == "callback_request" and callback.status == "open"
            assert callback.callback_phone == "79001110011" and callback.account == first.account
            assert callback.summary.startswith("Перезвонить на номер 79001110011.")
        else:
            assert not more
    shown = re.search(rf'<li id="esc-{esc_id}"[^>]*>.*?</li>', page, re.S)
    assert shown and 'data-status="closed"' in shown.group(0)  # no longer waiting
    assert "не дождавшись оператора" in shown.group(0)


def test_the_operator_places_a_callback_and_the_console_notes_how_it_went(app, anna, boris):
    esc_id = request_callback(anna.client, "cb-phone-1")
    assert anna.post(f"/console/callbacks/{esc_id}/take").status_code == 200
    with ThreadedFakeAmi(load("callback_dial.ami")) as fake:
        attach_console_phone(app, _phone(fake, endpoints={"anna": "Local/s@test-caller/n"}))
        with anna.client:
            panel = anna.client.get(f"/console/callbacks/{esc_id}/panel").text
            assert "Позвонить</button>" in panel
            page = anna.client.get(f"/console/callbacks?open={esc_id}").text  # opened by its address
            assert "Позвонить</button>" in page and "через 15 минут" in page
            r = anna.post(f"/console/callbacks/{esc_id}/dial")
            assert r.status_code == 200, r.text
            assert "звонок через АТС: Local/s@test-caller/n → 79005550055" in r.text
            noted = _until(app, lambda s: "разговор состоялся" in (s.get(Escalation, esc_id).note or ""))
    assert noted
    originate = next(a for a in fake.actions if a["Action"] == "Originate")
    assert originate["Channel"] == "Local/s@test-caller/n"  # the operator's phone rings first
    assert originate["Context"] == "callbacks" and originate["Exten"] == "79005550055"
    with app.state.sessions() as session:
        note = session.get(Escalation, esc_id).note
    lines = note.splitlines()
    assert lines[0].endswith("anna: звонок через АТС: Local/s@test-caller/n → 79005550055")
    assert "АТС: оператор ответил, набираем абонента" in lines[1]
    assert "АТС: абонент ответил, разговор состоялся" in lines[2]


def test_only_the_operator_who_took_the_callback_places_it(app, anna, boris):
    esc_id = request_callback(anna.client, "cb-phone-2")
    with ThreadedFakeAmi([]) as fake:
        attach_console_phone(app, _phone(fake))
        r = boris.post(f"/console/callbacks/{esc_id}/dial")
        assert r.status_code == 409  # not taken by anyone yet
        assert anna.post(f"/console/callbacks/{esc_id}/take").status_code == 200
        r = boris.post(f"/console/callbacks/{esc_id}/dial")
        assert r.status_code == 403 and "anna" in r.text
    assert not any(a.get("Action") == "Originate" for a in fake.actions)


def test_without_the_link_the_console_says_to_dial_by_hand(app, anna):
    esc_id = request_callback(anna.client, "cb-phone-3")
    assert anna.post(f"/console/callbacks/{esc_id}/take").status_code == 200
    panel = anna.client.get(f"/console/callbacks/{esc_id}/panel").text
    assert "Позвонить</button>" not in panel
    r = anna.post(f"/console/callbacks/{esc_id}/dial")
    assert r.status_code == 503 and "позвоните абоненту со своего телефона" in r.text


def test_the_api_with_the_phone_comes_from_the_environment(monkeypatch, db_url, tmp_path):
    from ivr import console_phone

    monkeypatch.setenv("HOTLINE_DATABASE_URL", db_url)
    monkeypatch.setenv("HOTLINE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("HOTLINE_CONSOLE_AMI_SECRET", raising=False)
    assert console_phone.create_app().state.console_phone is None  # the console dials by hand
    monkeypatch.setenv("HOTLINE_CONSOLE_AMI_SECRET", "s")
    monkeypatch.setenv("HOTLINE_CONSOLE_OPERATOR_ENDPOINTS", "anna:PJSIP/anna")
    phone = console_phone.create_app().state.console_phone
    assert phone is not None and phone.settings.endpoint_for("anna") == "PJSIP/anna"
    assert phone.dialer.ami.user == "console" and phone.dialer.ami.port == 5038
