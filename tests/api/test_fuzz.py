"""API fuzzing: schemathesis against the served ``/openapi.json``, authenticated, over every operation.

The real server (``make serve`` on a temporary data folder) starts once for the module and gets real
objects first: a project, a dataset uploaded from ``tests/fixtures``, a finished goeBURST inference
and a radial visualization of it. Each operation of the document is then its own test item: the
cases of schemathesis's coverage phase (boundary values, missing and wrongly typed fields, methods the
path does not answer), then ``MAX_EXAMPLES`` fuzzed cases, positive and negative, from a fixed seed
(``SEED``, no example database). Every answer goes through ``CHECKS``. Three cases in
four get the path ids of the real objects, so reads, updates and deletes reach something; the others
keep the generated ids, so "not found" answers are checked too. The DELETE operations run last, the
project's at the very end. The cases sent are printed per operation and in total (``pytest -s``).

Why not ``schemathesis.pytest.from_fixture``: its lazy schema sets ``request.node._nodeid``, which
pytest 9.2 no longer has (AttributeError). This module drives the same public pieces itself:
``iter_coverage_cases``, ``APIOperation.as_strategy`` and ``Case.call_and_validate``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import schemathesis
from api_client import FIXTURES, new_tree
from hypothesis import strategies
from live_server import Client, LiveServer, free_port, job_request
from schemathesis import checks

from api.openapi import openapi_document

PROFILES = (FIXTURES / "profiles.tsv").read_bytes()
ISOLATES = (FIXTURES / "isolates.tsv").read_bytes()
#: Fuzzed cases per operation (Hypothesis's max_examples); the coverage phase adds its own.
MAX_EXAMPLES = 50
#: Hypothesis's seed for the fuzzed cases (the coverage phase's cases do not depend on one).
SEED = 20260101
#: The DELETE operations, run after all others: a child before its parent, the project last.
DELETES = ("deleteJob", "deleteVisualization", "deleteInference", "deleteDataset", "deleteProject")
#: What each answer must pass. Left out: positive_data_acceptance (a schema-valid request may still be
#: a 400: a profiles file the reader cannot use, an unknown algorithm name, lvs 0 or a visualization
#: algorithm asked for an inference; the document cannot say that in JSON Schema), max_response_time
#: (not a contract), and the stateful checks (use_after_free, ensure_resource_availability: they follow
#: links between operations, which the document does not declare).
CHECKS = (checks.not_a_server_error, checks.status_code_conformance, checks.content_type_conformance,
          checks.response_headers_conformance, checks.response_schema_conformance,
          checks.negative_data_rejection, checks.missing_required_header, checks.ignored_auth,
          checks.unsupported_method, checks.allow_header_conformance)


#: The document the server serves (built by the same function), read before any server runs.
DOCUMENT = openapi_document("test")


def operation_ids() -> list[str]:
    """Every operation of the document in document order, the DELETE ones moved to the end (``DELETES``)."""
    found = [operation["operationId"] for item in DOCUMENT["paths"].values()
             for method, operation in item.items() if method != "parameters"]
    assert set(DELETES) <= set(found), "a DELETE operation was renamed: update DELETES"
    return [name for name in found if name not in DELETES] + list(DELETES)


OPERATIONS = operation_ids()
#: What the server echoes as X-Request-Id (the document's pattern for the header).
REQUEST_ID = re.compile(DOCUMENT["components"]["parameters"]["requestId"]["schema"]["pattern"])
#: Cases sent per operation id (filled by the tests, printed when the module is done).
CASES: Counter[str] = Counter()
#: Answers per operation id and status class (2xx, 4xx, ...; "failed" when a check failed).
ANSWERS: dict[str, Counter[str]] = {}


@dataclass
class World:
    """The running server, an admin client and the ids of the real objects made before fuzzing."""

    server: LiveServer
    client: Client
    ids: dict[str, str]


def make_objects(client: Client) -> dict[str, str]:
    """A project, a dataset with isolates, a finished goeBURST inference and a radial layout: their ids
    by path parameter name (``job`` is the inference's job)."""
    files = {"profiles": ("profiles.tsv", PROFILES), "isolates": ("isolates.tsv", ISOLATES)}
    return {name: value for name, value in new_tree(client, "fuzzed", files).items() if name != "layout_job"}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The server with its real objects; prints the cases sent when the module is done."""
    folder: Path = tmp_path_factory.mktemp("fuzz")
    # ?provider=google is fuzzed too: its tokens are checked at a closed local port, not on the internet.
    # The fuzzer sends many bad credentials from one address: the throttle (test_hostile.py) stays out of it.
    google = {"PHYLODASH_GOOGLE_TOKENINFO_URL": f"http://127.0.0.1:{free_port()}/tokeninfo",
              "PHYLODASH_SIGN_IN_FAILURES": "100000"}
    server = LiveServer(folder / "data", folder / "server.log", google)
    try:
        client = Client(server.url, server.token())
        yield World(server, client, make_objects(client))
    finally:
        server.stop()
        counts = ", ".join(f"{name} {CASES[name]}" for name in OPERATIONS if name in CASES)
        answers = sum(ANSWERS.values(), Counter())
        print(f"\nschemathesis cases per operation: {counts}\nschemathesis cases in total: {CASES.total()} "
              f"({', '.join(f'{kind} {count}' for kind, count in sorted(answers.items()))})")


@pytest.fixture(scope="module")
def served_schema(world: World) -> Any:
    """The served document as schemathesis loads it, with the run's settings."""
    config = schemathesis.Config.from_dict({
        "base-url": world.server.url,
        # The admin's token goes with every request (Run.headers): no generated Authorization values.
        # Unknown query parameters and headers are ignored, as HTTP APIs do: negative cases do not add them.
        "generation": {"with-security-parameters": False, "allow-extra-parameters": False},
        "request-timeout": 60,
    })
    return schemathesis.openapi.from_url(f"{world.server.url}/openapi.json", config=config)


def test_every_operation_is_fuzzed(served_schema: Any) -> None:
    """The served document has exactly the operations this module parametrizes over.

    (Not from ``get_all_operations()``: it leaves out the operation serving the document itself
    unless a filter names it.)
    """
    served = {operation["operationId"] for item in served_schema.raw_schema["paths"].values()
              for method, operation in item.items() if method != "parameters"}
    assert served == set(OPERATIONS)


def only_request_id_negated(case: Any) -> bool:
    """Whether a malformed ``X-Request-Id`` header is all that makes the case negative.

    The server answers such a request with a new id instead of rejecting it, as the document's
    description of the parameter says: the case cannot be "rejected", so it is not sent.
    """
    meta = case.meta
    if meta is None or [location.value for location in meta.components if meta.is_negative_at(location)] \
            != ["header"]:
        return False
    return not REQUEST_ID.fullmatch(str(case.headers.get("X-Request-Id", "")))


class Run:
    """Sends the cases of one operation and keeps each distinct failure (its first report)."""

    def __init__(self, world: World, operation_id: str) -> None:
        self.ids, self.operation_id = world.ids, operation_id
        self.headers = {"Authorization": f"Bearer {world.client.token}"}
        self.failures: dict[tuple[str, str], str] = {}

    def use_real_ids(self, case: Any) -> None:
        """Give three cases in four (all but every fourth one sent) the path ids of the real objects.

        (The coverage phase uses one generated value, "0", for every path id of all its cases.)
        """
        if CASES[self.operation_id] % 4 != 3:
            case.path_parameters = {name: self.ids[name] for name in case.path_parameters}

    def send(self, case: Any) -> int | None:
        """One case with the admin's token through ``CHECKS``: its status (None when not sent or a check
        failed; a failure is kept, not raised)."""
        if only_request_id_negated(case):
            return None
        self.use_real_ids(case)
        CASES[self.operation_id] += 1
        answers = ANSWERS.setdefault(self.operation_id, Counter())
        try:
            status: int = case.call_and_validate(headers=self.headers, checks=list(CHECKS)).status_code
        except schemathesis.errors.FailureGroup as group:
            answers["failed"] += 1
            for failure in group.exceptions:
                self.failures.setdefault((failure.code, failure.message.split("\n", 1)[0]), str(group))
            return None
        answers[f"{status // 100}xx"] += 1
        return status


#: Explicit cases, as the fuzzer cannot make a usable profiles file or name a real dataset in a body:
#: the operation, its body from the real objects' ids, and the status expected.
EXPLICIT: dict[str, tuple[str, Callable[[dict[str, str]], Any], int]] = {
    "upload both files": ("createDataset", lambda ids: {"profiles": PROFILES, "isolates": ISOLATES,
                                                        "name": "explicit"}, 201),
    "upload with every field": ("createDataset", lambda ids: {
        "profiles": PROFILES, "isolates": ISOLATES, "name": "all", "description": "d", "kind": "mlst",
        "missing_values": "0, N", "profile_column": "ST"}, 201),
    "upload profiles only": ("createDataset", lambda ids: {"profiles": PROFILES}, 201),
    "upload no profiles file": ("createDataset", lambda ids: {"isolates": ISOLATES, "name": "none"}, 400),
    "upload an unknown kind": ("createDataset", lambda ids: {"profiles": PROFILES, "kind": "cgmlst"}, 400),
    "upload an image as profiles": ("createDataset", lambda ids: {"profiles": b"\x89PNG\r\n\x1a\n\0\0"}, 400),
    "upload an unknown profile column": ("createDataset", lambda ids: {
        "profiles": PROFILES, "isolates": ISOLATES, "profile_column": "no such column"}, 400),
    "a goeBURST job": ("createJob", lambda ids: job_request("goeburst", ids["dataset"], 2), 202),
    "a radial layout job": ("createJob", lambda ids: job_request("radial", ids["dataset"], ids["inference"]),
                            202),
    "a job on a missing dataset": ("createJob", lambda ids: job_request("goeburst", ids["project"], 2), 404),
}


@pytest.mark.parametrize("name", EXPLICIT)
def test_explicit(served_schema: Any, world: World, name: str) -> None:
    """An explicit case, through the same checks, answers the status expected (before the operations
    are fuzzed: deleteProject, the last of them, removes the project)."""
    operation_id, body, expected = EXPLICIT[name]
    case = served_schema.find_operation_by_id(operation_id).Case(
        body=body(world.ids), path_parameters={"project": world.ids["project"]})
    run = Run(world, operation_id)
    status = run.send(case)
    assert not run.failures, "\n\n".join(run.failures.values())
    assert status == expected


@pytest.mark.parametrize("operation_id", OPERATIONS)
def test_operation(served_schema: Any, world: World, operation_id: str) -> None:
    """The coverage-phase cases, then fuzzed positive and negative cases, of one operation."""
    operation = served_schema.find_operation_by_id(operation_id)
    run = Run(world, operation_id)
    modes = list(schemathesis.GenerationMode)
    generation = served_schema.config.generation_for(operation=operation, phase="coverage")
    for case in served_schema.iter_coverage_cases(operation, generation_modes=modes,
                                                  generation_config=generation):
        run.send(case)

    @hypothesis.seed(SEED)
    @hypothesis.settings(max_examples=MAX_EXAMPLES, database=None, deadline=None,
                         suppress_health_check=list(hypothesis.HealthCheck))
    @hypothesis.given(strategies.one_of([operation.as_strategy(mode) for mode in modes]))
    def fuzz(case: Any) -> None:
        run.send(case)

    fuzz()
    answers = ", ".join(f"{kind} {count}" for kind, count in sorted(ANSWERS[operation_id].items()))
    print(f"\n{operation.label}: {CASES[operation_id]} cases ({answers})", end="")
    assert not run.failures, "\n\n".join(run.failures.values())

