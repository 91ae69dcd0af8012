"""Data folders written by earlier versions, brought up to today's record format on opening.

The format's version is stored in the ``meta`` table (``{"id": "schema", "version": N}``) of the
global file; a folder without it is version 1 (PhyloDash 0.1). Up to version 2 a folder was one file;
each step rewrites the stored documents of one version into the next. Version 3 splits them into a
global file and one file per project (:func:`split_by_project`); the store writes the projects' files
first and the global file, with the new version, last, so a crash in between leaves the old global
file, from which the next opening migrates again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Documents = dict[str, dict[str, dict[str, Any]]]  # table -> TinyDB document id -> document

#: The record format this version writes.
SCHEMA_VERSION = 3
META_TABLE = "meta"
_SCHEMA_ID = "schema"


def schema_version(data: Documents) -> int:
    """The format version of a database's documents (1 when it does not say)."""
    for document in data.get(META_TABLE, {}).values():
        if document.get("id") == _SCHEMA_ID:
            return int(document["version"])
    return 1 if any(data.values()) else SCHEMA_VERSION


def migrate(data: Documents) -> Documents | None:
    """The documents in today's format, or None when they are in it already.

    Raises
    ------
    ValueError
        When the folder was written by a newer version of PhyloDash than this one.
    """
    version = schema_version(data)
    if version > SCHEMA_VERSION:
        raise ValueError(f"the data folder was written by a newer PhyloDash (record format {version}); "
                         f"this version reads formats up to {SCHEMA_VERSION}")
    if version == SCHEMA_VERSION and META_TABLE in data:
        return None
    migrated = {table: {key: dict(document) for key, document in rows.items()}
                for table, rows in data.items()}
    for step in _STEPS[version - 1:]:
        step(migrated)
    migrated[META_TABLE] = {"1": {"id": _SCHEMA_ID, "version": SCHEMA_VERSION}}
    return migrated


def _rename(document: dict[str, Any], old: str, new: str) -> None:
    if old in document:
        document[new] = document.pop(old)


def _to_version_2(data: Documents) -> None:
    """0.1 -> 2: one soft-delete word, counts named as counts, no state the API derives.

    - jobs: ``removed`` becomes ``deprecated``; ``completed`` and ``cancelled`` (derived from
      ``status``) go; PhyloDB's positional ``parameters`` are kept as ``client_parameters``;
    - datasets: ``profiles``, ``loci`` and ``isolates`` (counts) become ``profile_count``,
      ``locus_count`` and ``isolate_count``.
    """
    for job in data.get("jobs", {}).values():
        _rename(job, "removed", "deprecated")
        _rename(job, "parameters", "client_parameters")
        job.pop("completed", None)
        job.pop("cancelled", None)
    for dataset in data.get("datasets", {}).values():
        _rename(dataset, "profiles", "profile_count")
        _rename(dataset, "loci", "locus_count")
        _rename(dataset, "isolates", "isolate_count")


def _to_version_3(data: Documents) -> None:
    """2 -> 3: the records stay as they were; the store splits them by project (:func:`split_by_project`)."""


#: ``_STEPS[k]`` turns version k + 1 into version k + 2.
_STEPS: list[Callable[[Documents], None]] = [_to_version_2, _to_version_3]


def split_by_project(data: Documents) -> dict[str, Documents]:
    """The documents of one file, by the file they belong in: ``""`` (the global file: every table, with
    the records of no project) and each project's id (the records whose ``project_id`` it is).

    Each document keeps its TinyDB id, so each table keeps its order.

    Examples
    --------
    >>> split_by_project({"projects": {"1": {"id": "p"}},
    ...                   "jobs": {"1": {"id": "j", "project_id": "p"}, "2": {"id": "k", "project_id": ""}}})
    {'': {'projects': {'1': {'id': 'p'}}, 'jobs': {'2': {'id': 'k', 'project_id': ''}}}, \
'p': {'jobs': {'1': {'id': 'j', 'project_id': 'p'}}}}
    """
    files: dict[str, Documents] = {"": {table: {} for table in data}}
    for table, rows in data.items():
        for key, document in rows.items():
            project = document.get("project_id") or ""
            files.setdefault(project, {}).setdefault(table, {})[key] = document
    return files
