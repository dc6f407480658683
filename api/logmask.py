"""A logging filter that masks account numbers in any log line (e.g. uvicorn's access log).

Why: request paths contain account numbers (`/accounts/001110011-7/balance`);
our own log calls mask them already, the server's access log does not.
"""

from __future__ import annotations

import logging
import re

_ACCOUNT_IN_TEXT = re.compile(r"(?<![0-9])[0-9]{6}([0-9]{3}-[0-9])(?![0-9])")


def mask_accounts_in(text: str) -> str:
    return _ACCOUNT_IN_TEXT.sub(r"******\1", text)


class MaskAccounts(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_accounts_in(message)
        if masked != message:
            record.msg, record.args = masked, ()
        return True


def install(logger_names: tuple[str, ...] = ("uvicorn.access", "uvicorn.error", "httpx")) -> None:
    """Attach the filter once to each named logger."""
    for name in logger_names:
        logger = logging.getLogger(name)
        if not any(isinstance(f, MaskAccounts) for f in logger.filters):
            logger.addFilter(MaskAccounts())
