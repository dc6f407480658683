"""The `hotline` command: one entry point, subcommands contributed by each package.

Why a registry of modules: each package owns its own commands (`api.cli`,
`speech.cli`, `telephony.cli`, `dialogs.cli`, `ivr.commands`) and adds them here
through a `register(subparsers)` function, so the packages stay independent.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

COMMAND_MODULES = ("api.cli", "speech.cli", "telephony.cli", "dialogs.cli", "ivr.commands")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hotline", description="Utility-billing hotline: IVR, API, tools.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from ivr.settings import Settings

    parser = build_parser()
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    logging.basicConfig(
        level=getattr(logging, settings.log_level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    result = args.func(args, settings)
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
