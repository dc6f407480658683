"""`hotline asterisk build|start|stop|status|cli`: the Asterisk 22 sandbox from the command line."""

from __future__ import annotations

import argparse
import os
import sys

from telephony.sandbox import DEFAULT_MIRROR, AsteriskSandbox, SandboxError, build, is_built
from telephony.settings import TelephonySettings


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this package's subcommands to the `hotline` parser."""
    asterisk = sub.add_parser(
        "asterisk", help="the Asterisk 22 sandbox (Debian sid chroot) for tests and the demo"
    )
    commands = asterisk.add_subparsers(dest="asterisk_command", metavar="ACTION")
    commands.required = True

    p = commands.add_parser(
        "build", help="debootstrap Debian sid with asterisk into HOTLINE_ASTERISK_ROOT (once)"
    )
    p.add_argument("--mirror", default=DEFAULT_MIRROR, help=f"Debian mirror (default {DEFAULT_MIRROR})")
    p.set_defaults(func=cmd_build)

    p = commands.add_parser("start", help="render our configs and start Asterisk in the background")
    p.add_argument("--name", default="default", help="sandbox name (its own config and run directories)")
    p.set_defaults(func=cmd_start)

    p = commands.add_parser("stop", help="stop the sandbox's Asterisk")
    p.add_argument("--name", default="default")
    p.set_defaults(func=cmd_stop)

    p = commands.add_parser("status", help="is it running, where, and how to call it")
    p.add_argument("--name", default="default")
    p.set_defaults(func=cmd_status)

    p = commands.add_parser("cli", help="run an Asterisk CLI command (none: an interactive console)")
    p.add_argument("--name", default="default")
    p.add_argument("words", nargs=argparse.REMAINDER, help='e.g. "queue show operators"')
    p.set_defaults(func=cmd_cli)


def _fail(exc: Exception) -> int:
    print(f"error: {exc}", file=sys.stderr)
    return 1


def cmd_build(args: argparse.Namespace, settings: TelephonySettings) -> int:
    try:
        if not build(settings.asterisk_root, mirror=args.mirror):
            print(f"The Asterisk sandbox is already built in {settings.asterisk_root}.")
    except SandboxError as exc:
        return _fail(exc)
    return 0


def sandbox_from(settings: TelephonySettings, name: str) -> AsteriskSandbox:
    return AsteriskSandbox.from_settings(settings, name)


def describe(box: AsteriskSandbox) -> str:
    """How to reach a running sandbox: for people (softphone) and programs (AMI)."""
    return "\n".join(
        [
            f"Asterisk sandbox {box.name!r} in {box.root}",
            f"  SIP softphone: sip:demo@127.0.0.1:{box.sip_port}  password {box.sip_demo_password}"
            f"  → dial {box.exten}",
            f"  operator softphone (queue member): sip:operator@127.0.0.1:{box.sip_port}  same password",
            f"  AMI: 127.0.0.1:{box.ami_port} user {box.ami_user}"
            f" (secret in {box.host_dir / 'secrets.json'})",
            f"  AudioSocket calls go to the IVR at {', '.join(box.ivr_hosts)}",
            f"  log: {box.log_file}",
        ]
    )


def cmd_start(args: argparse.Namespace, settings: TelephonySettings) -> int:
    box = sandbox_from(settings, args.name)
    try:
        if not is_built(box.root):
            build(box.root)
        seconds = box.start()
    except SandboxError as exc:
        return _fail(exc)
    print(f"Asterisk started in {seconds:.1f} s.")
    print(describe(box))
    return 0


def cmd_stop(args: argparse.Namespace, settings: TelephonySettings) -> int:
    box = sandbox_from(settings, args.name)
    if box.stop():
        print(f"Asterisk sandbox {box.name!r} stopped.")
    else:
        print(f"Asterisk sandbox {box.name!r} was not running.")
    return 0


def cmd_status(args: argparse.Namespace, settings: TelephonySettings) -> int:
    box = sandbox_from(settings, args.name)
    if not is_built(box.root):
        print(f"Not built: run `hotline asterisk build` (root, Debian mirror) to create {box.root}.")
        return 1
    if not box.is_running():
        print(f"Asterisk sandbox {box.name!r} is not running (`hotline asterisk start`).")
        return 1
    print(f"running, pid {box.pid()}")
    print(describe(box))
    return 0


def cmd_cli(args: argparse.Namespace, settings: TelephonySettings) -> int:
    box = sandbox_from(settings, args.name)
    if not box.is_running():
        print(f"Asterisk sandbox {box.name!r} is not running (`hotline asterisk start`).", file=sys.stderr)
        return 1
    if not args.words:
        command = ["chroot", str(box.root), "/usr/sbin/asterisk", "-C", box.config_file, "-r"]
        os.execvp(command[0], command)
    try:
        print(box.cli(" ".join(args.words)), end="")
    except SandboxError as exc:
        return _fail(exc)
    return 0
