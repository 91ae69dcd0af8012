"""What the models of one browser session share: the in-process service, the signed-in user, a base."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

import param

from engine.services.root import Service
from engine.storage.records import UserRecord

T = TypeVar("T")


class Session(param.Parameterized):
    """The service every model calls (in-process, never over HTTP) and the user signed in to this page."""

    user = param.ClassSelector(class_=UserRecord, default=None, allow_None=True,
                               doc="The signed-in user's record; None before sign-in and after sign-out.")
    address = param.String("", constant=True,
                           doc="The browser's network address: failed sign-ins are counted per address.")

    def __init__(self, service: Service, **params: Any) -> None:
        super().__init__(**params)
        self.service = service

    @staticmethod
    async def run(function: Callable[..., T], *args: Any) -> T:
        """Run a blocking engine call in a thread, never on the IOLoop the page's websocket uses."""
        return await asyncio.to_thread(function, *args)


def part(kind: type, doc: str) -> param.ClassSelector:
    """A parameter holding another model (or the session) this one works with, set at construction."""
    return param.ClassSelector(class_=kind, constant=True, instantiate=False, precedence=-1, doc=doc)


class SessionModel(param.Parameterized):
    """Base of the view models: the session they act for, and their watchers registered in one place.

    Models they work with are parameters too (``picker``, ``jobs``, ``tree``), so views and watchers
    can depend on paths such as ``"picker.datasets"``.
    """

    session = part(Session, "The browser session the model acts for.")

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self._init_callbacks()

    def _init_callbacks(self) -> None:
        """Register the model's watchers (a subclass's own; none here)."""
