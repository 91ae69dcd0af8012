"""Data folders of earlier versions open with today's code: the 0.1 folder in tests/fixtures, and the
migration steps on literal documents."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest
from paths import FIXTURES

from api.wire import job_view
from engine.errors import PhyloDashError
from engine.jobs.runner import CANCELLED, FINAL, QUEUED, SUCCEEDED
from engine.services.root import Service
from engine.services.settings import Settings
from engine.storage.migrations import SCHEMA_VERSION, migrate
from engine.storage.records import JobRecord
from engine.storage.store import TinyDBStore

OLD_FOLDER = FIXTURES / "data_folder_v1"


@pytest.fixture
def old_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    shutil.copytree(OLD_FOLDER, folder, ignore=shutil.ignore_patterns("README.md"))
    return folder


def test_a_folder_written_by_version_0_1_opens_with_everything_in_it(old_folder: Path) -> None:
    service = Service(Settings(data=old_folder, workers=1))
    admin = service.accounts.by_password("admin@localhost", "correct horse")
    assert admin is not None and admin.role == "admin"
    assert service.accounts.find("ana@example.org") is not None
    projects = {project.name: project for project in service.catalog.projects(admin)}
    assert set(projects) == {"Demo", "Outbreak 2025"}
    outbreak = projects["Outbreak 2025"]
    assert outbreak.users == ("admin@localhost", "ana@example.org")
    [dataset] = service.catalog.datasets(admin, outbreak.id)
    counts = (dataset.profile_count, dataset.locus_count, dataset.isolate_count)
    assert dataset.name == "v1 data" and counts == (12, 7, 14)
    assert service.catalog.dataset_content(dataset).profiles.size == 12

    jobs = service.analyses.jobs(admin, outbreak.id)
    assert len(jobs) == 6  # the removed one is not listed
    assert sorted(job.status for job in jobs) == sorted([SUCCEEDED] * 4 + [CANCELLED, QUEUED])
    first = jobs[-1]
    view = job_view(first)
    assert view["parameters"] == [dataset.id, 3] and view["completed"] and not view["cancelled"]

    trees = service.catalog.inferences(admin, outbreak.id, dataset.id)
    assert sorted(tree.algorithm for tree in trees) == ["goeburst", "goeburst-full", "goeburst-full"]
    for tree in trees:
        content = service.catalog.inference_content(tree)
        spanning = tree.algorithm == "goeburst-full"
        assert len(content.ids) == 12 and (len(content.children) == 11) == spanning
    goeburst = next(tree for tree in trees if tree.algorithm == "goeburst")
    [drawing] = service.catalog.visualizations(admin, outbreak.id, dataset.id, goeburst.id)
    assert service.catalog.layout_content(drawing).rows.size == 12

    service.start()  # the queued job of 0.1 runs now
    try:
        queued = next(job for job in jobs if job.status == QUEUED)
        deadline = time.monotonic() + 120
        while service.store.get(JobRecord, queued.id).status not in FINAL and time.monotonic() < deadline:
            time.sleep(0.1)
        assert service.store.get(JobRecord, queued.id).status == SUCCEEDED
    finally:
        service.stop()


def test_the_migration_is_written_once_and_marks_the_version(old_folder: Path) -> None:
    TinyDBStore(old_folder)
    migrated = json.loads((old_folder / "phylodash.json").read_text())
    assert migrated["meta"]["1"] == {"id": "schema", "version": SCHEMA_VERSION}
    assert all("removed" not in job and "completed" not in job for job in migrated["jobs"].values())
    stamp = (old_folder / "phylodash.json").stat().st_mtime_ns
    TinyDBStore(old_folder)  # already migrated: nothing is written
    assert (old_folder / "phylodash.json").stat().st_mtime_ns == stamp


def test_version_2_renames_counts_and_soft_delete_and_drops_derived_state() -> None:
    old = {"jobs": {"1": {"id": "j", "status": "cancelled", "completed": True, "cancelled": True,
                          "removed": True, "parameters": ["d", 3]}},
           "datasets": {"1": {"id": "d", "profiles": 5, "loci": 7, "isolates": 0}}}
    new = migrate(old)
    assert new is not None
    assert new["jobs"]["1"] == {"id": "j", "status": "cancelled", "deprecated": True,
                                "client_parameters": ["d", 3]}
    assert new["datasets"]["1"] == {"id": "d", "profile_count": 5, "locus_count": 7, "isolate_count": 0}
    assert old["jobs"]["1"]["removed"] is True  # the documents given are left as they were
    assert migrate(new) is None


def test_a_new_folder_starts_at_todays_version_and_a_newer_one_is_refused(tmp_path: Path) -> None:
    TinyDBStore(tmp_path / "new")
    data = json.loads((tmp_path / "new" / "phylodash.json").read_text())
    assert data == {"meta": {"1": {"id": "schema", "version": SCHEMA_VERSION}}}
    data["meta"]["1"]["version"] = SCHEMA_VERSION + 1
    (tmp_path / "new" / "phylodash.json").write_text(json.dumps(data))
    with pytest.raises(PhyloDashError, match="written by a newer PhyloDash"):
        TinyDBStore(tmp_path / "new")
