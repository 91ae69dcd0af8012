"""Datasets, inferences and layouts as named numpy arrays, and back.

The store keeps bulky data as ``.npz`` files of plain arrays (no pickles), and a worker process
reads its input that way; these functions are the one place that knows the array names. Strings
become fixed-width unicode arrays; per-locus allele lists are flattened with their offsets.
"""

from __future__ import annotations

import itertools
import json

import numpy as np

from engine.models import Dataset, Inference, Isolates, Layout, Profiles
from engine.storage.reports import report_from_dict, report_to_dict

Arrays = dict[str, np.ndarray]


def _strings(values: list[str]) -> np.ndarray:
    return np.array(values, dtype=str) if values else np.zeros(0, dtype="<U1")


def dataset_to_arrays(dataset: Dataset) -> Arrays:
    """The profiles, isolates, counts and read report of ``dataset`` as named arrays."""
    profiles = dataset.profiles
    lengths = [len(alleles) for alleles in profiles.alleles]
    arrays: Arrays = {
        "ids": _strings(profiles.ids),
        "loci": _strings(profiles.loci),
        "matrix": profiles.matrix,
        "alleles": _strings([allele for alleles in profiles.alleles for allele in alleles]),
        "allele_offsets": np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
        "missing_values": _strings(list(profiles.missing_values)),
        "kind": np.array(profiles.kind),
        "counts": np.asarray(dataset.counts, dtype=np.int64),
        "report": np.array(json.dumps(report_to_dict(dataset.report))),
    }
    if dataset.isolates is not None:
        isolates = dataset.isolates
        arrays["isolate_columns"] = _strings(isolates.columns)
        arrays["isolate_values"] = (
            np.array(isolates.rows, dtype=str).reshape(len(isolates.rows), len(isolates.columns))
            if isolates.rows
            else np.zeros((0, len(isolates.columns)), dtype="<U1")
        )
        arrays["isolate_profile_column"] = np.array(isolates.profile_column)
        arrays["isolate_profile_rows"] = np.asarray(isolates.profile_rows, dtype=np.int64)
    return arrays


def dataset_from_arrays(arrays: Arrays) -> Dataset:
    """The inverse of :func:`dataset_to_arrays`."""
    offsets = arrays["allele_offsets"].tolist()
    flat = arrays["alleles"].tolist()
    profiles = Profiles(
        ids=arrays["ids"].tolist(),
        loci=arrays["loci"].tolist(),
        matrix=arrays["matrix"],
        alleles=[flat[start:stop] for start, stop in itertools.pairwise(offsets)],
        missing_values=tuple(arrays["missing_values"].tolist()),
        kind=str(arrays["kind"]),
    )
    isolates = None
    if "isolate_columns" in arrays:
        isolates = Isolates(
            columns=arrays["isolate_columns"].tolist(),
            rows=arrays["isolate_values"].tolist(),
            profile_column=str(arrays["isolate_profile_column"]),
            profile_rows=arrays["isolate_profile_rows"],
        )
    return Dataset(profiles=profiles, isolates=isolates, counts=arrays["counts"],
                   report=report_from_dict(json.loads(str(arrays["report"]))))


def inference_to_arrays(inference: Inference) -> Arrays:
    """The edges, roots, counts and ids of ``inference`` as named arrays (not its name or parameters)."""
    return {
        "ids": _strings(inference.ids),
        "parents": inference.parents,
        "children": inference.children,
        "distances": inference.distances,
        "rules": inference.rules,
        "roots": inference.roots,
        "counts": inference.counts,
        "internal": np.array(inference.internal),
    }


def inference_from_arrays(arrays: Arrays, algorithm: str, parameters: dict[str, object]) -> Inference:
    """The inverse of :func:`inference_to_arrays`; name and parameters come from the record."""
    return Inference(
        algorithm=algorithm,
        parameters=dict(parameters),
        ids=arrays["ids"].tolist(),
        parents=arrays["parents"],
        children=arrays["children"],
        distances=arrays["distances"],
        rules=arrays["rules"],
        roots=arrays["roots"],
        counts=arrays["counts"],
        internal=int(arrays["internal"]) if "internal" in arrays else 0,  # 0.1 stored no internal nodes
    )


def layout_to_arrays(layout: Layout) -> Arrays:
    """The coordinates of ``layout`` as named arrays (not its name or parameters)."""
    return {"ids": _strings(layout.ids), "rows": layout.rows, "x": layout.x, "y": layout.y,
            "component": layout.component}


def layout_from_arrays(arrays: Arrays, algorithm: str, parameters: dict[str, object]) -> Layout:
    """The inverse of :func:`layout_to_arrays`; name and parameters come from the record."""
    return Layout(algorithm=algorithm, parameters=dict(parameters), ids=arrays["ids"].tolist(),
                  rows=arrays["rows"], x=arrays["x"], y=arrays["y"], component=arrays["component"])
