"""The OpenAPI 3.1 document of the REST API (``GET /openapi.json``), written to match the handlers.

Response objects are exact: ``required`` lists every field the code always sends and
``additionalProperties`` is false, so a test checking answers against this document notices any
drift between the code and the contract. Schemas are plain JSON Schema 2020-12.
"""

from __future__ import annotations

import re
from typing import Any

from api.auth import PROVIDERS
from api.handlers.datasets import CGMLST_DISTS, DISTANCE_LIMIT, DISTANCE_RULES, KINDS
from api.handlers.results import FORMAT_NAMES, PARTITION_FORMATS
from api.json_body import MAX_DEPTH
from api.problems import DETAIL_LIMIT, MESSAGES, PROBLEM_TYPE
from api.upload import FIELD_LIMIT
from api.wire import OPTION_LIMIT
from engine.algorithms import registry
from engine.algorithms.registry import INFERENCE, VISUALIZATION
from engine.errors import QUOTE_LIMIT
from engine.jobs.runner import CANCELLED, FAILED, QUEUED, RUNNING, SUCCEEDED
from engine.services.accounts import ROLES
from engine.services.catalog import MEMBER_LIMIT, NAME_LIMIT, PRIVATE, TEXT_LIMIT, VISIBILITIES
from engine.services.settings import Settings
from engine.services.surveillance import CLUSTER_CODES, PARTITION, PLACEMENT_NEAREST, THRESHOLD_LIMIT
from engine.services.throttle import FAILURES_ALLOWED

Schema = dict[str, Any]

_PROJECT = "/projects/{project}"
_DATASET = f"{_PROJECT}/datasets/{{dataset}}"
_INFERENCE = f"{_DATASET}/inferences/{{inference}}"
_PATH_PARAMETER = re.compile(r"{(\w+)}")
_BEARER = "bearerAuth"
_JSON = "application/json"

#: The problem responses: status -> (component name, description).
_PROBLEMS: dict[int, tuple[str, str]] = {
    400: ("BadRequest", "The request is wrong (page, format, body, field or parameter); the detail says "
                        "what."),
    401: ("Unauthorized", "No valid bearer token, an unknown provider, or a project the caller may not know "
                          "of (a private project's existence is not revealed)."),
    403: ("Forbidden", "The caller may read but not change this (a public project it is no member of), or "
                       "is not an admin."),
    404: ("NotFound", "There is no such resource here; a path id that is not a well-formed UUID included."),
    405: ("MethodNotAllowed", "The path does not answer this method; ``Allow`` lists those it answers."),
    409: ("Conflict", "The dataset has fewer than 2 profiles: there is no tree to infer."),
    413: ("PayloadTooLarge", "The body is larger than the server's limit: a JSON body 1 MB, an upload 512 MB "
                             "(settings); see the limits in the description."),
    429: ("TooManyRequests", "Too many failed sign-ins from this address lately; ``Retry-After`` says in how "
                             "many seconds to try again. Requests whose credentials are good always pass."),
    500: ("ServerError", "An unexpected error; it was logged server-side and no traceback is sent."),
}

_DESCRIPTION = """\
Infer and explore goeBURST trees of bacterial typing data.

The jobs endpoints (`/projects/{project}/jobs`) keep PhyloDB's wire format, so PhyloDB's clients \
work unchanged; everything else follows the same conventions:

- JSON everywhere, snake_case fields; ids are server-made UUID4 strings, and a path id that is \
not one is answered 404.
- Lists are paged with `?page=N` (N >= 0, default 0; page size a server setting, default 500); \
a page past the end is `200 []`.
- Errors are `application/problem+json` bodies `{"message", "detail"}`; no traceback ever \
reaches a client.
- Every response carries `X-Request-Id`, echoed from the request when given.
- Everything under `/projects` and `/users` needs `Authorization: Bearer <token>`; `?provider=` \
picks the identity provider (`local` tokens from `python -m api users`, or `google` access tokens).
- A method a documented path does not answer gets `405` with an `Allow` header \
(`#/components/responses/MethodNotAllowed`).
"""

_LIMITS = """
Limits (each refused with a problem, nothing stored; sizes are the defaults of the settings named):

| what | limit | answer |
|---|---|---|
| a JSON body | {json_limit} (`PHYLODASH_JSON_LIMIT_KB`), judged from `Content-Length` before reading | 413 |
| an upload | {upload_limit} (`PHYLODASH_UPLOAD_LIMIT_MB`), judged from `Content-Length` before reading \
(the caller must be allowed to add to the project, else 401, 403 or 404, before that) | 413 |
| a text field of an upload (`name`, `description`, ...) | {field} | 400 |
| the text of a gzip-compressed file of an upload | {inflate_limit} (`PHYLODASH_INFLATE_LIMIT_MB`) | 400 |
| a distance table (`.../distances`) | datasets of {distances} profiles | 400 |
| nesting of a JSON body | {depth} levels of arrays and objects | 400 |
| a project or dataset name | {name} characters | 400 |
| a description | {text} characters | 400 |
| members of a project | {members} | 400 |
| named options of a job | {options} | 400 |
| failed sign-ins from one address | {failures} a minute; then requests that fail to sign in wait \
| 429, `Retry-After` |
| a client's value quoted in a problem's detail | about {quote} characters, then `…` and its length | - |
| a problem's detail | {detail} characters | - |"""


# -- schema helpers ------------------------------------------------------------------------------


def _ref(name: str, kind: str = "schemas") -> Schema:
    return {"$ref": f"#/components/{kind}/{name}"}


def _typed(kind: str | list[str], description: str | None, **keywords: Any) -> Schema:
    """A fresh schema of JSON type ``kind`` (every call a new dict, so the document shares none)."""
    schema: Schema = {"type": kind, **keywords}
    if description:
        schema["description"] = description
    return schema


def _string(description: str | None = None, **keywords: Any) -> Schema:
    return _typed("string", description, **keywords)


def _count(description: str | None = None) -> Schema:
    return _typed("integer", description, minimum=0)


def _boolean(description: str | None = None) -> Schema:
    return _typed("boolean", description)


def _parameter_value() -> Schema:
    """A value of an algorithm parameter (a default may be null)."""
    return _typed(["integer", "string", "null"], None)


def _nullable(schema: Schema) -> Schema:
    """``schema`` that also allows null (``"type": [..., "null"]``)."""
    return {**schema, "type": [schema["type"], "null"]}


def _enum(values: tuple[str, ...] | list[str], description: str | None = None, **keywords: Any) -> Schema:
    return _string(description, enum=list(values), **keywords)


def _array(items: Schema, description: str | None = None, **keywords: Any) -> Schema:
    return _typed("array", description, items=items, **keywords)


def _object(properties: dict[str, Schema], description: str, *, optional: tuple[str, ...] = ()) -> Schema:
    """An exact object: every property but ``optional`` required, no other property allowed."""
    return {"type": "object", "description": description, "properties": properties,
            "required": [name for name in properties if name not in optional], "additionalProperties": False}


def _uuid(description: str | None = None) -> Schema:
    return _string(description, format="uuid")


def _time(description: str | None = None) -> Schema:
    return _string(description, format="date-time")


# -- components/schemas --------------------------------------------------------------------------


def _result_properties() -> dict[str, Schema]:
    """The fields shared by inference and visualization records."""
    return {
        "id": _uuid("The result's id: the analysis_id of the job that made it."),
        "project_id": _uuid(), "dataset_id": _uuid(),
        "algorithm": _string("The registry name of the algorithm that made it."),
        "parameters": _ref("ResultParameters"),
        "deprecated": _boolean("True once deleted: hidden from lists, still readable."),
        "created": _time(), "provenance": _ref("Provenance"),
    }


def _inference_properties() -> dict[str, Schema]:
    return {
        **_result_properties(),
        "computed": _enum(("full", "incremental"), "incremental: the tree of a dataset version was extended "
                          "from its parent's result (computed_from), identical to a full run; full: computed "
                          "from all profiles."),
        "computed_from": _nullable(_uuid("The parent version's inference this one extended.")),
        "computed_reason": _nullable(_string("Why an inference of a version was computed in full.")),
    }


def _partition_schemas() -> dict[str, Schema]:
    names = _nullable(_string("A cluster name (prefix C and a number); null: a single profile left unnamed."))
    return {
        "PartitionParameters": _object({
            "thresholds": _array({"type": "number", "minimum": 0}, "Ascending, each once."),
            "name_singletons": _boolean("Whether a single profile gets a name (the first run of a line of "
                                        "partitions decides)."),
        }, "A partition's parameters."),
        "PartitionCodes": _object({"profile_id": _string(), "codes": _array(names, "One per threshold.")},
                                  "The cluster of a profile at each threshold."),
        "PartitionChange": _object({
            "threshold": {"type": "number", "minimum": 0}, "name": names,
            "kind": _enum(("kept", "grew", "split", "merged", "new")),
            "previous": _array(_string(), "The names its profiles had in the partition it was named from."),
            "absorbed": _array(_string(), "For merged: the names it absorbed (retired)."),
            "size": _count("Profiles in the cluster."),
            "added": _count("Profiles not in the old cluster whose name it has."),
        }, "What happened to a cluster since the partition it was named from."),
        "Partition": _object({
            **{name: schema for name, schema in _result_properties().items() if name != "parameters"},
            "parameters": _ref("PartitionParameters"),
            "inference_id": _uuid("The inference cut."),
            "named_from": _nullable(_uuid("The earlier partition (of this dataset or a version it grew from, "
                                          "same thresholds) whose names this one inherited.")),
            "thresholds": _array({"type": "number", "minimum": 0}),
            "codes": _array(_ref("PartitionCodes"), "One per profile, in the dataset's order."),
            "changes": _array(_ref("PartitionChange")),
            "placements": _nullable(_array(
                _ref("Placement"), "The new isolates of a version placed (empty for a dataset that is not a "
                                   "version; null for a partition of a version computed before placement "
                                   "reports were kept).")),
        }, "Cluster codes of an inference at many thresholds, with names that last."),
        **_placement_schemas(),
    }


def _placement_schemas() -> dict[str, Schema]:
    distance = _count("Loci apart (the inference's missing-data mode).")
    return {
        "PlacementNeighbour": _object({"isolate": _string(), "distance": distance},
                                      "An old isolate near a new one."),
        "PlacementCluster": _object({
            "threshold": {"type": "number", "minimum": 0},
            "name": _nullable(_string("The cluster's lasting name; null: a single isolate left unnamed.")),
            "founded": _boolean("True when no isolate of the parent version is in the cluster."),
        }, "The cluster a new isolate is in at one threshold."),
        "Placement": _object({
            "isolate": _string("The isolate's id (its profile's id without an isolate table)."),
            "profile": _nullable(_string("Its profile's id; null: none.")),
            "distance": _nullable(_count("Loci to the nearest old isolate; null: no profile or no old "
                                         "isolate.")),
            "nearest": _array(_ref("PlacementNeighbour"), f"Up to {PLACEMENT_NEAREST} old isolates, nearest "
                              "first, ties by id."),
            "clusters": _array(_ref("PlacementCluster"), "One per threshold (none without a profile)."),
        }, "Where a new isolate of a version landed."),
    }


def _visualization_summary_properties() -> dict[str, Schema]:
    return {**_result_properties(), "inference_id": _uuid("The inference laid out.")}


def _dataset_properties() -> dict[str, Schema]:
    return {
        "id": _uuid(), "project_id": _uuid(), "name": _string(), "description": _string(),
        "kind": _enum(("mlst", "snp"), "mlst: one column per locus; snp: one character per locus."),
        "profiles": _count("Profiles (rows) read."),
        "loci": _count("Loci (columns) per profile."),
        "isolates": _count("Isolates read (0 without an isolates file)."),
        "isolate_columns": _array(_string(), "The columns of the isolates file."),
        "created": _time(),
        "content_hash": _string("SHA-256 of what an inference reads from the dataset.",
                                pattern="^[0-9a-f]{64}$"),
        "parent_id": _nullable(_uuid("The dataset this one is a version of (made by adding profiles).")),
    }


def _skipped_lines(description: str) -> Schema:
    return _array(_ref("SkippedLine"), description)


def _job_parameters() -> Schema:
    return {"type": "array", "minItems": 2, "maxItems": 3, "items": False,
            "prefixItems": [_string("The dataset id."),
                            {"type": ["integer", "string"],
                             "description": "lvs (an integer >= 1) or the inference id."},
                            {"type": "object", "description": "The algorithm's named options.",
                             "maxProperties": OPTION_LIMIT}],
            "description": "[dataset id, lvs] for an inference, [dataset id, inference id] for a "
                           "visualization or a partition, optionally followed by an object of named "
                           f"options (a partition's: thresholds, a list of at most {THRESHOLD_LIMIT:,} "
                           "distances, default 0..100 then coarser up to the number of loci; "
                           "name_singletons, default true)."}


def _job_request() -> Schema:
    names = "; ".join(f"{kind}: {', '.join(registry.names(kind))}" for kind in (INFERENCE, VISUALIZATION))
    return _object({
        "analysis": _enum((INFERENCE, VISUALIZATION, PARTITION)),
        "algorithm": _string(f"An algorithm of that analysis ({names}; {PARTITION}: {CLUSTER_CODES}); see "
                             "GET /algorithms."),
        "parameters": _ref("JobParameters"),
    }, "A job to queue, as PhyloDB takes it.")


def _job() -> Schema:
    return _object({
        "id": _uuid(),
        "completed": _boolean("True once the job finished running (successfully or not)."),
        "cancelled": _boolean("True once the job was cancelled."),
        "status": _enum((QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED)),
        "analysis": _enum((INFERENCE, VISUALIZATION, PARTITION)),
        "algorithm": _string(),
        "parameters": _ref("JobParameters"),
        "analysis_id": _uuid("Where the result appears once the job succeeded."),
        "dataset_id": _uuid(),
        "inference_id": _nullable(_uuid("The inference laid out or cut (visualizations and partitions).")),
        "progress": {"type": "number", "minimum": 0, "maximum": 1},
        "created": _time(), "started": _nullable(_time()), "finished": _nullable(_time()),
        "error": _nullable(_string("Why the job failed, in a sentence.")),
        "reused_from": _nullable(_uuid("The earlier equal result this job reused at once.")),
    }, "A job: PhyloDB's id, completed and cancelled first, then PhyloDash's fields.")


def _dataset_upload() -> Schema:
    binary = _string(format="binary", contentMediaType="application/octet-stream")
    return {"type": "object", "required": ["profiles"], "properties": {
        "profiles": {**binary, "description": "The profiles file (MLST table or SNP alignment), as text "
                     "or gzip-compressed (known by its first bytes, whatever its name)."},
        "isolates": {**binary, "description": "An isolates (metadata) file, one row per isolate; text or "
                     "gzip-compressed."},
        "name": _string("The dataset's name; default the profiles file's name.", maxLength=NAME_LIMIT),
        "description": _string(maxLength=TEXT_LIMIT),
        "kind": _enum(KINDS, "How to read the profiles; auto detects it.", default="auto"),
        "missing_values": _string("Comma-separated cell values that mean a missing allele."),
        "profile_column": _string("The isolates column holding the profile id."),
    }}


def _schemas() -> dict[str, Schema]:
    problem_messages = ("bad_request", "unauthorized", "forbidden", "not_found", "conflict",
                        "payload_too_large", "too_many_requests", "server")
    return {
        "Problem": _object({"message": _enum(problem_messages), "detail": _string("A human sentence.")},
                           "What went wrong."),
        "Health": _object({"status": {"const": "ok"}, "version": _string()}, "The server answers."),
        "Algorithm": _object({
            "name": _string(), "kind": _enum((INFERENCE, VISUALIZATION)), "description": _string(),
            "version": _string(),
            "parameters": _array(_ref("AlgorithmParameter")),
        }, "An algorithm of the registry."),
        "AlgorithmParameter": _object({
            "name": _string(), "type": _enum(("integer", "string")), "default": _parameter_value(),
            "description": _string(), "minimum": {"type": "integer"}, "maximum": {"type": "integer"},
            "choices": _array(_string()),
        }, "A named option of an algorithm.", optional=("minimum", "maximum", "choices")),
        "User": _object({"email": _string(format="email"), "role": _enum(ROLES),
                         "created": _nullable(_time())}, "A user (never its token)."),
        "Project": _object({
            "id": _uuid(), "name": _string(), "description": _string(), "visibility": _enum(VISIBILITIES),
            "users": _array(_string(format="email"), "The members' emails."), "created": _time(),
        }, "A project."),
        "ProjectInput": _object({
            "name": _string("Required, not blank.", pattern=r"\S", maxLength=NAME_LIMIT),
            "description": _nullable(_string(maxLength=TEXT_LIMIT)),
            "visibility": _enum(VISIBILITIES, default=PRIVATE),
            "users": _array(_string(format="email"), "Members' emails (the caller is added).",
                            default=[], maxItems=MEMBER_LIMIT),
            "id": _uuid("Ignored by POST; on PUT, when given, it must be the id in the path."),
        }, "A project's fields; PUT replaces all of them.",
            optional=("description", "visibility", "users", "id")),
        "JobParameters": _job_parameters(),
        "JobRequest": _job_request(),
        "Job": _job(),
        "JobCreated": _object({"job_id": _uuid(), "analysis_id": _uuid("Where the result will appear.")},
                              "A queued job."),
        "DatasetUpload": _dataset_upload(),
        "Dataset": _object(_dataset_properties(), "A dataset."),
        "DatasetWithReport": _object({**_dataset_properties(), "report": _ref("ReadReport")},
                                     "A dataset with what the reader found."),
        "SkippedLine": _object({"line": {"type": "integer", "minimum": 1}, "reason": _string()},
                               "A line the reader left out, and why."),
        "ReadReport": _object({
            "profiles": _count(), "loci": _count(), "missing_cells": _count(),
            "missing_values": _array(_string(), "The cell values read as missing."),
            "duplicate_ids": _array(_string()), "identical_groups": _array(_array(_string())),
            "skipped_lines": _skipped_lines("Lines of the profiles file left out."),
            "isolates": _count(), "isolates_without_profile": _count(), "notes": _array(_string()),
            "isolate_skipped_lines": _skipped_lines("Lines of the isolates file left out."),
        }, "What the reader found in the uploaded files."),
        "Profile": _object({"id": _string(),
                            "alleles": _array(_nullable(_string()), "One per locus; null when missing.")},
                           "A profile."),
        "Isolate": _object({
            "profile_id": _nullable(_string("null when its profile is missing or unknown.")),
            "metadata": _typed("object", "Column -> value.", additionalProperties=_string()),
        }, "An isolate."),
        "ResultParameters": {"type": "object",
                             "additionalProperties": {
                                 "type": ["integer", "string", "boolean", "array", "null"],
                                 "items": {"type": "number"}},
                             "description": "Every parameter of the algorithm, defaults filled in (a "
                                            "partition's thresholds are a list, name_singletons a boolean)."},
        "Provenance": _object({
            "input_hash": _string("Content hash of the input (dataset or inference)."),
            "algorithm": _string(), "version": _string(), "parameters": _ref("ResultParameters"),
            "job_id": _uuid(), "seconds": _typed("number", None, minimum=0), "started": _nullable(_time()),
            "finished": _time(),
            "reused_from": _uuid("The earlier equal result whose arrays this one shares."),
        }, "How a result was made.", optional=("reused_from",)),
        "Edge": _object({
            "from": _string("The parent node's id (a profile id, or #k for an internal node of an NJ tree "
                            "or a dendrogram)."),
            "to": _string("The child node's id."),
            "distance": _typed("number", "Allele differences (a whole number) for the spanning trees; a "
                                         "branch length for NJ trees and dendrograms (negative NJ lengths "
                                         "are kept)."),
            "rule": _string("The tie-break rule that decided the edge.",
                            pattern="^(distance|frequency|id|identical|lv[1-9][0-9]*)$"),
        }, "An edge of a tree, parent -> child."),
        "InferenceSummary": _object(_inference_properties(), "An inference in a list."),
        "Inference": _object({**_inference_properties(), "edges": _array(_ref("Edge")),
                              "tree": _string("The tree in Newick.")}, "An inference with its tree."),
        "WrappedTree": _object({
            **{name: schema for name, schema in _result_properties().items()
               if name in ("id", "project_id", "dataset_id", "algorithm", "deprecated")},
            "tree": _string("The tree as Newick or Nexus text."),
        }, "A tree as text, wrapped as PhyloDB wraps it."),
        "Coordinate": _object({
            "profile_id": _string(), "component": {"type": "integer", "minimum": 1}, "x": {"type": "number"},
            "y": {"type": "number"},
        }, "Where a profile is drawn; component numbers the trees of a forest."),
        "VisualizationSummary": _object(_visualization_summary_properties(), "A visualization in a list."),
        "Visualization": _object({**_visualization_summary_properties(),
                                  "coordinates": _array(_ref("Coordinate"))},
                                 "A visualization with its coordinates."),
        **_partition_schemas(),
    }


# -- parameters, headers, responses --------------------------------------------------------------


def _path_parameter(name: str) -> Schema:
    return {"name": name, "in": "path", "required": True, "schema": _string(),
            "description": f"The {name}'s id (a UUID; anything else is answered 404)."}


def _parameters() -> dict[str, Schema]:
    ids = ("project", "dataset", "inference", "visualization", "partition", "job")
    return {
        **{name: _path_parameter(name) for name in ids},
        "page": {"name": "page", "in": "query",
                 "schema": {"type": "integer", "minimum": 0, "maximum": 10**12 - 1, "default": 0},
                 "description": "The page of the list (at most 12 digits); a page past the end is empty."},
        "provider": {"name": "provider", "in": "query", "schema": _enum(PROVIDERS, default="local"),
                     "description": "The identity provider that checks the bearer token."},
        "format": {"name": "format", "in": "query", "schema": _enum(FORMAT_NAMES, default="json"),
                   "description": "json: edges and Newick; newick or nexus: the text wrapped as PhyloDB "
                                  "wraps it; graphml: application/xml."},
        "partitionFormat": {"name": "format", "in": "query",
                            "schema": _enum(PARTITION_FORMATS, default="json"),
                            "description": "json: the object; tsv: a table (a partition's: profile_id "
                                           "and one column per threshold)."},
        "missing": {"name": "missing", "in": "query", "schema": _enum(DISTANCE_RULES, default=CGMLST_DISTS),
                    "description": "cgmlst-dists: its rule (a call that is not a positive integer is "
                                   "missing; a locus counts where both calls are present and differ); "
                                   "difference, ignore, allele: goeBURST's missing-data modes."},
        "requestId": {"name": "X-Request-Id", "in": "header",
                      "schema": _string(pattern="^[A-Za-z0-9._:-]{1,128}$"),
                      "description": "Echoed in the response's X-Request-Id; otherwise a new UUID is sent."},
    }


def _headers() -> dict[str, Schema]:
    return {
        "RequestId": {"required": True, "schema": _string(minLength=1, maxLength=128),
                      "description": "The request's id, for log correlation."},
        "WWWAuthenticate": {"required": True, "schema": {"const": 'Bearer error="invalid_token"'},
                            "description": "The bearer challenge."},
        "Allow": {"required": True, "schema": _string(pattern="^[A-Z]+(, [A-Z]+)*$"),
                  "description": "The methods the path answers."},
        "ContentDisposition": {"required": True, "schema": _string(pattern="^attachment; "),
                               "description": "A file name for saving the export."},
        "RetryAfter": {"required": True, "schema": _string(pattern="^[0-9]+$"),
                       "description": "Seconds to wait before trying again."},
    }


def _answer(description: str, content: dict[str, Schema] | None = None, **headers: Schema) -> Schema:
    """A response with ``content`` (media type -> schema) carrying X-Request-Id and ``headers``."""
    response: Schema = {"description": description,
                        "headers": {"X-Request-Id": _ref("RequestId", "headers"), **headers}}
    if content is not None:
        response["content"] = {media: {"schema": schema} for media, schema in content.items()}
    return response


def _json(description: str, schema: Schema) -> Schema:
    return _answer(description, {_JSON: schema})


def _problem_response(status: int, description: str) -> Schema:
    schema = {"allOf": [_ref("Problem"), {"properties": {"message": {"const": MESSAGES[status]}}}]}
    headers = {401: {"WWW-Authenticate": _ref("WWWAuthenticate", "headers")},
               405: {"Allow": _ref("Allow", "headers")},
               429: {"Retry-After": _ref("RetryAfter", "headers")}}.get(status, {})
    return _answer(description, {PROBLEM_TYPE: schema}, **headers)


def _responses() -> dict[str, Schema]:
    return {name: _problem_response(status, description) for status, (name, description) in _PROBLEMS.items()}


# -- operations and paths ------------------------------------------------------------------------


def _operation(operation_id: str, tag: str, summary: str, answers: dict[int, Schema],
               errors: tuple[int, ...] = (), *, query: tuple[str, ...] = (), body: Schema | None = None,
               public: bool = False) -> Schema:
    """An operation answering ``answers`` or the problems ``errors`` (plus 401 and 429 unless public, 400
    and 413 with a JSON body, and 500)."""
    problems, auth = ({*errors, 500}, ()) if public else ({*errors, 401, 429, 500}, ("provider",))
    if body is not None and _JSON in body:
        problems |= {400, 413}
    responses = {**answers, **{status: _ref(_PROBLEMS[status][0], "responses") for status in problems}}
    operation: Schema = {
        "operationId": operation_id, "tags": [tag], "summary": summary,
        "parameters": [_ref(name, "parameters") for name in (*query, *auth, "requestId")],
        "security": [] if public else [{_BEARER: []}],
        "responses": {str(status): responses[status] for status in sorted(responses)},
    }
    if body is not None:
        operation["requestBody"] = {"required": True, "content": body}
    return operation


def _list(operation_id: str, tag: str, summary: str, item: str, errors: tuple[int, ...] = (404,)) -> Schema:
    """A paged list of ``item``s."""
    return _operation(operation_id, tag, summary, {200: _json("One page of the list.", _array(_ref(item)))},
                      (400, *errors), query=("page",))


def _read(operation_id: str, tag: str, summary: str, schema: str) -> Schema:
    return _operation(operation_id, tag, summary, {200: _json(summary, _ref(schema))}, (404,))


def _delete(operation_id: str, tag: str, summary: str) -> Schema:
    return _operation(operation_id, tag, summary, {204: _answer("Done.")}, (403, 404))


def _path(template: str, **operations: Schema) -> tuple[str, Schema]:
    """The path item of ``template``: its path parameters, then its operations."""
    names = _PATH_PARAMETER.findall(template)
    item = {"parameters": [_ref(name, "parameters") for name in names]} if names else {}
    return template, {**item, **operations}


def _service_paths() -> list[tuple[str, Schema]]:
    tag = "service"
    return [
        _path("/health", get=_operation("getHealth", tag, "Whether the server answers.",
                                        {200: _json("It answers.", _ref("Health"))}, public=True)),
        _path("/openapi.json", get=_operation("getOpenAPI", tag, "This document.",
                                              {200: _json("The OpenAPI 3.1 document.", {"type": "object"})},
                                              public=True)),
        _path("/algorithms", get=_operation("listAlgorithms", tag, "The algorithms and their parameters.",
                                            {200: _json("Every algorithm.", _array(_ref("Algorithm")))},
                                            public=True)),
    ]


def _user_paths() -> list[tuple[str, Schema]]:
    tag = "users"
    return [
        _path("/users", get=_list("listUsers", tag, "Every user (admins only).", "User", (403,))),
        _path("/users/me", get=_operation("getMe", tag, "The calling user.",
                                          {200: _json("The user the token belongs to.", _ref("User"))})),
    ]


def _project_paths() -> list[tuple[str, Schema]]:
    tag = "projects"
    body = {_JSON: {"schema": _ref("ProjectInput")}}
    return [
        _path("/projects",
              get=_list("listProjects", tag, "The projects the caller may read.", "Project", ()),
              post=_operation("createProject", tag, "Create a project; the caller becomes a member.",
                              {201: _json("The new project.", _ref("Project"))}, (400,), body=body)),
        _path(_PROJECT,
              get=_read("getProject", tag, "One project.", "Project"),
              put=_operation("updateProject", tag, "Replace a project's fields.", {204: _answer("Replaced.")},
                             (400, 403, 404), body=body),
              delete=_delete("deleteProject", tag, "Delete a project with everything in it (deprecated).")),
    ]


def _job_paths() -> list[tuple[str, Schema]]:
    tag = "jobs"
    return [
        _path(f"{_PROJECT}/jobs",
              get=_list("listJobs", tag, "The project's jobs, newest first.", "Job"),
              post=_operation("createJob", tag, "Queue an inference, a visualization or a partition.",
                              {202: _json("Queued.", _ref("JobCreated"))}, (400, 403, 404, 409),
                              body={_JSON: {"schema": _ref("JobRequest")}})),
        _path(f"{_PROJECT}/jobs/{{job}}",
              get=_read("getJob", tag, "One job.", "Job"),
              delete=_delete("deleteJob", tag, "Cancel a queued or running job; remove a finished one "
                                               "from the list (its result stays).")),
    ]


def _dataset_paths() -> list[tuple[str, Schema]]:
    tag = "datasets"
    tsv = _string("A header ST + loci, then one profile a line; a missing allele is empty.")
    disposition = {"Content-Disposition": _ref("ContentDisposition", "headers")}
    upload = {"multipart/form-data": {"schema": _ref("DatasetUpload")}}
    return [
        _path(f"{_PROJECT}/datasets",
              get=_list("listDatasets", tag, "The project's datasets.", "Dataset"),
              post=_operation("createDataset", tag, "Upload a dataset; an unusable file stores nothing.",
                              {201: _json("The new dataset with its report.", _ref("DatasetWithReport"))},
                              (400, 403, 404, 413), body=upload)),
        _path(_DATASET,
              get=_read("getDataset", tag, "One dataset with its read report.", "DatasetWithReport"),
              delete=_delete("deleteDataset", tag, "Delete a dataset with its results (deprecated).")),
        _path(f"{_DATASET}/versions",
              post=_operation("createDatasetVersion", tag, "Add profiles: a new version holding the "
                              "dataset's profiles and isolates plus those of the files (only the new rows, "
                              "read as an upload is, with the dataset's missing values and kind); the "
                              "dataset stays.",
                              {201: _json("The new version with the report of the new rows; parent_id is the "
                                          "dataset.", _ref("DatasetWithReport"))},
                              (400, 403, 404, 413), body=upload)),
        _path(f"{_DATASET}/profiles",
              get=_list("listProfiles", tag, "The profiles, in file order.", "Profile")),
        _path(f"{_DATASET}/profiles/files",
              get=_operation("getProfilesFile", tag, "Every profile as a tab-separated file.",
                             {200: _answer("The file.", {"text/plain": tsv}, **disposition)},
                             (404,))),
        _path(f"{_DATASET}/distances",
              get=_operation("getDistances", tag, f"The pairwise distance table as cgmlst-dists writes it "
                             f"(datasets of at most {DISTANCE_LIMIT:,} profiles).",
                             {200: _answer("The table: a header `cgmlst-dists` and the ids, then one line "
                                           "per profile, its id and its distances, tab-separated.",
                                           {"text/tab-separated-values": _string()}, **disposition)},
                             (400, 404), query=("missing",))),
        _path(f"{_DATASET}/isolates",
              get=_list("listIsolates", tag, "The isolates, in file order.", "Isolate")),
    ]


def _result_paths() -> list[tuple[str, Schema]]:
    formats = {_JSON: {"oneOf": [_ref("Inference"), _ref("WrappedTree")]},
               "application/xml": _string("GraphML.")}
    return [
        _path(f"{_DATASET}/inferences",
              get=_list("listInferences", "inferences", "The dataset's live inferences.",
                        "InferenceSummary")),
        _path(_INFERENCE,
              get=_operation("getInference", "inferences", "One inference (deleted ones too) in a format.",
                             {200: _answer("The inference.", formats)}, (400, 404), query=("format",)),
              delete=_delete("deleteInference", "inferences", "Delete an inference with its visualizations "
                                                              "(deprecated).")),
        _path(f"{_INFERENCE}/visualizations",
              get=_list("listVisualizations", "visualizations", "The inference's live visualizations.",
                        "VisualizationSummary")),
        _path(f"{_INFERENCE}/visualizations/{{visualization}}",
              get=_read("getVisualization", "visualizations", "One visualization (deleted ones too).",
                        "Visualization"),
              delete=_delete("deleteVisualization", "visualizations",
                             "Delete a visualization (deprecated).")),
        _path(f"{_INFERENCE}/partitions/{{partition}}",
              get=_operation("getPartition", "partitions", "One partition (deleted ones too): cluster codes "
                             "at each threshold, names inherited by the rules of the README, and changes.",
                             {200: _answer("The partition.", {_JSON: _ref("Partition"),
                                                              "text/tab-separated-values": _string()})},
                             (400, 404), query=("partitionFormat",))),
        _path(f"{_INFERENCE}/partitions/{{partition}}/placements",
              get=_operation("getPlacements", "partitions", "Where the new isolates of a version landed: the "
                             "nearest old isolates and the cluster joined at each threshold. tsv: isolate, "
                             "profile, distance, nearest (id:distance, ...), then cluster_t and new_t "
                             "(yes/no) for each threshold t. 404 for a partition of a version computed "
                             "before placement reports were kept.",
                             {200: _answer("The placements (empty for a dataset that is not a version).",
                                           {_JSON: _array(_ref("Placement")),
                                            "text/tab-separated-values": _string()})},
                             (400, 404), query=("partitionFormat",))),
    ]


def _paths() -> dict[str, Schema]:
    return dict([*_service_paths(), *_user_paths(), *_project_paths(), *_job_paths(), *_dataset_paths(),
                 *_result_paths()])


def _limits() -> str:
    """The table of limits, with today's values."""
    defaults = Settings()
    return _LIMITS.format(json_limit=f"{defaults.json_limit // 1024:,} KB",
                          upload_limit=f"{defaults.upload_limit // 2**20:,} MB",
                          inflate_limit=f"{defaults.inflate_limit // 2**20:,} MB", depth=MAX_DEPTH,
                          field=f"{FIELD_LIMIT // 2**20:,} MB",
                          distances=f"{DISTANCE_LIMIT:,}",
                          name=f"{NAME_LIMIT:,}", text=f"{TEXT_LIMIT:,}", members=f"{MEMBER_LIMIT:,}",
                          options=OPTION_LIMIT, failures=FAILURES_ALLOWED, quote=QUOTE_LIMIT,
                          detail=DETAIL_LIMIT)


def openapi_document(version: str) -> dict[str, Any]:
    """The OpenAPI 3.1.0 document of every route of :func:`api.routes.make_routes`, at ``version``."""
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {"title": "PhyloDash", "version": version, "description": _DESCRIPTION + _limits(),
                 "license": {"name": "MIT", "identifier": "MIT"}},
        "tags": [
            {"name": "service", "description": "Health, this document and the algorithms (no token needed)."},
            {"name": "users", "description": "Who is calling; every user."},
            {"name": "projects", "description": "Projects: datasets and results live in them."},
            {"name": "jobs", "description": "PhyloDB's jobs API, wire format kept."},
            {"name": "datasets", "description": "Uploaded typing data: profiles and isolates."},
            {"name": "inferences", "description": "Trees inferred from datasets."},
            {"name": "visualizations", "description": "Layouts of inferred trees."},
            {"name": "partitions", "description": "Cluster codes of inferred trees at many thresholds, with "
                                                  "names that last across dataset versions."},
        ],
        "paths": _paths(),
        "components": {
            "schemas": _schemas(),
            "parameters": _parameters(),
            "headers": _headers(),
            "responses": _responses(),
            "securitySchemes": {_BEARER: {
                "type": "http", "scheme": "bearer",
                "description": "A local token (`python -m api users add EMAIL`) or, with ?provider=google, a "
                               "Google access token carrying the userinfo.email scope.",
            }},
        },
    }
