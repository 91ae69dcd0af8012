"""PhyloDB's wire format in and out: job bodies into the engine's requests, records as clients see them.

A PhyloDB job body is positional: ``{"analysis": "inference", "algorithm": "goeburst", "parameters":
[dataset, lvs]}`` or ``{"analysis": "visualization", "algorithm": "radial", "parameters": [dataset,
inference]}``, with an optional third parameter, an object of the algorithm's named options. PhyloDash
adds ``{"analysis": "partition", "algorithm": "cluster-codes", "parameters": [dataset, inference,
{"thresholds": [5, 10, 25]}]}`` (PhyloDB clients never send it).
:func:`job_request` turns it into the engine's :class:`~engine.services.analyses.JobRequest`;
:func:`job_view` renders a job back with PhyloDB's ``id``, ``completed`` and ``cancelled`` first
(derived from its status) and PhyloDash's fields after them.
"""

from __future__ import annotations

from typing import Any

from engine.algorithms import registry
from engine.algorithms.nomenclature import Naming
from engine.algorithms.parameters import parameter_names
from engine.algorithms.placement import Placement
from engine.errors import ParameterError, quoted
from engine.io.newick import to_newick
from engine.jobs.runner import CANCELLED, FINAL
from engine.models import Inference, Layout
from engine.services.analyses import JobRequest
from engine.services.surveillance import CLUSTER_CODES, PARTITION
from engine.storage.records import (
    DatasetRecord,
    InferenceRecord,
    JobRecord,
    PartitionRecord,
    ProjectRecord,
    StoredRecord,
    UserRecord,
    VisualizationRecord,
    to_document,
)

_PROJECT = ("id", "name", "description", "visibility", "users", "created")
#: A dataset's fields as clients see them, and the record field each is read from.
_DATASET = {"id": "id", "project_id": "project_id", "name": "name", "description": "description",
            "kind": "kind", "profiles": "profile_count", "loci": "locus_count", "isolates": "isolate_count",
            "isolate_columns": "isolate_columns", "created": "created", "content_hash": "content_hash",
            "parent_id": "parent_id"}
#: The most named options a job body may carry.
OPTION_LIMIT = 32
#: Fields of a job that clients see (PhyloDB's three first, then ours), each read by :func:`job_view`.
JOB_FIELDS = ("id", "completed", "cancelled", "status", "analysis", "algorithm", "parameters",
              "analysis_id", "dataset_id", "inference_id", "progress", "created", "started",
              "finished", "error", "reused_from")
_RESULT = ("id", "project_id", "dataset_id", "algorithm", "parameters", "deprecated", "created",
           "provenance")
#: How an inference was computed (after :data:`_RESULT`).
_COMPUTED = ("computed", "computed_from", "computed_reason")
#: The analyses whose second positional parameter is an inference id.
_OF_INFERENCE = (registry.VISUALIZATION, PARTITION)


def _pick(record: StoredRecord, fields: tuple[str, ...]) -> dict[str, Any]:
    document = to_document(record)  # JSON-ready: tuples as lists
    return {field: document[field] for field in fields}


def user_view(user: UserRecord) -> dict[str, Any]:
    """What may be shown of a user: email, role and creation time, never a token or password hash."""
    return _pick(user, ("email", "role", "created"))


def project_view(project: ProjectRecord) -> dict[str, Any]:
    """A project: id, name, description, visibility, member emails, creation time."""
    return _pick(project, _PROJECT)


def dataset_view(dataset: DatasetRecord, *, report: bool = False) -> dict[str, Any]:
    """A dataset's summary (counts as ``profiles``, ``loci``, ``isolates``), with its read report when
    ``report``."""
    document = to_document(dataset)
    view = {name: document[field] for name, field in _DATASET.items()}
    if report:
        view["report"] = dataset.report
    return view


def inference_summary(record: InferenceRecord) -> dict[str, Any]:
    """An inference in a list: its record without the tree, with ``computed`` (``incremental`` from the
    parent version's result ``computed_from``, or ``full``) and ``computed_reason``."""
    return _pick(record, (*_RESULT, *_COMPUTED))


def inference_view(record: InferenceRecord, inference: Inference) -> dict[str, Any]:
    """An inference with its edges (parent -> child, distance, deciding rule) and its Newick tree."""
    edges = [{"from": e.parent, "to": e.child, "distance": e.distance, "rule": e.rule}
             for e in inference.edges()]
    return {**inference_summary(record), "edges": edges, "tree": to_newick(inference)}


def wrapped_tree(record: InferenceRecord, text: str) -> dict[str, Any]:
    """A tree as text, wrapped as PhyloDB wraps it: ``{id, project_id, dataset_id, algorithm, deprecated,
    tree}``."""
    return {**_pick(record, ("id", "project_id", "dataset_id", "algorithm", "deprecated")), "tree": text}


def visualization_summary(record: VisualizationRecord) -> dict[str, Any]:
    """A visualization in a list: its record without the coordinates."""
    return {**_pick(record, _RESULT), "inference_id": record.inference_id}


def visualization_view(record: VisualizationRecord, layout: Layout) -> dict[str, Any]:
    """A visualization with its coordinates ``[{profile_id, component, x, y}]``, as PhyloDB orders them."""
    ids = layout.ids
    points = sorted(zip(layout.component.tolist(), [ids[row] for row in layout.rows.tolist()],
                        layout.x.tolist(), layout.y.tolist(), strict=True))
    coordinates = [{"profile_id": profile, "component": component, "x": x, "y": y}
                   for component, profile, x, y in points]
    return {**visualization_summary(record), "coordinates": coordinates}


def partition_view(record: PartitionRecord, naming: Naming,
                   placements: list[Placement] | None) -> dict[str, Any]:
    """A partition: ``thresholds``, ``codes`` (``[{profile_id, codes: [name or null per threshold]}]`` in
    row order), the ``changes`` of its run and the ``placements`` of the new isolates (:func:`placement_view`;
    null for a partition of a version computed before reports were kept), after its record's fields and
    ``named_from``."""
    codes = [{"profile_id": profile, "codes": names}
             for profile, names in zip(naming.isolates, naming.names, strict=True)]
    changes = [{"threshold": _number(c.threshold), "name": c.name, "kind": c.kind,
                "previous": list(c.previous), "absorbed": list(c.absorbed), "size": c.size, "added": c.added}
               for c in naming.changes]
    return {**_pick(record, (*_RESULT, "inference_id", "named_from")),
            "thresholds": [_number(t) for t in naming.thresholds], "codes": codes, "changes": changes,
            "placements": None if placements is None else placement_view(placements)}


def placement_view(report: list[Placement]) -> list[dict[str, Any]]:
    """A placement report as clients see it: ``[{isolate, profile, distance, nearest: [{isolate,
    distance}], clusters: [{threshold, name, founded}]}]``, one per new isolate; ``profile`` and
    ``distance`` null when the isolate has no profile (``distance`` also when there is no old isolate),
    ``clusters`` empty without a profile."""
    return [{"isolate": p.isolate, "profile": p.profile or None,
             "distance": p.distance if p.distance >= 0 else None,
             "nearest": [{"isolate": isolate, "distance": distance} for isolate, distance in p.nearest],
             "clusters": [{"threshold": _number(c.threshold), "name": c.name, "founded": c.founded}
                          for c in p.clusters]}
            for p in report]


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else float(value)


def job_request(body: object) -> JobRequest:
    """The engine's request for a PhyloDB job body; ParameterError names the field that is wrong.

    For an inference, ``parameters[1]`` is lvs: it becomes the ``lvs`` option of an algorithm that
    has one, and is checked but not used by one that has none (``goeburst-full`` uses every level).
    """
    if not isinstance(body, dict):
        raise ParameterError("the body must be a JSON object with analysis, algorithm and parameters")
    unknown = sorted(set(body) - {"analysis", "algorithm", "parameters"})
    if unknown:
        raise ParameterError(f"a job has no field {', '.join(map(repr, unknown))}")
    analysis = body.get("analysis")
    if not isinstance(analysis, str) or analysis not in (registry.INFERENCE, *_OF_INFERENCE):
        raise ParameterError(f"analysis must be 'inference', 'visualization' or 'partition', "
                             f"not {quoted(analysis)}")
    name = body.get("algorithm")
    choices = [CLUSTER_CODES] if analysis == PARTITION else registry.names(analysis)
    if not isinstance(name, str):
        raise ParameterError(f"algorithm must be one of: {', '.join(choices)}")
    if analysis == PARTITION and name != CLUSTER_CODES:
        raise ParameterError(f"{quoted(name)} is not a partition algorithm; choose {CLUSTER_CODES}")
    given = body.get("parameters")
    if not isinstance(given, list) or len(given) not in (2, 3):
        second = "lvs" if analysis == registry.INFERENCE else "inference id"
        raise ParameterError(f"parameters must be a list [dataset id, {second}] with an optional options "
                             "object as a third element")
    dataset_id, second = given[0], given[1]
    options = given[2] if len(given) == 3 else {}
    if not isinstance(dataset_id, str):
        raise ParameterError("parameters[0] must be the dataset id (a string)")
    if not isinstance(options, dict):
        raise ParameterError("parameters[2] must be an object of named options")
    if len(options) > OPTION_LIMIT:
        raise ParameterError(f"a job takes at most {OPTION_LIMIT} named options, not {len(options):,}")
    if analysis in _OF_INFERENCE:
        if not isinstance(second, str):
            raise ParameterError("parameters[1] must be the inference id (a string)")
        return JobRequest(analysis, name, dataset_id, second, options, given)
    algorithm = registry.get(name, analysis)
    if isinstance(second, bool) or not isinstance(second, int) or second < 1:
        raise ParameterError("parameters[1] must be lvs, a whole number >= 1")
    if "lvs" in options:
        raise ParameterError("lvs is parameters[1]; do not repeat it in the options")
    if "lvs" in parameter_names(algorithm.parameters):
        options = {"lvs": second, **options}
    return JobRequest(analysis, name, dataset_id, None, options, given)


def job_view(job: JobRecord) -> dict[str, Any]:
    """A job as clients see it: PhyloDB's ``id``, ``completed`` and ``cancelled``, then PhyloDash's fields.

    ``parameters`` are the client's own when it sent PhyloDB's positional body; for a job made in the
    dashboard, the same shape built from its options (``"all"`` in place of lvs for an algorithm that
    uses every level).
    """
    derived = {"completed": job.status in FINAL, "cancelled": job.status == CANCELLED,
               "parameters": list(job.client_parameters or _positional(job))}
    document = to_document(job)
    return {field: derived[field] if field in derived else document[field] for field in JOB_FIELDS}


def _positional(job: JobRecord) -> list[Any]:
    options = dict(job.options)
    if job.analysis in _OF_INFERENCE:
        return [job.dataset_id, job.inference_id, options]
    return [job.dataset_id, options.pop("lvs", "all"), options]
