"""What one browser session's models share: the in-process service and the signed-in user."""

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

    def __init__(self, service: Service, **params: Any) -> None:
        super().__init__(**params)
        self.service = service

    @staticmethod
    async def run(function: Callable[..., T], *args: Any) -> T:
        """Run a blocking engine call in a thread, never on the IOLoop the page's websocket uses."""
        return await asyncio.to_thread(function, *args)
