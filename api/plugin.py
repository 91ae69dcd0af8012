"""The plugin ``panel serve dashboard/app.py --plugins api.plugin`` loads: it declares ``ROUTES``.

Importing it starts the process's service (store, job runner) from the environment; on the first
start it prints the admin's token and the dashboard's address, once, when the server's event loop
starts: the address is printed when it answers.
"""

from __future__ import annotations

from tornado.ioloop import IOLoop

from api.routes import make_routes
from engine.services.root import shared_service


def _greet(lines: list[str]) -> None:
    if lines:  # Panel makes its server on this thread's loop after loading the plugins
        IOLoop.current().add_callback(print, "\n".join(lines), flush=True)


ROUTES = make_routes(shared_service(on_start=_greet))
