"""Surveillance analyses: inferences of a dataset's versions extended from the parent's result, and
partitions (cluster codes at many thresholds) whose names last from run to run.

A ``partition`` job (algorithm ``cluster-codes``) cuts an inference at each of its ``thresholds``
(default: every distance from 0 to 100, then coarser up to the number of loci, as HierCC does) and
names the clusters from the newest earlier partition, at the same thresholds, of the dataset or
of one of the versions it grew from (:mod:`engine.algorithms.nomenclature` has the rules). An
``inference`` job with ``goeburst`` or ``goeburst-full`` keeps its extension state with its tree;
on a version, it extends the parent's newest result of the same algorithm and options, or computes
in full and says why (:mod:`engine.algorithms.incremental`). A partition of a version also places the
isolates new in it (:func:`engine.algorithms.placement.version_placements`): the nearest old isolates and
the cluster each joined at each threshold, stored with the names.

The functions with a job record run in a worker process (:func:`infer_goeburst`, :func:`partition_job`);
the others run in the server when a job is submitted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np

from engine.algorithms import incremental
from engine.algorithms.nomenclature import name_clusters
from engine.algorithms.partitions import checked_thresholds, default_thresholds, partition
from engine.algorithms.placement import version_placements
from engine.errors import ParameterError, quoted
from engine.models import CancelCheck, Dataset, Profiles, ProgressCallback
from engine.progress import check_cancel, report
from engine.storage.arrays import ArrayReader
from engine.storage.codec import dataset_from_arrays, inference_from_arrays, inference_to_arrays
from engine.storage.records import DatasetRecord, InferenceRecord, JobRecord, PartitionRecord
from engine.storage.store import Store
from engine.storage.surveillance_codec import (
    naming_from_arrays,
    naming_to_arrays,
    placements_to_arrays,
    state_from_arrays,
    state_to_arrays,
)

PARTITION = "partition"
CLUSTER_CODES = "cluster-codes"
#: The version of the cluster-codes algorithm (names and numbering rules).
CLUSTER_CODES_VERSION = "1"
#: The most thresholds a partition may have.
THRESHOLD_LIMIT = 1_000
#: Options of a partition and their defaults (thresholds: None = the scheme's default list).
PARTITION_OPTIONS: dict[str, object] = {"thresholds": None, "name_singletons": True}
#: How many old isolates a placement report lists for each new isolate.
PLACEMENT_NEAREST = 5
#: The distance mode of a placement report for GrapeTree's missing-data options (the others are ours):
#: as-allele is ours; the deletions count the loci called in both, unscaled.
_GRAPETREE_MISSING = {"as-allele": "allele", "absolute": "ignore", "pair-delete": "ignore",
                      "complete-delete": "ignore"}
Arrays = dict[str, np.ndarray]


def check_partition_options(options: Mapping[str, object]) -> dict[str, object]:
    """A partition's complete options: ``thresholds`` (ascending, each once; None when left out, for
    :func:`with_default_thresholds`) and ``name_singletons`` (default True: a single profile gets a
    name too). ParameterError names what is wrong."""
    unknown = sorted(set(options) - set(PARTITION_OPTIONS))
    if unknown:
        raise ParameterError(f"{CLUSTER_CODES} takes no parameter {', '.join(map(quoted, unknown))}; "
                             f"it takes: {', '.join(PARTITION_OPTIONS)}")
    given = options.get("thresholds")
    singletons = options.get("name_singletons", True)
    if not isinstance(singletons, bool):
        raise ParameterError("name_singletons must be true or false")
    if given is None:
        return {"thresholds": None, "name_singletons": singletons}
    if not isinstance(given, list | tuple):
        raise ParameterError("thresholds must be a list of numbers, for example [5, 10, 25]")
    if len(given) > THRESHOLD_LIMIT:
        raise ParameterError(f"a partition has at most {THRESHOLD_LIMIT:,} thresholds, not {len(given):,}")
    return {"thresholds": list(checked_thresholds(given)), "name_singletons": singletons}


def with_default_thresholds(options: Mapping[str, object], loci: int) -> dict[str, object]:
    """``options`` with the default thresholds of a scheme of ``loci`` loci when they have none:
    every distance 0..100, then coarser steps up to ``loci`` (HierCC's choice for cgMLST)."""
    if options["thresholds"] is not None:
        return dict(options)
    return {**options, "thresholds": default_thresholds(loci)}


def ancestors(store: Store, dataset: DatasetRecord) -> list[str]:
    """The ids of ``dataset`` and of the versions it grew from, itself first, then its parent, ..."""
    line = [dataset.id]
    parent = dataset.parent_id
    while parent is not None and parent not in line:
        line.append(parent)
        found = store.find(DatasetRecord, parent)
        parent = None if found is None else found.parent_id
    return line


def extension_base(store: Store, dataset: DatasetRecord, algorithm: str,
                   options: Mapping[str, object]) -> tuple[dict[str, Any], str | None]:
    """The job fields that let an inference of a version extend the parent's result.

    Returns ``({"base_id", "base_arrays"}, None)`` with the parent's newest live result of the same
    algorithm and options, or ``({}, reason)`` when there is none (reason None for a dataset that is
    not a version).
    """
    if dataset.parent_id is None:
        return {}, None
    if algorithm not in incremental.ALGORITHMS:
        return {}, f"only {' and '.join(incremental.ALGORITHMS)} results are extended, not {algorithm}"
    parent = store.find(DatasetRecord, dataset.parent_id)
    found = [] if parent is None else store.select(
        InferenceRecord, lambda r: r.dataset_id == parent.id and not r.deprecated
        and r.algorithm == algorithm and dict(r.parameters) == dict(options), project=parent.project_id,
        newest_first=True)
    if parent is None or not found:
        return {}, f"the parent dataset has no {algorithm} result with these parameters to extend"
    return {"base_id": found[0].id, "base_arrays": (parent.arrays, found[0].arrays)}, None


def naming_base(store: Store, dataset: DatasetRecord, options: Mapping[str, object]) -> dict[str, Any]:
    """The job fields naming the partition a new one inherits its names from: the newest live one of
    the dataset or an ancestor version at the same thresholds (``{}`` when there is none)."""
    line = set(ancestors(store, dataset))
    thresholds = [float(t) for t in options["thresholds"]]  # type: ignore[union-attr]
    found = store.select(PartitionRecord, lambda r: r.dataset_id in line and not r.deprecated
                         and [float(t) for t in r.thresholds] == thresholds, project=dataset.project_id,
                         newest_first=True)
    return {"base_id": found[0].id, "base_arrays": (found[0].arrays,)} if found else {}


def placement_base(store: Store, dataset: DatasetRecord, inference: InferenceRecord) -> dict[str, Any]:
    """The job field that makes a partition of a version place its new isolates: ``{"placement":
    {"dataset_arrays", "parent_profiles", "parent_isolates", "missing"}}`` (the version's arrays, the
    parent's row counts, the inference's missing-data mode); ``{}`` for a dataset that is not a version."""
    parent = None if dataset.parent_id is None else store.find(DatasetRecord, dataset.parent_id)
    if parent is None:
        return {}
    missing = str(inference.parameters.get("missing", "difference"))
    return {"placement": {"dataset_arrays": dataset.arrays, "parent_profiles": parent.profile_count,
                          "parent_isolates": parent.isolate_count,
                          "missing": _GRAPETREE_MISSING.get(missing, missing)}}


def infer_goeburst(arrays: ArrayReader, job: JobRecord, dataset: Dataset, progress: ProgressCallback,
                   cancel: CancelCheck | None) -> tuple[Arrays, dict[str, Any]]:
    """A goeBURST inference with its extension state (worker side): extended from the parent's result
    when the job names one, else in full. Returns the arrays (tree and ``state_*``) and the result
    record's ``computed``, ``computed_from`` and ``computed_reason``."""
    hooks: dict[str, Callable[..., Any] | None] = {"progress": progress, "cancel": cancel}
    if job.base_id is None:
        inference, state = incremental.goeburst_with_state(dataset, algorithm=job.algorithm,
                                                           parameters=dict(job.options), **hooks)
        computed = {"computed": "full", "computed_from": None, "computed_reason": job.base_reason}
    else:
        parent_key, result_key = job.base_arrays
        stored = arrays.get(result_key)
        tree = inference_from_arrays(stored, job.algorithm, dict(job.options))
        extension = incremental.extend_goeburst(
            dataset_from_arrays(arrays.get(parent_key)), tree, state_from_arrays(stored), dataset,
            algorithm=job.algorithm, parameters=dict(job.options), **hooks)
        inference, state = extension.inference, extension.state
        incremental_run = extension.computed == "incremental"
        computed = {"computed": extension.computed, "computed_from": job.base_id if incremental_run else None,
                    "computed_reason": extension.reason or None}
    return {**inference_to_arrays(inference), **state_to_arrays(state)}, computed


def partition_job(arrays: ArrayReader, job: JobRecord, source: Arrays, progress: ProgressCallback,
                  cancel: CancelCheck | None) -> Arrays:
    """A partition's names and changes (worker side): the inference ``source`` cut at the job's
    thresholds, named from the partition the job names as its base (if any); with the placement report
    of the new isolates when the job has a ``placement`` (:func:`placement_base`)."""
    tree = inference_from_arrays(source, job.input_algorithm or "", {})
    cut = partition(tree, list(job.options["thresholds"]))
    report(progress, 0.5)
    check_cancel(cancel, "the partition")
    previous = naming_from_arrays(arrays.get(job.base_arrays[0])).state if job.base_arrays else None
    naming = name_clusters(previous, cut.ids, cut.labels, cut.thresholds,
                           name_singletons=bool(job.options["name_singletons"]))
    result = naming_to_arrays(naming)
    if job.placement is not None:
        where = job.placement
        placed = version_placements(dataset_from_arrays(arrays.get(where["dataset_arrays"])),
                                    int(where["parent_profiles"]), int(where["parent_isolates"]), naming,
                                    missing=str(where["missing"]), nearest=PLACEMENT_NEAREST)
        result.update(placements_to_arrays(placed, naming.thresholds))
    report(progress, 1.0)
    return result


def warm_up(dataset: Dataset) -> Iterator[str]:
    """Run the surveillance kernels once on a small dataset, one step at a time (a worker's warm-up, so
    that a job finds them loaded): for each extensible algorithm, its run with state, the extension of
    the dataset's first rows to all of them, and a partition of the tree named twice, with the placement
    report of the rows added. Yields the algorithm's name after each step."""
    rows = max(2, dataset.profiles.size - 2)
    p = dataset.profiles
    old = Dataset(Profiles(p.ids[:rows], p.loci, p.matrix[:rows], p.alleles, p.missing_values, p.kind), None,
                  np.asarray(dataset.counts)[:rows], dataset.report)
    for algorithm in incremental.ALGORITHMS:
        tree, state = incremental.goeburst_with_state(old, algorithm=algorithm)
        grown = incremental.extend_goeburst(old, tree, state, dataset, algorithm=algorithm, work_limit=None)
        yield algorithm
        cut = partition(grown.inference, [0, 1, 2])
        first = name_clusters(None, cut.ids[:rows], cut.labels[:rows], cut.thresholds)
        version_placements(dataset, rows, 0, name_clusters(first.state, cut.ids, cut.labels, cut.thresholds))
        yield CLUSTER_CODES
