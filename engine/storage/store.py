"""Storage of PhyloDash's records (TinyDB) and bulky arrays (files beside it).

The only TinyDB user. Records are the typed, frozen records of :mod:`engine.storage.records`, one
table per type (users, projects, datasets, jobs, inferences, visualizations), stored as JSON objects;
arrays (profile matrices, edge lists, coordinates) live in ``.npz`` files under ``blobs/`` next to the
database file. A folder written by an earlier version is migrated when it is opened
(:mod:`engine.storage.migrations`).

TinyDB is safe neither across threads nor across processes (msiemens/tinydb ``docs/intro.rst``),
so every operation holds a thread lock and an exclusive ``flock`` on ``store.lock``; the database
file is re-read only when it changed on disk (another process wrote it), and every write replaces
the file atomically (temporary file, fsync, rename), so a crash at any moment leaves the last good
state. The writes inside :meth:`Store.together` make one such replacement. Blobs are written the
same way, before the record that points at them.
"""

from __future__ import annotations

import fcntl
import glob
import io
import json
import os
import tempfile
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from tinydb import Query, TinyDB
from tinydb.storages import Storage
from tinydb.table import Table

from engine.errors import NotFoundError, PhyloDashError
from engine.storage.migrations import migrate
from engine.storage.records import R, StoredRecord, from_document, to_document


def atomic_write(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` so that readers see the old or the new file, never a mix."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def _copy(value: Any) -> Any:
    """A deep copy of a JSON value (dicts, lists, scalars); much faster than copy.deepcopy."""
    if isinstance(value, dict):
        return {key: _copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy(item) for item in value]
    return value


class _AtomicJSONStorage(Storage):
    """TinyDB storage that replaces its file atomically and re-parses it only when it changed.

    Between :meth:`hold` and :meth:`release` writes stay in memory (reads see them) and the file is
    written once at the end; :meth:`forget` drops them instead.
    """

    def __init__(self, path: str) -> None:
        self._path = Path(path)
        self._stamp: tuple[int, int, int] | None = None
        self._data: dict[str, dict[str, Any]] | None = None
        self._holding = False
        self._pending = False  # a write is held back

    def current_stamp(self) -> tuple[int, int, int] | None:
        """(inode, mtime, size) of the file, or None when there is no file yet."""
        try:
            status = self._path.stat()
        except FileNotFoundError:
            return None
        return (status.st_ino, status.st_mtime_ns, status.st_size)

    def read(self) -> dict[str, dict[str, Any]] | None:
        if self._pending:
            return self._data
        stamp = self.current_stamp()
        if stamp is None:
            return None
        if stamp != self._stamp or self._data is None:
            self._data = json.loads(self._path.read_bytes())
            self._stamp = stamp
        return self._data

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        if self._holding:
            self._data, self._pending = data, True
            return
        try:
            atomic_write(self._path, json.dumps(data, separators=(",", ":")).encode())
        except BaseException:
            self._data = self._stamp = None
            raise
        self._data = data
        self._stamp = self.current_stamp()

    @property
    def holding(self) -> bool:
        """True between :meth:`hold` and :meth:`release` (or :meth:`forget`)."""
        return self._holding

    def hold(self) -> None:
        """Keep the next writes in memory until :meth:`release` or :meth:`forget`."""
        self._holding, self._pending = True, False

    def release(self) -> None:
        """Write what was held back, in one atomic write."""
        self._holding = False
        if self._pending:
            self._pending = False
            assert self._data is not None
            self.write(self._data)

    def forget(self) -> None:
        """Drop what was held back; the next read reads the file again."""
        self._holding = self._pending = False
        self._data = self._stamp = None

    def close(self) -> None:
        self._data = None


class Store(ABC):
    """Typed records in tables plus named arrays; what the API, the dashboard and the job runner use.

    Each record type (:mod:`engine.storage.records`) has its own table. A deployment may implement
    this over another database; callers see only these methods.
    """

    @abstractmethod
    def insert(self, record: R) -> R:
        """Store a new record (its ``id`` must be unique in its table) and return it."""

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
                     change: Callable[[R], Mapping[str, Any]]) -> list[R]:
        """Apply ``change(record)`` to every record that ``match`` accepts, in one locked step, and
        return the changed records."""

    @abstractmethod
    def delete(self, kind: type[R], record_id: str) -> None:
        """Remove a record; NotFoundError when there is none."""

    @abstractmethod
    def select(self, kind: type[R], match: Callable[[R], bool] | None = None, *, newest_first: bool = False,
               start: int = 0, stop: int | None = None) -> list[R]:
        """The records of type ``kind`` that ``match`` accepts (all when None), in insertion order (or
        newest first), items ``start`` to ``stop`` of them (all by default).
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
        process, see all of them or none, and so does the store after a crash; when the block
        raises, none of them is made."""

    @abstractmethod
    def revision(self) -> object:
        """A value that changes whenever any record changes (for caches of what is derived from them)."""

    @abstractmethod
    def arrays_reader(self) -> ArrayReader:
        """A picklable reader of the stored arrays, for worker processes."""

    @abstractmethod
    def arrays_writer(self) -> ArrayWriter:
        """A picklable writer of arrays, for worker processes that store a job's result arrays (the
        server then stores the record that points at them, or removes them)."""


class ArrayReader(Protocol):
    """Reads the arrays stored under a key, from any process."""

    def get(self, key: str) -> dict[str, np.ndarray]:
        """The arrays stored under ``key``; NotFoundError when there are none."""


class ArrayWriter(Protocol):
    """Writes arrays under a key, from any process."""

    def put(self, key: str, arrays: Mapping[str, np.ndarray]) -> None:
        """Store named arrays under ``key``; readers see the old file or the new one, never a mix."""


class TinyDBStore(Store):
    """The embedded default: ``<folder>/phylodash.json`` plus ``<folder>/blobs/``.

    Parameters
    ----------
    folder : path-like
        Data folder; created when missing.
    """

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.arrays = ArrayFiles(self.folder / "blobs")
        self._thread_lock = threading.RLock()
        self._lock_path = self.folder / "store.lock"
        self._locked_here = False  # this process holds the file lock (only its holder thread changes it)
        self._db = TinyDB(str(self.folder / "phylodash.json"), storage=_AtomicJSONStorage)
        self._migrate()

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """Hold the thread lock and the file lock; inside a block that holds them already, nothing more."""
        with self._thread_lock:
            if self._locked_here:
                yield
                return
            with open(self._lock_path, "a+b") as lock:
                fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
                self._locked_here = True
                try:
                    yield
                finally:
                    self._locked_here = False
                    fcntl.flock(lock.fileno(), fcntl.LOCK_UN)

    @contextmanager
    def together(self) -> Iterator[None]:
        storage = self._db.storage
        with self._locked():
            if storage.holding:  # inside another together block: it writes at its end
                yield
                return
            storage.hold()
            try:
                yield
            except BaseException:
                storage.forget()
                raise
            try:
                storage.release()
            except BaseException:
                storage.forget()
                raise

    def _migrate(self) -> None:
        """Bring a folder written by an earlier version to today's record format, in one write."""
        with self._locked():
            storage = self._db.storage
            try:
                migrated = migrate(storage.read() or {})
            except ValueError as error:
                raise PhyloDashError(f"{self.folder}: {error}") from None
            if migrated is not None:
                storage.write(migrated)

    def _table(self, kind: type[StoredRecord]) -> Table:
        # A fresh Table each time: a cached one would keep its query cache and next document id
        # from before another process wrote the file.
        return Table(self._db.storage, kind.TABLE, cache_size=0)

    def insert(self, record: R) -> R:
        with self._locked():
            self._table(type(record)).insert(to_document(record))
        return record

    def find(self, kind: type[R], record_id: str) -> R | None:
        with self._locked():
            found = self._table(kind).get(Query().id == record_id)
            return from_document(kind, _copy(found)) if found is not None else None

    def get(self, kind: type[R], record_id: str) -> R:
        found = self.find(kind, record_id)
        if found is None:
            raise NotFoundError(f"there is no {kind.TABLE[:-1]} {record_id}")
        return found

    def update(self, kind: type[R], record_id: str, **changes: Any) -> R:
        with self._locked():
            records = self._table(kind)
            found = records.get(Query().id == record_id)
            if found is None:
                raise NotFoundError(f"there is no {kind.TABLE[:-1]} {record_id}")
            changed = from_document(kind, _copy(found)).replace(**changes)
            records.update(to_document(changed), Query().id == record_id)
        return changed

    def update_where(self, kind: type[R], match: Callable[[R], bool],
                     change: Callable[[R], Mapping[str, Any]]) -> list[R]:
        changed: list[R] = []

        def accepts(document: Mapping[str, Any]) -> bool:
            return match(from_document(kind, document))

        def apply(document: dict[str, Any]) -> None:
            record = from_document(kind, _copy(document))
            new = record.replace(**change(record))
            document.update(to_document(new))
            changed.append(new)

        with self._locked():  # one pass, one write: all the changes land together or none does
            self._table(kind).update(apply, accepts)
        return changed

    def delete(self, kind: type[R], record_id: str) -> None:
        with self._locked():
            if not self._table(kind).remove(Query().id == record_id):
                raise NotFoundError(f"there is no {kind.TABLE[:-1]} {record_id}")

    def select(self, kind: type[R], match: Callable[[R], bool] | None = None, *, newest_first: bool = False,
               start: int = 0, stop: int | None = None) -> list[R]:
        with self._locked():
            # ``match`` sees the stored mappings themselves (no copy); what is returned is copied.
            documents = [document for document in self._table(kind).all()
                         if match is None or match(from_document(kind, document))]
            if newest_first:
                documents.reverse()
            return [from_document(kind, _copy(document)) for document in documents[start:stop]]

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

    def revision(self) -> object:
        # Every write replaces the file (a new inode), so its stamp changes with every record change.
        return self._db.storage.current_stamp()


class ArrayFiles:
    """Named arrays as ``<folder>/<key>.npz`` files, written atomically; picklable, so a worker
    process can read its input and write its result without opening the database.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _path(self, key: str) -> Path:
        if not key or not all(c.isalnum() or c in "-_/" for c in key) or ".." in key or key[0] == "/":
            raise ValueError(f"bad array key {key!r}")
        return self.folder / f"{key}.npz"

    def put(self, key: str, arrays: Mapping[str, np.ndarray]) -> None:
        """Store named arrays under ``key``; readers see the old file or the new one, never a mix."""
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        atomic_write(self._path(key), buffer.getvalue())

    def get(self, key: str) -> dict[str, np.ndarray]:
        """The arrays stored under ``key``; NotFoundError when there are none."""
        try:
            with np.load(self._path(key), allow_pickle=False) as stored:
                return {name: stored[name] for name in stored.files}
        except FileNotFoundError:
            raise NotFoundError(f"no stored arrays {key!r}") from None

    def delete(self, key: str) -> None:
        """Remove the arrays stored under ``key`` (nothing when there are none), and what a writer
        stopped in the middle of writing them left behind (its temporary file)."""
        path = self._path(key)
        path.unlink(missing_ok=True)
        if path.parent.is_dir():
            for partial in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
                partial.unlink(missing_ok=True)
