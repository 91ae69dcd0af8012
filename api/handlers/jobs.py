"""PhyloDB's jobs API: ``/projects/{project}/jobs`` and ``/projects/{project}/jobs/{job}``."""

from __future__ import annotations

from api.handlers.base import BaseHandler, encode
from api.wire import job_request, job_view
from engine.storage.records import UserRecord


class JobsHandler(BaseHandler):
    """List the project's jobs, newest first; queue a new one (202 ``{job_id, analysis_id}``)."""

    async def get(self, project_id: str) -> None:
        user = await self.caller()
        page = self.page()
        await self.call(self.service.catalog.project, user, project_id)  # may the caller read it?
        answer = await self.context.pages.answer(("jobs", project_id, page),
                                                 self.service.store.revision(project_id),
                                                 lambda: self.call(self._page, user, project_id, page))
        self.send_encoded(answer)

    def _page(self, user: UserRecord, project_id: str, page: int) -> bytes:
        size = self.service.settings.page_size
        jobs = self.service.analyses.jobs(user, project_id, page * size, (page + 1) * size)
        return encode([job_view(job) for job in jobs])

    async def post(self, project_id: str) -> None:
        user = await self.caller()
        job = await self.call(self.service.analyses.submit, user, project_id,
                             job_request(self.json_body()))
        await self.send_json({"job_id": job.id, "analysis_id": job.analysis_id}, 202)


class JobHandler(BaseHandler):
    """One job: its state; DELETE cancels it (queued or running) or removes it from the list."""

    async def get(self, project_id: str, job_id: str) -> None:
        user = await self.caller()
        await self.send_json(job_view(await self.call(self.service.analyses.job, user, project_id, job_id)))

    async def delete(self, project_id: str, job_id: str) -> None:
        user = await self.caller()
        await self.call(self.service.analyses.delete, user, project_id, job_id)
        self.set_status(204)
        self.finish()
