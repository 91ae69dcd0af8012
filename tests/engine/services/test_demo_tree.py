"""A fresh data folder's first start computes the demo's goeBURST tree and its grapetree layout by real
jobs (TinyDB file, warm worker processes), and a later start computes nothing again."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from engine.algorithms import registry
from engine.errors import ParameterError
from engine.jobs.runner import SUCCEEDED
from engine.services.root import FIRST_ADMIN, Service
from engine.services.settings import Settings
from engine.storage.records import DatasetRecord, InferenceRecord, JobRecord, VisualizationRecord

#: The first job of a fresh machine compiles numba's kernels: allow for it on a busy machine.
FIRST_JOBS_SECONDS = 300


def wait_for_layout(service: Service, timeout: float = FIRST_JOBS_SECONDS) -> VisualizationRecord:
    """The first stored layout, once there is one."""
    deadline = time.monotonic() + timeout
    while not (layouts := service.store.select(VisualizationRecord)):
        failed = [job for job in service.store.select(JobRecord) if job.status not in ("queued", "running",
                                                                                          SUCCEEDED)]
        assert not failed, f"a demo job ended {failed[0].status}: {failed[0].error}"
        assert time.monotonic() < deadline, f"no layout stored after {timeout} s"
        time.sleep(0.1)
    return layouts[0]


def test_the_first_start_stores_the_demo_tree_and_its_grapetree_layout(tmp_path: Path) -> None:
    service = Service(Settings(data=tmp_path, workers=1))
    service.start()
    try:
        layout = wait_for_layout(service)
    finally:
        service.stop()
    assert (tmp_path / "phylodash.json").exists()  # the TinyDB file

    again = Service(Settings(data=tmp_path, workers=1))  # read back from the files, as a restart does
    admin = again.accounts.find(FIRST_ADMIN)
    assert admin is not None
    [project] = again.catalog.projects(admin)
    [dataset] = again.catalog.datasets(admin, project.id)
    [inference] = again.store.select(InferenceRecord)
    assert (project.name, inference.algorithm) == ("Demo", "goeburst")
    assert dict(inference.parameters) == {"lvs": 3, "missing": "difference"}
    assert (layout.algorithm, layout.inference_id) == ("grapetree", inference.id)
    assert layout.dataset_id == dataset.id
    jobs = again.store.select(JobRecord)
    assert [(job.algorithm, job.status, job.user) for job in jobs] == [("goeburst", SUCCEEDED, FIRST_ADMIN),
                                                                       ("grapetree", SUCCEEDED, FIRST_ADMIN)]
    # The stored results are the engine's own.
    tree = again.catalog.inference_content(inference)
    expected = registry.infer("goeburst", again.catalog.dataset_content(dataset), {"lvs": 3})
    assert np.array_equal(tree.parents, expected.parents) and np.array_equal(tree.children, expected.children)
    drawn = again.catalog.layout_content(layout)
    np.testing.assert_allclose(drawn.x, registry.lay_out("grapetree", tree).x)

    # A later start queues nothing: the demo's tree is there.
    assert again.start() == []
    try:
        time.sleep(1.0)
        assert len(again.store.select(JobRecord)) == 2
    finally:
        again.stop()


def test_the_demo_tree_can_be_turned_off(tmp_path: Path) -> None:
    assert [Settings.from_environment({"PHYLODASH_DEMO_TREE": text}).demo_tree
            for text in ("0", "1", "")] == [False, True, True]
    with pytest.raises(ParameterError, match="PHYLODASH_DEMO_TREE must be 0 or 1, not 'yes'"):
        Settings.from_environment({"PHYLODASH_DEMO_TREE": "yes"})
    service = Service(Settings(data=tmp_path, workers=1, demo_tree=False))
    service.start()
    try:
        time.sleep(1.0)
        assert service.store.select(JobRecord) == [] and service.store.select(InferenceRecord) == []
        assert len(service.store.select(DatasetRecord)) == 1  # the demo dataset is there all the same
    finally:
        service.stop()
