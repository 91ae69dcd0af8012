"""The records PhyloDash keeps: one frozen dataclass per table, and their stored (JSON) form.

Every table's rows are typed: a user, a project, a dataset, a job, an inference or a visualization.
Deleting is soft everywhere and has one word, ``deprecated`` (PhyloDB's): a deprecated record is
hidden from lists and kept for what points at it. Records are immutable; a change is a new record
(:meth:`Store.update <engine.storage.store.Store.update>` returns it). Mappings (a job's options, a
result's provenance, a dataset's read report) are plain JSON objects; sequences are tuples.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

from engine.errors import ParameterError


@dataclass(frozen=True)
class StoredRecord:
    """Base of the records: each has a string ``id`` and lives in the table named ``TABLE``."""

    TABLE: ClassVar[str] = ""
    id: str

    def replace(self: R, **changes: Any) -> R:
        """A copy with ``changes`` applied; ParameterError for a field the record does not have."""
        unknown = sorted(set(changes) - {f.name for f in dataclasses.fields(self)})
        if unknown:
            raise ParameterError(f"a {type(self).__name__} has no field {', '.join(unknown)}")
        return dataclasses.replace(self, **changes)


R = TypeVar("R", bound=StoredRecord)


@dataclass(frozen=True)
class UserRecord(StoredRecord):
    """A user: email, ``role`` (``user`` or ``admin``), the hash of their API token (None for users a
    provider vouched for) and of their dashboard password (a salted scrypt hash, when set)."""

    TABLE: ClassVar[str] = "users"
    email: str
    role: str
    created: str
    token_hash: str | None = None
    password: str | None = None


@dataclass(frozen=True)
class ProjectRecord(StoredRecord):
    """A project: its name and description, ``public`` or ``private``, member emails, creator."""

    TABLE: ClassVar[str] = "projects"
    name: str
    description: str
    visibility: str
    users: tuple[str, ...]
    owner: str
    created: str
    deprecated: bool = False


@dataclass(frozen=True)
class DatasetRecord(StoredRecord):
    """A dataset of a project: what was read (counts, isolate columns, the read report) and where its
    arrays are; ``content_hash`` names what an inference reads of it (equal hashes, equal trees)."""

    TABLE: ClassVar[str] = "datasets"
    project_id: str
    name: str
    description: str
    kind: str
    profile_count: int
    locus_count: int
    isolate_count: int
    isolate_columns: tuple[str, ...]
    content_hash: str
    arrays: str
    report: Mapping[str, Any]
    created: str
    deprecated: bool = False
    parent_id: str | None = None


@dataclass(frozen=True)
class JobRecord(StoredRecord):
    """An analysis job: what was asked (analysis, algorithm and version, checked options, input), its
    state (``status``, ``progress``, times, ``error``) and where its result goes (``analysis_id``).

    ``client_parameters`` are kept only to be shown back to the client that sent them. A job that
    builds on an earlier result names it in ``base_id`` and reads its arrays (``base_arrays``): an
    inference of a version extends the parent's result, a partition inherits the names of an earlier
    one. ``base_reason`` says why an inference of a version has no result to extend. ``placement``
    tells a partition of a version how to place the new isolates (see
    :func:`engine.services.surveillance.placement_base`; None otherwise).
    """

    TABLE: ClassVar[str] = "jobs"
    analysis_id: str = ""
    project_id: str = ""
    user: str = ""
    analysis: str = ""
    algorithm: str = ""
    version: str = ""
    options: Mapping[str, Any] = field(default_factory=dict)
    dataset_id: str = ""
    inference_id: str | None = None
    client_parameters: tuple[Any, ...] | None = None
    input_arrays: str = ""
    input_hash: str = ""
    input_algorithm: str | None = None
    base_id: str | None = None
    base_arrays: tuple[str, ...] = ()
    base_reason: str | None = None
    placement: Mapping[str, Any] | None = None
    content_key: str = ""
    status: str = "queued"
    progress: float = 0.0
    created: str = ""
    started: str | None = None
    finished: str | None = None
    error: str | None = None
    reused_from: str | None = None
    deprecated: bool = False


@dataclass(frozen=True)
class InferenceRecord(StoredRecord):
    """A tree: the algorithm and checked parameters that made it, its arrays, and its provenance
    (input hash, algorithm, version, parameters, job, timings, the result it reused).

    ``computed`` is ``"incremental"`` when the tree was extended from the result ``computed_from`` of
    the parent version, else ``"full"``; ``computed_reason`` says why an inference of a version was
    not extended (None when there was nothing to extend).
    """

    TABLE: ClassVar[str] = "inferences"
    project_id: str
    dataset_id: str
    algorithm: str
    parameters: Mapping[str, Any]
    arrays: str
    content_key: str
    job_id: str
    provenance: Mapping[str, Any]
    created: str
    deprecated: bool = False
    computed: str = "full"
    computed_from: str | None = None
    computed_reason: str | None = None


@dataclass(frozen=True)
class VisualizationRecord(InferenceRecord):
    """A layout of an inference (``inference_id``): coordinates instead of a tree."""

    TABLE: ClassVar[str] = "visualizations"
    inference_id: str = ""


@dataclass(frozen=True)
class PartitionRecord(InferenceRecord):
    """Cluster codes of an inference (``inference_id``) at ``thresholds``; the names were inherited
    from the partition ``named_from`` (None for the first of its line)."""

    TABLE: ClassVar[str] = "partitions"
    inference_id: str = ""
    thresholds: tuple[float, ...] = ()
    named_from: str | None = None


#: Every record type, by table name.
RECORD_TYPES: dict[str, type[StoredRecord]] = {
    kind.TABLE: kind for kind in (UserRecord, ProjectRecord, DatasetRecord, JobRecord, InferenceRecord,
                                  VisualizationRecord, PartitionRecord)
}


def to_document(record: StoredRecord) -> dict[str, Any]:
    """The JSON object a record is stored as (tuples as lists, mappings copied)."""
    return {f.name: _plain(getattr(record, f.name)) for f in dataclasses.fields(record)}


def from_document(kind: type[R], document: Mapping[str, Any]) -> R:
    """The record of type ``kind`` stored as ``document``; fields a newer version added are ignored.

    Stored documents were written from records, so they are not checked again: the record is built
    without calling ``__init__`` (a frozen dataclass's ``__init__`` costs more than the rest of a read),
    its lists become tuples and fields the document lacks take their defaults.

    Raises
    ------
    KeyError
        When the document lacks a field the record needs (a data folder not migrated).
    """
    record = object.__new__(kind)
    values = record.__dict__
    for name, default in _fields(kind):
        if name in document:
            value = document[name]
            values[name] = tuple(value) if isinstance(value, list) else value
        elif default is _REQUIRED:
            raise KeyError(f"a stored {kind.TABLE[:-1]} lacks its field {name!r}")
        else:
            values[name] = default()
    return record


_REQUIRED = object()


@functools.cache
def _fields(kind: type[StoredRecord]) -> tuple[tuple[str, Any], ...]:
    """The fields of a record type, each with a maker of its default (``_REQUIRED`` when it has none)."""
    fields = []
    for item in dataclasses.fields(kind):
        if item.default_factory is not dataclasses.MISSING:
            default: Any = item.default_factory
        elif item.default is not dataclasses.MISSING:
            default = functools.partial(lambda value: value, item.default)
        else:
            default = _REQUIRED
        fields.append((item.name, default))
    return tuple(fields)


def _plain(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    return value
