"""The OpenAPI document: valid OpenAPI 3.1, one operation per implemented handler method and no more,
exact schemas that what the views return fits, and a response checker that catches every drift."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any, NamedTuple

import pytest
import tornado.web
from openapi_check import check_response, find_path
from openapi_spec_validator import validate
from paths import FIXTURES

from api.handlers.datasets import profiles_tsv
from api.openapi import openapi_document
from api.problems import PROBLEM_TYPE, body
from api.routes import make_routes
from api.wire import (
    dataset_view,
    inference_summary,
    inference_view,
    job_request,
    job_view,
    partition_view,
    placement_view,
    project_view,
    user_view,
    visualization_summary,
    visualization_view,
    wrapped_tree,
)
from engine.algorithms import registry
from engine.algorithms.placement_table import placements_tsv
from engine.io.graphml import to_graphml
from engine.io.nexus import to_nexus
from engine.io.partition_table import partition_tsv
from engine.services.analyses import run_job
from engine.services.root import Service
from engine.services.settings import Settings
from engine.storage.records import JobRecord

JSON = "application/json; charset=UTF-8"
TSV = "text/tab-separated-values; charset=UTF-8"
#: Every method Tornado dispatches to a handler method of the same name.
HTTP_METHODS = tuple(method.lower() for method in tornado.web.RequestHandler.SUPPORTED_METHODS)
SECURED = ("/projects", "/users")
WWW_AUTHENTICATE = 'Bearer error="invalid_token"'
_TEMPLATE_PARAMETER = re.compile(r"{\w+}")


class Answer(NamedTuple):
    method: str
    path: str
    status: int
    content_type: str | None
    body: Any


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return openapi_document("1.2.3")


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Service:
    return Service(Settings(data=tmp_path_factory.mktemp("openapi"), workers=1))


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(template, method, operation) for template, item in document["paths"].items()
            for method, operation in item.items() if method in HTTP_METHODS]


def _component(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """``node``, or the component its ``$ref`` names."""
    while "$ref" in node:
        kind, name = node["$ref"].split("/")[-2:]
        node = document["components"][kind][name]
    return node


# -- the document --------------------------------------------------------------------------------


def test_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    validate(document)
    assert document["openapi"] == "3.1.0"
    assert document["info"]["title"] == "PhyloDash"
    assert document["info"]["version"] == "1.2.3"
    assert "PhyloDB" in document["info"]["description"]


def test_every_route_and_implemented_method_is_documented_and_nothing_else(
        document: dict[str, Any], service: Service) -> None:
    found: set[str] = set()
    sample = {template: _TEMPLATE_PARAMETER.sub(str(uuid.uuid4()), template)
              for template in document["paths"]}
    for pattern, handler, _ in make_routes(service):
        templates = [template for template, path in sample.items() if re.fullmatch(pattern, path)]
        assert len(templates) == 1, f"route {pattern} ({handler.__name__}) matches paths {templates}"
        template = templates[0]
        assert re.compile(pattern).groups == len(_TEMPLATE_PARAMETER.findall(template)), template
        implemented = {method for method in HTTP_METHODS
                       if getattr(handler, method) is not getattr(tornado.web.RequestHandler, method)}
        documented = {method for method in document["paths"][template] if method in HTTP_METHODS}
        assert documented == implemented, f"{template} ({handler.__name__})"
        found.add(template)
    assert found == set(document["paths"]), "documented paths without a route"


def test_projects_and_users_need_a_bearer_token_and_the_rest_does_not(document: dict[str, Any]) -> None:
    for template, method, operation in _operations(document):
        parameters = {_component(document, p)["name"] for p in operation["parameters"]}
        if template.startswith(SECURED):
            assert operation["security"] == [{"bearerAuth": []}], (method, template)
            assert "401" in operation["responses"] and "provider" in parameters, (method, template)
        else:
            assert operation["security"] == [], (method, template)
            assert "401" not in operation["responses"] and "provider" not in parameters, (method, template)
    scheme = document["components"]["securitySchemes"]["bearerAuth"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")


def test_every_answer_carries_a_request_id_and_500_is_always_declared(document: dict[str, Any]) -> None:
    for template, method, operation in _operations(document):
        assert "500" in operation["responses"], (method, template)
        for status, response in operation["responses"].items():
            assert "X-Request-Id" in _component(document, response)["headers"], (method, template, status)
        if "401" in operation["responses"]:
            assert "WWW-Authenticate" in _component(document, operation["responses"]["401"])["headers"]


def test_object_schemas_are_exact(document: dict[str, Any]) -> None:
    open_request = {"DatasetUpload"}  # multipart fields the handler does not know are ignored
    for name, schema in document["components"]["schemas"].items():
        if "properties" in schema and name not in open_request:
            assert schema["additionalProperties"] is False, name
            assert set(schema["required"]) <= set(schema["properties"]), name


# -- what the views return fits the document -----------------------------------------------------


def _ignore_progress(fraction: float) -> None:
    """A progress callback for computing a job in this process."""


def _compute(service: Service, job: JobRecord) -> None:
    """Run a queued job here and store its result, as the runner's worker and finish would."""
    service.analyses.finish(job, run_job(service.store.arrays_reader(), job, _ignore_progress, None))


@pytest.fixture(scope="module")
def answers(service: Service, document: dict[str, Any]) -> list[Answer]:
    """Correct answers of every kind, their bodies made by the same view functions the handlers call."""
    catalog, analyses = service.catalog, service.analyses
    admin, _ = service.accounts.add("admin@example.org", admin=True)
    project = catalog.create_project(admin, {"name": "P", "visibility": "public", "users": ["b@example.org"]})
    dataset = catalog.add_dataset(admin, project.id, (FIXTURES / "profiles.tsv").read_bytes(),
                                  (FIXTURES / "isolates.tsv").read_bytes(), name="d")
    request = job_request({"analysis": "inference", "algorithm": "goeburst",
                           "parameters": [dataset.id, 3]})
    inference_job = analyses.submit(admin, project.id, request)
    _compute(service, inference_job)
    reused = analyses.submit(admin, project.id, request)
    record = catalog.inference(admin, project.id, dataset.id, inference_job.analysis_id)
    tree = catalog.inference_content(record)
    layout = job_request({"analysis": "visualization", "algorithm": "force",
                          "parameters": [dataset.id, record.id, {"seed": 1}]})
    layout_job = analyses.submit(admin, project.id, layout)
    _compute(service, layout_job)
    drawing = catalog.visualization(admin, project.id, dataset.id, record.id,
                                    layout_job.analysis_id)
    # A version with two new isolates (one of a new profile, one without a profile), its tree and partition.
    version = catalog.add_version(admin, project.id, dataset.id,
                                  b"ST\tadk\tfumC\tgyrB\ticd\tmdh\tpurA\trecA\n13\t1\t1\t1\t1\t1\t1\t2\n",
                                  b"isolate\tST\tcountry\tyear\nN1\t13\tPT\t2024\nN2\t\tPT\t2024\n")
    grown_job = analyses.submit(admin, project.id, job_request({
        "analysis": "inference", "algorithm": "goeburst", "parameters": [version.id, 3]}))
    _compute(service, grown_job)
    cut_job = analyses.submit(admin, project.id, job_request({
        "analysis": "partition", "algorithm": "cluster-codes",
        "parameters": [version.id, grown_job.analysis_id, {"thresholds": [1, 2.5]}]}))
    _compute(service, cut_job)
    cut = catalog.partition(admin, project.id, version.id, grown_job.analysis_id, cut_job.analysis_id)
    naming, placed = catalog.partition_content(cut), catalog.partition_placements(cut)
    assert placed is not None and [p.isolate for p in placed] == ["N1", "N2"]

    projects = f"/projects/{project.id}"
    jobs, datasets = f"{projects}/jobs", f"{projects}/datasets"
    one_dataset = f"{datasets}/{dataset.id}"
    inferences = f"{one_dataset}/inferences"
    visualizations = f"{inferences}/{record.id}/visualizations"
    partition = f"{datasets}/{version.id}/inferences/{grown_job.analysis_id}/partitions/{cut.id}"
    return [
        Answer("GET", "/health", 200, JSON, {"status": "ok", "version": "1.2.3"}),
        Answer("GET", "/openapi.json", 200, JSON, json.dumps(document).encode()),
        Answer("GET", "/algorithms", 200, JSON, registry.describe()),
        Answer("GET", "/users/me?provider=local", 200, JSON, user_view(admin)),
        Answer("GET", "/users", 200, JSON, [user_view(user) for user in service.accounts.all()]),
        Answer("POST", "/projects", 201, JSON, project_view(project)),
        Answer("GET", "/projects?page=0", 200, JSON, [project_view(p) for p in catalog.projects(admin)]),
        Answer("PUT", projects, 204, None, b""),
        Answer("GET", jobs, 200, JSON, [job_view(job) for job in analyses.jobs(admin, project.id)]),
        Answer("POST", jobs, 202, JSON, {"job_id": reused.id, "analysis_id": reused.analysis_id}),
        Answer("GET", f"{jobs}/{reused.id}", 200, JSON, job_view(reused)),
        Answer("DELETE", f"{jobs}/{reused.id}", 204, None, None),
        Answer("GET", datasets, 200, JSON, [dataset_view(d) for d in catalog.datasets(admin, project.id)]),
        Answer("POST", datasets, 201, JSON, dataset_view(dataset, report=True)),
        Answer("GET", one_dataset, 200, JSON, dataset_view(dataset, report=True)),
        Answer("GET", f"{one_dataset}/profiles", 200, JSON, [{"id": "1", "alleles": ["1", None]}]),
        Answer("GET", f"{one_dataset}/profiles/files", 200, "text/plain; charset=UTF-8",
               profiles_tsv(catalog.dataset_content(dataset)).encode()),
        Answer("GET", f"{one_dataset}/isolates", 200, JSON,
               [{"profile_id": "1", "metadata": {"isolate": "E1"}}, {"profile_id": None, "metadata": {}}]),
        Answer("GET", inferences, 200, JSON, [inference_summary(r) for r in
                                                catalog.inferences(admin, project.id, dataset.id)]),
        Answer("GET", f"{inferences}/{record.id}", 200, JSON, inference_view(record, tree)),
        Answer("GET", f"{inferences}/{record.id}?format=nexus", 200, JSON,
               wrapped_tree(record, to_nexus(tree))),
        Answer("GET", f"{inferences}/{record.id}?format=graphml", 200, "application/xml; charset=UTF-8",
               to_graphml(tree)),
        Answer("GET", visualizations, 200, JSON, [visualization_summary(r) for r in catalog.visualizations(
            admin, project.id, dataset.id, record.id)]),
        Answer("GET", f"{visualizations}/{drawing.id}", 200, JSON,
               visualization_view(drawing, catalog.layout_content(drawing))),
        Answer("DELETE", f"{visualizations}/{drawing.id}", 204, None, b""),
        Answer("GET", partition, 200, JSON, partition_view(cut, naming, placed)),
        Answer("GET", f"{partition}?format=tsv", 200, TSV,
               partition_tsv(naming.isolates, naming.thresholds, naming.names).encode()),
        Answer("GET", f"{partition}/placements", 200, JSON, placement_view(placed)),
        Answer("GET", f"{partition}/placements?format=tsv", 200, TSV,
               placements_tsv(placed, cut.thresholds).encode()),
        Answer("GET", f"{projects}/jobs/not-a-uuid", 404, PROBLEM_TYPE, body(404, "there is no job")),
        Answer("GET", "/users/me", 401, PROBLEM_TYPE, body(401, "send the header")),
        Answer("POST", "/health", 405, PROBLEM_TYPE, body(405, "Method Not Allowed")),
        Answer("POST", jobs, 409, PROBLEM_TYPE, body(409, "fewer than 2 profiles")),
        Answer("POST", datasets, 413, PROBLEM_TYPE, body(413, "too large")),
        Answer("GET", "/algorithms", 500, PROBLEM_TYPE, body(500, "logged")),
    ]


def test_what_the_views_return_fits_the_document(document: dict[str, Any], answers: list[Answer]) -> None:
    for answer in answers:
        check_response(document, *answer)


def _answer_to(answers: list[Answer], path: str) -> Answer:
    """The GET answer whose path matches the regular expression ``path``."""
    return next(a for a in answers if a.method == "GET" and re.search(path, a.path))


def test_a_reused_job_and_a_deprecated_view_fit_too(document: dict[str, Any], answers: list[Answer]) -> None:
    reused = _answer_to(answers, r"/jobs/[0-9a-f-]{36}$").body
    assert reused["status"] == "succeeded" and reused["reused_from"] is not None
    drawing = _answer_to(answers, r"/visualizations/[0-9a-f-]{36}$")
    check_response(document, "GET", drawing.path, 200, JSON, {**drawing.body, "deprecated": True})


# -- the checker catches drift -------------------------------------------------------------------


@pytest.fixture
def project(answers: list[Answer]) -> Answer:
    return next(a for a in answers if a.method == "POST" and a.path == "/projects")


def _check(document: dict[str, Any], answer: Answer, **changes: Any) -> None:
    check_response(document, *answer._replace(**changes))


def test_check_response_rejects_a_missing_required_field(document: dict[str, Any], project: Answer) -> None:
    without_name = {k: v for k, v in project.body.items() if k != "name"}
    with pytest.raises(AssertionError, match="'name' is a required property"):
        _check(document, project, body=without_name)


def test_check_response_rejects_an_extra_field(document: dict[str, Any], project: Answer) -> None:
    with pytest.raises(AssertionError, match="'owner' was unexpected"):
        _check(document, project, body={**project.body, "owner": "admin@example.org"})


def test_check_response_rejects_a_wrong_type(document: dict[str, Any], project: Answer) -> None:
    with pytest.raises(AssertionError, match="visibility"):
        _check(document, project, body={**project.body, "visibility": "secret"})


def test_check_response_rejects_an_undeclared_status(document: dict[str, Any], project: Answer) -> None:
    with pytest.raises(AssertionError, match="status 200 is not declared"):
        _check(document, project, status=200)
    with pytest.raises(AssertionError, match="status 409 is not declared"):
        _check(document, project, status=409, content_type=PROBLEM_TYPE, body=body(409, "no"))


def test_check_response_rejects_an_undeclared_content_type(document: dict[str, Any], project: Answer) -> None:
    with pytest.raises(AssertionError, match="content type 'text/html; charset=UTF-8' is not declared"):
        _check(document, project, content_type="text/html; charset=UTF-8")
    with pytest.raises(AssertionError, match="content type"):
        _check(document, project, status=401, content_type=JSON, body=body(401, "no token"))


def test_check_response_rejects_a_problem_whose_message_is_not_the_status(document: dict[str, Any]) -> None:
    with pytest.raises(AssertionError, match="'unauthorized' was expected"):
        check_response(document, "GET", "/users/me", 401, PROBLEM_TYPE, body(404, "no such user"))


def test_check_response_rejects_bodies_that_are_not_declared_or_not_json(document: dict[str, Any],
                                                                        project: Answer) -> None:
    with pytest.raises(AssertionError, match="declares no body"):
        check_response(document, "DELETE", project.path + "/" + str(uuid.uuid4()), 204, JSON, b"{}")
    with pytest.raises(AssertionError, match="not JSON"):
        _check(document, project, body=b"<html>")


def test_check_response_rejects_unknown_paths_and_methods(document: dict[str, Any]) -> None:
    with pytest.raises(AssertionError, match="no path of the OpenAPI document matches '/nowhere'"):
        check_response(document, "GET", "/nowhere?page=1", 200, JSON, [])
    with pytest.raises(AssertionError, match="no PATCH operation"):
        check_response(document, "PATCH", "/projects", 200, JSON, [])
    check_response(document, "HEAD", "/health", 405, PROBLEM_TYPE, b"")  # HTTP sends no body with HEAD


def test_check_response_checks_declared_headers(document: dict[str, Any], project: Answer) -> None:
    check_response(document, *project, headers={"X-Request-Id": "abc", "Content-Type": JSON})
    with pytest.raises(AssertionError, match="required header X-Request-Id is missing"):
        check_response(document, *project, headers={"Content-Type": JSON})
    unauthorized = ("GET", "/users/me", 401, PROBLEM_TYPE, body(401, "no token"))
    check_response(document, *unauthorized,
                   headers={"x-request-id": "1", "WWW-Authenticate": WWW_AUTHENTICATE})
    with pytest.raises(AssertionError, match="required header WWW-Authenticate is missing"):
        check_response(document, *unauthorized, headers={"X-Request-Id": "1"})
    with pytest.raises(AssertionError, match="header Allow"):
        check_response(document, "PUT", "/health", 405, PROBLEM_TYPE, body(405, "no"),
                       headers={"X-Request-Id": "1", "Allow": "get"})


def test_find_path_prefers_a_concrete_path_to_a_template() -> None:
    document = {"paths": {"/a/{x}/c": {}, "/a/b/c": {}, "/a/{x}": {}}}
    assert find_path(document, "/a/b/c") == "/a/b/c"
    assert find_path(document, "/a/z/c?page=2") == "/a/{x}/c"
    assert find_path(document, "/a/z") == "/a/{x}"
