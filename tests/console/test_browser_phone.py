"""The console's phone in a real browser with the real Asterisk sandbox (root): a caller who hangs up
in the operators' queue is shown gone without a reload, and an operator places a callback with
«Позвонить» — the sandbox answers as the operator's phone and as the resident, the two are bridged.
Screenshots go to test-artifacts/console/ like test_browser.py's."""

from __future__ import annotations

import asyncio
import shutil
import threading
import time
import uuid

import httpx
import pytest

from api.app import create_app
from api.console import auth
from api.console.phone import PhoneSettings
from ivr.console_phone import attach_console_phone
from telephony.ami import AmiClient
from telephony.sandbox import free_port
from tests.console.asterisk_sandbox import asterisk_root, console_sandbox  # noqa: F401  (fixtures)
from tests.console.conftest import ACCOUNT, IVR_TOKEN, PASSWORD, TEST_ROUNDS, make_settings
from tests.console.test_browser import (  # noqa: F401  (browser: the module's Chromium fixture)
    START,
    RunningClock,
    browser,
    escalate,
    open_console,
    shot,
)

pytestmark = [pytest.mark.browser, pytest.mark.asterisk]

OPERATOR_PHONE = "Local/s@test-caller/n"  # the sandbox answers as anna's softphone
IVR = {"Authorization": f"Bearer {IVR_TOKEN}"}


@pytest.fixture(scope="module")
def phone_server(tmp_path_factory, demo_template, console_sandbox):  # noqa: F811
    import uvicorn

    folder = tmp_path_factory.mktemp("browser-phone")
    shutil.copy(demo_template, folder / "hotline.db")
    url = f"sqlite:///{folder / 'hotline.db'}"
    app = create_app(url, make_settings(folder, url, console_poll_seconds=1.0), clock=RunningClock())
    with app.state.sessions() as session:
        auth.add_operator(session, "anna", PASSWORD, START, rounds=TEST_ROUNDS)
    settings = PhoneSettings(
        secret=console_sandbox.console_ami_secret,
        port=console_sandbox.ami_port,
        user=console_sandbox.console_ami_user,
        endpoints={"anna": OPERATOR_PHONE},
        callback_after_seconds=1,
    )
    phone = attach_console_phone(app, settings)
    assert phone is not None
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not (server.started and phone.dialer.ami.connected.is_set()):
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("uvicorn or the console's AMI link did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)
    app.state.engine.dispose()


def _queue_caller(box, call_id: str, seconds: int) -> None:
    """A caller redirected to the operators' queue (as the IVR does) who hangs up after `seconds`."""

    async def originate() -> None:
        async with AmiClient("127.0.0.1", box.ami_port, box.ami_user, box.ami_secret) as ami:
            await ami.wait_connected(10)
            await ami.originate(
                "Local/s@test-caller/n",
                context="operators",
                exten="s",
                caller_id="Test caller <79001110011>",
                variables={"HOTLINE_ID": call_id, "TEST_SCRIPT": f"w{seconds}^h"},
            )

    # Playwright's sync API keeps an event loop on this thread: the AMI client runs on its own.
    worker = threading.Thread(target=asyncio.run, args=(originate(),))
    worker.start()
    worker.join(20)


def _bridged_operator(box) -> str | None:
    rows = [line.split("!") for line in box.cli("core show channels concise").splitlines() if "!" in line]
    operator = [r for r in rows if r[0].startswith("Local/s@test-caller-") and r[1] == "callbacks"]
    resident = [r for r in rows if "@test-resident-" in r[0] and r[0].endswith(";1")]
    if operator and resident and operator[0][-2] and operator[0][-2] == resident[0][-2]:
        return operator[0][0]
    return None


def test_a_caller_who_hangs_up_in_the_queue_is_shown_gone_and_becomes_a_callback(
    browser,  # noqa: F811
    phone_server,
    console_sandbox,  # noqa: F811
):
    call_id = str(uuid.uuid4())
    context, page = open_console(browser, phone_server, "anna")
    page.evaluate("window.__notReloaded = true")
    with httpx.Client(base_url=f"{phone_server}/api/v1", timeout=10) as api:
        esc = escalate(api, call_id, reason="caller_request")
        api.patch(
            f"/calls/{call_id}", headers=IVR, json={"outcome": "operator", "ended": True}
        ).raise_for_status()
    page.wait_for_selector(f"#esc-{esc} >> text=Ожидает")
    _queue_caller(console_sandbox, call_id, seconds=2)
    page.wait_for_selector(f"#esc-{esc} >> text=не дождавшись оператора")
    assert page.locator(f"#esc-{esc} >> text=Взять").count() == 0
    assert page.evaluate("window.__notReloaded") is True
    shot(page, "20-caller-left-the-queue")
    page.click("header >> text=Обратные звонки")
    page.wait_for_url("**/console/callbacks")
    card = page.wait_for_selector("#cb-now >> text=не дождался оператора", timeout=5000)
    assert card is not None
    shot(page, "21-left-the-queue-becomes-a-callback")
    context.close()


def test_an_operator_places_a_callback_and_the_sandbox_bridges_both_phones(
    browser,  # noqa: F811
    phone_server,
    console_sandbox,  # noqa: F811
):
    context, page = open_console(browser, phone_server, "anna")
    with httpx.Client(base_url=f"{phone_server}/api/v1", timeout=10) as api:
        api.post(
            "/calls", headers=IVR, json={"id": "cb-phone-browser", "caller": "79001110011"}
        ).raise_for_status()
        r = api.post(
            "/escalations",
            headers=IVR,
            json={
                "call_id": "cb-phone-browser",
                "reason": "callback_request",
                "account": ACCOUNT,
                "verified": True,
                "summary": "Перезвонить на номер 79005550055. Причина: перерасчёт, спорное начисление.",
            },
        )
        r.raise_for_status()
        cb = r.json()["id"]
    page.click("header >> text=Обратные звонки")
    page.wait_for_url("**/console/callbacks")
    page.click(f"#cb-{cb} >> text=Взять")
    page.wait_for_selector("#detail >> text=В работе: anna")
    page.click("#detail button:has-text('Позвонить')")
    page.wait_for_function(
        "document.querySelector('#detail textarea[name=note]').value.includes('звонок через АТС')"
    )
    deadline = time.monotonic() + 15
    while (operator := _bridged_operator(console_sandbox)) is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert operator, "the operator's phone and the resident's were not bridged"
    shot(page, "22-callback-placed")
    console_sandbox.cli(f"channel request hangup {operator}")
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        page.goto(f"{phone_server}/console/callbacks?open={cb}")
        if "разговор состоялся" in page.input_value("#detail textarea[name=note]"):
            break
        time.sleep(0.3)
    note = page.input_value("#detail textarea[name=note]")
    assert "anna: звонок через АТС: Local/s@test-caller/n → 79005550055" in note
    assert "АТС: абонент ответил, разговор состоялся" in note
    shot(page, "23-callback-answered")
    context.close()
