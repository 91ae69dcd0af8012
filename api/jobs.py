"""PhyloDB's jobs API: ``/projects/{project}/jobs`` and ``/projects/{project}/jobs/{job}``."""

from __future__ import annotations

from api.base import BaseHandler
from engine.analyses import job_view


class JobsHandler(BaseHandler):
    """List the project's jobs, newest first; queue a new one (202 ``{job_id, analysis_id}``)."""

    async def get(self, project_id: str) -> None:
        user = await self.caller()
        page = self.page()
        jobs = await self.call(self.service.analyses.jobs, user, project_id)
        self.send_json([job_view(job) for job in self.paged(jobs, page)])

    async def post(self, project_id: str) -> None:
        user = await self.caller()
        job = await self.call(self.service.analyses.submit, user, project_id, self.json_body())
        self.send_json({"job_id": job["id"], "analysis_id": job["analysis_id"]}, 202)


class JobHandler(BaseHandler):
    """One job: its state; DELETE cancels it (queued or running) or removes it from the list."""

    async def get(self, project_id: str, job_id: str) -> None:
        user = await self.caller()
        self.send_json(job_view(await self.call(self.service.analyses.job, user, project_id, job_id)))

    async def delete(self, project_id: str, job_id: str) -> None:
        user = await self.caller()
        await self.call(self.service.analyses.delete, user, project_id, job_id)
        self.set_status(204)
        self.finish()
