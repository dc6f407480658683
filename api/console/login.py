"""Log in and out of the console.

The login form is protected against cross-site posting by a double-submit
token (a SameSite=Strict cookie and the same value in the form), since no
session exists yet; every later POST uses the session's own CSRF token.
"""

from __future__ import annotations

import logging
import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from api.console import auth
from api.console.throttle import LoginThrottle, PasswordPoolBusy
from api.console.web import (
    COOKIE,
    LOGIN_COOKIE,
    PREFIX,
    CheckedUser,
    LoginRequired,
    console_user,
    render,
    safe_next,
    same_origin,
)
from api.deps import SessionDep, now, settings_of

log = logging.getLogger("api.console.auth")
router = APIRouter()


def _login_page(
    request: Request, *, error: str | None = None, status_code: int = 200, next_path: str = "", name: str = ""
):
    token = secrets.token_urlsafe(24)
    response = render(
        request,
        "login.html",
        status_code=status_code,
        error=error,
        login_token=token,
        next_path=next_path,
        typed_name=name[:100],
        expired=request.query_params.get("expired") == "1" and error is None,
    )
    response.set_cookie(
        LOGIN_COOKIE,
        token,
        path=f"{PREFIX}/login",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.get("/login", include_in_schema=False)
def login_form(request: Request, session: SessionDep, next: str = "") -> Response:
    try:
        console_user(request, session)
    except LoginRequired:
        return _login_page(request, next_path=next)
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/login", include_in_schema=False)
async def login(
    request: Request,
    session: SessionDep,
    name: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Log in. Why async: the password check runs in the bounded bcrypt pool and the database
    calls in the thread pool, so a burst of logins never holds the loop that serves the IVR."""
    expected = request.cookies.get(LOGIN_COOKIE)
    if not same_origin(request) or not expected or not auth.csrf_matches(expected, csrf_token):
        return _login_page(
            request, error="Форма устарела: попробуйте ещё раз.", status_code=403, next_path=next
        )
    address = (request.client.host if request.client else None) or "unknown"
    throttle: LoginThrottle = request.app.state.login_throttle
    refusal = throttle.reserve(name, address)
    if refusal is not None:
        log.warning(
            "console login refused for name %r from %s: too many attempts per %s",
            name[:100],
            address,
            refusal.scope,
        )
        minutes = max(1, -(-refusal.retry_after // 60))
        response = _login_page(
            request,
            error=f"Слишком много попыток входа. Попробуйте снова через {minutes} мин.",
            status_code=429,
            next_path=next,
            name=name,
        )
        response.headers["Retry-After"] = str(refusal.retry_after)
        return response
    operator, hashed = await run_in_threadpool(auth.login_candidate, session, name)
    try:
        matches = await request.app.state.password_pool.run(auth.password_matches, password, hashed)
    except PasswordPoolBusy:
        log.warning("console login from %s: password checks queue full", address)
        error = "Сервер занят проверкой паролей. Повторите вход через минуту."
        return _login_page(request, error=error, status_code=503, next_path=next, name=name)
    if operator is None or not matches:
        log.warning("console login failed for name %r from %s", name[:100], address)
        error = "Неверное имя или пароль."
        return _login_page(request, error=error, status_code=401, next_path=next, name=name)
    throttle.succeeded(name)
    minutes = max(1, settings_of(request).console_session_minutes)
    login = await run_in_threadpool(auth.start_session, session, operator, now(request), minutes)
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(
        COOKIE,
        login.token,
        max_age=minutes * 60,
        path=PREFIX,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    response.delete_cookie(LOGIN_COOKIE, path=f"{PREFIX}/login")
    return response


@router.post("/logout", include_in_schema=False)
def logout(request: Request, session: SessionDep, user: CheckedUser) -> Response:
    auth.end_session(session, request.cookies.get(COOKIE))
    log.info("operator %s logged out", user.name)
    response = RedirectResponse(f"{PREFIX}/login", status_code=303)
    response.delete_cookie(COOKIE, path=PREFIX)
    return response
