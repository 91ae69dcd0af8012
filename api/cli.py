"""``python -m api users add EMAIL [--admin] | list | token EMAIL``: manage users and their tokens.

Works on the data folder ``PHYLODASH_DATA`` names (default ``./data``), also while the server
runs: the store locks itself across processes. A new token is printed alone on the last line.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from engine.accounts import Accounts
from engine.errors import PhyloDashError
from engine.settings import Settings
from engine.store import TinyDBStore


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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; exit status 0, or 2 with one sentence on standard error."""
    arguments = _parser().parse_args(argv)
    try:
        settings = Settings.from_environment()
        accounts = Accounts(TinyDBStore(settings.data))
        if arguments.command == "add":
            user, token = accounts.add(arguments.email, admin=arguments.admin)
            print(f"created {user['role']} {user['email']} in {settings.data}; its API token:")
            print(token)
        elif arguments.command == "token":
            token = accounts.new_token(arguments.email)
            print(f"new API token of {arguments.email.strip().lower()} (the previous one no longer works):")
            print(token)
        else:
            for user in accounts.all():
                print(f"{user['email']}\t{user['role']}\t{user['created']}")
    except (PhyloDashError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0
