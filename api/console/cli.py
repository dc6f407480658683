"""`hotline operators ...`: console logins.

hotline operators add NAME [--password-stdin]     a new operator (asks for the password twice)
hotline operators passwd NAME [--password-stdin]  a new password (ends the operator's sessions)
hotline operators disable NAME                    no more logins (ends the operator's sessions)
hotline operators list                            names, active or not, when added
"""

from __future__ import annotations

import argparse
import getpass
import sys
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.cli_database import needs_database
from api.console import auth
from api.console.models import Operator
from api.settings import ApiSettings


def _read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass(f"Password for {args.name}: ")
    if getpass.getpass("Again: ") != first:
        raise auth.OperatorError("the two passwords differ")
    return first


def _run(action) -> int:
    try:
        message = action()
    except auth.OperatorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(message)
    return 0


@needs_database
def cmd_add(args: argparse.Namespace, _settings: ApiSettings, session: Session) -> int:
    def add() -> str:
        name = auth.check_name(args.name)
        if session.scalar(select(Operator).where(Operator.name == name)) is not None:
            raise auth.OperatorError(
                f"operator {name!r} already exists (use `hotline operators passwd {name}`)"
            )
        auth.add_operator(session, name, _read_password(args), datetime.now(UTC))
        return f"operator {name} added; log in at /console"

    return _run(add)


@needs_database
def cmd_passwd(args: argparse.Namespace, _settings: ApiSettings, session: Session) -> int:
    def passwd() -> str:
        auth.check_name(args.name)
        auth.set_password(session, args.name, _read_password(args))
        return f"operator {args.name.strip()}: password changed, open sessions ended"

    return _run(passwd)


@needs_database
def cmd_disable(args: argparse.Namespace, _settings: ApiSettings, session: Session) -> int:
    def disable() -> str:
        auth.disable_operator(session, args.name)
        return f"operator {args.name.strip()} disabled, open sessions ended"

    return _run(disable)


@needs_database
def cmd_list(_args: argparse.Namespace, _settings: ApiSettings, session: Session) -> int:
    operators = list(session.scalars(select(Operator).order_by(Operator.name)))
    if not operators:
        print("no operators yet: hotline operators add NAME")
    for op in operators:
        state = "active" if op.active else "disabled"
        print(f"{op.name}\t{state}\tadded {op.created_at.date().isoformat()}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("operators", help="operator console logins (add, passwd, disable, list)")
    ops = p.add_subparsers(dest="operators_command", metavar="ACTION")
    ops.required = True
    for name, func, text in (
        ("add", cmd_add, "add an operator (asks for the password)"),
        ("passwd", cmd_passwd, "set a new password; ends the operator's sessions"),
    ):
        q = ops.add_parser(name, help=text)
        q.add_argument("name", help="login name, no spaces")
        q.add_argument(
            "--password-stdin", action="store_true", help="read the password from the first line of stdin"
        )
        q.set_defaults(func=func)
    q = ops.add_parser("disable", help="stop an operator's logins; ends the operator's sessions")
    q.add_argument("name")
    q.set_defaults(func=cmd_disable)
    q = ops.add_parser("list", help="list operators")
    q.set_defaults(func=cmd_list)
