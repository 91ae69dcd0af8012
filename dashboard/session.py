"""What one browser session shares between its parts: the signed-in user and the open project."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

import param

from engine.services.root import Service
from engine.storage.records import UserRecord

T = TypeVar("T")


class Session(param.Parameterized):
    """The signed-in user, the selected project, and events the parts of the page react to."""

    user = param.ClassSelector(class_=UserRecord, default=None, allow_None=True,
                               doc="The signed-in user's record.")
    project = param.String(default=None, allow_None=True, doc="Id of the selected project.")
    datasets_changed = param.Event(doc="A dataset was added or removed in the selected project.")
    tree = param.Dict(default=None, allow_None=True,
                      doc="The tree to show: {dataset_id, inference_id, visualization_id or None}.")

    def __init__(self, service: Service, **params: Any) -> None:
        super().__init__(**params)
        self.service = service

    @staticmethod
    async def run(function: Callable[..., T], *args: Any) -> T:
        """Run a blocking engine call in a thread, never on the IOLoop the page's websocket uses."""
        return await asyncio.to_thread(function, *args)
