"""The database behind a `hotline` command of the api package (`db`, `demo-data`, `campaign`, …).

Why its own module: `api.cli`, `api.campaign_cli` and `api.console.cli` all wrap their commands
the same way, and none of them has to import another (no import cycle between the CLIs).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from sqlalchemy.orm import Session

from api.db import DatabaseUnavailable, migrated_session
from api.settings import ApiSettings

DatabaseCommand = Callable[[argparse.Namespace, ApiSettings, Session], int]
Command = Callable[[argparse.Namespace, ApiSettings], int]


def needs_database(command: DatabaseCommand) -> Command:
    """Run `command` with a session; a database that is down is a one-line error and exit status 2."""

    def run(args: argparse.Namespace, settings: ApiSettings) -> int:
        try:
            with migrated_session(settings.database_url) as session:
                return command(args, settings, session)
        except DatabaseUnavailable as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2

    return run
