"""Records as clients see them: the fields of each resource, in the wire format of api.md."""

from __future__ import annotations

from typing import Any

from engine.io.newick import to_newick
from engine.models import Inference, Layout
from engine.storage.store import Record

_PROJECT = ("id", "name", "description", "visibility", "users", "created")
_DATASET = ("id", "project_id", "name", "description", "kind", "profiles", "loci", "isolates",
            "isolate_columns", "created", "content_hash")
_RESULT = ("id", "project_id", "dataset_id", "algorithm", "parameters", "deprecated", "created",
           "provenance")


def _pick(record: Record, fields: tuple[str, ...]) -> dict[str, Any]:
    return {field: record.get(field) for field in fields}


def project_view(project: Record) -> dict[str, Any]:
    """A project: id, name, description, visibility, member emails, creation time."""
    return _pick(project, _PROJECT)


def dataset_view(dataset: Record, *, report: bool = False) -> dict[str, Any]:
    """A dataset's summary, with its read report when ``report``."""
    view = _pick(dataset, _DATASET)
    if report:
        view["report"] = dataset["report"]
    return view


def inference_summary(record: Record) -> dict[str, Any]:
    """An inference in a list: its record without the tree."""
    return _pick(record, _RESULT)


def inference_view(record: Record, inference: Inference) -> dict[str, Any]:
    """An inference with its edges (parent -> child, distance, deciding rule) and its Newick tree."""
    edges = [{"from": e.parent, "to": e.child, "distance": e.distance, "rule": e.rule}
             for e in inference.edges()]
    return {**inference_summary(record), "edges": edges, "tree": to_newick(inference)}


def wrapped_tree(record: Record, text: str) -> dict[str, Any]:
    """A tree as text, wrapped as PhyloDB wraps it: ``{id, project_id, dataset_id, algorithm, deprecated,
    tree}``."""
    return {"id": record["id"], "project_id": record["project_id"], "dataset_id": record["dataset_id"],
            "algorithm": record["algorithm"], "deprecated": record["deprecated"], "tree": text}


def visualization_summary(record: Record) -> dict[str, Any]:
    """A visualization in a list: its record without the coordinates."""
    return {**_pick(record, _RESULT), "inference_id": record["inference_id"]}


def visualization_view(record: Record, layout: Layout) -> dict[str, Any]:
    """A visualization with its coordinates ``[{profile_id, component, x, y}]``, as PhyloDB orders them."""
    ids = layout.ids
    points = sorted(zip(layout.component.tolist(), [ids[row] for row in layout.rows.tolist()],
                        layout.x.tolist(), layout.y.tolist(), strict=True))
    coordinates = [{"profile_id": profile, "component": component, "x": x, "y": y}
                   for component, profile, x, y in points]
    return {**visualization_summary(record), "coordinates": coordinates}
