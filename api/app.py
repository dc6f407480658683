"""The account API application: `create_app(database_url=None, settings=None)`.

Why the schema is upgraded here: `uvicorn api.app:create_app --factory`, the
CLI, the tests and the IVR's in-process client all get a ready database from
the same call. If the database is down at start, the app still starts and
answers 503 until the database is back (the upgrade is retried per request).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime

from fastapi import APIRouter, FastAPI
from sqlalchemy.exc import DBAPIError

from api import console, logmask
from api.balance_cache import BalanceCache, watch_writes
from api.balance_fast_lane import BalanceFastLane
from api.db import ensure_sqlite_dir, make_engine, session_factory, upgrade_engine
from api.errors import ERROR_RESPONSES, install_error_handlers
from api.routes import accounts, calls, campaigns, reference
from api.settings import ApiSettings
from api.strings import RefuseControlChars

log = logging.getLogger("api")

API_PREFIX = "/api/v1"


def utc_now() -> datetime:
    return datetime.now(UTC)


def create_app(
    database_url: str | None = None,
    settings: ApiSettings | None = None,
    clock: Callable[[], datetime] | None = None,
    readings_source: str = "ivr",
) -> FastAPI:
    """Build the API on `database_url` (default: settings.database_url), upgrading its schema.

    `readings_source`: how readings the IVR token submits are marked — `ivr` for real calls,
    `chat` when a dev tool (`hotline chat`) runs this app; the billing export sends only real ones.
    """
    settings = settings or ApiSettings()
    url = database_url or settings.database_url
    if database_url is None:
        ensure_sqlite_dir(url)
    app = FastAPI(
        title="Hotline account API",
        version="1",
        description="Accounts, balances, meter readings, calls and escalations for the utility hotline.",
    )
    app.state.settings = settings
    app.state.clock = clock or utc_now
    app.state.readings_source = readings_source
    app.state.engine = engine = make_engine(url)
    app.state.sessions = session_factory(engine)
    app.state.balance_cache = BalanceCache(settings.balance_recheck_seconds)
    watch_writes(engine, app.state.balance_cache)
    ready = threading.Event()
    lock = threading.Lock()

    def ensure_schema() -> None:
        """Upgrade once; a database that is down raises (→ 503) and is retried on the next request."""
        if ready.is_set():
            return
        with lock:
            if not ready.is_set():
                upgrade_engine(engine)
                ready.set()

    app.state.ensure_schema = ensure_schema
    app.state.schema_ready = ready.is_set
    try:
        ensure_schema()
    except DBAPIError as exc:
        log.error("database not ready at start (%s); answering 503 until it is", type(exc).__name__)

    install_error_handlers(app)
    logmask.install()
    app.add_middleware(BalanceFastLane)  # a balance already answered, repeated while it holds
    app.add_middleware(RefuseControlChars)  # NUL and other control characters in paths, queries, headers
    v1 = APIRouter(prefix=API_PREFIX, responses=ERROR_RESPONSES)  # every refusal: api.schemas.ErrorBody
    v1.include_router(reference.router)
    v1.include_router(accounts.router)
    v1.include_router(calls.router)
    v1.include_router(campaigns.router)
    app.include_router(v1)
    console.install(app)  # operator console pages under /console

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
