"""Test helpers for the REST API: multipart bodies, and a tornado.testing case over a real service.

Every response a test receives is checked against the served OpenAPI document.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any, ClassVar

import tornado.web
from live_server import FINAL, Client, job_request, multipart, poll_job
from openapi_check import check_response
from tornado.httpclient import HTTPResponse
from tornado.testing import AsyncHTTPTestCase

from api.openapi import openapi_document
from api.routes import make_routes
from engine.services.analyses import JobRequest
from engine.services.root import Service
from engine.services.settings import Settings
from engine.storage.records import DatasetRecord, JobRecord, ProjectRecord, UserRecord

FIXTURES = Path(__file__).parent / "fixtures"
DOCUMENT = openapi_document("test")


class ApiTestCase(AsyncHTTPTestCase):
    """A real service (TinyDB in a temporary folder, spawned workers) behind the API's routes.

    ``self.admin`` is the first-start admin's token; the demo project exists.
    """

    settings: ClassVar[dict[str, Any]] = {}

    def get_app(self) -> tornado.web.Application:
        self.folder = Path(tempfile.mkdtemp(prefix="phylodash-api-"))
        # No demo tree: each test's own jobs are the only ones (tests/engine/services/test_demo_tree.py).
        self.service = Service(Settings(data=self.folder, workers=1, **{"demo_tree": False,
                                                                          **self.extra_settings()}))
        self.admin = self.service.start()[-1]
        return tornado.web.Application(make_routes(self.service))

    def extra_settings(self) -> dict[str, Any]:
        """Settings of this test case's service besides its data folder and one worker."""
        return dict(self.settings)

    def tearDown(self) -> None:
        super().tearDown()
        self.service.stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    def get_http_client(self) -> Any:
        client = super().get_http_client()
        client.defaults = {**getattr(client, "defaults", {}), "request_timeout": 120}
        return client

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        token: str | None = "admin",
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
    ) -> HTTPResponse:
        """One request (``body`` sent as JSON), its response checked against the OpenAPI document."""
        sent = dict(headers or {})
        if token is not None:
            sent["Authorization"] = f"Bearer {self.admin if token == 'admin' else token}"
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        if data is None and method in ("POST", "PUT"):
            data = b""
        response = self.fetch(
            path, method=method, body=data, headers=sent, raise_error=False, allow_nonstandard_methods=True
        )
        check_response(
            DOCUMENT, method, path, response.code, response.headers.get("Content-Type", ""), response.body
        )
        return response

    def json(self, method: str, path: str, body: Any = None, *, expect: int = 200, **options: Any) -> Any:
        """The JSON answer of a request that must answer ``expect``."""
        response = self.call(method, path, body, **options)
        assert response.code == expect, (response.code, response.body[:500])
        return json.loads(response.body) if response.body else None

    def project(
        self, token: str | None = "admin", visibility: str = "private", users: list[str] | None = None
    ) -> str:
        """A new project's id."""
        body = {
            "name": "Outbreak 2026",
            "description": "test",
            "visibility": visibility,
            "users": users or [],
        }
        return self.json("POST", "/projects", body, expect=201, token=token)["id"]

    def upload(
        self,
        project: str,
        profiles: bytes,
        isolates: bytes | None = None,
        *,
        token: str | None = "admin",
        expect: int = 201,
        **fields: str,
    ) -> Any:
        """Upload a dataset; its JSON answer."""
        files = {"profiles": ("profiles.tsv", profiles)}
        if isolates is not None:
            files["isolates"] = ("isolates.tsv", isolates)
        data, content_type = multipart(files, {"name": "test data", **fields})
        return self.json(
            "POST",
            f"/projects/{project}/datasets",
            raw=data,
            expect=expect,
            token=token,
            headers={"Content-Type": content_type},
        )

    def submit(self, project: str, algorithm: str, *parameters: Any) -> Any:
        """POST a job (202 expected): ``{job_id, analysis_id}``."""
        return self.json("POST", f"/projects/{project}/jobs", job_request(algorithm, *parameters), expect=202)

    def wait_job(self, project: str, job: str, statuses: tuple[str, ...] = FINAL) -> Any:
        """Poll until the job's status is one of ``statuses``."""
        return poll_job(lambda: self.json("GET", f"/projects/{project}/jobs/{job}"), statuses, timeout=120)


def submit_demo_job(service: Service) -> tuple[UserRecord, ProjectRecord, DatasetRecord, JobRecord]:
    """On a started service: the admin, the demo project, its dataset, and a queued goeBURST job on it."""
    admin = service.accounts.find("admin@localhost")
    assert admin is not None
    demo = service.catalog.projects(admin)[0]
    dataset = service.catalog.datasets(admin, demo.id)[0]
    job = service.analyses.submit(admin, demo.id, JobRequest("inference", "goeburst", dataset.id,
                                                             options={"lvs": 3}))
    return admin, demo, dataset, job


def new_tree(client: Client, name: str, files: dict[str, tuple[str, bytes]]) -> dict[str, str]:
    """Through the API: a new private project ``name`` with a dataset of ``files`` (``profiles`` and
    optionally ``isolates``), its goeBURST tree (lvs 3), that tree's radial layout and its partition at
    thresholds 1 and 3. Their ids under ``project``, ``dataset``, ``inference``, ``visualization``,
    ``partition``, ``job`` (the inference's), ``layout_job`` and ``partition_job``."""
    project = client.json("POST", "/projects", {"name": name, "visibility": "private"}, expect=201)["id"]
    data, content_type = multipart(files, {"name": name})
    dataset = client.json("POST", f"/projects/{project}/datasets", data=data, content_type=content_type,
                          expect=201)["id"]
    inference = client.submit(project, "goeburst", dataset, 3)
    assert client.wait_job(project, inference["job_id"])["status"] == "succeeded"
    layout = client.submit(project, "radial", dataset, inference["analysis_id"])
    assert client.wait_job(project, layout["job_id"])["status"] == "succeeded"
    cut = {"analysis": "partition", "algorithm": "cluster-codes",
           "parameters": [dataset, inference["analysis_id"], {"thresholds": [1, 3]}]}
    partition = client.json("POST", f"/projects/{project}/jobs", cut, expect=202)
    assert client.wait_job(project, partition["job_id"])["status"] == "succeeded"
    return {"project": project, "dataset": dataset, "inference": inference["analysis_id"],
            "visualization": layout["analysis_id"], "partition": partition["analysis_id"],
            "job": inference["job_id"], "layout_job": layout["job_id"], "partition_job": partition["job_id"]}
