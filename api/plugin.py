"""The plugin ``panel serve dashboard/app.py --plugins api.plugin`` loads: it declares ``ROUTES``.

Importing it starts the process's service (store, job runner) from the environment; on the first
start it prints the admin's token and the dashboard's address, once.
"""

from __future__ import annotations

from api.routes import make_routes
from engine.services.root import shared_service


def _greet(lines: list[str]) -> None:
    if lines:
        print("\n".join(lines), flush=True)


ROUTES = make_routes(shared_service(on_start=_greet))
