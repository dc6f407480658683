"""`hotline serve`, `hotline demo`, `hotline call`: the commands that run the whole hotline."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ivr's subcommands (filled in by the telephony issue)."""
