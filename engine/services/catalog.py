"""Projects, datasets and stored results, with the access rules of api.md section 2.

Every method takes the calling user's record first and raises the engine's errors, which the API
maps to status codes: UnauthorizedError (a project the caller may not know of: PhyloDB's 401),
ForbiddenError (a project the caller may read but not change), NotFoundError, ParameterError,
InputError and ConflictError. Deleting is soft: a record is marked ``deprecated``, hidden from
lists, and everything below it is deprecated too. Records are the typed records of
:mod:`engine.storage.records`.
"""

from __future__ import annotations

import functools
import hashlib
import uuid
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np

from engine.algorithms.nomenclature import Naming
from engine.algorithms.placement import Placement
from engine.clock import now
from engine.errors import ForbiddenError, NotFoundError, ParameterError, UnauthorizedError, quoted
from engine.io.compressed import INFLATE_LIMIT
from engine.io.datasets import read_dataset
from engine.io.text import Source
from engine.io.versions import append_rows
from engine.models import Dataset, Inference, Layout, ReadReport
from engine.services.accounts import ADMIN, check_email
from engine.storage.codec import (
    dataset_from_arrays,
    dataset_to_arrays,
    inference_from_arrays,
    layout_from_arrays,
)
from engine.storage.records import (
    DatasetRecord,
    InferenceRecord,
    PartitionRecord,
    ProjectRecord,
    R,
    UserRecord,
    VisualizationRecord,
)
from engine.storage.reports import report_to_dict
from engine.storage.store import Store
from engine.storage.surveillance_codec import naming_from_arrays, placements_from_arrays

PUBLIC, PRIVATE = "public", "private"
VISIBILITIES = (PUBLIC, PRIVATE)
#: The longest project or dataset name, and description, in characters.
NAME_LIMIT = 200
TEXT_LIMIT = 10_000
#: The most members a project may have.
MEMBER_LIMIT = 1_000
#: Items of each list of a read report kept in a dataset record (the database stays small).
REPORT_LISTED = 100

#: A record made from an inference (a layout or a partition).
Made = TypeVar("Made", VisualizationRecord, PartitionRecord)


def check_id(value: str, what: str) -> str:
    """``value`` when it is a UUID as the server writes ids (canonical: lower case, hyphens), else
    NotFoundError: one record has one id, so ``{...}``, ``urn:uuid:`` and upper-case forms are not it.
    """
    try:
        if str(uuid.UUID(value)) == value:
            return value
    except (ValueError, AttributeError, TypeError):
        pass
    raise NotFoundError(f"there is no {what} {quoted(value)}")


def stored_report(report: dict[str, Any], listed: int = REPORT_LISTED) -> dict[str, Any]:
    """The read report as a dataset record keeps it: each list cut to its first ``listed`` items, with a
    note saying how many more there were (the whole report stays with the dataset's arrays)."""
    kept = dict(report)
    notes = list(report.get("notes", []))
    for field, what in (("skipped_lines", "left-out lines of the profile file"),
                        ("isolate_skipped_lines", "left-out lines of the isolate file"),
                        ("duplicate_ids", "duplicate ids"),
                        ("identical_groups", "groups of identical profiles")):
        items = report.get(field, [])
        if len(items) > listed:
            kept[field] = items[:listed]
            notes.append(f"{len(items):,} {what}; the first {listed} are listed.")
    kept["notes"] = notes
    return kept


def dataset_content_hash(dataset: Dataset) -> str:
    """SHA-256 of what an inference reads from a dataset: ids, profile matrix, counts and kind."""
    digest = hashlib.sha256()
    profiles = dataset.profiles
    matrix = profiles.matrix
    for part in ("\t".join(profiles.ids), profiles.kind, str(matrix.dtype), str(matrix.shape)):
        digest.update(part.encode() + b"\0")
    digest.update(np.ascontiguousarray(profiles.matrix))  # its buffer: no copy of the codes
    digest.update(np.ascontiguousarray(dataset.counts, dtype=np.int64))
    return digest.hexdigest()


class Catalog:
    """Projects, datasets, inferences and visualizations of a store, as each user may see them."""

    def __init__(self, store: Store, *, inflate_limit: int = INFLATE_LIMIT) -> None:
        self.store = store
        #: The most bytes a gzip-compressed upload may decompress to.
        self.inflate_limit = inflate_limit

    # -- access ----------------------------------------------------------------------------------

    def project(self, user: UserRecord, project_id: str, *, write: bool = False) -> ProjectRecord:
        """The project, if ``user`` may read it (or change it, with ``write``).

        Admins may do everything; members read and write; any user reads a public project, and
        gets ForbiddenError when changing it; for anyone else the project does not exist
        (UnauthorizedError, as PhyloDB answers, so a private project is not revealed).
        """
        found = self.store.find(ProjectRecord, check_id(project_id, "project"))
        if user.role == ADMIN:
            if found is None or found.deprecated:
                raise NotFoundError(f"there is no project {project_id}")
            return found
        if found is None or found.deprecated:
            raise UnauthorizedError("you may not use this project (or it does not exist)")
        if user.email in found.users:
            return found
        if found.visibility == PUBLIC:
            if write:
                raise ForbiddenError("only members of this project may change it")
            return found
        raise UnauthorizedError("you may not use this project (or it does not exist)")

    def projects(self, user: UserRecord) -> list[ProjectRecord]:
        """The projects ``user`` may read, oldest first."""
        return self.store.select(ProjectRecord, lambda p: not p.deprecated and (
            user.role == ADMIN or p.visibility == PUBLIC or user.email in p.users))

    # -- projects --------------------------------------------------------------------------------

    def create_project(self, user: UserRecord, fields: dict[str, Any]) -> ProjectRecord:
        """A new project from ``{name, description, visibility, users}``; its creator is a member."""
        values = _project_fields(fields)
        if user.email not in values["users"]:
            values["users"] = (user.email, *values["users"])
        return self.store.insert(ProjectRecord(id=str(uuid.uuid4()), **values, created=now(),
                                               owner=user.email))

    def update_project(self, user: UserRecord, project_id: str, fields: dict[str, Any]) -> ProjectRecord:
        """Replace name, description, visibility and members (the caller stays a member)."""
        project = self.project(user, project_id, write=True)
        changes = _project_fields(fields)
        if fields.get("id") not in (None, project.id):
            raise ParameterError("the id in the body is not the id in the path")
        if user.role != ADMIN and user.email not in changes["users"]:
            changes["users"] = (user.email, *changes["users"])
        return self.store.update(ProjectRecord, project.id, **changes)

    def delete_project(self, user: UserRecord, project_id: str) -> None:
        """Deprecate the project and everything in it."""
        project = self.project(user, project_id, write=True)
        for kind in (DatasetRecord, InferenceRecord, VisualizationRecord, PartitionRecord):
            self._deprecate(kind, project.id, lambda r: True)
        self.store.update(ProjectRecord, project.id, deprecated=True)

    # -- datasets --------------------------------------------------------------------------------

    def datasets(self, user: UserRecord, project_id: str) -> list[DatasetRecord]:
        """The live datasets of a project, oldest first."""
        project = self.project(user, project_id)
        return self.store.select(DatasetRecord, lambda d: not d.deprecated, project=project.id)

    def dataset(self, user: UserRecord, project_id: str, dataset_id: str) -> DatasetRecord:
        """A live dataset of a project the user may read; NotFoundError otherwise."""
        project = self.project(user, project_id)
        found = self.store.find(DatasetRecord, check_id(dataset_id, "dataset"))
        if found is None or found.project_id != project.id or found.deprecated:
            raise NotFoundError(f"there is no dataset {dataset_id} in this project")
        return found

    def add_dataset(self, user: UserRecord, project_id: str, profiles: Source, isolates: Source | None = None,
                    *, name: str = "", description: str = "", missing_values: Sequence[str] | None = None,
                    profile_column: str | None = None, kind: str = "auto") -> DatasetRecord:
        """Read the files (bytes or binary handles) with the engine's reader and store the dataset with
        its read report.

        Either file may be gzip-compressed (decompressed to at most :attr:`inflate_limit` bytes). A
        file that cannot be used raises InputError (with its line) and stores nothing.
        """
        project = self.project(user, project_id, write=True)
        dataset = read_dataset(profiles, isolates, missing_values=missing_values,
                               profile_column=profile_column or None, kind=kind,
                               inflate_limit=self.inflate_limit)
        return self.store_dataset(project.id, dataset, name=name, description=description)

    def add_version(self, user: UserRecord, project_id: str, dataset_id: str, profiles: Source,
                    isolates: Source | None = None, *, name: str = "", description: str = "",
                    profile_column: str | None = None) -> DatasetRecord:
        """A new version of a dataset: its profiles and isolates plus the new rows of the files, read as
        an upload is (:func:`~engine.io.versions.append_rows`); the record names the dataset in
        ``parent_id`` and keeps the read report of the new rows. The dataset itself stays as it was.

        A file that cannot be used raises InputError (with its line) and stores nothing.
        """
        project = self.project(user, project_id, write=True)
        parent = self.dataset(user, project_id, dataset_id)
        dataset, report = append_rows(self.dataset_content(parent), profiles, isolates,
                                      profile_column=profile_column or None, inflate_limit=self.inflate_limit)
        return self.store_dataset(project.id, dataset, name=name or f"{parent.name} +{report.profiles}",
                                  description=description, report=report, parent_id=parent.id)

    def store_dataset(self, project_id: str, dataset: Dataset, *, name: str, description: str,
                      report: ReadReport | None = None, parent_id: str | None = None) -> DatasetRecord:
        """Store a dataset that was read already (arrays first, then the record that points at them);
        the record keeps ``report`` (default: the dataset's own) and ``parent_id``."""
        dataset_id = str(uuid.uuid4())
        key = f"datasets/{dataset_id}"
        self.store.put_arrays(key, dataset_to_arrays(dataset))
        isolates = dataset.isolates
        return self.store.insert(DatasetRecord(
            id=dataset_id, project_id=project_id, name=_text(name, "name", NAME_LIMIT) or "dataset",
            description=_text(description, "description"), created=now(), kind=dataset.profiles.kind,
            profile_count=dataset.profiles.size, locus_count=len(dataset.profiles.loci),
            isolate_count=0 if isolates is None else len(isolates.rows),
            isolate_columns=() if isolates is None else tuple(isolates.columns),
            content_hash=dataset_content_hash(dataset), arrays=key, parent_id=parent_id,
            report=stored_report(report_to_dict(report or dataset.report))))

    def delete_dataset(self, user: UserRecord, project_id: str, dataset_id: str) -> None:
        """Deprecate the dataset, its inferences and their visualizations."""
        self.project(user, project_id, write=True)
        dataset = self.dataset(user, project_id, dataset_id)
        for kind in (InferenceRecord, VisualizationRecord, PartitionRecord):
            self._deprecate(kind, dataset.project_id, lambda r: r.dataset_id == dataset.id)
        self.store.update(DatasetRecord, dataset.id, deprecated=True)

    def dataset_content(self, record: DatasetRecord) -> Dataset:
        """The profiles and isolates of a dataset record (recently read ones are kept: arrays never
        change once written)."""
        return self._dataset_arrays(record.arrays)

    @functools.lru_cache(maxsize=8)  # noqa: B019 - one catalog per process; keys name immutable files
    def _dataset_arrays(self, key: str) -> Dataset:
        return dataset_from_arrays(self.store.get_arrays(key))

    # -- results ---------------------------------------------------------------------------------

    def inferences(self, user: UserRecord, project_id: str, dataset_id: str) -> list[InferenceRecord]:
        """The live inferences of a dataset, oldest first."""
        dataset = self.dataset(user, project_id, dataset_id)
        return self.store.select(InferenceRecord, lambda r: r.dataset_id == dataset.id and not r.deprecated,
                                 project=dataset.project_id)

    def inference(self, user: UserRecord, project_id: str, dataset_id: str,
                  inference_id: str) -> InferenceRecord:
        """An inference of a dataset, deprecated ones included (PhyloDB still serves them)."""
        dataset = self.dataset(user, project_id, dataset_id)
        found = self.store.find(InferenceRecord, check_id(inference_id, "inference"))
        if found is None or found.dataset_id != dataset.id:
            raise NotFoundError(f"there is no inference {inference_id} of this dataset")
        return found

    def delete_inference(self, user: UserRecord, project_id: str, dataset_id: str, inference_id: str) -> None:
        """Deprecate an inference and its visualizations."""
        self.project(user, project_id, write=True)
        inference = self._live(self.inference(user, project_id, dataset_id, inference_id), "inference")
        for kind in (VisualizationRecord, PartitionRecord):
            self._deprecate(kind, inference.project_id, lambda r: r.inference_id == inference.id)
        self.store.update(InferenceRecord, inference.id, deprecated=True)

    def inference_content(self, record: InferenceRecord) -> Inference:
        """The tree of an inference record."""
        return inference_from_arrays(self.store.get_arrays(record.arrays), record.algorithm,
                                     dict(record.parameters))

    def visualizations(self, user: UserRecord, project_id: str, dataset_id: str,
                       inference_id: str) -> list[VisualizationRecord]:
        """The live visualizations of an inference, oldest first."""
        return self._live_of_inference(VisualizationRecord, user, project_id, dataset_id, inference_id)

    def visualization(self, user: UserRecord, project_id: str, dataset_id: str, inference_id: str,
                      visualization_id: str) -> VisualizationRecord:
        """A visualization of an inference, deprecated ones included."""
        return self._one_of_inference(VisualizationRecord, "visualization", user, project_id, dataset_id,
                                      inference_id, visualization_id)

    def delete_visualization(self, user: UserRecord, project_id: str, dataset_id: str, inference_id: str,
                             visualization_id: str) -> None:
        """Deprecate a visualization."""
        self.project(user, project_id, write=True)
        found = self.visualization(user, project_id, dataset_id, inference_id, visualization_id)
        self._live(found, "visualization")
        self.store.update(VisualizationRecord, found.id, deprecated=True)

    def partitions(self, user: UserRecord, project_id: str, dataset_id: str,
                   inference_id: str) -> list[PartitionRecord]:
        """The live partitions of an inference, oldest first."""
        return self._live_of_inference(PartitionRecord, user, project_id, dataset_id, inference_id)

    def partition(self, user: UserRecord, project_id: str, dataset_id: str, inference_id: str,
                  partition_id: str) -> PartitionRecord:
        """A partition of an inference, deprecated ones included."""
        return self._one_of_inference(PartitionRecord, "partition", user, project_id, dataset_id,
                                      inference_id, partition_id)

    def _live_of_inference(self, kind: type[Made], user: UserRecord, project_id: str, dataset_id: str,
                           inference_id: str) -> list[Made]:
        """The live records of ``kind`` (visualizations, partitions) made from an inference."""
        inference = self.inference(user, project_id, dataset_id, inference_id)
        return self.store.select(kind, lambda r: r.inference_id == inference.id and not r.deprecated,
                                 project=inference.project_id)

    def _one_of_inference(self, kind: type[Made], label: str, user: UserRecord, project_id: str,
                          dataset_id: str, inference_id: str, record_id: str) -> Made:
        """The record ``record_id`` of ``kind`` made from an inference (NotFoundError naming ``label``)."""
        inference = self.inference(user, project_id, dataset_id, inference_id)
        found = self.store.find(kind, check_id(record_id, label))
        if found is None or found.inference_id != inference.id:
            raise NotFoundError(f"there is no {label} {record_id} of this inference")
        return found

    def partition_content(self, record: PartitionRecord) -> Naming:
        """The names (one row per profile, one column per threshold) and changes of a partition."""
        return naming_from_arrays(self.store.get_arrays(record.arrays))

    def partition_placements(self, record: PartitionRecord) -> list[Placement] | None:
        """The placement report of a partition's new isolates: empty for a dataset that is not a version,
        None for a partition of a version stored before reports were kept (it has none: run it again)."""
        return self._placements(record, self.store.get_arrays(record.arrays))

    def partition_result(self, record: PartitionRecord) -> tuple[Naming, list[Placement] | None]:
        """:meth:`partition_content` and :meth:`partition_placements` of a partition, read at once."""
        arrays = self.store.get_arrays(record.arrays)
        return naming_from_arrays(arrays), self._placements(record, arrays)

    def _placements(self, record: PartitionRecord, arrays: dict[str, np.ndarray]) -> list[Placement] | None:
        report = placements_from_arrays(arrays)
        if report is not None:
            return report
        dataset = self.store.find(DatasetRecord, record.dataset_id)
        return [] if dataset is None or dataset.parent_id is None else None

    def layout_content(self, record: VisualizationRecord) -> Layout:
        """The coordinates of a visualization record."""
        return layout_from_arrays(self.store.get_arrays(record.arrays), record.algorithm,
                                  dict(record.parameters))

    # -- helpers ---------------------------------------------------------------------------------

    def _deprecate(self, kind: type[Made], project_id: str, match: Callable[[R], bool]) -> None:
        """Deprecate the live records of ``kind`` in a project that ``match`` accepts."""
        self.store.update_where(kind, lambda r: match(r) and not r.deprecated,
                                lambda r: {"deprecated": True}, project=project_id)

    @staticmethod
    def _live(record: R, what: str) -> R:
        if record.deprecated:
            raise NotFoundError(f"the {what} {record.id} was deleted already")
        return record


def _text(value: object, field: str, limit: int = TEXT_LIMIT) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ParameterError(f"{field} must be text")
    if len(value) > limit:
        raise ParameterError(f"{field} is longer than {limit:,} characters ({len(value):,})")
    return value.strip()


def _project_fields(fields: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(fields, dict):
        raise ParameterError("the body must be a JSON object with name, description, visibility, users")
    unknown = sorted(set(fields) - {"name", "description", "visibility", "users", "id"})
    if unknown:
        raise ParameterError(f"a project has no field {', '.join(map(repr, unknown))}")
    if "id" in fields:  # ignored on POST, compared with the path's on PUT: either way a project id
        try:
            check_id(fields["id"], "project")
        except NotFoundError:
            raise ParameterError("id must be a project id (a UUID)") from None
    name = _text(fields.get("name"), "name", NAME_LIMIT)
    if not name:
        raise ParameterError("name is required")
    visibility = fields.get("visibility", PRIVATE)
    if visibility not in VISIBILITIES:
        raise ParameterError(f"visibility must be 'public' or 'private', not {quoted(visibility)}")
    users = fields.get("users", [])
    if not isinstance(users, list):
        raise ParameterError("users must be a list of email addresses")
    if len(users) > MEMBER_LIMIT:
        raise ParameterError(f"a project has at most {MEMBER_LIMIT:,} members, not {len(users):,}")
    emails = list(dict.fromkeys(check_email(email) for email in users))
    return {"name": name, "description": _text(fields.get("description"), "description"),
            "visibility": visibility, "users": tuple(emails)}
