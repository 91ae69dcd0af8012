"""Surveillance through the services: a partition job names clusters, a version of the dataset is
inferred by extending the parent's tree, and its partition inherits the names (rules of
engine.algorithms.nomenclature), with every change recorded."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.algorithms import registry
from engine.algorithms.placement import placement_report
from engine.errors import ParameterError
from engine.jobs.runner import FINAL, SUCCEEDED
from engine.services.analyses import JobRequest
from engine.services.root import Service
from engine.services.settings import Settings
from engine.services.surveillance import extension_base
from engine.storage.records import InferenceRecord, JobRecord, PartitionRecord, UserRecord

# Two groups of MLST profiles: 1-2-3 (one locus apart in a chain) and 4-5 (one apart), 5+ loci
# between the groups; then 200 profiles differing from every other at every locus (single profiles,
# unnamed: they make the parent large enough for an extension to be cheaper than a full run).
PROFILES = (b"ST\ta\tb\tc\td\te\tf\n1\t1\t1\t1\t1\t1\t1\n2\t1\t1\t1\t1\t1\t2\n3\t1\t1\t1\t1\t2\t2\n"
            b"4\t5\t5\t5\t5\t5\t5\n5\t5\t5\t5\t5\t5\t6\n"
            + b"".join(b"F%d" % k + b"\t%d" % (100 + k) * 6 + b"\n" for k in range(200)))
SINGLES = {f"F{k}": [None, None] for k in range(200)}
# 6 joins 4-5 at one locus; 7 is far from everything; 8 is 3's twin.
ADDED = b"ST\ta\tb\tc\td\te\tf\n6\t5\t5\t5\t5\t6\t6\n7\t9\t9\t9\t9\t9\t9\n8\t1\t1\t1\t1\t2\t2\n"


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    started = Service(Settings(data=tmp_path, workers=1, demo_tree=False))
    started.start()
    yield started
    started.stop()


def run(service: Service, user: UserRecord, project: str, request: JobRequest) -> JobRecord:
    job = service.analyses.submit(user, project, request)
    deadline = time.monotonic() + 120
    while (job := service.store.get(JobRecord, job.id)).status not in FINAL:
        assert time.monotonic() < deadline, f"job {job.id} still {job.status}"
        time.sleep(0.02)
    assert job.status == SUCCEEDED, job.error
    return job


def codes(service: Service, partition_id: str) -> dict[str, list[str | None]]:
    naming = service.catalog.partition_content(service.store.get(PartitionRecord, partition_id))
    return dict(zip(naming.isolates, naming.names, strict=True))


def test_a_version_is_extended_and_its_partition_keeps_the_names(service: Service) -> None:
    admin = service.accounts.find("admin@localhost")
    assert admin is not None
    project = service.catalog.create_project(admin, {"name": "surveillance"}).id
    first = service.catalog.add_dataset(admin, project, PROFILES, name="week 1")
    tree = run(service, admin, project, JobRequest("inference", "goeburst", first.id, options={"lvs": 3}))
    assert service.store.get(InferenceRecord, tree.analysis_id).computed == "full"
    cut = run(service, admin, project, JobRequest("partition", "cluster-codes", first.id, tree.analysis_id,
                                                  {"thresholds": [1, 3], "name_singletons": False}))
    assert codes(service, cut.analysis_id) == {"1": ["C1", "C1"], "2": ["C1", "C1"], "3": ["C1", "C1"],
                                               "4": ["C2", "C2"], "5": ["C2", "C2"], **SINGLES}

    second = service.catalog.add_version(admin, project, first.id, ADDED, name="week 2")
    assert (second.parent_id, second.profile_count, second.report["profiles"]) == (first.id, 208, 3)
    assert service.catalog.dataset(admin, project, first.id).profile_count == 205  # the old one stays
    grown = run(service, admin, project, JobRequest("inference", "goeburst", second.id, options={"lvs": 3}))
    record = service.store.get(InferenceRecord, grown.analysis_id)
    assert (record.computed, record.computed_from, record.computed_reason) == (
        "incremental", tree.analysis_id, None)
    full = registry.infer("goeburst", service.catalog.dataset_content(second), {"lvs": 3})
    extended = service.catalog.inference_content(record)
    assert list(extended.edges()) == list(full.edges())

    again = run(service, admin, project, JobRequest("partition", "cluster-codes", second.id,
                                                    grown.analysis_id,
                                                    {"thresholds": [3, 1], "name_singletons": True}))
    partition = service.store.get(PartitionRecord, again.analysis_id)
    assert (partition.named_from, list(partition.thresholds)) == (cut.analysis_id, [1, 3])
    assert codes(service, again.analysis_id) == {
        "1": ["C1", "C1"], "2": ["C1", "C1"], "3": ["C1", "C1"], "4": ["C2", "C2"], "5": ["C2", "C2"],
        "6": ["C2", "C2"], "7": [None, None], "8": ["C1", "C1"], **SINGLES}  # the first run's setting wins
    changes = service.catalog.partition_content(partition).changes
    assert [(c.threshold, c.name, c.kind, c.added) for c in changes] == [
        (1, "C1", "grew", 1), (1, "C2", "grew", 1), (3, "C1", "grew", 1), (3, "C2", "grew", 1)]

    # The new profiles placed: 6 is one locus from 5 (C2), 7 six loci from everything (unnamed,
    # founding), 8 is 3's twin (C1); the same report as calling placement_report directly.
    naming = service.catalog.partition_content(partition)
    expected = placement_report(service.catalog.dataset_content(second), 205, naming, nearest=5)
    assert service.catalog.partition_placements(partition) == expected
    assert service.catalog.partition_result(partition) == (naming, expected)
    assert [(p.isolate, p.distance, p.nearest[0], [(c.name, c.founded) for c in p.clusters])
            for p in expected] == [
        ("6", 1, ("5", 1), [("C2", False), ("C2", False)]), ("7", 6, ("1", 6), [(None, True), (None, True)]),
        ("8", 0, ("3", 0), [("C1", False), ("C1", False)])]
    assert service.catalog.partition_placements(service.store.get(PartitionRecord, cut.analysis_id)) == []
    # A partition of a version stored before reports were kept has none, and says so (None, not []).
    stored = service.store.get_arrays(partition.arrays)
    service.store.put_arrays("partitions/before-placements",
                             {k: v for k, v in stored.items() if not k.startswith("placement_")})
    older = partition.replace(arrays="partitions/before-placements")
    assert service.catalog.partition_content(older).names == naming.names
    assert service.catalog.partition_placements(older) is None


def test_a_version_without_a_parent_result_is_computed_in_full_and_says_why(service: Service) -> None:
    admin = service.accounts.find("admin@localhost")
    assert admin is not None
    project = service.catalog.create_project(admin, {"name": "no parent tree"}).id
    first = service.catalog.add_dataset(admin, project, PROFILES)
    second = service.catalog.add_version(admin, project, first.id, ADDED)
    job = run(service, admin, project, JobRequest("inference", "goeburst", second.id, options={"lvs": 2}))
    record = service.store.get(InferenceRecord, job.analysis_id)
    assert record.computed == "full"
    assert record.computed_reason == ("the parent dataset has no goeburst result with these parameters "
                                      "to extend")
    assert extension_base(service.store, second, "nj", {}) == (
        {}, "only goeburst and goeburst-full results are extended, not nj")
    assert extension_base(service.store, first, "goeburst", {"lvs": 2, "missing": "difference"}) == ({}, None)


@pytest.mark.parametrize(("options", "message"), [
    ({"thresholds": "5"}, "thresholds must be a list"),
    ({"thresholds": [-1]}, "a finite number >= 0"),
    ({"thresholds": []}, "at least one threshold"),
    ({"thresholds": list(range(1001))}, "at most 1,000 thresholds"),
    ({"name_singletons": 1}, "true or false"),
    ({"colour": 1}, "takes no parameter 'colour'"),
])
def test_bad_partition_options_are_refused(options: dict[str, object], message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        JobRequest("partition", "cluster-codes", "d", "i", options).checked()


def test_a_partition_needs_its_algorithm_and_an_inference() -> None:
    with pytest.raises(ParameterError, match="'radial' is not a partition algorithm"):
        JobRequest("partition", "radial", "d", "i").checked()
    with pytest.raises(ParameterError, match="takes one inference"):
        JobRequest("partition", "cluster-codes", "d").checked()
