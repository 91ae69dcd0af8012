"""``python -m api users add EMAIL [--admin] | list | token EMAIL | password EMAIL``: manage users.

Works on the data folder ``PHYLODASH_DATA`` names (default ``./data``), also while the server
runs: the store locks itself across processes. A new token is printed alone on the last line.
``password`` reads the new dashboard password from standard input (asked for on a terminal).
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Sequence

from engine.errors import PhyloDashError
from engine.services.accounts import Accounts
from engine.services.settings import Settings
from engine.storage.store import TinyDBStore


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m api", description="Manage PhyloDash users.")
    groups = parser.add_subparsers(dest="group", required=True)
    users = groups.add_parser("users", help="users and their API tokens")
    commands = users.add_subparsers(dest="command", required=True)
    add = commands.add_parser("add", help="create a user and print its token")
    add.add_argument("email")
    add.add_argument("--admin", action="store_true", help="the user may do everything")
    commands.add_parser("list", help="list the users")
    token = commands.add_parser("token", help="print a fresh token (the old one stops working)")
    token.add_argument("email")
    password = commands.add_parser("password", help="set the dashboard password")
    password.add_argument("email")
    return parser


def _read_password() -> str:
    if sys.stdin.isatty():
        return getpass.getpass("new password: ")
    return sys.stdin.readline().rstrip("\r\n")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; exit status 0, or 2 with one sentence on standard error."""
    arguments = _parser().parse_args(argv)
    try:
        settings = Settings.from_environment()
        accounts = Accounts(TinyDBStore(settings.data))
        if arguments.command == "add":
            user, token = accounts.add(arguments.email, admin=arguments.admin)
            print(f"created {user.role} {user.email} in {settings.data}; its API token:")
            print(token)
        elif arguments.command == "token":
            token = accounts.new_token(arguments.email)
            print(f"new API token of {arguments.email.strip().lower()} (the previous one no longer works):")
            print(token)
        elif arguments.command == "password":
            accounts.set_password(arguments.email, _read_password())
            print(f"the password of {arguments.email.strip().lower()} is set")
        else:
            for user in accounts.all():
                print(f"{user.email}\t{user.role}\t{user.created}")
    except (PhyloDashError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0
