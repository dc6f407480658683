"""The one log filter: account and phone numbers never reach a log line whole, in any spelling.

Why one filter on every record: request paths carry numbers
(`/accounts/001110011-7/balance`, `/console/accounts/0011100117`,
`/phones/79001110011/accounts`, URL-encoded `001110011%207`), and so do
database errors and tracebacks. Masking at each log call missed those. The
filter sits on the root logger and is also applied when a record is created
(`logging.setLogRecordFactory`), because uvicorn's loggers keep their own
handlers and do not propagate to the root.

What counts as a number: a run of digits joined by the separators people and
URLs use (space, dashes, dots, underscores, slashes, parentheses, a leading
`+`, and their percent-encodings), with at least 7 digits: every spelling of an
account (`001110011-7`, `0011100117`, `001 110 011 7`, `1110011-7`) and of a
phone (`+7 (900) 111-00-11`, `89001110011`, `%2B79001110011`). All but the last
four digits become `*` (`******011-7`, `*******0011`); separators stay, so the
shape remains readable. Dates, times and IPv4 addresses are left alone.
"""

from __future__ import annotations

import logging
import re
import threading

MIN_DIGITS = 7
KEEP_DIGITS = 4

_SEP = (
    r"(?:[ \t\-\u2010-\u2015\u2212_./()+]"
    r"|%(?:20|2[bBdDeEfF]|28|29)"
    r"|%[eE]2%80%9[0-5]|%[eE]2%88%92)"
)
_KEEP = (
    r"(?P<keep>"
    r"(?<![0-9])\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)?(?![0-9])"  # 2025-11-20 10:30:00
    r"|(?<![0-9])\d{2}\.\d{2}\.\d{4}(?![0-9])"  # 20.11.2025
    r"|(?<![0-9.])\d{1,3}(?:\.\d{1,3}){3}(?![0-9.])"  # 127.0.0.1
    r")"
)
_RUN = rf"(?P<run>(?:\+|%2[bB])?\(?\d+(?:{_SEP}{{1,3}}\d+)*)"
_TOKEN = re.compile(f"{_KEEP}|{_RUN}")
_ESCAPE = re.compile(r"(%[0-9A-Fa-f]{2})")


def _mask_run(run: str) -> str:
    parts = _ESCAPE.split(run)  # percent-escapes at odd positions: their digits are not the number's
    total = sum(sum(ch.isdigit() for ch in p) for i, p in enumerate(parts) if i % 2 == 0)
    if total < MIN_DIGITS:
        return run
    to_mask = total - KEEP_DIGITS
    out = []
    for i, part in enumerate(parts):
        if i % 2:
            out.append(part)
            continue
        chars = []
        for ch in part:
            if ch.isdigit() and to_mask > 0:
                chars.append("*")
                to_mask -= 1
            else:
                chars.append(ch)
        out.append("".join(chars))
    return "".join(out)


def mask_numbers_in(text: str) -> str:
    """`text` with every account- or phone-like number masked (see the module's docstring)."""
    if not any(ch.isdigit() for ch in text):
        return text
    return _TOKEN.sub(lambda m: m.group("keep") or _mask_run(m.group("run")), text)


mask_accounts_in = mask_numbers_in  # the older name


def _mask_arg(arg: object) -> object:
    """A str masked; any other argument (an int, httpx's URL, ...) replaced by its masked text only
    when its text holds a number, so ordinary arguments keep their type for %d and friends."""
    if isinstance(arg, str):
        return mask_numbers_in(arg)
    if arg is None or isinstance(arg, bool | float):
        return arg
    try:
        text = str(arg)
    except Exception:  # noqa: BLE001 - an argument that cannot be shown is left to logging itself
        return arg
    masked = mask_numbers_in(text)
    return arg if masked == text else masked


_formatter = logging.Formatter()


def mask_record(record: logging.LogRecord) -> None:
    """Mask a record in place: message, arguments (keeping their shape), exception and stack text."""
    if getattr(record, "_numbers_masked", False):
        return
    record._numbers_masked = True
    original_msg, original_args = record.msg, record.args
    if isinstance(record.msg, str):
        record.msg = mask_numbers_in(record.msg)
    elif record.msg is not None and not record.args:
        text = str(record.msg)
        if mask_numbers_in(text) != text:
            record.msg = mask_numbers_in(text)
    # Formatters such as uvicorn's access formatter unpack `record.args` themselves: keep a tuple a tuple.
    if isinstance(record.args, tuple):
        record.args = tuple(_mask_arg(a) for a in record.args)
    elif isinstance(record.args, dict):
        record.args = {k: _mask_arg(v) for k, v in record.args.items()}
    try:
        record.getMessage()
    except (TypeError, ValueError):  # a masked int under %d: log the masked text instead
        record.msg, record.args = original_msg, original_args
        try:
            text = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken log call must still be masked, never raise here
            text = f"{original_msg!s} {original_args!r}"
        record.msg, record.args = mask_numbers_in(text), ()
    if record.exc_info and not record.exc_text:
        record.exc_text = _formatter.formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = mask_numbers_in(record.exc_text)
    if record.stack_info:
        record.stack_info = mask_numbers_in(record.stack_info)


class MaskNumbers(logging.Filter):
    """The filter: masks account and phone numbers in the record; never drops it."""

    def filter(self, record: logging.LogRecord) -> bool:
        mask_record(record)
        return True


MaskAccounts = MaskNumbers  # the older name

_installed = threading.Lock()
_factory_installed = False


def install() -> None:
    """Put the filter on the root logger and apply it to every record as it is created (once)."""
    global _factory_installed
    root = logging.getLogger()
    with _installed:
        if not any(isinstance(f, MaskNumbers) for f in root.filters):
            root.addFilter(MaskNumbers())
        if _factory_installed:
            return
        previous = logging.getLogRecordFactory()

        def masked_record(*args, **kwargs) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            mask_record(record)
            return record

        logging.setLogRecordFactory(masked_record)
        _factory_installed = True
