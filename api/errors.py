"""One error shape for every refusal: `{"detail": {"reason", "message", ...}}`.

Why: the IVR and the console branch on `reason`; people read `message`. Bad
input is a 422 with a clear message, a database that is down is a 503, and
nothing ever answers with a stack trace.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.capacity import RETRY_AFTER_SECONDS, DatabaseBusy
from api.schemas import ErrorBody

log = logging.getLogger("api")


# Every refusal has the same body (documented once for OpenAPI; FastAPI's own 422 shape is not ours).
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": description}
    for status, description in (
        (401, "no or unknown token"),
        (403, "not allowed: not_verified, operator_only, ivr_only, not_yours"),
        (404, "not found: account_not_found, call_not_found, …"),
        (409, "conflict: duplicate, already_taken, already_closed, idempotency_conflict, …"),
        (422, "invalid input, with its reason"),
        (429, "too_many_unknown_accounts"),
        (503, "service_unavailable (database down) or busy (at capacity; Retry-After)"),
    )
}


class ApiError(Exception):
    """A refusal with a machine-readable reason; extra keyword data goes into `detail`."""

    def __init__(self, status: int, reason: str, message: str, /, **data: Any):
        super().__init__(f"{status} {reason}: {message}")
        self.status = status
        self.reason = reason
        self.message = message
        self.data = data


def error_response(
    status: int, reason: str, message: str, /, headers: dict[str, str] | None = None, **data: Any
) -> JSONResponse:
    return JSONResponse(
        {"detail": {"reason": reason, "message": message, **data}}, status_code=status, headers=headers
    )


def _describe(errors: list[dict[str, Any]]) -> str:
    parts = []
    for err in errors[:5]:
        where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "header"))
        parts.append(f"{where or 'request'}: {err.get('msg', 'invalid')}")
    return "; ".join(parts)


# What a database that is down or unreachable raises: a 503, never a 500.
DATABASE_DOWN: tuple[type[Exception], ...] = (OperationalError, InterfaceError, DisconnectionError)


def database_unavailable(method: str, path: str, exc: Exception) -> JSONResponse:
    """The 503 `service_unavailable` answer, logged once (also used by `api.balance_fast_lane`)."""
    log.error(
        "database unavailable on %s %s: %s",
        method,
        path,
        str(exc).splitlines()[0] if str(exc) else type(exc).__name__,
    )
    return error_response(
        503, "service_unavailable", "The account database is unavailable; try again shortly."
    )


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError):
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return error_response(exc.status, exc.reason, exc.message, headers=headers, **exc.data)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError):
        errors = [
            {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))}
            for e in exc.errors()
        ]
        return error_response(422, "invalid_request", _describe(errors), errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException):
        reasons = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized", 403: "forbidden"}
        return error_response(
            exc.status_code,
            reasons.get(exc.status_code, "http_error"),
            str(exc.detail),
            headers=getattr(exc, "headers", None),
        )

    async def _db_down(request: Request, exc: Exception):
        return database_unavailable(request.method, request.url.path, exc)

    for exc_type in DATABASE_DOWN:
        app.add_exception_handler(exc_type, _db_down)

    async def _busy(request: Request, exc: Exception):
        log.warning(
            "busy: %s %s waited too long for the database (%s)",
            request.method,
            request.url.path,
            type(exc).__name__,
        )
        return error_response(
            503,
            "busy",
            "The account API is at capacity; try again in a moment.",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )

    for busy_type in (DatabaseBusy, PoolTimeout):
        app.add_exception_handler(busy_type, _busy)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        # The server still logs the traceback; the client gets JSON, never a stack trace.
        log.error("unexpected %s on %s %s", type(exc).__name__, request.method, request.url.path)
        return error_response(500, "internal_error", "Unexpected error; it has been logged.")
