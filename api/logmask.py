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
        # Mask the format string and each argument in place: formatters such as uvicorn's access
        # formatter unpack `record.args` themselves.
        if isinstance(record.msg, str):
            record.msg = mask_accounts_in(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(mask_accounts_in(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {
                k: mask_accounts_in(v) if isinstance(v, str) else v for k, v in record.args.items()
            }
        return True


def install(logger_names: tuple[str, ...] = ("uvicorn.access", "uvicorn.error", "httpx")) -> None:
    """Attach the filter once to each named logger."""
    for name in logger_names:
        logger = logging.getLogger(name)
        if not any(isinstance(f, MaskAccounts) for f in logger.filters):
            logger.addFilter(MaskAccounts())
