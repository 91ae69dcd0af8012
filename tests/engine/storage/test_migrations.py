"""Data folders of earlier versions open with today's code: the 0.1 and the format 2 folders in
tests/fixtures, and the migration steps on literal documents."""

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
from engine.services.analyses import JobRequest
from engine.services.root import Service
from engine.services.settings import Settings
from engine.storage.files import atomic_write
from engine.storage.migrations import SCHEMA_VERSION, migrate
from engine.storage.records import JobRecord, ProjectRecord
from engine.storage.store import TinyDBStore

OLD_FOLDER = FIXTURES / "data_folder_v1"
ONE_FILE_FOLDER = FIXTURES / "data_folder_v2"  # record format 2: every record in phylodash.json


def copied(fixture: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    shutil.copytree(fixture, folder, ignore=shutil.ignore_patterns("README.md"))
    return folder


@pytest.fixture
def old_folder(tmp_path: Path) -> Path:
    return copied(OLD_FOLDER, tmp_path)


@pytest.fixture
def one_file_folder(tmp_path: Path) -> Path:
    return copied(ONE_FILE_FOLDER, tmp_path)


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
    assert not migrated["jobs"] and len(migrated["projects"]) == 2  # the jobs went to their project's file
    [outbreak] = [p["id"] for p in migrated["projects"].values() if p["name"] == "Outbreak 2025"]
    jobs = json.loads((old_folder / "projects" / f"{outbreak}.json").read_text())["jobs"]
    assert len(jobs) == 7
    assert all("removed" not in job and "completed" not in job for job in jobs.values())
    stamps = {path: path.stat().st_mtime_ns for path in old_folder.rglob("*.json")}
    TinyDBStore(old_folder)  # already migrated: nothing is written
    assert {path: path.stat().st_mtime_ns for path in old_folder.rglob("*.json")} == stamps


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


def test_a_folder_of_one_file_opens_split_by_project_with_everything_in_it(one_file_folder: Path) -> None:
    service = Service(Settings(data=one_file_folder, workers=1))
    admin = service.accounts.by_password("admin@localhost", "correct horse")
    assert admin is not None and service.accounts.find("ana@example.org") is not None
    projects = {project.name: project for project in service.catalog.projects(admin)}
    assert set(projects) == {"Demo", "Outbreak 2026"}
    outbreak = projects["Outbreak 2026"]
    assert outbreak.users == ("admin@localhost", "ana@example.org")
    [demo] = service.catalog.datasets(admin, projects["Demo"].id)
    assert (demo.profile_count, demo.isolate_count) == (260, 570)
    [dataset] = service.catalog.datasets(admin, outbreak.id)
    assert (dataset.name, dataset.profile_count, dataset.isolate_count) == ("v2 data", 12, 14)

    jobs = service.analyses.jobs(admin, outbreak.id)
    assert [job.status for job in jobs] == ["cancelled", "queued"] + ["succeeded"] * 4  # newest first
    assert job_view(jobs[1])["parameters"] == [dataset.id, 1]
    trees = service.catalog.inferences(admin, outbreak.id, dataset.id)
    assert [(tree.algorithm, tree.parameters.get("lvs")) for tree in trees] == [
        ("goeburst", 3), ("goeburst-full", None), ("goeburst", 2)]
    assert len(service.catalog.inference_content(trees[1]).children) == 11
    [drawing] = service.catalog.visualizations(admin, outbreak.id, dataset.id, trees[0].id)
    assert service.catalog.layout_content(drawing).rows.size == 12
    [partition] = service.catalog.partitions(admin, outbreak.id, dataset.id, trees[0].id)
    assert [float(t) for t in partition.thresholds] == [1.0, 2.0, 3.0]
    naming = service.catalog.partition_content(partition)
    assert len(naming.names) == 12 and {len(row) for row in naming.names} == {3}

    stored = json.loads((one_file_folder / "phylodash.json").read_text())
    assert stored["meta"]["1"]["version"] == SCHEMA_VERSION
    assert {len(stored[table]) for table in ("datasets", "jobs", "inferences", "partitions")} == {0}
    project_file = one_file_folder / "projects" / f"{outbreak.id}.json"
    assert len(json.loads(project_file.read_text())["jobs"]) == 7

    # A job that reuses a stored result is written to the project's file alone.
    global_stamp = (one_file_folder / "phylodash.json").stat().st_mtime_ns
    again = service.analyses.submit(admin, outbreak.id, JobRequest("inference", "goeburst", dataset.id,
                                                                   options={"lvs": 3}))
    assert again.reused_from == trees[0].id
    assert len(json.loads(project_file.read_text())["jobs"]) == 8
    assert (one_file_folder / "phylodash.json").stat().st_mtime_ns == global_stamp


def test_a_migration_cut_off_before_the_global_file_is_done_again_on_the_next_opening(
    one_file_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = (one_file_folder / "phylodash.json").read_bytes()
    write = atomic_write

    def power_cut_at_the_global_file(path: Path, data: bytes) -> None:
        if path.name == "phylodash.json":
            raise OSError("power cut")
        write(path, data)

    monkeypatch.setattr("engine.storage.database_file.atomic_write", power_cut_at_the_global_file)
    with pytest.raises(OSError, match="power cut"):
        TinyDBStore(one_file_folder)
    assert len(list((one_file_folder / "projects").glob("*.json"))) == 2  # the projects' files were written
    assert (one_file_folder / "phylodash.json").read_bytes() == original  # the global file was not
    monkeypatch.undo()
    store = TinyDBStore(one_file_folder)
    assert len(store.select(JobRecord)) == 7 and len(store.select(ProjectRecord)) == 2
    assert not json.loads((one_file_folder / "phylodash.json").read_text())["jobs"]
