"""«Позвонить» through the real Asterisk 22 sandbox: the operator's phone and the resident's are
Local channels the sandbox answers (test-caller, test-resident); the two are bridged, and the
callback's notes say the call was placed and that the resident answered."""

from __future__ import annotations

import time

import pytest

from api.console.phone import PhoneSettings
from api.models import Escalation
from ivr.console_phone import attach_console_phone
from tests.console.asterisk_sandbox import asterisk_root, console_sandbox  # noqa: F401  (fixtures)
from tests.console.test_callbacks import request_callback

pytestmark = pytest.mark.asterisk

OPERATOR_PHONE = "Local/s@test-caller/n"  # answers at once and stays on the line
NUMBER = "79005550055"  # the callback's number (request_callback's summary)


def _channels(box) -> list[list[str]]:
    """`core show channels concise`: Channel!Context!Exten!Prio!State!App!Data!…!BridgeID!Uniqueid."""
    return [line.split("!") for line in box.cli("core show channels concise").splitlines() if "!" in line]


def _poll(check, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while not (found := check()) and time.monotonic() < deadline:
        time.sleep(0.1)
    return found


def test_a_callback_from_the_console_bridges_the_operator_and_the_resident(app, anna, console_sandbox):  # noqa: F811
    esc_id = request_callback(anna.client, "cb-asterisk-1")
    assert anna.post(f"/console/callbacks/{esc_id}/take").status_code == 200
    settings = PhoneSettings(
        secret=console_sandbox.console_ami_secret,
        port=console_sandbox.ami_port,
        user=console_sandbox.console_ami_user,
        endpoints={"anna": OPERATOR_PHONE},
    )
    phone = attach_console_phone(app, settings)
    assert phone is not None
    with anna.client:
        assert _poll(phone.dialer.ami.connected.is_set), "the console's AMI user did not log in"
        r = anna.post(f"/console/callbacks/{esc_id}/dial")
        assert r.status_code == 200, r.text

        def bridge():
            rows = _channels(console_sandbox)
            operator = [r for r in rows if r[0].startswith("Local/s@test-caller-") and r[1] == "callbacks"]
            resident = [
                r for r in rows if r[0].startswith(f"Local/{NUMBER}@test-resident-") and r[0].endswith(";1")
            ]
            if operator and resident and operator[0][-2] and operator[0][-2] == resident[0][-2]:
                return operator[0][0]
            return None

        operator_channel = _poll(bridge)
        assert operator_channel, (
            f"no bridge between the operator and the resident: {_channels(console_sandbox)}"
        )
        console_sandbox.cli(f"channel request hangup {operator_channel}")  # the operator hangs up

        def notes() -> str:
            with app.state.sessions() as session:
                return session.get(Escalation, esc_id).note or ""

        assert _poll(lambda: "разговор состоялся" in notes()), notes()
    lines = notes().splitlines()
    assert lines[0].endswith(f"anna: звонок через АТС: {OPERATOR_PHONE} → {NUMBER}")
    assert "АТС: оператор ответил, набираем абонента" in lines[1]
    assert "АТС: абонент ответил, разговор состоялся" in lines[2]
