"""Storage of PhyloDash's records (TinyDB) and bulky arrays (files beside them).

The only TinyDB user, with :mod:`engine.storage.database_file` (one file's storage). Records are
the typed, frozen records of :mod:`engine.storage.records`, one table per type (users, projects,
datasets, jobs, inferences, visualizations, partitions), stored as JSON objects; arrays (profile
matrices, edge lists, coordinates) live in ``.npz`` files under ``blobs/``
(:mod:`engine.storage.arrays`). A folder written by an earlier version is migrated when it is
opened (:mod:`engine.storage.migrations`).

The records are split so that a write touches only what it changes: ``phylodash.json`` holds the
users, the projects and the records of no project; ``projects/<id>.json`` holds the datasets, jobs and
results of one project. Each is a TinyDB file, parsed once and kept in memory with an index of its
record ids (:class:`~engine.storage.database_file.DatabaseFile`); a process re-reads only the files
another process replaced (``changes.log``, :mod:`engine.storage.files`).

The files are TinyDB's JSON, read and written with orjson (an 860 kB project file of 500 jobs with their
trees is encoded in 1 ms instead of 13 with the standard library, and parsed in half the time).

TinyDB is safe neither across threads nor across processes (msiemens/tinydb ``docs/intro.rst``), so
every operation holds a thread lock and an exclusive ``flock`` on ``store.lock``, and every write
replaces its file atomically (temporary file, fsync, rename): a crash at any moment leaves each file
in its last good state. The writes inside :meth:`Store.together` are kept in memory and each file
they touched is replaced once at the end, under the lock, so no reader of any process sees part of
them. A crash between two of those replacements (a block that touched several files) leaves the
project files written and the global file not: they are written first, so what a crash can leave is a
project's record whose global record (its project) is not there yet, which nothing can reach. Blobs are
written the same way, before the record that points at them.
"""

from __future__ import annotations

import dataclasses
import fcntl
import functools
import itertools
import os
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from engine.errors import ConflictError, NotFoundError, ParameterError, PhyloDashError
from engine.storage.arrays import ArrayFiles, ArrayReader, ArrayWriter
from engine.storage.database_file import DatabaseFile, copy_json, file_stamp
from engine.storage.files import ChangeLog
from engine.storage.migrations import migrate, split_by_project
from engine.storage.records import R, StoredRecord, from_document, to_document

#: The file of the users, the projects and the records of no project.
GLOBAL_FILE = "phylodash.json"
#: The folder of the projects' files, ``<id>.json`` each.
PROJECTS_FOLDER = "projects"



class Store(ABC):
    """Typed records in tables plus named arrays; what the API, the dashboard and the job runner use.

    Each record type (:mod:`engine.storage.records`) has its own table. A deployment may implement
    this over another database; callers see only these methods.
    """

    @abstractmethod
    def insert(self, record: R) -> R:
        """Store a new record and return it; ConflictError when its table has a record of that id."""

    @abstractmethod
    def get(self, kind: type[R], record_id: str) -> R:
        """The record of type ``kind`` with this id; NotFoundError when there is none."""

    @abstractmethod
    def find(self, kind: type[R], record_id: str) -> R | None:
        """The record of type ``kind`` with this id, or None."""

    @abstractmethod
    def update(self, kind: type[R], record_id: str, **changes: Any) -> R:
        """Set fields of a record and return the new record; NotFoundError when there is none."""

    @abstractmethod
    def update_where(self, kind: type[R], match: Callable[[R], bool],
                     change: Callable[[R], Mapping[str, Any]], *, project: str | None = None) -> list[R]:
        """Apply ``change(record)`` to every record that ``match`` accepts (among the records of
        ``project`` when given: those whose ``project_id`` it is), in one locked step that takes effect
        as a :meth:`together` block does, and return the changed records."""

    @abstractmethod
    def delete(self, kind: type[R], record_id: str) -> None:
        """Remove a record; NotFoundError when there is none."""

    @abstractmethod
    def select(self, kind: type[R], match: Callable[[R], bool] | None = None, *, project: str | None = None,
               newest_first: bool = False, start: int = 0, stop: int | None = None) -> list[R]:
        """The records of type ``kind`` that ``match`` accepts (all when None), in insertion order (or
        newest first), items ``start`` to ``stop`` of them (all by default).

        With ``project``, only the records whose ``project_id`` it is are looked at (what the store
        can do without reading other projects' records); without it, every record of the type, in
        insertion order within each project (the records of no project first, then project by
        project).
        """

    @abstractmethod
    def put_arrays(self, key: str, arrays: Mapping[str, np.ndarray]) -> None:
        """Store named arrays under ``key`` (a path-like name of letters, digits, ``-_/``)."""

    @abstractmethod
    def get_arrays(self, key: str) -> dict[str, np.ndarray]:
        """The arrays stored under ``key``; NotFoundError when there are none."""

    @abstractmethod
    def delete_arrays(self, key: str) -> None:
        """Remove the arrays stored under ``key`` (nothing when there are none)."""

    @abstractmethod
    def together(self) -> AbstractContextManager[None]:
        """A ``with`` block whose writes of records take effect together: readers, here or in another
        process, see all of them or none; when the block raises, none of them is made. After a crash,
        the records of one project (and those of no project) are all there or none is; an
        implementation that keeps projects apart says what a crash may leave of a block that wrote
        to several."""

    @abstractmethod
    def revision(self, project: str | None = None) -> object:
        """A value that changes whenever any record changes, or with ``project`` any record of that project
        (for caches of what is derived from them)."""

    @abstractmethod
    def arrays_reader(self) -> ArrayReader:
        """A picklable reader of the stored arrays, for worker processes."""

    @abstractmethod
    def arrays_writer(self) -> ArrayWriter:
        """A picklable writer of arrays, for worker processes that store a job's result arrays (the
        server then stores the record that points at them, or removes them)."""


class TinyDBStore(Store):
    """The embedded default: TinyDB files in a data folder, plus ``<folder>/blobs/``.

    ``phylodash.json`` holds the users, the projects and the records of no project;
    ``projects/<id>.json`` the records of one project (``project_id``); ``store.lock`` is the lock
    every process takes and ``changes.log`` tells each process which files the others replaced.
    Every file is parsed when first read and kept in memory (about 4 MB per 1,000 jobs with their
    results), so a look-up by id or a project's list reads no file.

    Parameters
    ----------
    folder : path-like
        Data folder; created when missing.

    Raises
    ------
    PhyloDashError
        When the folder was written by a newer version of PhyloDash.
    """

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.arrays = ArrayFiles(self.folder / "blobs")
        self._thread_lock = threading.RLock()
        self._lock_path = self.folder / "store.lock"
        self._locked_here = False  # this process holds the file lock (only its holder thread changes it)
        self._log = ChangeLog(self.folder / "changes.log")
        self._files: dict[str, DatabaseFile] = {}  # by name, the global file first
        self._located: dict[str, dict[str, str]] = {}  # table -> record id -> file name (a hint)
        self._held: dict[str, DatabaseFile] | None = None  # files written in a together block
        with self._locked(refresh=False):
            self._log.news()  # every file is read from its current state: follow the log from here
            self._file("")
            self._find_project_files()
            self._migrate()

    # -- files and locks -------------------------------------------------------------------------

    @contextmanager
    def _locked(self, *, refresh: bool = True) -> Iterator[None]:
        """Hold the thread lock and the file lock, first re-reading what other processes changed;
        inside a block that holds them already, nothing more."""
        with self._thread_lock:
            if self._locked_here:
                yield
                return
            with open(self._lock_path, "a+b") as lock:
                fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
                self._locked_here = True
                try:
                    if refresh:
                        self._refresh()
                    yield
                finally:
                    self._locked_here = False
                    fcntl.flock(lock.fileno(), fcntl.LOCK_UN)

    def _file(self, project: str) -> DatabaseFile:
        """The file of a project's records ("" for the global file), parsed when first read.
        ParameterError for a project id that cannot name a file."""
        name = GLOBAL_FILE if not project else f"{PROJECTS_FOLDER}/{project}.json"
        found = self._files.get(name)
        if found is None:
            if project and not _names_a_file(project):
                raise ParameterError(f"bad project id {project!r}")
            found = self._files[name] = DatabaseFile(self.folder, name, self._log)
        return found

    def _find_project_files(self) -> None:
        """Know every project's file in the folder (they are parsed when first read)."""
        for path in sorted((self.folder / PROJECTS_FOLDER).glob("*.json")):
            if _names_a_file(path.stem):
                self._file(path.stem)

    def _refresh(self) -> None:
        """Drop the parsed documents of the files other processes replaced since the last look."""
        names = self._log.news()
        if names == []:
            return
        projects = None if names is None else [_project_of(name) for name in names]
        if projects is None or None in projects:  # the log was replaced, or a line was cut: look at all
            self._find_project_files()
            for file in self._files.values():
                if file.storage.changed_on_disk():
                    file.storage.drop()
            return
        for project in projects:
            self._file(project or "").storage.drop()

    def _writing(self, file: DatabaseFile) -> DatabaseFile:
        """``file``, which is about to be written: inside a together block, its writes are held."""
        if self._held is not None and file.name not in self._held:
            file.storage.hold()
            self._held[file.name] = file
        return file

    def _where(self, kind: type[StoredRecord], record_id: str) -> DatabaseFile | None:
        """The file that holds a record, or None."""
        name = self._located.get(kind.TABLE, {}).get(record_id)
        if name is not None and self._files[name].has(kind.TABLE, record_id):
            return self._files[name]
        for file in self._files_of(kind, None):
            if file.has(kind.TABLE, record_id):
                self._located.setdefault(kind.TABLE, {})[record_id] = file.name
                return file
        return None

    def _files_of(self, kind: type[StoredRecord], project: str | None) -> list[DatabaseFile]:
        """The files that may hold records of ``kind``: one project's (none when it has no file yet), or
        every file (only the global one for a type that belongs to no project)."""
        if not _in_projects(kind):
            return [] if project else [self._file("")]
        if project is None:
            return list(self._files.values())
        name = f"{PROJECTS_FOLDER}/{project}.json"
        return [self._file(project)] if name in self._files or (self.folder / name).exists() else []

    @contextmanager
    def together(self) -> Iterator[None]:
        with self._locked():
            if self._held is not None:  # inside another together block: it writes at its end
                yield
                return
            self._held = held = {}
            try:
                yield
                # The projects' files first: a crash before the global file is replaced leaves records
                # of a project that is not stored yet, which nothing reaches.
                for file in sorted(held.values(), key=lambda file: file.name == GLOBAL_FILE):
                    file.storage.release()
            except BaseException:
                for file in held.values():
                    if file.storage.holding:
                        file.storage.forget()
                raise
            finally:
                self._held = None

    def _migrate(self) -> None:
        """Bring a folder written by an earlier version to today's format: every project's file first,
        then the global file with today's version (a crash in between migrates again on the next
        opening, from the global file, which was left as it was)."""
        storage = self._files[GLOBAL_FILE].storage
        try:
            migrated = migrate(storage.read() or {})
        except ValueError as error:
            raise PhyloDashError(f"{self.folder}: {error}") from None
        if migrated is None:
            return
        files = split_by_project(migrated)
        for project, documents in sorted(files.items(), key=lambda item: not item[0]):
            file = self._file(project)
            file.storage.write(documents)
            file.storage.drop()

    # -- records ---------------------------------------------------------------------------------

    def insert(self, record: R) -> R:
        document = to_document(record)
        table = record.TABLE
        with self._locked():
            if self._where(type(record), record.id) is not None:
                raise ConflictError(f"there is already a {table[:-1]} {record.id}")
            file = self._file(document.get("project_id") or "")
            self._writing(file).insert(table, document)
            self._located.setdefault(table, {})[record.id] = file.name
        return record

    def find(self, kind: type[R], record_id: str) -> R | None:
        with self._locked():
            file = self._where(kind, record_id)
            found = None if file is None else file.document(kind.TABLE, record_id)
            return None if found is None else from_document(kind, copy_json(found))

    def get(self, kind: type[R], record_id: str) -> R:
        found = self.find(kind, record_id)
        if found is None:
            raise NotFoundError(f"there is no {kind.TABLE[:-1]} {record_id}")
        return found

    def update(self, kind: type[R], record_id: str, **changes: Any) -> R:
        with self._locked():
            file = self._where(kind, record_id)
            found = None if file is None else file.document(kind.TABLE, record_id)
            if file is None or found is None:
                raise NotFoundError(f"there is no {kind.TABLE[:-1]} {record_id}")
            changed = from_document(kind, copy_json(found)).replace(**changes)
            document = to_document(changed)
            if document.get("project_id") != found.get("project_id"):
                raise ParameterError(f"a {kind.TABLE[:-1]} stays in its project")
            self._writing(file).update(kind.TABLE, {record_id: document})
        return changed

    def update_where(self, kind: type[R], match: Callable[[R], bool],
                     change: Callable[[R], Mapping[str, Any]], *, project: str | None = None) -> list[R]:
        changed: list[R] = []
        with self.together():  # every file changed is written at the end, or none is
            for file in self._files_of(kind, project):
                records = [from_document(kind, copy_json(document)) for document in file.documents(kind.TABLE)
                           if match(from_document(kind, document))]
                new = [record.replace(**change(record)) for record in records]
                if new:
                    self._writing(file).update(kind.TABLE, {record.id: to_document(record) for record in new})
                    changed += new
        return changed

    def delete(self, kind: type[R], record_id: str) -> None:
        with self._locked():
            file = self._where(kind, record_id)
            if file is None:
                raise NotFoundError(f"there is no {kind.TABLE[:-1]} {record_id}")
            self._writing(file).remove(kind.TABLE, record_id)
            self._located[kind.TABLE].pop(record_id, None)

    def select(self, kind: type[R], match: Callable[[R], bool] | None = None, *, project: str | None = None,
               newest_first: bool = False, start: int = 0, stop: int | None = None) -> list[R]:
        with self._locked():
            documents = [document for file in self._files_of(kind, project)
                         for document in file.documents(kind.TABLE)]
            if newest_first:
                documents.reverse()
            # ``match`` sees the stored mappings themselves (no copy), and only until ``stop`` records
            # matched; what is returned is copied.
            matching = (document for document in documents
                        if match is None or match(from_document(kind, document)))
            chosen = itertools.islice(matching, start, stop)
            return [from_document(kind, copy_json(document)) for document in chosen]

    # -- arrays ----------------------------------------------------------------------------------

    def put_arrays(self, key: str, arrays: Mapping[str, np.ndarray]) -> None:
        self.arrays.put(key, arrays)

    def get_arrays(self, key: str) -> dict[str, np.ndarray]:
        return self.arrays.get(key)

    def delete_arrays(self, key: str) -> None:
        self.arrays.delete(key)

    def arrays_reader(self) -> ArrayFiles:
        return self.arrays

    def arrays_writer(self) -> ArrayFiles:
        return self.arrays

    def revision(self, project: str | None = None) -> object:
        if project is None:  # every write of any process appends to the change log first
            return self._log.revision()
        # The file as it is on disk (another process may have replaced it), and how often this process
        # wrote it or dropped what it had read (two writes may leave files alike in inode, time and size).
        if not _names_a_file(project):
            raise ParameterError(f"bad project id {project!r}")
        name = f"{PROJECTS_FOLDER}/{project}.json"
        file = self._files.get(name)
        return file_stamp(self.folder / name), None if file is None else file.storage.changes


def _project_of(name: str) -> str | None:
    """The project whose file ``name`` is ("" for the global file), or None for a name no file has."""
    if name == GLOBAL_FILE:
        return ""
    project = name.removeprefix(f"{PROJECTS_FOLDER}/").removesuffix(".json")
    if name != f"{PROJECTS_FOLDER}/{project}.json" or not _names_a_file(project):
        return None
    return project


@functools.cache
def _in_projects(kind: type[StoredRecord]) -> bool:
    """Whether records of ``kind`` belong to a project (they have a ``project_id``)."""
    return any(field.name == "project_id" for field in dataclasses.fields(kind))


def _names_a_file(project: str) -> bool:
    """Whether a project id may name its file: letters, digits, ``-`` and ``_`` only."""
    return bool(project) and all(c.isalnum() or c in "-_" for c in project)
