"""Datasets: multipart upload read by the engine's reader, listing, versions, profiles and isolates.

An upload is streamed: a request whose Content-Length is above the limit is refused with 413
before its body is read; from one without a length (chunked), nothing past the limit is kept and
the answer is 413 (the connection is cut if it goes on past four times the limit). Either file may be
gzip-compressed; the limit applies to the compressed bytes, and the text may inflate to the setting
``PHYLODASH_INFLATE_LIMIT_MB`` (past it: 400). A file the reader cannot use is a 400 naming the line
and the reason, and stores nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import tornado.httputil
import tornado.web

from api.handlers.base import BaseHandler
from api.problems import Problem
from api.wire import dataset_view
from engine.algorithms.cgmlst_dists import write_cgmlst_dists
from engine.errors import quoted
from engine.models import MISSING_MODES, Dataset
from engine.storage.records import DatasetRecord, UserRecord

KINDS = ("auto", "mlst", "snp")
#: ``?missing=`` of the distance table that counts as cgmlst-dists does.
CGMLST_DISTS = "cgmlst-dists"
DISTANCE_RULES = (CGMLST_DISTS, *MISSING_MODES)
#: The most profiles whose distance table the API serves.
DISTANCE_LIMIT = 10_000


@tornado.web.stream_request_body
class _UploadHandler(BaseHandler):
    """A handler whose POST is a streamed multipart upload, limited in size (:meth:`form`)."""

    _chunks: list[bytes]
    _size: int
    _user: UserRecord

    async def prepare(self) -> None:
        self._chunks, self._size = [], 0
        if self.request.method != "POST":
            return
        self._user = await self.caller()  # who asks comes before how much they send
        limit = self.service.settings.upload_limit
        length = self.request.headers.get("Content-Length")
        if length is not None and length.isdigit() and int(length) > limit:
            raise Problem(413, self._too_large())
        self.request.connection.set_max_body_size(4 * limit)

    def data_received(self, chunk: bytes) -> None:
        self._size += len(chunk)
        if self._size > self.service.settings.upload_limit:
            self._chunks = []  # over the limit: keep nothing; post() answers 413
        else:
            self._chunks.append(chunk)

    def _too_large(self) -> str:
        return f"the upload is larger than the limit of {self.service.settings.upload_limit / 2**20:g} MB"

    async def form(self) -> dict[str, Any]:
        """The upload's files and fields, checked (413 when the body was over the limit)."""
        if self._size > self.service.settings.upload_limit:
            raise Problem(413, self._too_large())
        chunks, self._chunks = self._chunks, []
        return await self.call(_parse_form, self.request.headers, chunks)


class DatasetsHandler(_UploadHandler):
    """List a project's datasets; upload one (``profiles`` file, optional ``isolates`` file)."""

    async def get(self, project_id: str) -> None:
        user = await self.caller()
        page = self.page()
        datasets = await self.call(self.service.catalog.datasets, user, project_id)
        await self.send_json([dataset_view(d) for d in self.paged(datasets, page)])

    async def post(self, project_id: str) -> None:
        form = await self.form()
        dataset = await self.call(self.service.catalog.add_dataset, self._user, project_id,
                                  form.pop("profiles"), form.pop("isolates"), **form)
        await self.send_json(dataset_view(dataset, report=True), 201)


class VersionsHandler(_UploadHandler):
    """Add profiles: a new version of a dataset from a file of new profiles (optional new isolates),
    read as an upload is (the dataset's own missing values and kind); the dataset stays as it was."""

    async def post(self, project_id: str, dataset_id: str) -> None:
        form = await self.form()
        dataset = await self.call(self.service.catalog.add_version, self._user, project_id, dataset_id,
                                  form["profiles"], form["isolates"], name=form["name"],
                                  description=form["description"], profile_column=form["profile_column"])
        await self.send_json(dataset_view(dataset, report=True), 201)


def _parse_form(headers: tornado.httputil.HTTPHeaders, chunks: list[bytes]) -> dict[str, Any]:
    """The upload's files and fields, checked; a 400 problem names what is missing or wrong."""
    body = b"".join(chunks)
    chunks.clear()
    content_type = headers.get("Content-Type", "")
    if not content_type.startswith("multipart/form-data"):
        raise Problem(400, "send the dataset as multipart/form-data with a 'profiles' file")
    fields: dict[str, list[bytes]] = {}
    files: dict[str, list[tornado.httputil.HTTPFile]] = {}
    try:
        tornado.httputil.parse_body_arguments(content_type, body, fields, files, headers)
    except tornado.httputil.HTTPInputError as error:  # no boundary, a part's header not readable, ...
        raise Problem(400, f"the multipart/form-data body is malformed: {str(error)[:200]}") from None
    if "profiles" not in files:
        raise Problem(400, "the upload has no 'profiles' file")

    def text(name: str) -> str:
        values = fields.get(name) or [b""]
        try:
            return values[0].decode("utf-8").strip()
        except UnicodeDecodeError:
            raise Problem(400, f"the field {name!r} is not UTF-8 text") from None

    kind = text("kind") or "auto"
    if kind not in KINDS:
        raise Problem(400, f"kind must be one of {', '.join(KINDS)}, not {kind[:40]!r}")
    missing = text("missing_values")
    return {
        "profiles": files["profiles"][0].body,
        "isolates": files["isolates"][0].body if "isolates" in files else None,
        "name": text("name") or files["profiles"][0].filename, "description": text("description"),
        "missing_values": [value.strip() for value in missing.split(",")] if missing else None,
        "profile_column": text("profile_column") or None, "kind": kind,
    }


class DatasetHandler(BaseHandler):
    """One dataset with its read report; DELETE deprecates it with its results."""

    async def get(self, project_id: str, dataset_id: str) -> None:
        user = await self.caller()
        dataset = await self.call(self.service.catalog.dataset, user, project_id, dataset_id)
        await self.send_json(dataset_view(dataset, report=True))

    async def delete(self, project_id: str, dataset_id: str) -> None:
        user = await self.caller()
        await self.call(self.service.catalog.delete_dataset, user, project_id, dataset_id)
        self.set_status(204)
        self.finish()


class _ContentHandler(BaseHandler):
    async def content(self, user: UserRecord, project_id: str, dataset_id: str) -> Dataset:
        record: DatasetRecord = await self.call(self.service.catalog.dataset, user, project_id, dataset_id)
        return await self.call(self.service.catalog.dataset_content, record)


class _PageHandler(_ContentHandler):
    """A page of a dataset's content, as ``page_of(dataset, page, size)`` makes it."""

    page_of: Callable[[Dataset, int, int], list[dict[str, Any]]]

    async def get(self, project_id: str, dataset_id: str) -> None:
        user = await self.caller()
        page = self.page()
        dataset = await self.content(user, project_id, dataset_id)
        size = self.service.settings.page_size
        await self.send_json(await self.call(type(self).page_of, dataset, page, size))


def profiles_page(dataset: Dataset, page: int, size: int) -> list[dict[str, Any]]:
    """Profiles ``page * size`` to ``(page + 1) * size`` with their alleles as written (null when missing)."""
    profiles = dataset.profiles
    loci = range(len(profiles.loci))
    return [{"id": profiles.ids[row], "alleles": [profiles.allele(row, locus) or None for locus in loci]}
            for row in range(page * size, min((page + 1) * size, profiles.size))]


class ProfilesFileHandler(_ContentHandler):
    """Every profile as a tab-separated table: an id column, then one column per locus."""

    async def get(self, project_id: str, dataset_id: str) -> None:
        dataset = await self.content(await self.caller(), project_id, dataset_id)
        self.set_header("Content-Disposition", f'attachment; filename="profiles-{dataset_id}.tsv"')
        self.send_text(await self.call(profiles_tsv, dataset))


def profiles_tsv(dataset: Dataset) -> str:
    """The profiles as the reader accepts them: header ``ST`` + loci, missing alleles empty."""
    profiles = dataset.profiles
    loci = range(len(profiles.loci))
    lines = ["\t".join(["ST", *profiles.loci])]
    lines += ["\t".join([profiles.ids[row], *(profiles.allele(row, locus) for locus in loci)])
              for row in range(profiles.size)]
    return "\n".join(lines) + "\n"


class DistancesHandler(_ContentHandler):
    """The dataset's pairwise distance table as ``cgmlst-dists`` writes it, streamed as it is computed.

    ``?missing=`` picks the rule: ``cgmlst-dists`` (default: a call that is not a positive integer is
    missing, a locus counts where both calls are present and differ) or a goeBURST missing-data
    mode. Datasets of more than ``DISTANCE_LIMIT`` profiles are refused (the command line
    ``python -m engine distances`` has no limit).
    """

    async def get(self, project_id: str, dataset_id: str) -> None:
        user = await self.caller()
        missing = self.get_query_argument("missing", CGMLST_DISTS)
        if missing not in DISTANCE_RULES:
            raise Problem(400, f"missing must be one of {', '.join(DISTANCE_RULES)}, not {quoted(missing)}")
        dataset = await self.content(user, project_id, dataset_id)
        if dataset.profiles.size > DISTANCE_LIMIT:
            raise Problem(400, f"the dataset has {dataset.profiles.size:,} profiles; the API serves distance "
                               f"tables of at most {DISTANCE_LIMIT:,} (use `python -m engine distances`)")
        self.set_header("Content-Type", "text/tab-separated-values; charset=UTF-8")
        self.set_header("Content-Disposition", f'attachment; filename="distances-{dataset_id}.tsv"')
        rule = None if missing == CGMLST_DISTS else missing
        await self.stream(lambda handle: write_cgmlst_dists(dataset, handle, missing=rule))


def isolates_page(dataset: Dataset, page: int, size: int) -> list[dict[str, Any]]:
    """Isolates ``page * size`` to ``(page + 1) * size``: their profile's id and their metadata."""
    isolates = dataset.isolates
    if isolates is None:
        return []
    ids = dataset.profiles.ids
    rows = isolates.rows[page * size:(page + 1) * size]
    links = isolates.profile_rows[page * size:(page + 1) * size].tolist()
    columns = isolates.columns
    return [{"profile_id": ids[link] if link >= 0 else None, "metadata": dict(zip(columns, row, strict=True))}
            for row, link in zip(rows, links, strict=True)]


class ProfilesHandler(_PageHandler):
    """A page of profiles: ``[{"id", "alleles": [allele or null, ...]}]`` in file order."""

    page_of = staticmethod(profiles_page)


class IsolatesHandler(_PageHandler):
    """A page of isolates: ``[{"profile_id", "metadata": {column: value}}]`` in file order."""

    page_of = staticmethod(isolates_page)
