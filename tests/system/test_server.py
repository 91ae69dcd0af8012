"""End to end: the server started as ``make serve`` does it, talked to over HTTP on 127.0.0.1."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from api_client import FIXTURES
from live_server import Client, LiveServer, alive, cgmlst_file, job_workers, upload

from engine.algorithms.registry import infer
from engine.io.datasets import open_dataset
from engine.io.newick import to_newick


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("served")


@pytest.fixture(scope="module")
def server(folder: Path) -> Iterator[LiveServer]:
    served = LiveServer(folder / "data", folder / "server.log")
    yield served
    served.stop()


class PhyloDBClient:
    """What a script written for PhyloDB's jobs API does: its paths, bodies and fields, nothing else."""

    def __init__(self, client: Client, project: str) -> None:
        self.client, self.project = client, project

    def submit(self, analysis: str, algorithm: str, parameters: list) -> tuple[str, str]:
        answer = self.client.json(
            "POST",
            f"/projects/{self.project}/jobs",
            {"analysis": analysis, "algorithm": algorithm, "parameters": parameters},
            expect=202,
        )
        return answer["job_id"], answer["analysis_id"]

    def wait(self, job: str) -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            listed = {j["id"]: j for j in self.client.json("GET", f"/projects/{self.project}/jobs?page=0")}
            if listed[job]["completed"]:
                assert not listed[job]["cancelled"]
                return
            time.sleep(0.2)
        raise AssertionError(f"job {job} did not complete")

    def tree(self, dataset: str, inference: str) -> str:
        return self.client.json(
            "GET", f"/projects/{self.project}/datasets/{dataset}/inferences/{inference}?format=newick"
        )["tree"]

    def coordinates(self, dataset: str, inference: str, visualization: str) -> list[dict]:
        return self.client.json(
            "GET",
            f"/projects/{self.project}/datasets/{dataset}/inferences/{inference}"
            f"/visualizations/{visualization}",
        )["coordinates"]


def test_first_start_prints_a_token_and_loads_the_demo(server: LiveServer) -> None:
    client = Client(server.url, server.token())
    assert "Dashboard: http://127.0.0.1:" in server.log.read_text()
    demo = next(p for p in client.json("GET", "/projects") if p["name"] == "Demo")
    datasets = client.json("GET", f"/projects/{demo['id']}/datasets")
    assert [(d["profiles"], d["isolates"]) for d in datasets] == [(260, 570)]
    status, page = client.request("GET", "/app")
    assert status == 200 and b"<html" in page.lower()


def test_a_phylodb_client_works_unchanged(server: LiveServer) -> None:
    client = Client(server.url, server.token())
    demo = next(p for p in client.json("GET", "/projects") if p["name"] == "Demo")["id"]
    dataset = client.json("GET", f"/projects/{demo}/datasets")[0]["id"]
    phylodb = PhyloDBClient(client, demo)
    job, inference = phylodb.submit("inference", "goeburst", [dataset, 3])
    phylodb.wait(job)
    assert phylodb.tree(dataset, inference).endswith(";")
    job, visualization = phylodb.submit("visualization", "radial", [dataset, inference])
    phylodb.wait(job)
    points = phylodb.coordinates(dataset, inference, visualization)
    assert len(points) == 260 and set(points[0]) >= {"profile_id", "component", "x", "y"}
    status, _ = client.request("DELETE", f"/projects/{demo}/jobs/{job}")
    assert status == 204


def test_users_added_while_the_server_runs_can_sign_in_at_once(server: LiveServer) -> None:
    added = subprocess.run(
        [sys.executable, "-m", "api", "users", "add", "cli@example.org"],
        capture_output=True,
        text=True,
        env={**os.environ, "PHYLODASH_DATA": str(server.data)},
        timeout=60,
        check=True,
    )
    client = Client(server.url, added.stdout.splitlines()[-1])
    assert client.json("GET", "/users/me")["email"] == "cli@example.org"
    assert [p["name"] for p in client.json("GET", "/projects")] == ["Demo"]  # public, read-only


def test_campylobacter_upload_goeburst_and_radial_match_the_engine(
    server: LiveServer, shared_data: Path
) -> None:
    client = Client(server.url, server.token())
    project = client.json(
        "POST", "/projects", {"name": "Campylobacter", "visibility": "private"}, expect=201
    )["id"]
    typing = shared_data / "campylobacter" / "typing_6000.txt"
    isolates = shared_data / "campylobacter" / "isolates_1000.txt"
    created = upload(client, project, typing.read_bytes(), isolates.read_bytes())
    expected_dataset = open_dataset(typing, isolates)
    assert created["report"]["profiles"] == expected_dataset.report.profiles == created["profiles"]
    dataset = created["id"]

    job = client.submit(project, "goeburst", dataset, 3)
    assert client.json("GET", f"/projects/{project}/jobs/{job['job_id']}")["status"] in ("queued", "running")
    assert client.wait_job(project, job["job_id"])["status"] == "succeeded"
    inference_path = f"/projects/{project}/datasets/{dataset}/inferences/{job['analysis_id']}"
    newick = client.json("GET", f"{inference_path}?format=newick")["tree"]
    assert newick == to_newick(infer("goeburst", expected_dataset, {"lvs": 3}))

    layout = client.submit(project, "radial", dataset, job["analysis_id"])
    assert client.wait_job(project, layout["job_id"])["status"] == "succeeded"
    coordinates = client.json("GET", f"{inference_path}/visualizations/{layout['analysis_id']}")[
        "coordinates"
    ]
    assert len(coordinates) == created["profiles"]


def test_a_running_job_is_cancelled_for_real_and_everything_survives_a_restart(
    server: LiveServer, folder: Path
) -> None:
    client = Client(server.url, server.token())
    project = client.json("POST", "/projects", {"name": "Restart", "visibility": "private"}, expect=201)["id"]
    dataset = upload(
        client, project, (FIXTURES / "profiles.tsv").read_bytes(), (FIXTURES / "isolates.tsv").read_bytes()
    )["id"]
    job = client.submit(project, "goeburst", dataset, 3)
    assert client.wait_job(project, job["job_id"])["status"] == "succeeded"
    inference_path = f"/projects/{project}/datasets/{dataset}/inferences/{job['analysis_id']}"
    newick = client.json("GET", f"{inference_path}?format=newick")["tree"]
    layout = client.submit(project, "radial", dataset, job["analysis_id"])
    assert client.wait_job(project, layout["job_id"])["status"] == "succeeded"
    coordinates = client.json("GET", f"{inference_path}/visualizations/{layout['analysis_id']}")[
        "coordinates"
    ]

    # a long job on a big dataset: the API stays prompt while it runs and while a file uploads
    big = upload(client, project, cgmlst_file(20000, 50))["id"]
    long_job = client.submit(project, "goeburst-full", big, 3)
    client.wait_job(project, long_job["job_id"], ("running",))
    uploading = threading.Thread(target=upload, args=(client, project, cgmlst_file(4000, 1500)))
    uploading.start()
    slowest = 0.0
    while uploading.is_alive():
        started = time.monotonic()
        client.json("GET", f"/projects/{project}/jobs")
        slowest = max(slowest, time.monotonic() - started)
        time.sleep(0.05)
    uploading.join()
    assert slowest < 1.0, f"a GET took {slowest:.2f} s during an upload and a job"
    workers = job_workers(server.process.pid)  # the job's warm worker, and the spare
    assert workers and all(alive(pid) for pid in workers)
    status, _ = client.request("DELETE", f"/projects/{project}/jobs/{long_job['job_id']}")
    assert status == 204
    cancelled = client.json("GET", f"/projects/{project}/jobs/{long_job['job_id']}")
    assert cancelled["status"] == "cancelled" and cancelled["cancelled"] and cancelled["completed"]
    killed = {pid for pid in workers if not alive(pid)}
    assert len(killed) == 1, "the cancelled job's worker is still running (or another was killed)"
    status, _ = client.request(
        "GET", f"/projects/{project}/datasets/{big}/inferences/{long_job['analysis_id']}"
    )
    assert status == 404

    # restart: every job and result is still there
    jobs_before = client.json("GET", f"/projects/{project}/jobs")
    server.stop()
    restarted = LiveServer(folder / "data", folder / "restarted.log")
    try:
        assert "API token of" not in restarted.log.read_text()  # not a first start
        client = Client(restarted.url, client.token)
        jobs_after = client.json("GET", f"/projects/{project}/jobs")
        assert [(j["id"], j["status"]) for j in jobs_after] == [(j["id"], j["status"]) for j in jobs_before]
        assert client.json("GET", f"{inference_path}?format=newick")["tree"] == newick
        again = client.json("GET", f"{inference_path}/visualizations/{layout['analysis_id']}")["coordinates"]
        assert again == coordinates
    finally:
        restarted.stop()
