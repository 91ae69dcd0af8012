"""PhyloDB's wire format, byte for byte: a recorded exchange of PhyloDB-style requests and answers.

The scenario below is what a PhyloDB client does (create a project, upload, POST jobs in PhyloDB's
positional shape, poll, read trees and coordinates, cancel, and send the malformed bodies such a
client may send). Every answer's status and body is compared with ``fixtures/wire_transcript.json``
after replacing what differs between runs (ids, times, durations) by stable placeholders. A change of
one field, one key order or one message fails the test.

To record the file anew after a deliberate change of the wire format, run this module with
``PHYLODASH_RECORD_WIRE=1`` and review the diff of the fixture.
"""

from __future__ import annotations

import difflib
import json
import os
import re
from typing import Any

from api_client import FIXTURES, ApiTestCase, multipart

TRANSCRIPT = FIXTURES / "wire_transcript.json"
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
_VARIABLE = ("seconds",)  # fields whose value is a measured duration


class _Normalizer:
    """Replaces each distinct UUID by ``<id N>`` (N in order of first appearance), times by ``<time>``."""

    def __init__(self) -> None:
        self.ids: dict[str, str] = {}

    def text(self, value: str) -> str:
        value = _UUID.sub(lambda m: self.ids.setdefault(m[0], f"<id {len(self.ids) + 1}>"), value)
        return _TIME.sub("<time>", value)

    def value(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {key: "<measured>" if key in _VARIABLE else self.value(item)
                    for key, item in value.items()}
        if isinstance(value, list):
            return [self.value(item) for item in value]
        return self.text(value) if isinstance(value, str) else value


class WireTranscript(ApiTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.normalize = _Normalizer()
        self.exchanges: list[dict[str, Any]] = []

    def exchange(self, method: str, path: str, body: Any = None, **options: Any) -> Any:
        """Send a request, record the normalized exchange, return the decoded answer."""
        response = self.call(method, path, body, **options)
        text = response.body.decode()
        answer = json.loads(text) if text and "json" in response.headers.get("Content-Type", "") else text
        self.exchanges.append({
            "request": self.normalize.value([method, path, body]),
            "status": response.code,
            "content_type": response.headers.get("Content-Type"),
            "body": self.normalize.value(answer),
        })
        return answer

    def test_a_phylodb_client_sees_the_recorded_answers(self) -> None:
        project = self.exchange("POST", "/projects", {"name": "Wire", "description": "PhyloDB client",
                                                        "visibility": "private", "users": []})["id"]
        self.exchange("GET", f"/projects/{project}")
        files = {"profiles": ("profiles.tsv", (FIXTURES / "profiles.tsv").read_bytes()),
                 "isolates": ("isolates.tsv", (FIXTURES / "isolates.tsv").read_bytes())}
        data, content_type = multipart(files, {"name": "wire data"})
        dataset = self.exchange("POST", f"/projects/{project}/datasets", raw=data,
                                headers={"Content-Type": content_type})["id"]
        self.exchange("GET", f"/projects/{project}/datasets")
        jobs = f"/projects/{project}/jobs"
        trees = {}
        for algorithm, second in (("goeburst", 3), ("goeburst-full", 3), ("goeburst", 1)):
            posted = self.exchange("POST", jobs, {"analysis": "inference", "algorithm": algorithm,
                                                   "parameters": [dataset, second]})
            self.wait_job(project, posted["job_id"])
            trees[(algorithm, second)] = posted["analysis_id"]
        inference = trees[("goeburst", 3)]
        posted = self.exchange("POST", jobs, {"analysis": "visualization", "algorithm": "radial",
                                               "parameters": [dataset, inference]})
        self.wait_job(project, posted["job_id"])
        self.exchange("GET", f"{jobs}/{posted['job_id']}")
        again = self.exchange("POST", jobs, {"analysis": "inference", "algorithm": "goeburst",
                                              "parameters": [dataset, 3, {"missing": "difference"}]})
        self.exchange("GET", f"{jobs}/{again['job_id']}")
        self.exchange("GET", jobs)
        base = f"/projects/{project}/datasets/{dataset}/inferences"
        self.exchange("GET", base)
        for tree in trees.values():
            self.exchange("GET", f"{base}/{tree}")
        for kind in ("newick", "nexus", "graphml"):
            self.exchange("GET", f"{base}/{inference}?format={kind}")
        self.exchange("GET", f"{base}/{inference}/visualizations")
        self.exchange("GET", f"{base}/{inference}/visualizations/{posted['analysis_id']}")
        self.exchange("DELETE", f"{jobs}/{again['job_id']}")
        self.exchange("GET", f"{jobs}/{again['job_id']}")
        for bad in ({"analysis": "inference", "algorithm": "goeburst", "parameters": [dataset]},
                    {"analysis": "inference", "algorithm": "goeburst", "parameters": [dataset, 0]},
                    {"analysis": "inference", "algorithm": "goeburst",
                     "parameters": [dataset, 3, {"lvs": 2}]},
                    {"analysis": "inference", "algorithm": "goeburts", "parameters": [dataset, 3]},
                    {"analysis": "layout", "algorithm": "radial", "parameters": [dataset, inference]},
                    {"analysis": "visualization", "algorithm": "force",
                     "parameters": [dataset, inference, {"seed": -1}]},
                    {"analysis": "inference", "algorithm": "goeburst", "parameters": [dataset, 3],
                     "extra": 1},
                    ["not", "an", "object"]):
            self.exchange("POST", jobs, bad)
        self.exchange("DELETE", f"{base}/{trees[('goeburst', 1)]}")
        self.exchange("GET", base)
        self.exchange("GET", "/algorithms", token=None)

        if os.environ.get("PHYLODASH_RECORD_WIRE"):
            TRANSCRIPT.write_text(json.dumps(self.exchanges, indent=1) + "\n")
        recorded = json.loads(TRANSCRIPT.read_text())
        assert len(self.exchanges) == len(recorded)
        for got, expected in zip(self.exchanges, recorded, strict=True):
            lines = difflib.unified_diff(json.dumps(expected, indent=1).splitlines(),
                                         json.dumps(got, indent=1).splitlines(), "recorded", "now",
                                         lineterm="")
            assert got == expected, "\n".join(lines)
