"""``/projects`` and ``/projects/{project}``."""

from __future__ import annotations

from api.handlers.base import BaseHandler
from api.wire import project_view


class ProjectsHandler(BaseHandler):
    """List the caller's projects; create one (the caller becomes a member)."""

    async def get(self) -> None:
        user = await self.caller()
        page = self.page()
        projects = await self.call(self.service.catalog.projects, user)
        await self.send_json([project_view(p) for p in self.paged(projects, page)])

    async def post(self) -> None:
        user = await self.caller()
        project = await self.call(self.service.catalog.create_project, user, self.json_body())
        await self.send_json(project_view(project), 201)


class ProjectHandler(BaseHandler):
    """Read, replace or delete (deprecate, with everything in it) one project."""

    async def get(self, project_id: str) -> None:
        user = await self.caller()
        await self.send_json(project_view(await self.call(self.service.catalog.project, user, project_id)))

    async def put(self, project_id: str) -> None:
        user = await self.caller()
        await self.call(self.service.catalog.update_project, user, project_id, self.json_body())
        self.set_status(204)
        self.finish()

    async def delete(self, project_id: str) -> None:
        user = await self.caller()
        await self.call(self.service.catalog.delete_project, user, project_id)
        self.set_status(204)
        self.finish()
