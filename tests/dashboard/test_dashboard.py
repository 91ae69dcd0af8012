"""The dashboard's parts on a real service, without a browser: sign-in, projects, uploads, jobs, trees."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from dashboard.page import Dashboard
from dashboard.tabs.jobs import job_rows
from dashboard.tabs.upload_report import report_markdown
from dashboard.text import plain
from engine.algorithms import registry
from engine.services.root import Service
from engine.services.settings import Settings
from engine.storage.records import JobRecord


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    started = Service(Settings(data=tmp_path, workers=1))
    started.token = started.start()[-1]  # type: ignore[attr-defined]
    yield started
    started.stop()


def signed_in(service: Service) -> Dashboard:
    page = Dashboard(service)
    page.sign_in.token.value = service.token  # type: ignore[attr-defined]
    assert asyncio.run(page.sign_in.sign_in_now())
    asyncio.run(page.data.load_projects())
    return page


def test_wrong_credentials_are_refused_and_secrets_do_not_stay_on_the_page(service: Service) -> None:
    page = Dashboard(service)
    page.sign_in.token.value = "pd_wrong"
    assert not asyncio.run(page.sign_in.sign_in_now())
    assert "not valid" in page.sign_in.message.object and page.session.user is None
    service.accounts.set_password("admin@localhost", "correct horse")
    page.sign_in.email.value, page.sign_in.password.value = "admin@localhost", "wrong horse"
    assert not asyncio.run(page.sign_in.sign_in_now()) and "do not match" in page.sign_in.message.object
    page.sign_in.password.value = "correct horse"
    assert asyncio.run(page.sign_in.sign_in_now())
    assert page.session.user.email == "admin@localhost" and page.sign_in.password.value == ""


def test_projects_datasets_and_an_upload_with_its_report(service: Service) -> None:
    page = signed_in(service)
    assert list(page.data.project.options) == ["Demo (public)"]
    assert page.data.datasets.value["profiles"].tolist() == [260]
    page.data.new_name.value = "Outbreak <b>2026</b>"
    asyncio.run(page.data._on_create(None))
    demo = service.catalog.projects(page.session.user)[0].id
    assert page.session.project == page.data.project.value != demo
    page.data.profiles_file.value = b"ST\ta\tb\n1\t1\t2\n2\t1\n3\t1\t1\n"
    page.data.dataset_name.value = "tiny"
    asyncio.run(page.data._on_upload(None))
    report = page.data.report.object
    assert "2 profiles" in report and "| 3 |" in report  # line 3 was left out, with its reason
    assert page.data.datasets.value["name"].tolist() == ["tiny"]
    page.data.profiles_file.value = b"ST\ta\n"
    asyncio.run(page.data._on_upload(None))
    assert "was not stored" in page.data.report.object and "line 1" in page.data.report.object


def test_launching_a_job_from_the_registry_form_and_following_it(service: Service) -> None:
    page = signed_in(service)
    asyncio.run(page.jobs._on_project())
    assert page.jobs.algorithm.options == registry.names(registry.INFERENCE)
    assert set(page.jobs.widgets) == {"lvs", "missing"} and page.jobs.widgets["lvs"].value == 3
    page.jobs.widgets["missing"].value = "ignore"
    asyncio.run(page.jobs._on_launch(None))
    assert "Launched goeburst" in page.jobs.message.object
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and page.jobs.table.value["status"].tolist() != ["succeeded"]:
        time.sleep(0.2)
        asyncio.run(page.jobs.refresh())
    row = page.jobs.table.value.iloc[0]
    assert row["status"] == "succeeded" and row["progress"] == 100 and "missing=ignore" in row["parameters"]
    page.jobs.analysis.value = "visualization"
    asyncio.run(page.jobs._on_dataset())
    assert page.jobs.algorithm.options == ["radial", "force"] and page.jobs.inference.options


def test_user_text_is_escaped() -> None:
    assert plain("<script>alert(1)</script> *x*") == "&lt;script&gt;alert\\(1\\)&lt;/script&gt; \\*x\\*"
    report = {"profiles": 1, "loci": 1, "missing_cells": 0, "skipped_lines": [{"line": 2, "reason": "<img>"}],
              "notes": ["<b>note</b>"]}
    text = report_markdown("<i>name</i>", report)
    assert "<" not in text.replace("&lt;", "")


def test_job_rows_show_duration_progress_and_errors() -> None:
    job = JobRecord(id="j", status="failed", analysis="inference", algorithm="goeburst", options={"lvs": 2},
                    dataset_id="d", progress=0.5, started="2026-01-01T00:00:00.000Z",
                    finished="2026-01-01T00:01:05.000Z", error="out of memory",
                    created="2026-01-01T00:00:00Z", analysis_id="a")
    rows = job_rows([job], {"d": "demo"})
    assert rows.iloc[0][["parameters", "progress", "duration", "error"]].tolist() == [
        "demo; lvs=2", 50, "1 min 5 s", "out of memory"]

