"""The console in a real browser: Debian's Chromium, headless, driven by Playwright.

The app runs under uvicorn on 127.0.0.1 (a free port) in a background thread,
on a temp SQLite database with the demo data; its clock runs in real time from
2025-11-20 17:00 local, a day in the readings window. Each operator is a fresh
browser context (Playwright gives each launch a fresh temporary profile).
Screenshots of every page go to test-artifacts/console/.
"""

from __future__ import annotations

import shutil
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import update

from api.app import create_app
from api.console import auth
from api.console.models import OperatorSession
from telephony.sandbox import free_port
from tests.console.conftest import ACCOUNT, IVR_TOKEN, OP_TOKEN, PASSWORD, TEST_ROUNDS, make_settings

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "console"
START = datetime(2025, 11, 20, 10, 0, tzinfo=UTC)  # 17:00 in Novokuznetsk
WAIT_MS = 10_000  # how long a page may take to show what the server already has (polling is 1 s)


class RunningClock:
    """Real time, moved to START: pages poll and sessions age as usual, on a known day."""

    def __init__(self) -> None:
        self.offset = START - datetime.now(UTC)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


@pytest.fixture(scope="module")
def running(tmp_path_factory, demo_template):
    import uvicorn

    folder = tmp_path_factory.mktemp("browser")
    shutil.copy(demo_template, folder / "hotline.db")
    url = f"sqlite:///{folder / 'hotline.db'}"
    app = create_app(url, make_settings(folder, url, console_poll_seconds=1.0), clock=RunningClock())
    with app.state.sessions() as session:
        for name in ("anna", "boris"):
            auth.add_operator(session, name, PASSWORD, START, rounds=TEST_ROUNDS)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", app
    server.should_exit = True
    thread.join(10)
    app.state.engine.dispose()


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (scripts/setup.sh installs Debian's chromium)")
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def server(running) -> str:
    return running[0]


@pytest.fixture(scope="module")
def running_app(running):
    return running[1]


@pytest.fixture
def api(server):
    with httpx.Client(base_url=f"{server}/api/v1", timeout=10) as client:
        yield client


def shot(page, name: str, selector: str | None = None) -> None:
    """The whole page, or one part of it (long pages shrink too much to read as one picture)."""
    path = str(ARTIFACTS / f"{name}.png")
    if selector:
        page.locator(selector).screenshot(path=path)
    else:
        page.screenshot(path=path, full_page=True)


def open_console(browser, server, name: str):
    """A fresh browser context, logged in as `name`, on the escalation page."""
    context = browser.new_context(viewport={"width": 1360, "height": 900}, locale="ru-RU")
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    page.goto(f"{server}/console/")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/console/escalations")
    return context, page


def escalate(api: httpx.Client, call_id: str, **fields) -> int:
    ivr = {"Authorization": f"Bearer {IVR_TOKEN}"}
    api.post("/calls", headers=ivr, json={"id": call_id, "caller": "79001110011"}).raise_for_status()
    for speaker, text in (
        ("robot", "Здравствуйте! Это горячая линия. Назовите номер лицевого счёта."),
        ("caller", "ноль ноль один сто десять ноль одиннадцать тире семь"),
        ("robot", "Что вас интересует: баланс, показания, акция или офисы?"),
        ("caller", "соедините с оператором"),
    ):
        api.post(f"/calls/{call_id}/transcript", headers=ivr, json={"speaker": speaker, "text": text})
    body = {
        "call_id": call_id,
        "reason": "caller_request",
        "account": ACCOUNT,
        "verified": True,
        "summary": "Причина: абонент попросил оператора. Спрашивал: баланс. Счёт 001110011-7, подтверждён.",
        **fields,
    }
    r = api.post("/escalations", headers=ivr, json=body)
    r.raise_for_status()
    return r.json()["id"]


def test_login_page_refuses_a_wrong_password_and_lets_the_operator_in(browser, server):
    context = browser.new_context(viewport={"width": 1360, "height": 900})
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    page.goto(f"{server}/console/calls")
    assert "/console/login" in page.url
    shot(page, "01-login")
    page.fill("input[name=name]", "anna")
    page.fill("input[name=password]", "not the password")
    page.click("button[type=submit]")
    page.wait_for_selector("text=Неверное имя или пароль.")
    shot(page, "02-login-refused")
    page.fill("input[name=name]", "anna")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/console/calls")  # back to the page first asked for
    assert page.locator("header .who").inner_text() == "anna"
    page.click("text=Выйти")
    page.wait_for_url("**/console/login")
    page.goto(f"{server}/console/escalations")
    assert "/console/login" in page.url
    context.close()


def test_escalation_appears_without_reload_and_a_take_is_seen_by_the_other_operator(browser, server, api):
    anna_ctx, anna = open_console(browser, server, "anna")
    boris_ctx, boris = open_console(browser, server, "boris")
    for page in (anna, boris):
        page.evaluate("window.__notReloaded = true")

    esc = escalate(api, "browser-call-1")
    card = f"#esc-{esc}"
    for page in (anna, boris):
        page.wait_for_selector(card)
        assert page.evaluate("window.__notReloaded") is True
    assert "+7 900 111-00-11" in anna.inner_text(card)
    assert "Попросил оператора" in anna.inner_text(card) and "подтверждён" in anna.inner_text(card)
    assert anna.title().startswith("(")  # the tab shows how many calls wait
    shot(anna, "03-escalation-queue")

    anna.click(f"{card} >> text=Взять")
    anna.wait_for_selector("#detail >> text=В работе: anna")
    assert "соедините с оператором" in anna.inner_text("#detail")  # the transcript
    boris.wait_for_selector(f"{card} >> text=Взял: anna")
    assert boris.locator(f"{card} >> text=Взять").count() == 0
    assert boris.evaluate("window.__notReloaded") is True
    shot(anna, "04-escalation-taken")
    shot(boris, "05-escalation-taken-seen-by-other")

    boris.click(f"{card} >> text=Открыть")
    boris.wait_for_selector("#detail >> text=Звонок в работе у оператора anna.")

    anna.fill("#detail textarea[name=note]", "Спрашивала про перерасчёт за октябрь")
    anna.fill("#detail input[name=outcome]", "Вопрос решён")
    anna.click("#detail >> text=Закрыть с итогом")
    anna.wait_for_selector("#detail >> text=Закрыто")
    boris.wait_for_selector(f".closed #esc-{esc}")
    shot(anna, "06-escalation-closed")
    stored = api.get(f"/escalations/{esc}", headers={"Authorization": f"Bearer {OP_TOKEN}"}).json()
    assert (stored["status"], stored["operator"], stored["outcome"]) == ("closed", "anna", "Вопрос решён")
    assert stored["note"] == "Спрашивала про перерасчёт за октябрь"
    anna_ctx.close()
    boris_ctx.close()


def test_live_calls_and_todays_figures(browser, server, api):
    ivr = {"Authorization": f"Bearer {IVR_TOKEN}"}
    context, page = open_console(browser, server, "anna")
    page.click("header >> text=Звонки и сводка")
    page.wait_for_url("**/console/calls")
    api.post("/calls", headers=ivr, json={"id": "live-1", "caller": "+7 900 222-00-22"}).raise_for_status()
    api.patch(
        "/calls/live-1", headers=ivr, json={"step": "balance", "account": "002220022-0"}
    ).raise_for_status()
    api.post("/calls", headers=ivr, json={"id": "done-1", "caller": "79003330033"}).raise_for_status()
    api.patch("/calls/done-1", headers=ivr, json={"outcome": "completed", "ended": True}).raise_for_status()
    escalate(api, "live-esc", reason="no_match")
    row = page.wait_for_selector('tr[data-call="live-1"]')
    assert "Баланс" in row.inner_text() and "002220022-0" in row.inner_text()
    page.wait_for_selector(".chart >> text=Робот не понял ответы")
    assert page.locator("#fig-calls").inner_text() != "0"
    shot(page, "07-live-calls")
    row.click()
    page.wait_for_selector("#call-detail >> text=Шаг диалога")
    context.close()


def test_account_card_reading_accepted_and_refused(browser, server, api):
    context, page = open_console(browser, server, "anna")
    page.click("header >> text=Лицевые счета")
    page.fill("input[name=q]", "1110011 7")  # leading zeros dropped, a space before the suffix
    page.click("button:has-text('Найти')")
    page.wait_for_url(f"**/console/accounts/{ACCOUNT}")
    assert "Иванова Мария Петровна" in page.inner_text(".card-head")
    page.screenshot(path=str(ARTIFACTS / "08-account-card.png"))  # what the operator sees first
    shot(page, "08b-account-meters", "#meters")

    meters = api.get(f"/accounts/{ACCOUNT}/meters", headers={"Authorization": f"Bearer {OP_TOKEN}"}).json()
    cold = next(m for m in meters["meters"] if m["service"] == "cold_water")
    new_value = str(round(float(cold["last_reading"]["value"]) + 5.4, 1))
    form = page.locator(f'tr[data-meter="{cold["id"]}"] form')
    form.locator("input[name=value]").fill(new_value.replace(".", ","))
    form.locator("button").click()
    page.wait_for_selector(".success >> text=принято")
    first_row = page.locator("#history tbody tr").first
    assert new_value.replace(".", ",") in first_row.inner_text()
    assert "Оператор" in first_row.inner_text() and "anna" in first_row.inner_text()
    shot(page, "09-reading-accepted", "#meters")

    form = page.locator(f'tr[data-meter="{cold["id"]}"] form')
    form.locator("input[name=value]").fill("1,5")
    form.locator("button").click()
    error = page.wait_for_selector(".error[role=alert]")
    assert "меньше предыдущего" in error.inner_text()
    assert (
        new_value.replace(".", ",") in page.locator("#history tbody tr").first.inner_text()
    )  # nothing stored
    shot(page, "10-reading-refused", "#meters")

    page.fill("input[name=q]", "+7 (900) 333-00-33")  # one phone, two accounts
    page.click("button:has-text('Найти')")
    page.wait_for_selector("#results")
    assert page.locator("#results tbody tr").count() == 2
    shot(page, "11-search-by-phone")
    context.close()


def test_an_expired_session_sends_the_polling_page_to_the_login(browser, server, running_app):
    context, page = open_console(browser, server, "boris")
    page.evaluate("window.__notReloaded = true")
    with running_app.state.sessions() as session:  # what expiry does, without waiting hours
        session.execute(update(OperatorSession).values(expires_at=START - timedelta(days=1)))
        session.commit()
    page.wait_for_url("**/console/login?expired=1")  # moved by the next poll, no click
    assert "Сеанс истёк" in page.inner_text("main")
    shot(page, "12-session-expired")
    context.close()


# ---------------------------------------------------------------- issue 14: callbacks, gone callers, story


def test_callbacks_queue_take_and_no_answer_with_retry(browser, server, api):
    ivr = {"Authorization": f"Bearer {IVR_TOKEN}"}
    context, page = open_console(browser, server, "anna")
    page.click("header >> text=Обратные звонки")
    page.wait_for_url("**/console/callbacks")
    api.post("/calls", headers=ivr, json={"id": "cb-browser", "caller": "79001110011"}).raise_for_status()
    r = api.post(
        "/escalations",
        headers=ivr,
        json={
            "call_id": "cb-browser",
            "reason": "callback_request",
            "account": ACCOUNT,
            "verified": True,
            "summary": "Перезвонить на номер 79005550055. Причина: рассрочка или отсрочка. "
            "Спрашивал: баланс. Счёт 001110011-7.",
        },
    )
    r.raise_for_status()
    cb = r.json()["id"]
    api.patch(
        "/calls/cb-browser", headers=ivr, json={"outcome": "callback", "ended": True}
    ).raise_for_status()
    card = page.wait_for_selector(f"#cb-{cb}")  # appears without a reload
    assert "+7 900 555-00-55" in card.inner_text() and "рассрочка" in card.inner_text()
    page.wait_for_selector("#callbacks-badge [data-callbacks-count='1']")
    shot(page, "13-callbacks-queue")
    page.click(f"#cb-{cb} >> text=Взять")
    page.wait_for_selector("#detail >> text=В работе: anna")
    page.fill("#detail textarea[name=note]", "Длинные гудки")
    page.check("#detail input[value=no_answer]")
    page.select_option("#detail select[name=retry_minutes]", "15")
    page.click("#detail >> text=Записать результат")
    page.wait_for_selector("#detail >> text=Ожидает")
    later = page.wait_for_selector(f"#cb-later #cb-{cb}")
    assert "Перезвонить в" in later.inner_text() and "попыток: 1" in later.inner_text()
    assert "anna: не дозвонились" in page.inner_text("#detail")
    shot(page, "14-callback-no-answer-retry")
    context.close()


def test_a_caller_who_hung_up_is_shown_gone_without_a_reload(browser, server, api):
    ivr = {"Authorization": f"Bearer {IVR_TOKEN}"}
    context, page = open_console(browser, server, "boris")
    page.evaluate("window.__notReloaded = true")
    esc = escalate(api, "gone-browser", reason="no_match")
    card = page.wait_for_selector(f"#esc-{esc} >> text=Ожидает")
    api.patch(
        "/calls/gone-browser", headers=ivr, json={"outcome": "hangup", "ended": True}
    ).raise_for_status()
    page.wait_for_selector(f"#esc-{esc}[data-gone='1'] >> text=Абонент положил трубку")
    assert page.locator(f"#esc-{esc} >> text=Ожидает").count() == 0
    assert page.locator(f"#esc-{esc} >> text=Взять").count() == 0
    assert page.evaluate("window.__notReloaded") is True
    del card
    shot(page, "15-caller-hung-up")
    context.close()


def test_the_card_shows_the_accounts_calls_and_an_operator_lifts_a_lock(browser, server, api):
    ivr = {"Authorization": f"Bearer {IVR_TOKEN}"}
    account = "002220022-0"
    for i in range(3):  # three wrong amounts of the last payment lock the check
        call_id = f"lock-browser-{i}"
        api.post("/calls", headers=ivr, json={"id": call_id, "caller": "79995550000"}).raise_for_status()
        api.post(
            f"/calls/{call_id}/transcript", headers=ivr, json={"speaker": "caller", "text": "сто рублей"}
        ).raise_for_status()
        r = api.post(
            f"/accounts/{account}/verify",
            headers={**ivr, "X-Call-Id": call_id},
            json={"call_id": call_id, "caller": "79995550000", "last_payment_amount": "100.00"},
        )
        r.raise_for_status()
        api.patch(f"/calls/{call_id}", headers=ivr, json={"account": account}).raise_for_status()
        api.patch(
            f"/calls/{call_id}", headers=ivr, json={"outcome": "hangup", "ended": True}
        ).raise_for_status()
    assert r.json()["locked"] is True
    context, page = open_console(browser, server, "anna")
    page.goto(f"{server}/console/accounts/{account}")
    row = page.wait_for_selector('#story-calls tr[data-call="lock-browser-2"]')
    assert "Абонент положил трубку" in row.inner_text()
    page.click('#story-calls tr[data-call="lock-browser-2"] >> text=Расшифровка')
    page.wait_for_selector("#story-call >> text=сто рублей")
    locked = page.locator('#verification [data-scope="account"]')
    assert "заблокирована до" in locked.inner_text()
    shot(page, "16-card-story-and-lock", ".grid2.story")
    locked.locator("input[name=reason]").fill("Владелец назвал паспортные данные")
    locked.locator("text=Снять блокировку").click()
    page.wait_for_selector("#verification .success >> text=Блокировка снята")
    assert page.locator('#verification [data-scope="account"][data-locked="0"]').count() == 1
    assert "Владелец назвал паспортные данные" in page.inner_text("#verify-lifts")
    shot(page, "17-lock-lifted", "#verification")
    context.close()


@pytest.mark.parametrize("width", [800, 1024, 1920])
def test_the_top_menu_fits_on_one_line_from_800_px(browser, server, api, width):
    ivr = {"Authorization": f"Bearer {IVR_TOKEN}"}
    escalate(api, f"menu-esc-{width}")  # both menu badges shown: the widest menu
    api.post(
        "/calls", headers=ivr, json={"id": f"menu-cb-{width}", "caller": "79001110011"}
    ).raise_for_status()
    api.post(
        "/escalations",
        headers=ivr,
        json={
            "call_id": f"menu-cb-{width}",
            "reason": "callback_request",
            "summary": "Перезвонить на номер 79001110011.",
        },
    ).raise_for_status()
    context, page = open_console(browser, server, "boris")
    page.set_viewport_size({"width": width, "height": 900})
    for path in ("escalations", "calls", f"accounts/{ACCOUNT}"):
        page.goto(f"{server}/console/{path}")
        page.wait_for_selector("#callbacks-badge .badge")
        tops = page.eval_on_selector_all(
            "header.top nav a", "els => els.map(e => e.getBoundingClientRect().top)"
        )
        assert len(tops) == 4 and max(tops) - min(tops) < 2, tops  # one line
        header = page.eval_on_selector("header.top", "e => e.getBoundingClientRect().height")
        assert header < 60
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} is {overflow} px wider than {width} px"
        shot(page, f"18-{width}px-{path.split('/')[0]}")
    assert page.request.get(f"{server}/favicon.ico").status == 200
    context.close()
