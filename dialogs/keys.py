"""Collecting keys for one question per its DtmfSpec: the one rule both channels use.

Why its own module: the phone (ivr.CallSession, keys arriving one by one) and the text
channel (a typed line) must turn the same keys into the same answer; two copies of this
logic once disagreed about a terminator on a one-key question.

The rule: a one-key question (max_digits=1, menus) takes the first key, whatever it is —
`*` there is the policy's "repeat", `#` a key like any other. A longer entry ends with the
terminator (not part of the digits; alone it is an empty entry) or when max_digits keys
were pressed; the erase key clears what was typed so far.
"""

from __future__ import annotations

from dialogs.channel import DtmfSpec, Reply


class KeyEntry:
    """The keys of one answer so far; `press` returns the Reply once the entry is complete."""

    def __init__(self, spec: DtmfSpec) -> None:
        self.spec = spec
        self.digits = ""
        self.full = False  # ended by reaching max_digits (a `#` out of habit may follow)

    @property
    def started(self) -> bool:
        return bool(self.digits)

    def press(self, key: str) -> Reply | None:
        spec = self.spec
        if spec.max_digits <= 1:
            self.full = True
            return Reply.keys(key)
        if spec.terminator and key == spec.terminator:
            return Reply.keys(self.digits)
        if spec.erase and key == spec.erase:
            self.digits = ""
            return None
        self.digits += key
        if len(self.digits) >= spec.max_digits:
            self.full = True
            return Reply.keys(self.digits)
        return None

    def timed_out(self) -> Reply:
        """The caller stopped pressing: what was typed is the answer."""
        return Reply.keys(self.digits)


def collect(typed: str, spec: DtmfSpec) -> Reply:
    """All keys of an entry at once (a typed line): the Reply the phone would give."""
    entry = KeyEntry(spec)
    for key in typed:
        reply = entry.press(key)
        if reply is not None:
            return reply
    return entry.timed_out()
