"""Analysis jobs: requests checked, queued, computed, stored.

A request is the engine's own :class:`JobRequest`: which analysis (``inference`` builds a tree from a
dataset, ``visualization`` lays out an inference, ``partition`` cuts one into named clusters at many
thresholds: :mod:`engine.services.surveillance`), which algorithm, the dataset, the inference to lay
out or cut, and the algorithm's named options. The API turns PhyloDB's positional job body
into one (``api/wire.py``); the dashboard builds one directly. The job's result appears under its
``analysis_id`` once the job has succeeded, and never before.

A result records its provenance (input content hash, algorithm, version, parameters, job,
timings). When the same input content, algorithm, version and parameters were computed before,
a new job reuses that result at once (its arrays are shared) and says so in ``reused_from``; so
does a queued job when it is its turn to start and an equal job has succeeded meanwhile (many
clients asking for the same analysis at once make one computation, not one each).

The work of a job (:func:`run_job`) runs in a worker process. With the local runner that process
also writes the result's arrays beside the store, so only a small message comes back and the server
stores just the record that makes the result visible; a job that does not succeed has its arrays
removed. :func:`warm_up` is what a worker does while it waits for jobs: every registered algorithm
once on a tiny dataset (and the surveillance kernels: extending a tree, partitions), so that numba's
cached kernels are loaded when real jobs come.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np

from engine.algorithms import registry
from engine.algorithms.incremental import ALGORITHMS as EXTENSIBLE
from engine.algorithms.registry import INFERENCE, VISUALIZATION
from engine.clock import now
from engine.errors import ConflictError, NotFoundError, ParameterError, PhyloDashError, quoted
from engine.jobs.runner import FINAL, SUCCEEDED, Listener
from engine.models import CancelCheck, Dataset, Profiles, ProgressCallback, ReadReport
from engine.services import surveillance
from engine.services.catalog import Catalog, check_id
from engine.services.surveillance import CLUSTER_CODES, CLUSTER_CODES_VERSION, PARTITION
from engine.storage.arrays import ArrayReader, ArrayWriter
from engine.storage.codec import (
    dataset_from_arrays,
    dataset_to_arrays,
    inference_from_arrays,
    inference_to_arrays,
    layout_to_arrays,
)
from engine.storage.records import (
    DatasetRecord,
    InferenceRecord,
    JobRecord,
    PartitionRecord,
    UserRecord,
    VisualizationRecord,
)
from engine.storage.store import Store

#: The record type of each analysis's results.
RESULTS: dict[str, type[InferenceRecord]] = {INFERENCE: InferenceRecord,
                                             VISUALIZATION: VisualizationRecord, PARTITION: PartitionRecord}
#: The analyses that read an inference rather than a dataset.
_OF_INFERENCE = (VISUALIZATION, PARTITION)
_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobRequest:
    """What a caller asks to compute.

    Parameters
    ----------
    analysis : {"inference", "visualization", "partition"}
        An inference builds a tree from ``dataset_id``; a visualization lays out ``inference_id``; a
        partition cuts it into clusters at many thresholds.
    algorithm : str
        A registry algorithm of that analysis (``cluster-codes`` for a partition).
    dataset_id : str
        The dataset (for a visualization or partition: the dataset of the inference).
    inference_id : str, optional
        The inference to lay out or cut (visualizations and partitions only).
    options : mapping, optional
        The algorithm's named options; left-out ones take their defaults.
    client_parameters : list, optional
        The parameters as the client wrote them, kept with the job and shown back unchanged (PhyloDB
        clients read their positional ``parameters`` back); None when the caller gave none.
    """

    analysis: str
    algorithm: str
    dataset_id: str
    inference_id: str | None = None
    options: Mapping[str, object] = field(default_factory=dict)
    client_parameters: list[Any] | None = None

    def checked(self) -> tuple[str, str, dict[str, object]]:
        """The algorithm's name and version and the complete, checked options (a partition's default
        thresholds, which depend on the dataset, are None); ParameterError names what is wrong."""
        if not isinstance(self.analysis, str) or self.analysis not in RESULTS:
            raise ParameterError("analysis must be 'inference', 'visualization' or 'partition', "
                                 f"not {quoted(self.analysis)}")
        if (self.analysis in _OF_INFERENCE) != (self.inference_id is not None):
            raise ParameterError("a visualization or partition takes one inference; an inference takes none")
        if self.analysis == PARTITION:
            if self.algorithm != CLUSTER_CODES:
                raise ParameterError(f"{quoted(self.algorithm)} is not a partition algorithm; "
                                     f"choose {CLUSTER_CODES}")
            return CLUSTER_CODES, CLUSTER_CODES_VERSION, surveillance.check_partition_options(self.options)
        algorithm = registry.get(self.algorithm, self.analysis)
        return algorithm.name, algorithm.version, algorithm.check(self.options)


def result_key(job: JobRecord) -> str:
    """Where the arrays of ``job``'s result are stored (one key per job: its ``analysis_id``)."""
    return f"{RESULTS[job.analysis].TABLE}/{job.analysis_id}"


def run_job(arrays: ArrayReader, job: JobRecord, progress: ProgressCallback, cancel: CancelCheck | None,
            *, results: ArrayWriter | None = None) -> dict[str, Any]:
    """Compute a job's result in a worker process.

    Reads its input arrays with ``arrays``. With ``results`` it writes the result's arrays itself,
    under :func:`result_key`, and returns ``{"seconds": float, "record": fields}``; without, it
    returns them too: ``{"arrays": named arrays, ...}``. ``record`` holds fields of the result record
    known only once it is computed (how an inference was computed). The server stores the record.
    """
    started = time.perf_counter()
    source = arrays.get(job.input_arrays)
    hooks = {"progress": progress, "cancel": cancel}
    computed: dict[str, Any] = {}
    if job.analysis == INFERENCE and job.algorithm in EXTENSIBLE:
        result, computed = surveillance.infer_goeburst(arrays, job, dataset_from_arrays(source), **hooks)
    elif job.analysis == INFERENCE:
        inference = registry.infer(job.algorithm, dataset_from_arrays(source), job.options, **hooks)
        result = inference_to_arrays(inference)
        computed = {"computed_reason": job.base_reason}
    elif job.analysis == PARTITION:
        result = surveillance.partition_job(arrays, job, source, **hooks)
    else:
        tree = inference_from_arrays(source, job.input_algorithm or "", {})
        result = layout_to_arrays(registry.lay_out(job.algorithm, tree, job.options, **hooks))
    if results is None:
        return {"arrays": result, "seconds": time.perf_counter() - started, "record": computed}
    results.put(result_key(job), result)
    return {"seconds": time.perf_counter() - started, "record": computed}


def warm_up() -> Iterator[str]:
    """Run every registered algorithm on a tiny dataset, as :func:`run_job` would, one step at a time:
    a generator that yields an algorithm's name after each run.

    For each inference, in the registry's order (goeBURST first): one step with its default options,
    then one step per visualization laying out that tree, then one step per other choice of each of
    its options that has choices. A worker process runs these steps while it waits for jobs, so that
    a job finds numba's cached kernels loaded (a fresh process pays about a second for them, and
    compiles them on a fresh machine); as a step is short, a job sent meanwhile waits for one run of
    one algorithm at most, and the commonest jobs (goeBURST with its defaults, its layouts) are
    ready first. Last come the surveillance steps (:func:`engine.services.surveillance.warm_up`: a tree
    extended, a partition named). An algorithm that refuses the tiny dataset is skipped; any other
    error is logged.
    """
    source = dataset_to_arrays(_tiny_dataset())
    for name in registry.names(INFERENCE):
        variants = _option_variants(registry.get(name))
        tree = _try(name, registry.infer, name, dataset_from_arrays(source), variants[0])
        yield name
        if tree is not None:
            tree = inference_from_arrays(inference_to_arrays(tree), name, {})
            for layout in registry.names(VISUALIZATION):
                drawn = _try(layout, registry.lay_out, layout, tree, {})
                if drawn is not None:
                    layout_to_arrays(drawn)
                yield layout
        for options in variants[1:]:
            _try(name, registry.infer, name, dataset_from_arrays(source), options)
            yield name
    yield from surveillance.warm_up(dataset_from_arrays(source))


def _tiny_dataset() -> Dataset:
    """Nine MLST profiles of seven loci: single- to triple-locus variants, a missing allele, two
    identical profiles and a second group, with allele codes as the reader makes them."""
    matrix = np.array([[1, 1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 1, 2], [1, 1, 1, 1, 1, 2, 2],
                       [1, 1, 1, 1, 2, 2, 2], [1, 1, 1, 3, 1, 1, 1], [0, 1, 1, 3, 1, 1, 1],
                       [4, 4, 4, 4, 4, 4, 4], [4, 4, 4, 4, 4, 4, 3], [1, 1, 1, 1, 1, 1, 1]], dtype=np.uint16)
    rows, loci = matrix.shape
    profiles = Profiles(ids=[str(row + 1) for row in range(rows)], loci=[f"locus{n}" for n in range(loci)],
                        matrix=matrix, alleles=[["", "1", "2", "3", "4"] for _ in range(loci)],
                        missing_values=("",))
    return Dataset(profiles, None, np.ones(rows, dtype=np.int64), ReadReport(rows, loci, 1, ("",)))


def _option_variants(algorithm: registry.Algorithm) -> list[dict[str, object]]:
    """The default options, then each other choice of each option that has choices, one at a time."""
    variants: list[dict[str, object]] = [{}]
    for parameter in algorithm.describe()["parameters"]:  # type: ignore[union-attr]
        variants += [{parameter["name"]: choice} for choice in parameter.get("choices", ())
                     if choice != parameter["default"]]
    return variants


def _try(name: str, function: Callable[..., Any], *args: Any) -> Any:
    """``function(*args)``, or None when it fails (a PhyloDashError quietly; anything else logged)."""
    try:
        return function(*args)
    except PhyloDashError:
        return None
    except Exception:  # a warm-up is no job: log, and let the first job meet the error itself
        _log.exception("warming up %s failed", name)
        return None


class Analyses:
    """Submits, lists, cancels and finishes the analysis jobs of a store."""

    def __init__(self, store: Store, catalog: Catalog,
                 make_runner: Callable[[Callable[..., Any], Callable[[JobRecord, Any], None]], Any], *,
                 max_queued: int = 100, results_in_worker: bool = False) -> None:
        """``make_runner(work, finish)`` builds the job runner; with ``results_in_worker`` the worker
        processes write the result arrays beside the store (they must share its folder)."""
        self.store = store
        self.catalog = catalog
        self.max_queued = max_queued
        self._submitting = threading.Lock()
        results = store.arrays_writer() if results_in_worker else None
        self.runner = make_runner(partial(run_job, store.arrays_reader(), results=results), self.finish)
        self.runner.before_start = self._reuse_if_computed
        self.runner.discard = self._discard

    # -- jobs ------------------------------------------------------------------------------------

    def submit(self, user: UserRecord, project_id: str, request: JobRequest) -> JobRecord:
        """Check a job request and queue it (or finish it at once by reusing an equal result)."""
        with self._submitting:  # one at a time: concurrent requests counted before any was added pass the cap
            return self._submit(user, project_id, request)

    def _submit(self, user: UserRecord, project_id: str, request: JobRequest) -> JobRecord:
        name, version, options = request.checked()
        project = self.catalog.project(user, project_id, write=True)
        dataset = self.catalog.dataset(user, project_id, request.dataset_id)
        if request.analysis == PARTITION:
            options = surveillance.with_default_thresholds(options, dataset.locus_count)
        if dataset.profile_count < 2:
            raise ConflictError(f"the dataset has {dataset.profile_count} profile(s); "
                                "a tree needs at least 2")
        waiting = self.runner.unfinished(user.email)
        if waiting >= self.max_queued:
            raise ConflictError(f"you have {waiting} jobs queued or running, the most allowed; wait for "
                                "some to finish or cancel them")
        job = JobRecord(
            id=str(uuid.uuid4()), analysis_id=str(uuid.uuid4()), project_id=project.id, user=user.email,
            analysis=request.analysis, algorithm=name, version=version, options=options,
            client_parameters=None if request.client_parameters is None else tuple(request.client_parameters),
            **self._input(user, project_id, dataset, request.inference_id),
            **self._base(request.analysis, dataset, name, options, request.inference_id))
        job = job.replace(content_key=_content_key(job))
        earlier = self._equal_result(job)
        if earlier is not None:
            done = self._reuse(job, earlier)
            self.runner.announce(done)
            return done
        return self.runner.submit(job)

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(job)`` with the final record of every job that ends from now on (succeeded,
        failed or cancelled; also a job finished at once by reusing a result). It runs on the job
        runner's own thread and must return quickly. Returns the function that unsubscribes."""
        return self.runner.subscribe(listener)

    def _base(self, analysis: str, dataset: DatasetRecord, algorithm: str,
              options: dict[str, object], inference_id: str | None) -> dict[str, Any]:
        """The job's base fields: the parent's result an inference of a version extends (or why there
        is none), the earlier partition a partition inherits its names from and, for a version, how it
        places the new isolates."""
        if analysis == INFERENCE:
            fields, reason = surveillance.extension_base(self.store, dataset, algorithm, options)
            return {**fields, "base_reason": reason}
        if analysis == PARTITION:
            inference = self.store.get(InferenceRecord, inference_id or "")
            return {**surveillance.naming_base(self.store, dataset, options),
                    **surveillance.placement_base(self.store, dataset, inference)}
        return {}

    def _input(self, user: UserRecord, project_id: str, dataset: DatasetRecord,
               inference_id: str | None) -> dict[str, Any]:
        """The job's input fields: the dataset, or the live inference to lay out or cut."""
        if inference_id is None:
            return {"dataset_id": dataset.id, "input_arrays": dataset.arrays,
                    "input_hash": dataset.content_hash}
        inference = self.catalog.inference(user, project_id, dataset.id, inference_id)
        if inference.deprecated:
            raise NotFoundError(f"the inference {inference.id} was deleted")
        return {"dataset_id": dataset.id, "inference_id": inference.id, "input_arrays": inference.arrays,
                "input_hash": inference.content_key, "input_algorithm": inference.algorithm}

    def jobs(self, user: UserRecord, project_id: str, start: int = 0,
             stop: int | None = None) -> list[JobRecord]:
        """The project's listed jobs, newest first (items ``start`` to ``stop`` of that list)."""
        project = self.catalog.project(user, project_id)
        return self.store.select(JobRecord, lambda j: not j.deprecated, project=project.id,
                                 newest_first=True, start=start, stop=stop)

    def job(self, user: UserRecord, project_id: str, job_id: str) -> JobRecord:
        """One listed job of the project; NotFoundError otherwise."""
        project = self.catalog.project(user, project_id)
        found = self.store.find(JobRecord, check_id(job_id, "job"))
        if found is None or found.project_id != project.id or found.deprecated:
            raise NotFoundError(f"there is no job {job_id} in this project")
        return found

    def delete(self, user: UserRecord, project_id: str, job_id: str) -> None:
        """Cancel a queued or running job (its process is stopped); remove a finished one from the list.

        A cancelled job stays listed as cancelled; a finished job's result stays.
        """
        self.catalog.project(user, project_id, write=True)
        job = self.job(user, project_id, job_id)
        if job.status not in FINAL:
            try:
                self.runner.cancel(job.id)
                return
            except ConflictError:  # it finished meanwhile
                pass
        self.store.update(JobRecord, job.id, deprecated=True)

    # -- results ---------------------------------------------------------------------------------

    def finish(self, job: JobRecord, result: dict[str, Any]) -> None:
        """Store a job's result: its arrays first (unless the worker wrote them), then the record that
        makes it visible."""
        key = result_key(job)
        if "arrays" in result:
            self.store.put_arrays(key, result["arrays"])
        provenance = {"seconds": round(float(result["seconds"]), 6), "started": job.started,
                      "finished": now()}
        self.store.insert(_result_record(job, key, provenance, result.get("record", {})))

    def _discard(self, job: JobRecord) -> None:
        """Remove what the work of a job that did not succeed may have written (its result's arrays)."""
        if job.analysis in RESULTS and job.analysis_id:
            self.store.delete_arrays(result_key(job))

    def _equal_result(self, job: JobRecord) -> InferenceRecord | None:
        """An earlier result of the same project with the same content key (not another project's: its
        existence would tell what a private project holds)."""
        found = self.store.select(RESULTS[job.analysis], lambda r: r.content_key == job.content_key,
                                  project=job.project_id, stop=1)
        return found[0] if found else None

    def _reuse_if_computed(self, job: JobRecord) -> bool:
        """Finish a queued job about to start with an equal result stored meanwhile; False when none."""
        earlier = self._equal_result(job)
        if earlier is not None:
            self._reuse(job, earlier)
        return earlier is not None

    def _reuse(self, job: JobRecord, earlier: InferenceRecord) -> JobRecord:
        """Store ``job`` (new, or queued) as succeeded with the result of ``earlier``."""
        stamp = now()
        provenance = {**earlier.provenance, "reused_from": earlier.id}
        done = {"status": SUCCEEDED, "progress": 1.0, "started": stamp, "finished": stamp, "error": None,
                "reused_from": earlier.id}
        with self.store.together():
            self.store.insert(_result_record(job, earlier.arrays, provenance, _computed(earlier)))
            if job.created:  # the runner queued it (a new job is not stored yet, so it has no creation time)
                return self.store.update(JobRecord, job.id, **done)
            return self.store.insert(job.replace(**done, created=stamp))


def _content_key(job: JobRecord) -> str:
    what = [job.analysis, job.algorithm, job.version, dict(job.options), job.input_hash]
    if job.analysis == PARTITION:  # the names depend on the partition they are inherited from
        what.append(job.base_id)
    if job.placement is not None:  # the placement report on the version (its isolates, its parent)
        what.append(dict(job.placement))
    return hashlib.sha256(json.dumps(what, sort_keys=True).encode()).hexdigest()


def _computed(record: InferenceRecord) -> dict[str, Any]:
    """How ``record`` was computed, for a result that reuses it (its tree is the same)."""
    if type(record) is not InferenceRecord:
        return {}
    return {"computed": record.computed, "computed_from": record.computed_from,
            "computed_reason": record.computed_reason}


def _result_record(job: JobRecord, arrays_key: str, provenance: dict[str, Any],
                   computed: dict[str, Any]) -> InferenceRecord:
    fields = {
        "id": job.analysis_id, "project_id": job.project_id, "dataset_id": job.dataset_id,
        "algorithm": job.algorithm, "parameters": dict(job.options), "created": now(), "arrays": arrays_key,
        "content_key": job.content_key, "job_id": job.id,
        "provenance": {"input_hash": job.input_hash, "algorithm": job.algorithm, "version": job.version,
                       "parameters": dict(job.options), "job_id": job.id, **provenance},
    }
    if job.analysis == VISUALIZATION:
        return VisualizationRecord(**fields, inference_id=job.inference_id or "")
    if job.analysis == PARTITION:
        return PartitionRecord(**fields, inference_id=job.inference_id or "",
                               thresholds=tuple(job.options["thresholds"]), named_from=job.base_id)
    return InferenceRecord(**fields, **computed)
