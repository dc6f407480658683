"""Console logins: redirects and 401s, wrong passwords, cookie flags, expiry, logout, CSRF, bearer tokens."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from api.console.models import Operator as OperatorRow
from api.console.models import OperatorSession
from tests.console.conftest import (
    OP,
    PASSWORD,
    escalate,
    hidden_token,
    log_in,
    new_client,
    submit_login,
)

PAGES = ("/console/escalations", "/console/calls", "/console/accounts", f"/console/accounts/{'001110011-7'}")
FRAGMENTS = ("/console/escalations/queue", "/console/escalations/badge", "/console/calls/live")


@pytest.mark.parametrize("path", PAGES)
def test_pages_send_a_stranger_to_the_login_page(app, path):
    r = new_client(app).get(path, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/console/login?next=/console/")


@pytest.mark.parametrize("path", FRAGMENTS)
def test_polled_fragments_answer_401_with_a_redirect_for_htmx(app, path):
    r = new_client(app).get(path, headers={"HX-Request": "true"})
    assert r.status_code == 401
    assert r.headers["HX-Redirect"].startswith("/console/login")


def test_actions_without_a_session_are_401(app):
    client = new_client(app)
    esc = escalate(client, "call-1")
    r = client.post(f"/console/escalations/{esc}/take", headers={"X-CSRF-Token": "x"})
    assert r.status_code == 401
    r = client.post(
        "/console/accounts/001110011-7/meters/1/readings", data={"value": "650", "csrf_token": "x"}
    )
    assert r.status_code == 401


def test_log_in_lands_on_the_page_asked_for(app):
    client = new_client(app)
    first = client.get("/console/calls", follow_redirects=False)
    form = client.get(first.headers["location"])
    assert 'value="/console/calls"' in form.text
    r = client.post(
        "/console/login",
        data={
            "name": "anna",
            "password": PASSWORD,
            "csrf_token": hidden_token(form.text),
            "next": "/console/calls",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/console/calls"
    page = client.get("/console/calls")
    assert page.status_code == 200 and "Звонки на линии" in page.text and "anna" in page.text


@pytest.mark.parametrize(
    "next_path", ["https://evil.example/", "//evil.example/x", "/api/v1/calls", "/console/\\evil"]
)
def test_log_in_never_redirects_off_the_console(app, next_path):
    r = submit_login(new_client(app), "anna", PASSWORD, next_path)
    assert r.status_code == 303 and r.headers["location"] == "/console/escalations"


@pytest.mark.parametrize(
    "name, password",
    [("anna", "wrong password"), ("nobody", PASSWORD), ("anna", ""), ("", ""), ("anna", "я" * 100)],
)
def test_wrong_name_or_password_is_refused_in_russian(app, name, password):
    client = new_client(app)
    r = submit_login(client, name, password)
    assert r.status_code == 401
    assert "Неверное имя или пароль" in r.text
    assert f'value="{name}"' in r.text  # the name stays typed; the password never comes back
    assert password not in r.text or not password
    assert "hotline_console=" not in r.headers.get("set-cookie", "").replace("hotline_console_login", "")
    assert client.get("/console/escalations", follow_redirects=False).status_code == 303


def test_login_form_needs_its_own_token(app):
    client = new_client(app)
    client.get("/console/login")
    r = client.post("/console/login", data={"name": "anna", "password": PASSWORD, "csrf_token": "forged"})
    assert r.status_code == 403
    stranger = new_client(app)  # no login cookie at all, as a cross-site form would be
    form = client.get("/console/login")
    r = stranger.post(
        "/console/login", data={"name": "anna", "password": PASSWORD, "csrf_token": hidden_token(form.text)}
    )
    assert r.status_code == 403


def test_session_cookie_is_http_only_same_site_strict_and_stored_hashed(app):
    r = submit_login(new_client(app), "anna", PASSWORD)
    cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith("hotline_console="))
    flags = {part.strip().split("=")[0].lower(): part for part in cookie.split(";")}
    assert "httponly" in flags and flags["samesite"].strip().lower() == "samesite=strict"
    assert flags["path"].strip() == "Path=/console"
    token = cookie.split(";")[0].split("=", 1)[1]
    with app.state.sessions() as s:
        stored = s.scalars(select(OperatorSession.token_hash)).all()
        hashed = s.scalar(select(OperatorRow.password_hash).where(OperatorRow.name == "anna"))
    assert len(stored) == 1 and stored[0] != token and token not in stored[0]
    assert hashed.startswith("$2b$") and PASSWORD not in hashed


def test_session_expires_after_the_configured_minutes(app, clock, anna):
    assert anna.client.get("/console/escalations").status_code == 200
    clock.advance(minutes=59)
    assert anna.client.get("/console/escalations").status_code == 200
    clock.advance(minutes=1)
    r = anna.client.get("/console/escalations", follow_redirects=False)
    assert r.status_code == 303 and "expired=1" in r.headers["location"]
    assert "Сеанс истёк" in anna.client.get(r.headers["location"]).text
    r = anna.client.get("/console/escalations/queue", headers={"HX-Request": "true"})
    assert r.status_code == 401 and "/console/login" in r.headers["HX-Redirect"]
    with app.state.sessions() as s:
        owners = s.scalars(select(OperatorSession.operator_id)).all()
    assert owners == []  # the expired session is gone from the table


def test_expired_sessions_are_swept_at_the_next_login(app, clock, anna):
    clock.advance(hours=2)
    log_in(app, "boris")
    with app.state.sessions() as s:
        names = [row.operator.name for row in s.scalars(select(OperatorSession))]
    assert names == ["boris"]


def test_logout_ends_the_session_on_the_server(app, anna):
    cookie = anna.client.cookies.get("hotline_console")
    r = anna.client.post("/console/logout", data={"csrf_token": anna.csrf}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/console/login"
    stolen = new_client(app)
    stolen.cookies.set("hotline_console", cookie, path="/console")
    assert stolen.get("/console/escalations", follow_redirects=False).status_code == 303


def test_logout_needs_the_csrf_token(app, anna):
    assert anna.client.post("/console/logout", data={"csrf_token": "nope"}).status_code == 403
    assert anna.client.get("/console/escalations").status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-CSRF-Token": "forged"},
        {"X-CSRF-Token": "@right", "Origin": "https://evil.example"},
        {"X-CSRF-Token": "@other"},
    ],
    ids=["missing", "forged", "foreign-origin", "other-operators-token"],
)
def test_posts_need_this_sessions_csrf_token_from_this_origin(app, anna, boris, headers):
    esc = escalate(anna.client, "call-1")
    headers = {k: {"@right": anna.csrf, "@other": boris.csrf}.get(v, v) for k, v in headers.items()}
    r = anna.client.post(f"/console/escalations/{esc}/take", headers=headers)
    assert r.status_code == 403 and "обновите страницу" in r.text
    origin = {k: v for k, v in headers.items() if k == "Origin"}
    r = anna.client.post(
        f"/console/escalations/{esc}/take",
        data={"csrf_token": headers.get("X-CSRF-Token", "")},
        headers=origin,
    )
    assert r.status_code == 403
    assert anna.client.get(f"/api/v1/escalations/{esc}", headers=OP).json()["status"] == "open"


def test_csrf_token_in_the_form_or_the_header_from_the_same_origin_is_accepted(app, anna):
    first, second = escalate(anna.client, "call-1"), escalate(anna.client, "call-2")
    assert (
        anna.client.post(f"/console/escalations/{first}/take", data={"csrf_token": anna.csrf}).status_code
        == 200
    )
    r = anna.client.post(
        f"/console/escalations/{second}/take",
        headers={"X-CSRF-Token": anna.csrf, "Origin": "http://testserver"},
    )
    assert r.status_code == 200


def test_operator_bearer_tokens_keep_working_for_the_api_but_do_not_open_the_console(app):
    client = new_client(app)
    escalate(client, "call-1")
    assert client.get("/api/v1/escalations?status=open", headers=OP).status_code == 200
    assert client.get("/console/escalations", headers=OP, follow_redirects=False).status_code == 303


def test_disabled_operator_is_logged_out_and_cannot_log_in(app, anna):
    from api.console import auth

    with app.state.sessions() as s:
        auth.disable_operator(s, "anna")
    assert anna.client.get("/console/escalations", follow_redirects=False).status_code == 303
    with pytest.raises(AssertionError):
        log_in(app, "anna")
