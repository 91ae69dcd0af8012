"""REST handlers over a real service (tornado.testing): auth, access rules, uploads, jobs, results."""

from __future__ import annotations

import gzip
import json
import os
import time
import unittest.mock
import uuid
from typing import Any, ClassVar

from api_client import FIXTURES, ApiTestCase, multipart
from fake_google import FakeGoogleTestCase, FakeTokenInfo
from live_server import cgmlst_file, job_request
from tornado.httpclient import HTTPRequest

from engine.algorithms import registry
from engine.algorithms.cgmlst_dists import cgmlst_dists_text
from engine.algorithms.registry import infer
from engine.io.datasets import read_dataset
from engine.io.newick import to_newick

PROFILES = (FIXTURES / "profiles.tsv").read_bytes()
ISOLATES = (FIXTURES / "isolates.tsv").read_bytes()
NOBODY = str(uuid.uuid4())


class ServiceEndpoints(ApiTestCase):
    def test_health_algorithms_and_openapi_need_no_token(self) -> None:
        assert self.json("GET", "/health", token=None)["status"] == "ok"
        names = {a["name"]: a["kind"] for a in self.json("GET", "/algorithms", token=None)}
        assert names["goeburst"] == "inference" and names["radial"] == "visualization"
        assert "/projects/{project}/jobs" in self.json("GET", "/openapi.json", token=None)["paths"]

    def test_request_id_is_echoed_or_made(self) -> None:
        response = self.call("GET", "/health", token=None, headers={"X-Request-Id": "abc-123"})
        assert response.headers["X-Request-Id"] == "abc-123"
        made = self.call("GET", "/projects", token=None).headers["X-Request-Id"]
        assert uuid.UUID(made)


class Authentication(ApiTestCase):
    def test_missing_malformed_and_unknown_tokens_are_401_problems(self) -> None:
        for token, headers in ((None, {}), ("not-a-token", {}), (None, {"Authorization": "Basic eDp5"})):
            response = self.call("GET", "/projects", token=token, headers=headers)
            assert response.code == 401
            assert response.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'
            assert response.headers["Content-Type"] == "application/problem+json"
            assert json.loads(response.body)["message"] == "unauthorized"
        assert self.call("GET", "/projects?provider=keycloak").code == 401

    def test_a_new_token_revokes_the_old_one(self) -> None:
        _, old = self.service.accounts.add("ana@example.org")
        assert self.json("GET", "/users/me", token=old)["email"] == "ana@example.org"
        new = self.service.accounts.new_token("ana@example.org")
        assert self.call("GET", "/users/me", token=old).code == 401
        assert self.json("GET", "/users/me", token=new)["role"] == "user"

    def test_only_admins_list_users_and_hashes_never_leave(self) -> None:
        _, token = self.service.accounts.add("ana@example.org")
        assert self.call("GET", "/users", token=token).code == 403
        users = self.json("GET", "/users")
        assert {u["email"] for u in users} == {"admin@localhost", "ana@example.org"}
        assert all("token_hash" not in u for u in users)
        stored = (self.folder / "phylodash.json").read_text()
        assert token not in stored and self.admin not in stored


class Projects(ApiTestCase):
    def test_create_read_replace_delete(self) -> None:
        project = self.project()
        got = self.json("GET", f"/projects/{project}")
        assert got["name"] == "Outbreak 2026" and got["users"] == ["admin@localhost"]
        body = {"name": "Renamed", "description": "", "visibility": "public", "users": ["bo@example.org"]}
        assert self.call("PUT", f"/projects/{project}", body).code == 204
        assert self.json("GET", f"/projects/{project}")["visibility"] == "public"
        assert self.call("DELETE", f"/projects/{project}").code == 204
        assert self.call("GET", f"/projects/{project}").code == 404
        assert project not in {p["id"] for p in self.json("GET", "/projects")}

    def test_bad_bodies_are_400_naming_the_field(self) -> None:
        for body, word in (
            ({"description": "x"}, "name"),
            ({"name": "x", "visibility": "open"}, "visibility"),
            ({"name": "x", "users": ["not an email"]}, "email"),
            ([1], "object"),
        ):
            response = self.call("POST", "/projects", body)
            assert response.code == 400 and word in json.loads(response.body)["detail"], response.body
        assert self.call("POST", "/projects", raw=b"{nope").code == 400

    def test_access_rules(self) -> None:
        _, ana = self.service.accounts.add("ana@example.org")
        _, bo = self.service.accounts.add("bo@example.org")
        private = self.project(token=ana)
        public = self.project(token=ana, visibility="public")
        # a stranger: the private project does not exist for them, the public one is read-only
        assert self.call("GET", f"/projects/{private}", token=bo).code == 401
        assert self.call("GET", f"/projects/{private}/jobs", token=bo).code == 401
        assert self.call("GET", f"/projects/{public}", token=bo).code == 200
        assert self.call("GET", f"/projects/{public}/jobs", token=bo).code == 200
        assert self.call("DELETE", f"/projects/{public}", token=bo).code == 403
        body = {"analysis": "inference", "algorithm": "goeburst", "parameters": [NOBODY, 3]}
        assert self.call("POST", f"/projects/{public}/jobs", body, token=bo).code == 403
        data, content_type = multipart({"profiles": ("p.tsv", PROFILES)})
        response = self.call(
            "POST", f"/projects/{public}/datasets", raw=data, token=bo, headers={"Content-Type": content_type}
        )
        assert response.code == 403
        assert {p["id"] for p in self.json("GET", "/projects", token=bo)} >= {public}
        assert private not in {p["id"] for p in self.json("GET", "/projects", token=bo)}
        # an unknown project looks like a private one; an id that is not a UUID is 404
        assert self.call("GET", f"/projects/{NOBODY}", token=bo).code == 401
        assert self.call("GET", "/projects/..%2F..%2Fetc", token=bo).code == 404
        assert self.call("GET", "/projects/42/jobs", token=bo).code == 404
        # the admin sees and may do everything
        assert self.call("GET", f"/projects/{private}").code == 200
        assert self.call("DELETE", f"/projects/{private}").code == 204

    def test_paging(self) -> None:
        for _ in range(3):
            self.project()
        assert len(self.json("GET", "/projects?page=0")) == 4  # with the demo project
        assert self.json("GET", "/projects?page=1") == []
        for page in ("-1", "x", "1.5", "1e9"):
            assert self.call("GET", f"/projects?page={page}").code == 400, page


class Datasets(ApiTestCase):
    settings: ClassVar[dict[str, Any]] = {"upload_limit": 2**20}

    def test_upload_reports_and_serves_profiles_and_isolates(self) -> None:
        project = self.project()
        created = self.upload(project, PROFILES, ISOLATES, description="ST of 2026")
        report = created["report"]
        assert (created["profiles"], created["loci"], created["isolates"]) == (12, 7, 14)
        assert report["profiles"] == 12 and report["isolates"] == 14
        dataset = created["id"]
        assert self.json("GET", f"/projects/{project}/datasets/{dataset}")["report"] == report
        assert [d["id"] for d in self.json("GET", f"/projects/{project}/datasets")] == [dataset]
        profiles = self.json("GET", f"/projects/{project}/datasets/{dataset}/profiles")
        assert profiles[0] == {"id": "1", "alleles": ["1"] * 7}
        text = self.call("GET", f"/projects/{project}/datasets/{dataset}/profiles/files").body
        assert read_dataset(text).profiles.ids == read_dataset(PROFILES).profiles.ids
        isolates = self.json("GET", f"/projects/{project}/datasets/{dataset}/isolates")
        assert isolates[0]["profile_id"] == "1" and isolates[0]["metadata"]["country"] == "PT"

    def test_a_bad_file_is_400_with_its_line_and_stores_nothing(self) -> None:
        project = self.project()
        before = sorted(p.name for p in self.folder.rglob("*"))
        ragged = b"ST\ta\tb\n1\t1\n2\t1\n"
        problem = self.upload(project, ragged, expect=400)
        assert problem["message"] == "bad_request" and problem["detail"].startswith("line 2:"), problem
        assert "binary" in self.upload(project, b"\x00\x01\x02binary\x00", expect=400)["detail"]
        assert self.json("GET", f"/projects/{project}/datasets") == []
        after = sorted(p.name for p in self.folder.rglob("*") if not p.name.endswith(".lock"))
        assert [n for n in after if n not in before] == []

    def test_lines_left_out_are_reported_with_their_numbers(self) -> None:
        project = self.project()
        created = self.upload(project, b"ST\ta\tb\n1\t1\t2\n2\t1\n3\t1\t1\n")
        assert created["profiles"] == 2
        [skipped] = created["report"]["skipped_lines"]
        assert skipped["line"] == 3 and "2 columns" in skipped["reason"]

    def test_uploads_above_the_limit_are_413(self) -> None:
        project = self.project()
        big = b"ST\ta\n" + b"".join(b"%d\t1\n" % i for i in range(300_000))
        problem = self.upload(project, big, expect=413)
        assert problem["message"] == "payload_too_large" and "1 MB" in problem["detail"]
        assert self.json("GET", f"/projects/{project}/datasets") == []

    def test_a_streamed_upload_without_length_is_cut_off_at_the_limit(self) -> None:
        project = self.project()
        sent = []

        async def produce(write: Any) -> None:
            for _ in range(40):  # 2.5 MB in 64 kB chunks, more than twice the limit
                sent.append(1)
                await write(b"x" * 65536)

        request = HTTPRequest(
            self.get_url(f"/projects/{project}/datasets"),
            method="POST",
            body_producer=produce,
            headers={
                "Authorization": f"Bearer {self.admin}",
                "Content-Type": "multipart/form-data; boundary=b",
            },
            request_timeout=60,
        )
        response = self.io_loop.run_sync(lambda: self.http_client.fetch(request, raise_error=False))
        assert response.code == 413 and json.loads(response.body)["message"] == "payload_too_large"
        assert self.json("GET", f"/projects/{project}/datasets") == []

    def test_missing_parts_are_400(self) -> None:
        project = self.project()
        data, content_type = multipart({"isolates": ("i.tsv", ISOLATES)})
        response = self.call(
            "POST", f"/projects/{project}/datasets", raw=data, headers={"Content-Type": content_type}
        )
        assert response.code == 400 and "profiles" in json.loads(response.body)["detail"]
        response = self.call(
            "POST", f"/projects/{project}/datasets", raw=PROFILES, headers={"Content-Type": "text/plain"}
        )
        assert response.code == 400


class GzipUploads(ApiTestCase):
    """Gzip-compressed tables through the upload and the versions endpoint, with a 1 MB inflation limit."""

    settings: ClassVar[dict[str, Any]] = {"upload_limit": 2**20, "inflate_limit": 2**20}

    def stored(self) -> list[str]:
        """The files of the data folder (lock files aside)."""
        return sorted(str(path.relative_to(self.folder)) for path in self.folder.rglob("*")
                      if not path.name.endswith(".lock"))

    def test_a_gzip_upload_reads_as_its_text(self) -> None:
        project = self.project()
        plain = self.upload(project, PROFILES, ISOLATES)
        compressed = self.upload(project, gzip.compress(PROFILES), gzip.compress(ISOLATES))
        assert (compressed["profiles"], compressed["loci"], compressed["isolates"]) == (12, 7, 14)
        assert compressed["report"] == plain["report"]
        added = b"ST\tadk\tfumC\tgyrB\ticd\tmdh\tpurA\trecA\n\n90\t1\t1\t1\t1\t1\t1\t9\n91\t1\n"
        data, content_type = multipart({"profiles": ("added.tsv.gz", gzip.compress(added))}, {})
        version = self.json("POST", f"/projects/{project}/datasets/{compressed['id']}/versions", raw=data,
                            headers={"Content-Type": content_type}, expect=201)
        assert (version["parent_id"], version["profiles"], version["report"]["profiles"]) == (
            compressed["id"], 13, 1)
        [skipped] = version["report"]["skipped_lines"]
        assert skipped["line"] == 4  # the line of the text, blank line counted

    def test_damaged_or_too_large_gzip_is_400_and_stores_nothing(self) -> None:
        project = self.project()
        stored = self.stored()
        whole = gzip.compress(PROFILES)
        bomb = gzip.compress(b"ST\ta\n" + b"1\t1\n" * 2**20)  # 4 MB of text in about 4 KB
        for data, words in [(whole[:-10], "gzip-compressed but cut short"),
                            (whole[:12] + bytes(20) + whole[32:], "gzip-compressed but damaged"),
                            (bomb, "decompresses to more than 1 MB of text")]:
            problem = self.upload(project, data, expect=400)
            assert problem["message"] == "bad_request" and words in problem["detail"], problem
            assert problem["detail"].startswith("The profile file ") and problem["detail"].endswith(".")
        assert self.json("GET", f"/projects/{project}/datasets") == []
        assert self.stored() == stored


class Jobs(ApiTestCase):
    def _dataset(self) -> tuple[str, str]:
        project = self.project()
        return project, self.upload(project, PROFILES, ISOLATES)["id"]

    def test_goeburst_then_radial_as_a_phylodb_client_does_it(self) -> None:
        project, dataset = self._dataset()
        created = self.submit(project, "goeburst", dataset, 3)
        assert set(created) == {"job_id", "analysis_id"}
        inference_path = f"/projects/{project}/datasets/{dataset}/inferences/{created['analysis_id']}"
        listed = self.json("GET", f"/projects/{project}/jobs")
        assert listed[0]["id"] == created["job_id"] and listed[0]["completed"] in (False, True)
        job = self.wait_job(project, created["job_id"])
        assert job["status"] == "succeeded" and job["completed"] and not job["cancelled"], job
        expected = infer("goeburst", read_dataset(PROFILES, ISOLATES), {"lvs": 3})
        tree = self.json("GET", inference_path)
        assert tree["tree"] == to_newick(expected)
        assert [(e["from"], e["to"], e["distance"]) for e in tree["edges"]] == [
            (e.parent, e.child, e.distance) for e in expected.edges()
        ]
        assert tree["provenance"]["algorithm"] == "goeburst" and tree["parameters"]["lvs"] == 3
        assert self.json("GET", f"{inference_path}?format=newick")["tree"] == to_newick(expected)
        assert self.json("GET", f"{inference_path}?format=nexus")["tree"].startswith("BEGIN TREES;")
        graphml = self.call("GET", f"{inference_path}?format=graphml")
        assert graphml.headers["Content-Type"].startswith("application/xml") and b"<graphml" in graphml.body
        assert self.call("GET", f"{inference_path}?format=svg").code == 400
        layout = self.submit(project, "radial", dataset, created["analysis_id"])
        assert self.wait_job(project, layout["job_id"])["status"] == "succeeded"
        drawn = self.json("GET", f"{inference_path}/visualizations/{layout['analysis_id']}")
        assert len(drawn["coordinates"]) == 12 and drawn["inference_id"] == created["analysis_id"]
        assert [v["id"] for v in self.json("GET", f"{inference_path}/visualizations")] == [
            layout["analysis_id"]
        ]

    def test_equal_jobs_reuse_the_stored_result(self) -> None:
        project, dataset = self._dataset()
        body = {"analysis": "inference", "algorithm": "goeburst", "parameters": [dataset, 2]}
        first = self.json("POST", f"/projects/{project}/jobs", body, expect=202)
        self.wait_job(project, first["job_id"])
        second = self.json("POST", f"/projects/{project}/jobs", body, expect=202)
        job = self.json("GET", f"/projects/{project}/jobs/{second['job_id']}")
        assert job["status"] == "succeeded" and job["reused_from"] == first["analysis_id"]
        base = f"/projects/{project}/datasets/{dataset}/inferences"
        assert (
            self.json("GET", f"{base}/{second['analysis_id']}")["tree"]
            == self.json("GET", f"{base}/{first['analysis_id']}")["tree"]
        )
        options = {
            "analysis": "inference",
            "algorithm": "goeburst",
            "parameters": [dataset, 2, {"missing": "ignore"}],
        }
        third = self.json("POST", f"/projects/{project}/jobs", options, expect=202)
        assert self.json("GET", f"/projects/{project}/jobs/{third['job_id']}")["reused_from"] is None

    def test_bad_job_requests(self) -> None:
        project, dataset = self._dataset()
        path = f"/projects/{project}/jobs"
        for body, word in (
            ({"analysis": "inferense", "algorithm": "goeburst", "parameters": [dataset, 3]}, "analysis"),
            ({"analysis": "inference", "algorithm": "goburst", "parameters": [dataset, 3]}, "goeburst"),
            ({"analysis": "inference", "algorithm": "radial", "parameters": [dataset, 3]}, "inference"),
            ({"analysis": "inference", "algorithm": "goeburst", "parameters": [dataset]}, "parameters"),
            ({"analysis": "inference", "algorithm": "goeburst", "parameters": [dataset, "3"]}, "lvs"),
            ({"analysis": "inference", "algorithm": "goeburst", "parameters": [dataset, 0]}, "lvs"),
            ({"analysis": "inference", "algorithm": "goeburst", "parameters": [dataset, 3, {"x": 1}]}, "x"),
            ({"analysis": "visualization", "algorithm": "radial", "parameters": [dataset, 3]}, "inference"),
        ):
            response = self.call("POST", path, body)
            assert response.code == 400 and word in json.loads(response.body)["detail"], (body, response.body)
        assert self.call("POST", path, raw=b"not json").code == 400
        missing = {"analysis": "inference", "algorithm": "goeburst", "parameters": [NOBODY, 3]}
        assert self.call("POST", path, missing).code == 404
        no_tree = {"analysis": "visualization", "algorithm": "radial", "parameters": [dataset, NOBODY]}
        assert self.call("POST", path, no_tree).code == 404
        single = self.upload(project, b"ST\ta\tb\n1\t1\t2\n")["id"]
        body = {"analysis": "inference", "algorithm": "goeburst", "parameters": [single, 3]}
        assert self.call("POST", path, body).code == 409
        assert self.json("GET", path) == []
        assert self.call("GET", f"{path}/{NOBODY}").code == 404
        assert self.call("DELETE", f"{path}/{NOBODY}").code == 404

    def test_deleting_a_running_job_kills_it_and_a_finished_one_leaves_the_list(self) -> None:
        project = self.project()
        big = self.upload(project, cgmlst_file(20000, 50))["id"]
        small = self.upload(project, PROFILES)["id"]
        running = self.submit(project, "goeburst-full", big, 3)
        queued = self.submit(project, "goeburst", small, 1)
        self.wait_job(project, running["job_id"], ("running",))
        deadline = time.monotonic() + 30
        while running["job_id"] not in self.service.runner.running_pids() and time.monotonic() < deadline:
            time.sleep(0.05)
        pid = self.service.runner.running_pids()[running["job_id"]]
        assert self.call("DELETE", f"/projects/{project}/jobs/{queued['job_id']}").code == 204
        assert self.call("DELETE", f"/projects/{project}/jobs/{running['job_id']}").code == 204
        cancelled = self.json("GET", f"/projects/{project}/jobs/{running['job_id']}")
        assert cancelled["status"] == "cancelled" and cancelled["cancelled"] and cancelled["completed"]
        try:
            os.kill(pid, 0)
            raise AssertionError("the job's process is still running")
        except ProcessLookupError:
            pass
        never = self.json("GET", f"/projects/{project}/jobs/{queued['job_id']}")
        assert never["status"] == "cancelled" and never["started"] is None
        for job in (running, queued):
            path = f"/projects/{project}/datasets/{big}/inferences/{job['analysis_id']}"
            assert self.call("GET", path).code == 404
            assert not list(self.folder.glob(f"blobs/**/*{job['analysis_id']}*")), "arrays were left"
        # a finished job is removed from the list by DELETE; its result stays
        done = self.submit(project, "goeburst", small, 2)
        self.wait_job(project, done["job_id"])
        assert self.call("DELETE", f"/projects/{project}/jobs/{done['job_id']}").code == 204
        assert done["job_id"] not in {j["id"] for j in self.json("GET", f"/projects/{project}/jobs")}
        assert (
            self.call("GET", f"/projects/{project}/datasets/{small}/inferences/{done['analysis_id']}").code
            == 200
        )

    def test_deleting_results_deprecates_them(self) -> None:
        project, dataset = self._dataset()
        created = self.submit(project, "goeburst", dataset, 3)
        self.wait_job(project, created["job_id"])
        layout = self.submit(project, "force", dataset, created["analysis_id"])
        self.wait_job(project, layout["job_id"])
        inference = f"/projects/{project}/datasets/{dataset}/inferences/{created['analysis_id']}"
        assert self.call("DELETE", inference).code == 204
        assert self.json("GET", inference)["deprecated"] is True
        assert self.json("GET", f"{inference}/visualizations/{layout['analysis_id']}")["deprecated"] is True
        assert self.json("GET", f"/projects/{project}/datasets/{dataset}/inferences") == []
        assert self.call("DELETE", inference).code == 404
        body = {
            "analysis": "visualization",
            "algorithm": "radial",
            "parameters": [dataset, created["analysis_id"]],
        }
        assert self.call("POST", f"/projects/{project}/jobs", body).code == 404


class GoogleTokens(FakeGoogleTestCase):
    def test_a_google_token_with_the_email_scope_signs_in_and_registers_the_user(self) -> None:
        FakeTokenInfo.calls.clear()
        me = self.json("GET", "/users/me?provider=google", token="google-good")
        assert me == {"email": "gi@example.org", "role": "user", "created": me["created"]}
        assert self.json("GET", "/projects?provider=google", token="google-good")  # the public demo
        assert FakeTokenInfo.calls == ["google-good"]  # the answer is remembered for a while
        assert self.service.accounts.find("gi@example.org").role == "user"

    def test_expired_unscoped_and_local_tokens_are_refused_by_google(self) -> None:
        for token in ("google-expired", "google-no-scope", "made-up", self.admin):
            response = self.call("GET", "/users/me?provider=google", token=token)
            assert response.code == 401 and json.loads(response.body)["message"] == "unauthorized", token
        assert self.service.accounts.find("gi@example.org") is None


class JobLists(ApiTestCase):
    def test_a_job_list_is_fresh_after_every_change_and_checked_for_every_caller(self) -> None:
        project = self.project()
        dataset = self.upload(project, PROFILES)["id"]
        path = f"/projects/{project}/jobs"
        assert self.json("GET", path) == [] and self.json("GET", path) == []
        body = {"analysis": "inference", "algorithm": "goeburst", "parameters": [dataset, 3]}
        job = self.json("POST", path, body, expect=202)["job_id"]
        assert [j["id"] for j in self.json("GET", path)] == [job]
        self.wait_job(project, job)
        assert self.json("GET", path)[0]["status"] == "succeeded"
        _, stranger = self.service.accounts.add("bo@example.org")
        assert self.call("GET", path, token=stranger).code == 401


class QueueLimit(ApiTestCase):
    settings: ClassVar[dict[str, Any]] = {"max_queued_jobs": 1}

    def test_a_user_may_not_queue_more_jobs_than_the_limit(self) -> None:
        project = self.project()
        big = self.upload(project, cgmlst_file(20000, 50))["id"]
        first = self.submit(project, "goeburst-full", big, 3)
        response = self.call("POST", f"/projects/{project}/jobs", job_request("goeburst-full", big, 2))
        assert response.code == 409 and "queued or running" in json.loads(response.body)["detail"]
        assert self.call("DELETE", f"/projects/{project}/jobs/{first['job_id']}").code == 204
        self.submit(project, "goeburst", big, 1)  # room again


class LongReports(ApiTestCase):
    def test_a_dataset_record_keeps_the_first_left_out_lines_and_says_how_many_there_were(self) -> None:
        project = self.project()
        rows = "".join(f"{n}\t1\t{n % 7}\n" if n % 2 else f"{n}\t1\n" for n in range(1, 601))
        created = self.upload(project, f"ST\ta\tb\n{rows}".encode())
        report = created["report"]
        assert created["profiles"] == 300 and len(report["skipped_lines"]) == 100
        assert report["skipped_lines"][0]["line"] == 3
        assert "300 left-out lines of the profile file; the first 100 are listed." in report["notes"]


class ReuseStaysInItsProject(ApiTestCase):
    def test_an_equal_result_of_another_project_is_not_reused_nor_revealed(self) -> None:
        first, second = self.project(), self.project()
        one = self.upload(first, PROFILES)["id"]
        done = self.submit(first, "goeburst", one, 3)
        self.wait_job(first, done["job_id"])
        other = self.upload(second, PROFILES)["id"]
        job = self.submit(second, "goeburst", other, 3)
        assert self.json("GET", f"/projects/{second}/jobs/{job['job_id']}")["reused_from"] is None


class GoogleTokensOfOneClient(FakeGoogleTestCase):
    def extra_settings(self) -> dict[str, Any]:
        return {**super().extra_settings(), "google_client_id": "phylodash-client"}

    def test_only_tokens_issued_to_the_configured_client_are_accepted(self) -> None:
        assert self.json("GET", "/users/me?provider=google", token="google-ours")["email"] == "gi@example.org"
        for token in ("google-good", "google-unverified"):  # issued to some other app; unverified email
            assert self.call("GET", "/users/me?provider=google", token=token).code == 401, token


class EveryMethod(ApiTestCase):
    """Every inference method of the registry, and the layouts that fit its trees, through the jobs API
    on the demo dataset (synthetic clonal MLST, 260 profiles, with isolates)."""

    def test_each_method_makes_a_tree_that_is_served_and_drawn(self) -> None:
        demo = self.json("GET", "/projects")[0]["id"]
        dataset = self.json("GET", f"/projects/{demo}/datasets")[0]["id"]
        layouts = {"nj": "equal-angle", "upgma": "rectangular", "mstree-v2": "radial"}
        for algorithm in registry.names(registry.INFERENCE):
            posted = self.submit(demo, algorithm, dataset, 3)
            job = self.wait_job(demo, posted["job_id"])
            assert job["status"] == "succeeded", (algorithm, job["error"])
            base = f"/projects/{demo}/datasets/{dataset}/inferences/{posted['analysis_id']}"
            tree = self.json("GET", base)
            profile_ids = {edge["to"] for edge in tree["edges"]} | {edge["from"] for edge in tree["edges"]}
            assert tree["algorithm"] == algorithm and tree["tree"].endswith(";") and len(profile_ids) > 200
            if algorithm in layouts:
                drawn = self.submit(demo, layouts[algorithm], dataset, posted["analysis_id"])
                assert self.wait_job(demo, drawn["job_id"])["status"] == "succeeded"
                coordinates = self.json("GET", f"{base}/visualizations/{drawn['analysis_id']}")["coordinates"]
                assert len(coordinates) == len({point["profile_id"] for point in coordinates}) >= 260


class Distances(ApiTestCase):
    def test_the_distance_table_is_the_command_lines(self) -> None:
        project = self.project()
        dataset = self.upload(project, PROFILES)["id"]
        for rule in ("cgmlst-dists", "difference"):
            response = self.call("GET", f"/projects/{project}/datasets/{dataset}/distances?missing={rule}")
            assert response.code == 200
            assert response.headers["Content-Type"].startswith("text/tab-separated-values")
            missing = None if rule == "cgmlst-dists" else rule
            expected = cgmlst_dists_text(read_dataset(PROFILES), missing=missing)
            assert response.body.decode() == expected
        bad = self.call("GET", f"/projects/{project}/datasets/{dataset}/distances?missing=none")
        assert bad.code == 400 and "missing must be one of cgmlst-dists" in json.loads(bad.body)["detail"]

    def test_a_dataset_over_the_limit_is_refused_with_the_way_out(self) -> None:
        project = self.project()
        dataset = self.upload(project, PROFILES)["id"]
        with unittest.mock.patch("api.handlers.datasets.DISTANCE_LIMIT", 5):
            response = self.call("GET", f"/projects/{project}/datasets/{dataset}/distances")
        assert response.code == 400
        assert "python -m engine distances" in json.loads(response.body)["detail"]
