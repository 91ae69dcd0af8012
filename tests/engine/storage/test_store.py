"""TinyDBStore on a real file: typed records, arrays, atomic writes, threads and processes at once."""

from __future__ import annotations

import json
import multiprocessing
import threading
from pathlib import Path

import numpy as np
import pytest

from engine.errors import NotFoundError, ParameterError
from engine.storage.records import InferenceRecord, JobRecord, ProjectRecord, UserRecord
from engine.storage.store import TinyDBStore, atomic_write


def project(project_id: str, name: str, users: tuple[str, ...] = ()) -> ProjectRecord:
    return ProjectRecord(id=project_id, name=name, description="", visibility="private", users=users,
                         owner="a@x.org", created="2026-01-01T00:00:00.000Z")


def inference(inference_id: str, project_id: str) -> InferenceRecord:
    return InferenceRecord(id=inference_id, project_id=project_id, dataset_id="d", algorithm="goeburst",
                           parameters={"lvs": 3}, arrays="a", content_key="k", job_id="j", provenance={},
                           created="2026-01-01T00:00:00.000Z")


def test_records_round_trip_and_survive_reopening(tmp_path: Path) -> None:
    store = TinyDBStore(tmp_path)
    store.insert(project("p1", "Campylobacter", ("a@x.org",)))
    store.insert(project("p2", "Agona"))
    assert store.get(ProjectRecord, "p1").name == "Campylobacter"
    assert store.update(ProjectRecord, "p2", name="S. Agona").name == "S. Agona"
    assert [r.id for r in store.select(ProjectRecord)] == ["p1", "p2"]
    assert [r.id for r in store.select(ProjectRecord, lambda r: bool(r.users))] == ["p1"]
    reopened = TinyDBStore(tmp_path)
    assert reopened.get(ProjectRecord, "p2") == project("p2", "S. Agona")
    assert reopened.get(ProjectRecord, "p1").users == ("a@x.org",)
    reopened.delete(ProjectRecord, "p1")
    assert store.find(ProjectRecord, "p1") is None


def test_missing_records_and_fields_are_refused(tmp_path: Path) -> None:
    store = TinyDBStore(tmp_path)
    with pytest.raises(NotFoundError, match="no job"):
        store.get(JobRecord, "nope")
    with pytest.raises(NotFoundError):
        store.update(JobRecord, "nope", status="failed")
    with pytest.raises(NotFoundError):
        store.delete(JobRecord, "nope")
    store.insert(JobRecord(id="j"))
    with pytest.raises(ParameterError, match="a JobRecord has no field colour"):
        store.update(JobRecord, "j", colour="red")


def test_records_are_immutable_and_their_mappings_are_copies(tmp_path: Path) -> None:
    store = TinyDBStore(tmp_path)
    store.insert(JobRecord(id="j", options={"lvs": 3}))
    with pytest.raises(AttributeError):
        store.get(JobRecord, "j").status = "running"  # type: ignore[misc]
    store.get(JobRecord, "j").options["lvs"] = 7  # type: ignore[index]
    store.select(JobRecord)[0].options["lvs"] = 7  # type: ignore[index]
    assert store.get(JobRecord, "j").options == {"lvs": 3}


def test_update_where_changes_only_matching_records(tmp_path: Path) -> None:
    store = TinyDBStore(tmp_path)
    for i, status in enumerate(["running", "queued", "running", "succeeded"]):
        store.insert(JobRecord(id=f"j{i}", status=status))
    changed = store.update_where(
        JobRecord,
        lambda r: r.status == "running",
        lambda r: {"status": "failed", "error": f"{r.id} interrupted"},
    )
    assert [r.id for r in changed] == ["j0", "j2"]
    assert [r.status for r in store.select(JobRecord)] == ["failed", "queued", "failed", "succeeded"]
    assert store.get(JobRecord, "j2").error == "j2 interrupted"


def test_arrays_round_trip_and_keys_stay_inside_the_folder(tmp_path: Path) -> None:
    store = TinyDBStore(tmp_path)
    edges = np.arange(12, dtype=np.int64).reshape(3, 4)
    store.put_arrays("inferences/abc-1", {"edges": edges, "ids": np.array(["1", "10"])})
    loaded = store.get_arrays("inferences/abc-1")
    assert np.array_equal(loaded["edges"], edges) and loaded["ids"].tolist() == ["1", "10"]
    store.delete_arrays("inferences/abc-1")
    with pytest.raises(NotFoundError):
        store.get_arrays("inferences/abc-1")
    for bad in ("../outside", "/etc/passwd", "a/../../b", "", "a.b"):
        with pytest.raises(ValueError, match="bad array key"):
            store.put_arrays(bad, {"x": edges})
    assert not (tmp_path.parent / "outside.npz").exists()


def test_writes_in_a_together_block_land_in_one_write_or_not_at_all(tmp_path: Path) -> None:
    store = TinyDBStore(tmp_path)
    store.insert(project("p", "before"))
    revision = store.revision()
    with store.together():
        store.insert(inference("i", "p"))
        store.update(ProjectRecord, "p", name="during")
        with store.together():  # a block inside a block: written with the outer one
            store.insert(JobRecord(id="j"))
        assert store.get(ProjectRecord, "p").name == "during"  # the block sees its own writes
        assert store.revision() == revision  # nothing written yet
    assert store.revision() != revision
    reopened = TinyDBStore(tmp_path)  # as another process sees the folder
    assert reopened.get(ProjectRecord, "p").name == "during"
    assert reopened.find(InferenceRecord, "i") is not None and reopened.find(JobRecord, "j") is not None
    revision = store.revision()
    with pytest.raises(RuntimeError, match="midway"), store.together():
        store.insert(inference("lost", "p"))
        store.update(ProjectRecord, "p", name="lost")
        raise RuntimeError("midway")
    assert store.revision() == revision
    assert store.find(InferenceRecord, "lost") is None and store.get(ProjectRecord, "p").name == "during"
    store.update(ProjectRecord, "p", name="after")  # the store works on as before
    assert TinyDBStore(tmp_path).get(ProjectRecord, "p").name == "after"


def test_deleting_arrays_also_removes_a_write_cut_off_midway_and_nothing_else(tmp_path: Path) -> None:
    """A worker killed while writing leaves the temporary file of ``atomic_write``; deleting its key
    removes it, and leaves other keys (even one whose name starts the same) alone."""
    store = TinyDBStore(tmp_path)
    store.put_arrays("inferences/abc", {"x": np.arange(3)})
    store.put_arrays("inferences/abc-2", {"x": np.arange(3)})
    folder = tmp_path / "blobs" / "inferences"
    (folder / ".abc.npz.k2j4_x.tmp").write_bytes(b"half")
    (folder / ".abc-2.npz.q8w1.tmp").write_bytes(b"half")
    store.delete_arrays("inferences/abc")
    assert sorted(path.name for path in folder.iterdir()) == [".abc-2.npz.q8w1.tmp", "abc-2.npz"]
    store.delete_arrays("inferences/never-written")  # nothing to do


def test_atomic_write_keeps_the_old_file_when_the_new_one_cannot_be_put_in_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "db.json"
    atomic_write(target, b'{"good": 1}')

    def crash(source: str, destination: str) -> None:
        raise OSError("power cut")

    monkeypatch.setattr("engine.storage.store.os.replace", crash)
    with pytest.raises(OSError, match="power cut"):
        atomic_write(target, b'{"half": ')
    assert json.loads(target.read_bytes()) == {"good": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["db.json"]


def test_threads_writing_at_once_lose_nothing(tmp_path: Path) -> None:
    store = TinyDBStore(tmp_path)

    def writer(k: int) -> None:
        for i in range(40):
            store.insert(JobRecord(id=f"t{k}-{i}", status="queued"))
            store.update(JobRecord, f"t{k}-{i}", status="running")

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    jobs = store.select(JobRecord)
    assert len(jobs) == 160 and {j.status for j in jobs} == {"running"}


def _process_writer(folder: str, prefix: str) -> None:
    store = TinyDBStore(folder)
    for i in range(50):
        store.insert(UserRecord(id=f"{prefix}{i}", email=f"{prefix}{i}@example.org", role="user",
                                created="2026-01-01T00:00:00.000Z"))


def test_processes_writing_at_once_lose_nothing_and_readers_see_their_writes(tmp_path: Path) -> None:
    reader = TinyDBStore(tmp_path)
    assert reader.select(UserRecord) == []  # parsed and cached before the other processes write
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_process_writer, args=(str(tmp_path), p)) for p in "ab"]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
        assert worker.exitcode == 0
    assert len(reader.select(UserRecord)) == 100
    data = json.loads((tmp_path / "phylodash.json").read_text())
    assert len(data["users"]) == 100


def test_the_revision_changes_with_every_write_from_any_process(tmp_path: Path) -> None:
    store = TinyDBStore(tmp_path)
    seen = {store.revision()}
    store.insert(JobRecord(id="j1"))
    seen.add(store.revision())
    assert store.revision() in seen and len(seen) == 2
    store.select(JobRecord)  # reading changes nothing
    assert len(seen | {store.revision()}) == 2
    TinyDBStore(tmp_path).update(JobRecord, "j1", status="running")  # another writer
    assert store.revision() not in seen


def test_update_where_changes_every_match_in_one_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = TinyDBStore(tmp_path)
    for n in range(20):
        store.insert(inference(f"i{n}", "p" if n % 2 else "q"))
    writes = []
    monkeypatch.setattr(
        "engine.storage.store.atomic_write",
        lambda path, data: writes.append(path) or atomic_write(path, data),
    )
    changed = store.update_where(InferenceRecord, lambda r: r.project_id == "p",
                                 lambda r: {"deprecated": True})
    assert len(writes) == 1 and sorted(r.id for r in changed) == sorted(f"i{n}" for n in range(1, 20, 2))
    assert all(r.deprecated for r in changed)
    assert [r.id for r in store.select(InferenceRecord, lambda r: r.deprecated)] == [r.id for r in changed]
