"""Hostile input, second round: every JSON endpoint, bounded echoes, body limits, sign-in throttling.

Each class below is one case of the issue, tried on a real server (tornado.testing on 127.0.0.1) over
a real store: what used to give a 500, a 10 MB echo, a forged log line or an unbounded project now
gives a problem with a sentence, and nothing is stored. The last test is a fuzzer: hypothesis makes
hostile JSON bodies (deep nesting, long strings and arrays, huge and non-finite numbers, lone
surrogates, invalid UTF-8, duplicate keys, wrong types) for every JSON endpoint of the OpenAPI
document.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import time
import uuid
from typing import Any

import pytest
from api_client import DOCUMENT, FIXTURES, ApiTestCase
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.storage.records import RECORD_TYPES

PROFILES = (FIXTURES / "profiles.tsv").read_bytes()
DEEP = b"[" * 100_000 + b"]" * 100_000


def snapshot(case: ApiTestCase) -> dict[str, Any]:
    """Every record of every table (to show nothing was stored)."""
    return {table: case.service.store.select(kind) for table, kind in RECORD_TYPES.items()}


class JsonBodies(ApiTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.project_id = self.project()
        self.dataset_id = self.upload(self.project_id, PROFILES)["id"]

    def test_deep_nesting_is_a_400_with_a_sentence_on_every_json_endpoint(self) -> None:
        before = snapshot(self)
        for method, path in (("POST", "/projects"), ("PUT", f"/projects/{self.project_id}"),
                             ("POST", f"/projects/{self.project_id}/jobs")):
            response = self.call(method, path, raw=DEEP)
            assert response.code == 400, (path, response.code, response.body[:200])
            assert json.loads(response.body)["detail"] == "the JSON body is nested more than 32 levels deep"
        assert snapshot(self) == before

    def test_a_long_value_is_quoted_short_with_its_length(self) -> None:
        body = {"analysis": "inference", "algorithm": "goeburst", "parameters": ["a" * 200_000, 3]}
        response = self.call("POST", f"/projects/{self.project_id}/jobs", body)
        assert response.code == 404 and len(response.body) < 400, len(response.body)
        assert "(200,000 characters)" in json.loads(response.body)["detail"]
        algorithm = {"analysis": "inference", "algorithm": "x" * 5000, "parameters": [self.dataset_id, 3]}
        detail = json.loads(self.call("POST", f"/projects/{self.project_id}/jobs", algorithm).body)["detail"]
        assert "(5,000 characters)" in detail and len(detail) < 400

    def test_a_newline_in_a_client_value_cannot_forge_a_log_line(self) -> None:
        forged = "x\n2026-01-01 00:00:00 INFO admin signed in"
        body = {"analysis": "inference", "algorithm": "goeburst", "parameters": [forged, 3]}
        with self.assertLogs("api", logging.INFO) as logs:
            assert self.call("POST", f"/projects/{self.project_id}/jobs", body).code == 404
        assert logs.output and all("\n" not in line for line in logs.output)
        assert any("\\n2026-01-01" in line for line in logs.output)

    def raw_exchange(self, request: bytes) -> bytes:
        """Send ``request`` as it is on a socket (in a thread, while the server's loop runs); the answer."""

        def exchange() -> bytes:
            with socket.create_connection(("127.0.0.1", self.get_http_port()), timeout=10) as connection:
                with contextlib.suppress(OSError):  # the server may close before all is sent
                    connection.sendall(request)
                answer = b""
                while chunk := _read(connection):
                    answer += chunk
                return answer

        future = self.io_loop.run_in_executor(None, exchange)
        return self.io_loop.run_sync(lambda: future, timeout=30)

    def test_a_body_over_the_limit_is_refused_from_its_content_length_before_it_is_read(self) -> None:
        started = time.monotonic()
        answer = self.raw_exchange(f"POST /projects HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {self.admin}"
                                   "\r\nContent-Type: application/json\r\nContent-Length: 100000000\r\n"
                                   "Connection: close\r\n\r\n{".encode())
        assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
        assert b"larger than the limit of 1,024 KB" in answer
        assert time.monotonic() - started < 5  # the 100 MB were never sent: the header decided

    def test_a_chunked_body_over_the_limit_is_a_413_and_nothing_is_stored(self) -> None:
        before = snapshot(self)
        body = json.dumps({"name": "x", "description": "d" * (2 * 2**20)}).encode()
        chunks = b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in
                          (body[k:k + 65536] for k in range(0, len(body), 65536)))
        answer = self.raw_exchange(f"POST /projects HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {self.admin}"
                                   "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
                                   "Connection: close\r\n\r\n".encode() + chunks + b"0\r\n\r\n")
        assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
        assert snapshot(self) == before

    def test_caps_on_members_names_and_options(self) -> None:
        members = [f"m{k}@example.org" for k in range(1001)]
        for body, words in (({"name": "p", "users": members}, "at most 1,000 members, not 1,001"),
                            ({"name": "n" * 201}, "name is longer than 200 characters (201)")):
            response = self.call("POST", "/projects", body)
            assert response.code == 400 and words in json.loads(response.body)["detail"], response.body[:300]
        options = {f"o{k}": 1 for k in range(33)}
        job = {"analysis": "inference", "algorithm": "goeburst", "parameters": [self.dataset_id, 3, options]}
        response = self.call("POST", f"/projects/{self.project_id}/jobs", job)
        assert response.code == 400
        assert json.loads(response.body)["detail"] == "a job takes at most 32 named options, not 33"

    def test_duplicate_keys_non_finite_numbers_and_lone_surrogates_are_refused(self) -> None:
        for raw, words in ((b'{"name": "a", "name": "b"}', "the key 'name' is given twice in one object"),
                           (b'{"name": "a", "x": NaN}', "NaN is not a JSON number"),
                           (b'{"name": "\\ud800"}', "not valid Unicode"),
                           (b'{"name": "\xff"}', "must be UTF-8 text"),
                           (b'{"name": 1' + b"0" * 5000 + b"}", "the body must be JSON")):
            response = self.call("POST", "/projects", raw=raw)
            detail = json.loads(response.body)["detail"]
            assert response.code == 400 and words in detail, (raw[:40], detail)


def _read(connection: socket.socket) -> bytes:
    try:
        return connection.recv(65536)
    except TimeoutError:
        return b""


class SignInThrottling(ApiTestCase):
    def test_after_ten_failures_a_minute_an_address_waits_but_good_tokens_pass(self) -> None:
        for attempt in range(10):
            assert self.call("GET", "/projects", token=f"pd_wrong{attempt}").code == 401
        refused = self.call("GET", "/projects", token="pd_wrong-again")
        assert refused.code == 429 and 0 < int(refused.headers["Retry-After"]) <= 60
        assert json.loads(refused.body)["message"] == "too_many_requests"
        assert self.call("GET", "/projects").code == 200  # the admin's good token is never slowed
        google = self.call("GET", "/projects?provider=google", token="anything")
        assert google.code == 429  # Google is not even asked

    def test_the_window_slides(self) -> None:
        now = [1000.0]
        self.service.sign_ins._clock = lambda: now[0]
        for attempt in range(10):
            self.call("GET", "/users/me", token=f"pd_bad{attempt}")
        assert self.call("GET", "/users/me", token="pd_bad").code == 429
        now[0] += 61
        assert self.call("GET", "/users/me", token="pd_bad").code == 401


# -- the fuzzer ------------------------------------------------------------------------------------


def json_operations() -> list[tuple[str, str]]:
    """Every (method, path template) of the OpenAPI document that takes a JSON body."""
    found = []
    for path, item in DOCUMENT["paths"].items():
        for method, operation in item.items():
            if isinstance(operation, dict) and "application/json" in operation.get("requestBody", {}).get(
                    "content", {}):
                found.append((method.upper(), path))
    return found


SCALARS = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(10**30), max_value=10**30),
                    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=50),
                    st.text(min_size=5000, max_size=20000))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=5), st.dictionaries(st.text(max_size=10), inner, max_size=5)), max_leaves=20)
RAW = st.one_of(
    VALUES.map(lambda value: json.dumps(value).encode()),
    st.integers(min_value=33, max_value=5000).map(lambda depth: b'{"a":' * depth + b"1" + b"}" * depth),
    st.integers(min_value=1, max_value=3000).map(lambda size: json.dumps(list(range(size * 100))).encode()),
    st.sampled_from([b"NaN", b"[Infinity]", b'{"a": -Infinity}', b'"\\udfff"', b"\xff\xfe{}",
                     b'{"name": "a", "name": "a"}', b"1" * 10_000, b'{"name": ' + b"9" * 4400 + b"}",
                     b'["' + b"\\" * 1001 + b'"]', b"", b"{", b"[]" * 1000]),
    st.binary(max_size=200),
)


class HostileJsonFuzzer(ApiTestCase):
    def test_no_hostile_body_gets_a_5xx_slow_answer_or_a_stored_record(self) -> None:
        project = self.project()
        dataset = self.upload(project, PROFILES)["id"]
        operations = json_operations()
        assert {path for _, path in operations} == {"/projects", "/projects/{project}",
                                                    "/projects/{project}/jobs"}
        before = snapshot(self)

        @settings(max_examples=150, deadline=None, derandomize=True,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
        @given(st.sampled_from(operations), RAW)
        def check(operation: tuple[str, str], raw: bytes) -> None:
            method, template = operation
            path = template.replace("{project}", project)
            started = time.monotonic()
            response = self.call(method, path, raw=raw)
            assert time.monotonic() - started < 1.0, (path, raw[:60])
            assert 400 <= response.code < 500, (path, raw[:80], response.code, response.body[:200])
            problem = json.loads(response.body)
            assert set(problem) == {"message", "detail"} and problem["detail"]

        check()
        after = snapshot(self)
        # A fuzzed PUT may only have failed: the project is unchanged, and no record was added anywhere.
        assert after == before, "a hostile body changed the store"
        assert dataset and uuid.UUID(project)


@pytest.mark.parametrize("depth", [32, 33])
def test_the_nesting_limit_is_exact(depth: int) -> None:
    from api.json_body import parse_json
    from api.problems import Problem

    body = b"[" * depth + b"]" * depth
    if depth == 32:
        assert parse_json(body) is not None
    else:
        with pytest.raises(Problem, match="nested more than 32 levels"):
            parse_json(body)
