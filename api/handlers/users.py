"""``/users/me`` (who the token belongs to) and ``/users`` (every user; admins only)."""

from __future__ import annotations

from api.handlers.base import BaseHandler
from api.problems import Problem
from api.wire import user_view
from engine.services.accounts import ADMIN


class MeHandler(BaseHandler):
    """The calling user."""

    async def get(self) -> None:
        await self.send_json(user_view(await self.caller()))


class UsersHandler(BaseHandler):
    """Every user (admins only)."""

    async def get(self) -> None:
        user = await self.caller()
        page = self.page()
        if user.role != ADMIN:
            raise Problem(403, "only admins may list the users")
        users = await self.call(self.service.accounts.all)
        await self.send_json([user_view(u) for u in self.paged(users, page)])
