"""TinyDBStore on a real file: typed records, arrays, atomic writes, threads and processes at once."""

from __future__ import annotations

import json
import multiprocessing
import threading
from pathlib import Path

import numpy as np
import pytest

from engine.errors import ConflictError, NotFoundError, ParameterError
from engine.storage.files import atomic_write
from engine.storage.records import InferenceRecord, JobRecord, ProjectRecord, UserRecord
from engine.storage.store import TinyDBStore


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

    monkeypatch.setattr("engine.storage.files.os.replace", crash)
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
        "engine.storage.database_file.atomic_write",
        lambda path, data: writes.append(path) or atomic_write(path, data),
    )
    changed = store.update_where(InferenceRecord, lambda r: r.project_id == "p",
                                 lambda r: {"deprecated": True})
    assert len(writes) == 1 and sorted(r.id for r in changed) == sorted(f"i{n}" for n in range(1, 20, 2))
    assert all(r.deprecated for r in changed)
    assert [r.id for r in store.select(InferenceRecord, lambda r: r.deprecated)] == [r.id for r in changed]


def job(job_id: str, project_id: str, status: str = "queued") -> JobRecord:
    return JobRecord(id=job_id, project_id=project_id, status=status)


def written_files(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the database files written from now on, in order (arrays are not counted)."""
    writes: list[str] = []

    def spy(path: Path, data: bytes) -> None:
        writes.append(path.name)
        atomic_write(path, data)

    monkeypatch.setattr("engine.storage.database_file.atomic_write", spy)
    return writes


def test_each_project_has_its_own_file_and_a_write_rewrites_only_the_file_it_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = TinyDBStore(tmp_path)
    store.insert(project("p1", "one"))
    for n in range(3):
        store.insert(job(f"a{n}", "p1"))
        store.insert(job(f"b{n}", "p2"))
    assert sorted(path.name for path in (tmp_path / "projects").iterdir()) == ["p1.json", "p2.json"]
    assert json.loads((tmp_path / "phylodash.json").read_text())["projects"]["1"]["id"] == "p1"
    assert "jobs" not in json.loads((tmp_path / "phylodash.json").read_text())
    writes = written_files(monkeypatch)
    store.update(JobRecord, "a1", status="running")
    store.insert(job("b3", "p2"))
    store.update(ProjectRecord, "p1", name="One")
    assert writes == ["p1.json", "p2.json", "phylodash.json"]
    assert [r.id for r in store.select(JobRecord, project="p2")] == ["b0", "b1", "b2", "b3"]
    assert [r.id for r in store.select(JobRecord, lambda r: r.status == "running")] == ["a1"]
    assert store.select(JobRecord, project="p9") == [] and not (tmp_path / "projects" / "p9.json").exists()
    changed = store.update_where(JobRecord, lambda r: True, lambda r: {"status": "failed"}, project="p1")
    assert sorted(r.id for r in changed) == ["a0", "a1", "a2"] and writes[-1] == "p1.json"


def test_another_process_s_write_is_read_again_from_the_file_it_changed_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reader, writer = TinyDBStore(tmp_path), TinyDBStore(tmp_path)  # two processes' views of one folder
    for n in range(3):
        writer.insert(job(f"j{n}", f"p{n}"))
    assert len(reader.select(JobRecord)) == 3  # the reader parsed the new files once
    parsed: list[str] = []
    read_bytes = Path.read_bytes

    def spy(path: Path) -> bytes:
        parsed.append(path.name)
        return read_bytes(path)

    monkeypatch.setattr(Path, "read_bytes", spy)
    assert reader.get(JobRecord, "j1").status == "queued" and parsed == []  # nothing changed: nothing read
    writer.update(JobRecord, "j1", status="running")
    assert reader.get(JobRecord, "j1").status == "running"
    assert reader.get(JobRecord, "j2").status == "queued"
    assert parsed == ["p1.json"]


def test_a_crash_between_the_files_of_a_together_block_leaves_only_an_unreachable_project_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The projects' files are replaced before the global file: a crash in between leaves the records of
    a project whose record was not written, never a project that lacks what the block gave it."""
    store = TinyDBStore(tmp_path)
    writes = written_files(monkeypatch)
    write = atomic_write

    def power_cut_at_the_global_file(path: Path, data: bytes) -> None:
        writes.append(path.name)
        if path.name == "phylodash.json":
            raise OSError("power cut")
        write(path, data)

    monkeypatch.setattr("engine.storage.database_file.atomic_write", power_cut_at_the_global_file)
    with pytest.raises(OSError, match="power cut"), store.together():
        store.insert(project("new", "new"))
        store.insert(job("j", "new"))
    assert writes == ["new.json", "phylodash.json"]
    monkeypatch.undo()
    reopened = TinyDBStore(tmp_path)
    assert reopened.find(ProjectRecord, "new") is None  # so nothing lists or opens the project's file
    assert store.find(ProjectRecord, "new") is None  # the failed process forgot it too
    assert reopened.get(JobRecord, "j").project_id == "new"  # the orphan, harmless


def test_ids_are_unique_and_a_record_stays_in_its_project(tmp_path: Path) -> None:
    store = TinyDBStore(tmp_path)
    store.insert(job("j", "p1"))
    with pytest.raises(ConflictError, match="already a job j"):
        store.insert(job("j", "p2"))
    with pytest.raises(ParameterError, match="stays in its project"):
        store.update(JobRecord, "j", project_id="p2")
    with pytest.raises(ParameterError, match="bad project id"):
        store.insert(job("k", "../p1"))
    store.delete(JobRecord, "j")
    store.insert(job("j", "p2"))  # a removed id may come back, in another project
    assert store.get(JobRecord, "j").project_id == "p2" and store.select(JobRecord, project="p1") == []


def test_a_new_change_log_or_a_line_cut_short_makes_a_reader_look_at_every_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reader, writer = TinyDBStore(tmp_path), TinyDBStore(tmp_path)
    writer.insert(job("j", "p1"))
    assert reader.get(JobRecord, "j").status == "queued"
    monkeypatch.setattr("engine.storage.files.ROTATE_AT", 0)  # the writer's next write starts a new log
    writer.update(JobRecord, "j", status="running")
    assert (tmp_path / "changes.log").read_text() == "projects/p1.json\n"
    assert reader.get(JobRecord, "j").status == "running"
    monkeypatch.undo()
    with open(tmp_path / "changes.log", "ab") as log:
        log.write(b"projects/p")  # a writer that died while appending
    writer.update(JobRecord, "j", status="failed")  # its line runs into the cut one
    assert reader.get(JobRecord, "j").status == "failed"
    writer.insert(job("k", "p2"))
    assert reader.get(JobRecord, "k").project_id == "p2"


def test_select_stops_looking_once_it_has_what_was_asked_for(tmp_path: Path) -> None:
    store = TinyDBStore(tmp_path)
    for n in range(10):
        store.insert(job(f"j{n}", "p", "queued" if n % 2 else "running"))
    looked: list[str] = []

    def queued(record: JobRecord) -> bool:
        looked.append(record.id)
        return record.status == "queued"

    newest = store.select(JobRecord, queued, project="p", newest_first=True, stop=2)
    assert [r.id for r in newest] == ["j9", "j7"]
    assert looked == ["j9", "j8", "j7"]
    assert [r.id for r in store.select(JobRecord, queued, start=1, stop=3)] == ["j3", "j5"]


def test_a_project_s_revision_changes_with_its_records_only(tmp_path: Path) -> None:
    store, other_process = TinyDBStore(tmp_path), TinyDBStore(tmp_path)
    assert store.revision("p1") == store.revision("p1")
    store.insert(job("a", "p1"))
    store.insert(job("b", "p2"))
    seen = store.revision("p1")
    store.update(JobRecord, "b", status="running")
    store.insert(project("p1", "one"))  # the project's own record lives in the global file
    assert store.revision("p1") == seen
    for status in ("failed", "queued"):  # back to back, files alike in size
        store.update(JobRecord, "a", status=status)
        assert store.revision("p1") != seen
        seen = store.revision("p1")
    other_process.update(JobRecord, "a", status="queued")
    assert store.revision("p1") != seen
    with pytest.raises(ParameterError, match="bad project id"):
        store.revision("../p1")
