"""One TinyDB file of a data folder, parsed once and kept in memory with an index of its record ids.

:class:`AtomicJSONStorage` is TinyDB's storage over the file: read and written with orjson, every
write announced in the folder's change log (:class:`~engine.storage.files.ChangeLog`) and then replacing
the file atomically, writes held back inside a block of several. :class:`DatabaseFile` adds the index
of record ids and the table operations :class:`~engine.storage.store.TinyDBStore` builds on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import orjson
from tinydb.storages import Storage
from tinydb.table import Document, Table

from engine.storage.files import ChangeLog, atomic_write

Documents = dict[str, dict[str, dict[str, Any]]]  # table -> TinyDB document id -> document


def copy_json(value: Any) -> Any:
    """A deep copy of a JSON value (dicts, lists, scalars); much faster than copy.deepcopy."""
    if isinstance(value, dict):
        return {key: copy_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [copy_json(item) for item in value]
    return value


def _shared_strings(data: Documents) -> Documents:
    """``data`` with each string value of the documents' fields held once (a project's id, its dataset's,
    an algorithm, a content key repeat in every job): a parsed file then takes about a third less
    memory (3.0 instead of 4.7 MB per 1,000 jobs with their trees)."""
    seen: dict[str, str] = {}
    for rows in data.values():
        for document in rows.values():
            for name, value in document.items():
                if type(value) is str:
                    document[name] = seen.setdefault(value, value)
    return data


def file_stamp(path: Path) -> tuple[int, int, int] | None:
    """(inode, mtime, size) of a file, or None when there is none."""
    try:
        status = path.stat()
    except FileNotFoundError:
        return None
    return (status.st_ino, status.st_mtime_ns, status.st_size)


class AtomicJSONStorage(Storage):
    """TinyDB storage over one file: parsed once and kept until :meth:`drop`; every write calls
    ``announce()`` and then replaces the file atomically.

    Between :meth:`hold` and :meth:`release` writes stay in memory (reads see them) and the file is
    written once at the end; :meth:`forget` drops them instead.
    """

    def __init__(self, path: Path, announce: Callable[[], None]) -> None:
        self._path = path
        self._announce = announce
        self._stamp: tuple[int, int, int] | None = None
        self._data: Documents | None = None
        self._holding = False
        self._pending = False  # a write is held back
        #: Changes whenever the documents in memory are replaced by others than this process's own
        #: edits (a parse, a drop): an index of them must then be rebuilt.
        self.generation = 0
        #: Changes with every write to the file by this process and with every drop.
        self.changes = 0


    def read(self) -> Documents | None:
        if self._data is None:
            self._stamp = file_stamp(self._path)
            if self._stamp is None:
                return None
            self._data = _shared_strings(orjson.loads(self._path.read_bytes()))
            self.generation += 1
        return self._data

    def write(self, data: Documents) -> None:
        if self._holding:
            self._data, self._pending = data, True
            return
        self._announce()
        try:
            atomic_write(self._path, orjson.dumps(data))
        except BaseException:
            self.drop()
            raise
        self._data = data
        self._stamp = file_stamp(self._path)
        self.changes += 1

    def changed_on_disk(self) -> bool:
        """Whether the file is not the one last read or written here."""
        return file_stamp(self._path) != self._stamp

    def drop(self) -> None:
        """Forget the parsed documents: the next read parses the file again."""
        self._data = self._stamp = None
        self.generation += 1
        self.changes += 1

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
        self.drop()

    def close(self) -> None:
        self._data = None


class DatabaseFile:
    """One TinyDB file of the folder: its documents, kept in memory, with an index of record ids.

    Parameters
    ----------
    folder : Path
        The data folder.
    name : str
        The file's path in the folder (``phylodash.json`` or ``projects/<id>.json``).
    log : ChangeLog
        Where each write is announced to other processes.
    """

    def __init__(self, folder: Path, name: str, log: ChangeLog) -> None:
        self.name = name
        self.storage = AtomicJSONStorage(folder / name, lambda: log.append(name))
        self._index: dict[str, dict[str, int]] = {}  # table -> record id -> TinyDB document id
        self._next: dict[str, int] = {}  # table -> the next document id
        self._generation = -1

    def _data(self) -> tuple[Documents, dict[str, dict[str, int]]]:
        """The documents and the index, rebuilt when the documents were replaced (a parse, a drop)."""
        data = self.storage.read() or {}
        if self._generation != self.storage.generation:
            self._index = {table: {document["id"]: int(key) for key, document in rows.items()}
                           for table, rows in data.items()}
            self._next = {table: max(map(int, rows), default=0) + 1 for table, rows in data.items()}
            self._generation = self.storage.generation
        return data, self._index

    def has(self, table: str, record_id: str) -> bool:
        """Whether the file holds the record ``record_id`` of ``table``."""
        return record_id in self._data()[1].get(table, {})

    def document(self, table: str, record_id: str) -> dict[str, Any] | None:
        """The stored document of a record (not a copy), or None."""
        data, index = self._data()
        key = index.get(table, {}).get(record_id)
        return None if key is None else data[table][str(key)]

    def documents(self, table: str) -> Iterable[dict[str, Any]]:
        """The stored documents of ``table`` (not copies), in insertion order."""
        return self._data()[0].get(table, {}).values()

    def insert(self, table: str, document: dict[str, Any]) -> None:
        """Add a document (its ``id`` is not in the table yet)."""
        _, index = self._data()
        key = self._next.get(table, 1)
        Table(self.storage, table, cache_size=0).insert(Document(document, key))
        self._next[table] = key + 1
        index.setdefault(table, {})[document["id"]] = key

    def update(self, table: str, documents: Mapping[str, dict[str, Any]]) -> None:
        """Replace the documents of these record ids (all in the table), in one write."""
        _, index = self._data()

        def replace(stored: dict[str, Any]) -> None:
            new = documents[stored["id"]]
            stored.clear()
            stored.update(new)

        keys = [index[table][record_id] for record_id in documents]
        Table(self.storage, table, cache_size=0).update(replace, doc_ids=keys)

    def remove(self, table: str, record_id: str) -> None:
        """Remove the document of a record (in the table)."""
        _, index = self._data()
        Table(self.storage, table, cache_size=0).remove(doc_ids=[index[table][record_id]])
        del index[table][record_id]
