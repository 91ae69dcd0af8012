"""The dashboard page's logic on a real service: sign-in with a token, the caller's projects and jobs."""

from __future__ import annotations

import asyncio
from pathlib import Path

from api_client import submit_demo_job

from dashboard.jobs_page import JobsPage
from engine.service import Service
from engine.settings import Settings


def test_signing_in_lists_the_callers_projects_datasets_and_jobs(tmp_path: Path) -> None:
    service = Service(Settings(data=tmp_path, workers=1))
    token = service.start()[-1]
    try:
        _, demo, _, job = submit_demo_job(service)
        page = JobsPage(service)
        page.token.value = "pd_wrong"
        asyncio.run(page.sign_in_now())
        assert page.user is None and "not valid" in page.message.object and not page.jobs.visible
        page.token.value = token
        asyncio.run(page.sign_in_now())
        assert page.user is not None and "admin@localhost" in page.message.object
        assert list(page.project.options.values()) == [demo["id"]] and page.project.value == demo["id"]
        assert page.datasets.value["profiles"].tolist() == [260]
        assert page.jobs.value["id"].tolist() == [job["id"]]
        assert page.token.value == ""  # the token does not stay on the page
    finally:
        service.stop()
