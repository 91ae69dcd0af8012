"""The server killed with SIGKILL mid-run: results kept, interrupted jobs failed with the reason,
no worker left behind, and the restarted server runs new jobs."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from api_client import FIXTURES
from live_server import Client, LiveServer, alive, cgmlst_file, job_workers, upload

from engine.jobs.runner import INTERRUPTED


def test_kill_9_mid_run_loses_nothing_and_leaves_no_orphans(tmp_path: Path) -> None:
    server = LiveServer(tmp_path / "data", tmp_path / "first.log")
    try:
        client = Client(server.url, server.token())
        project = client.json("POST", "/projects", {"name": "crash", "visibility": "private"}, expect=201)[
            "id"
        ]
        small = upload(client, project, (FIXTURES / "profiles.tsv").read_bytes())["id"]
        big = upload(client, project, cgmlst_file(20000, 50))["id"]
        quick = client.submit(project, "goeburst", small, 3)
        assert client.wait_job(project, quick["job_id"])["status"] == "succeeded"
        tree = f"/projects/{project}/datasets/{small}/inferences/{quick['analysis_id']}"
        newick = client.json("GET", f"{tree}?format=newick")["tree"]
        long_jobs = [client.submit(project, "goeburst-full", big, lvs) for lvs in (1, 2, 3)]
        client.wait_job(project, long_jobs[0]["job_id"], ("running",))
        deadline = time.monotonic() + 60  # the worker running the job, and the spare (one worker)
        while len(job_workers(server.process.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        workers = job_workers(server.process.pid)
        assert len(workers) == 2
        os.kill(server.panel_pid(), signal.SIGKILL)
        server.process.wait(timeout=30)
        deadline = time.monotonic() + 30
        while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(alive(pid) for pid in workers), "a job's worker outlived the killed server"
    finally:
        server.stop()

    restarted = LiveServer(tmp_path / "data", tmp_path / "second.log")
    try:
        client = Client(restarted.url, client.token)
        assert client.json("GET", f"{tree}?format=newick")["tree"] == newick
        first = client.json("GET", f"/projects/{project}/jobs/{long_jobs[0]['job_id']}")
        assert first["status"] == "failed" and first["error"] == INTERRUPTED and first["completed"]
        for queued in long_jobs[1:]:  # never started: they run after the restart
            assert client.json("GET", f"/projects/{project}/jobs/{queued['job_id']}")["status"] in (
                "queued",
                "running",
            )
            client.request("DELETE", f"/projects/{project}/jobs/{queued['job_id']}")
        again = client.submit(project, "goeburst", small, 2)
        assert client.wait_job(project, again["job_id"])["status"] == "succeeded"
    finally:
        restarted.stop()
