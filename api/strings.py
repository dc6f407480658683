"""Strings the API accepts: no NUL, no other control characters.

Why: a NUL byte in a call id was a 500 on PostgreSQL (text columns cannot hold
it), and control characters in ids or text end up in logs and the console,
where they can forge lines. Identifiers (call ids, keys, reasons, steps) may
hold no control character at all; free text (transcript lines, summaries,
notes) may hold line breaks and tabs only. Everything else is a 422.

Two layers: `RefuseControlChars` checks the path, the query string and the
header values of every request before any route runs; `Ident` and `FreeText`
are the annotated types the request bodies and forms use.
"""

from __future__ import annotations

import json
import re
from typing import Annotated
from urllib.parse import unquote_to_bytes

from pydantic import AfterValidator

# C0 controls, DEL, C1 controls; the free-text variant keeps \t \n \r.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_TEXT_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def has_control(text: str) -> bool:
    return _CONTROL.search(text) is not None


def no_control(value: str) -> str:
    """Pydantic validator: an identifier without control characters."""
    if _CONTROL.search(value):
        raise ValueError("control characters (NUL, line breaks, ...) are not allowed here")
    return value


def text_no_control(value: str) -> str:
    """Pydantic validator: free text; line breaks and tabs allowed, other control characters not."""
    if _TEXT_CONTROL.search(value):
        raise ValueError("control characters (NUL, escape, ...) are not allowed in text")
    return value


Ident = Annotated[str, AfterValidator(no_control)]
FreeText = Annotated[str, AfterValidator(text_no_control)]


def _decoded_has_control(raw: bytes) -> bool:
    """Percent-decoded bytes contain a control character (as bytes or after UTF-8 decoding)."""
    data = unquote_to_bytes(raw.replace(b"+", b" "))
    if re.search(rb"[\x00-\x1f\x7f]", data):
        return True
    return has_control(data.decode("utf-8", "replace"))


class RefuseControlChars:
    """ASGI middleware: 422 for a path, query string or header value with a control character."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        where = None
        if has_control(scope.get("path", "")) or _decoded_has_control(scope.get("raw_path") or b""):
            where = "path"
        elif _decoded_has_control(scope.get("query_string", b"")):
            where = "query"
        elif any(re.search(rb"[\x00-\x08\x0a-\x1f\x7f]", v) for _k, v in scope.get("headers", ())):
            where = "header"
        if where is None:
            await self.app(scope, receive, send)
            return
        body = json.dumps(
            {
                "detail": {
                    "reason": "invalid_request",
                    "message": f"{where}: control characters (NUL, line breaks, ...) are not allowed",
                }
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 422,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
