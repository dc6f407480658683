"""The `hotline` command: one entry point, subcommands contributed by each package.

Why a registry of modules: each package owns its own commands (`api.cli`, `speech.cli`,
`telephony.cli`, `ivr.commands`, `ivr.chat`, `ivr.campaign_run`) and adds them here through a
`register(subparsers)` function, so the packages stay independent. Each command gets only
its package's settings (`hotline api` never loads the AMI secret); ivr's commands get them all.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from pydantic_settings import BaseSettings

COMMAND_MODULES = ("api.cli", "speech.cli", "telephony.cli", "ivr.commands", "ivr.chat", "ivr.campaign_run")


def fixed_prompt_texts() -> list[str]:
    """The dialogs' fixed sentences, which `hotline prompts build` (speech) renders ahead of calls."""
    from dialogs.prompts import static_texts

    return list(static_texts())


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hotline", description="Utility-billing hotline: IVR, API, tools.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMAND_MODULES:
        module = importlib.import_module(name)
        if name == "speech.cli":  # what the robot says is the dialogs'; speech only renders it
            module.register(sub, prompt_texts=fixed_prompt_texts)
        else:
            module.register(sub)
    return parser


def settings_for(package: str) -> BaseSettings:
    """The settings a command of `package` reads: its own part, or all of them for ivr's."""
    from ivr.settings import Settings, load

    if package == "api":
        from api.settings import ApiSettings

        return load(ApiSettings)
    if package == "speech":
        from speech.settings import SpeechSettings

        return load(SpeechSettings)
    if package == "telephony":
        from telephony.settings import TelephonySettings

        return load(TelephonySettings)
    return Settings.from_env()


def main(argv: Sequence[str] | None = None) -> int:
    from ivr.settings import LogSettings, load

    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=getattr(logging, load(LogSettings).log_level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    settings = settings_for(args.func.__module__.partition(".")[0])
    result = args.func(args, settings)
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
