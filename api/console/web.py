"""What every console page shares: the logged-in operator, CSRF checks, templates, formatting.

Why a dependency and not a middleware: each route says what it needs
(`OperatorUser` for reading, `CheckedUser` for changing), and FastAPI runs the
check before the route. An unauthenticated page request is sent to the login
page (303); an htmx or POST request gets 401 with `HX-Redirect`, so the page
that was polling moves to the login page by itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from api.console import auth, texts
from api.deps import Principal, SessionDep, now, settings_of

HERE = Path(__file__).parent
PREFIX = "/console"
COOKIE = "hotline_console"
LOGIN_COOKIE = "hotline_console_login"
CSRF_HEADER = "X-CSRF-Token"

templates = Jinja2Templates(directory=str(HERE / "templates"))


class LoginRequired(Exception):
    def __init__(self, expired: bool = False):
        super().__init__("login required")
        self.expired = expired


class CsrfFailed(Exception):
    pass


@dataclass(frozen=True)
class ConsoleUser:
    name: str
    csrf_token: str

    @property
    def principal(self) -> Principal:
        """The same principal an operator's bearer token gives, for the API's own functions."""
        return Principal("operator", self.name)


def console_user(request: Request, session: SessionDep) -> ConsoleUser:
    """The operator of this request's session; LoginRequired otherwise.

    A cookie whose session is gone counts as expired too: two polls may race to
    find the same expired session, and both must tell the operator the same thing.
    """
    token = request.cookies.get(COOKIE)
    try:
        active = auth.current_session(session, token, now(request))
    except auth.SessionExpired:
        raise LoginRequired(expired=True) from None
    if active is None:
        raise LoginRequired(expired=bool(token))
    return ConsoleUser(active.operator, active.csrf_token)


OperatorUser = Annotated[ConsoleUser, Depends(console_user)]


def same_origin(request: Request) -> bool:
    """A browser's POST names its page's origin; it must be this server (or absent, for non-browsers)."""
    origin = request.headers.get("origin")
    if origin is None:
        return True
    return urlsplit(origin).netloc == request.headers.get("host")


async def checked_user(request: Request, user: OperatorUser) -> ConsoleUser:
    """The operator, for a request that changes something: same origin and the session's CSRF token."""
    given = request.headers.get(CSRF_HEADER)
    if given is None:
        form = await request.form()
        value = form.get("csrf_token")
        given = value if isinstance(value, str) else None
    if not same_origin(request) or not auth.csrf_matches(user.csrf_token, given):
        raise CsrfFailed
    return user


CheckedUser = Annotated[ConsoleUser, Depends(checked_user)]


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def login_url(next_path: str | None = None, expired: bool = False) -> str:
    params = []
    if expired:
        params.append("expired=1")
    if next_path:
        params.append("next=" + quote(next_path, safe="/"))
    return f"{PREFIX}/login" + ("?" + "&".join(params) if params else "")


def safe_next(next_path: str | None) -> str:
    """Only a console path of this server (no `//host`, no scheme) may follow the login."""
    if next_path and next_path.startswith(PREFIX + "/") and "//" not in next_path and "\\" not in next_path:
        return next_path
    return f"{PREFIX}/escalations"


def login_required_response(request: Request, exc: LoginRequired) -> Response:
    if request.method == "GET" and not is_htmx(request):
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(login_url(path, exc.expired), status_code=303)
    target = login_url(expired=exc.expired)
    return PlainTextResponse(
        "Требуется вход в консоль." if not exc.expired else "Сеанс истёк, войдите снова.",
        status_code=401,
        headers={"HX-Redirect": target},
    )


def csrf_failed_response(_request: Request, _exc: CsrfFailed) -> Response:
    return PlainTextResponse("Форма устарела: обновите страницу и повторите.", status_code=403)


# ---------------------------------------------------------------- formatting


def local(request: Request, at: datetime | None) -> datetime | None:
    return at.astimezone(settings_of(request).zone) if at else None


def rub(value: Any) -> str:
    """ "1234.5" → "1 234,50 ₽" (non-breaking spaces; debt positive as in the API)."""
    if value is None:
        return "—"
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    text = f"{abs(amount):,.2f}".replace(",", "\u00a0").replace(".", ",")
    return ("−" if amount < 0 else "") + text + "\u00a0₽"


def phone(number: str | None) -> str:
    """ "79001110011" → "+7 900 111-00-11"; anything else as it is."""
    if not number:
        return "—"
    if len(number) == 11 and number.isdigit() and number[0] == "7":
        return f"+7 {number[1:4]} {number[4:7]}-{number[7:9]}-{number[9:]}"
    return number


def callback_reason(summary: str | None) -> str:
    """A callback's summary without its leading «Перезвонить на номер …» (the card shows the number)."""
    text = (summary or "").strip()
    if text.startswith("Перезвонить на номер") and ". " in text:
        text = text.split(". ", 1)[1]
    return text or "—"


templates.env.filters.update(rub=rub, phone=phone, ru_number=texts.plain_ru, callback_reason=callback_reason)
templates.env.globals.update(texts=texts, PREFIX=PREFIX)


def render(
    request: Request,
    name: str,
    user: ConsoleUser | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    settings = settings_of(request)

    def when(at: datetime | None, fmt: str = "%d.%m.%Y %H:%M") -> str:
        shown = local(request, at)
        return shown.strftime(fmt) if shown else "—"

    return templates.TemplateResponse(
        request,
        name,
        {
            "user": user,
            "when": when,
            "now": now(request),
            "poll": f"every {max(0.5, settings.console_poll_seconds):g}s",
            **context,
        },
        status_code=status_code,
        headers=headers,
    )
