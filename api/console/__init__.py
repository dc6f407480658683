"""Operator console: login, escalation and callback queues, live calls and today's figures, account card.

Server-rendered pages (Jinja2) under `/console`, refreshed by htmx (vendored in
`static/`, no front-end build). `install(app)` adds them to the API app.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

import api.console.models  # noqa: F401  (operators and sessions live on the API's metadata)


def install(app: FastAPI) -> None:
    """Mount the console pages, their static files and their login handling on `app`."""
    from api.console import callbacks, campaign, cards, escalations, live, login, web
    from api.console.throttle import LoginThrottle, PasswordPool

    settings = app.state.settings
    app.state.login_throttle = LoginThrottle(
        settings.console_login_failures_per_name,
        settings.console_login_failures_per_address,
        settings.console_login_window_minutes,
    )
    app.state.password_pool = PasswordPool()
    app.state.console_phone = None  # callbacks through Asterisk: handed in by ivr/console_phone.py

    router = APIRouter(prefix=web.PREFIX)
    router.include_router(login.router)
    router.include_router(escalations.router)
    router.include_router(callbacks.router)
    router.include_router(live.router)
    router.include_router(cards.router)
    router.include_router(campaign.router)

    @router.get("", include_in_schema=False)
    @router.get("/", include_in_schema=False)
    def console_home() -> RedirectResponse:
        return RedirectResponse(f"{web.PREFIX}/escalations", status_code=303)

    app.include_router(router)

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> FileResponse:
        """Browsers ask for it at the root; the console's pages link the same icon."""
        return FileResponse(web.HERE / "static" / "favicon.svg", media_type="image/svg+xml")

    app.mount(f"{web.PREFIX}/static", StaticFiles(directory=web.HERE / "static"), name="console-static")
    # Starlette types a handler as taking any Exception; these take their own (registered for it).
    app.add_exception_handler(web.LoginRequired, web.login_required_response)  # type: ignore[arg-type]
    app.add_exception_handler(web.CsrfFailed, web.csrf_failed_response)  # type: ignore[arg-type]
