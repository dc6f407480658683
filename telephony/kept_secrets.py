"""Secrets a dev tool made up once and keeps in a file only its owner may read.

Why one home: the Asterisk sandbox keeps its AMI and SIP passwords, `hotline demo` its tokens
and console password; both must survive a damaged file (made up again, never a crash) and never
sit readable by others, not even for a moment. `telephony` is the lower of the two packages.
"""

from __future__ import annotations

import json
import os
from pathlib import Path


def read_kept(path: Path) -> dict[str, str]:
    """The kept name → secret pairs; {} when the file is missing, unreadable or not a JSON object
    (only string values count)."""
    try:
        kept = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(kept, dict):
        return {}
    return {name: value for name, value in kept.items() if isinstance(value, str)}


def keep(path: Path, secrets: dict[str, str]) -> None:
    """Write the secrets for later runs, the file created owner-only (0600) before anything is
    written into it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # an older file may have been created with wider rights
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(secrets, out)
