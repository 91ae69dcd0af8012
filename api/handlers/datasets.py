"""Datasets: multipart upload read by the engine's reader, listing, versions, profiles and isolates.

An upload is streamed to disk and read from there: the caller is authenticated and must be allowed to
add to the project (and dataset) before the body is read; a request whose Content-Length is above the
limit is refused with 413 before its body is read; from one without a length (chunked), nothing past
the limit is kept and the answer is 413 (the connection is cut if it goes on past four times the
limit). The body is parsed as it arrives and its files go to unnamed temporary files in the data
folder's ``uploads`` folder (:mod:`api.upload`), which the engine's reader reads a block at a time, so
the server holds neither the body nor the file; the files are gone once the answer is sent or the
client left. Either file may be gzip-compressed; the limit applies to the compressed bytes, and the
text may inflate to the setting ``PHYLODASH_INFLATE_LIMIT_MB`` (past it: 400). A file the reader
cannot use is a 400 naming the line and the reason, and stores nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import tornado.web

from api.handlers.base import BaseHandler
from api.problems import Problem
from api.upload import SpooledFile, SpooledForm
from api.wire import dataset_view
from engine.algorithms.cgmlst_dists import write_cgmlst_dists
from engine.errors import quoted
from engine.models import MISSING_MODES, Dataset
from engine.storage.records import DatasetRecord, UserRecord

KINDS = ("auto", "mlst", "snp")
#: The file parts and the text fields of an upload form.
FILES = ("profiles", "isolates")
FIELDS = ("name", "description", "missing_values", "profile_column", "kind")
#: Bytes of the body parsed at once, off the IOLoop.
_PIECE = 2**20
T = TypeVar("T")
#: ``?missing=`` of the distance table that counts as cgmlst-dists does.
CGMLST_DISTS = "cgmlst-dists"
DISTANCE_RULES = (CGMLST_DISTS, *MISSING_MODES)
#: The most profiles whose distance table the API serves.
DISTANCE_LIMIT = 10_000


@tornado.web.stream_request_body
class _UploadHandler(BaseHandler):
    """A handler whose POST is a multipart upload (see the module), read by :meth:`read_form`.

    Before the body is read: the caller is authenticated, may change the target
    (:meth:`check_target`), and the Content-Length is within the limit. The body is then parsed as it
    arrives, a megabyte at a time off the IOLoop, its files spooled to the data folder's ``uploads``
    folder (:class:`~api.upload.SpooledForm`).
    """

    _user: UserRecord
    _form: SpooledForm | None = None
    _multipart = False
    _size = 0
    _pending: list[bytes]
    _pending_size = 0
    _handed = False  # the files went to the reader

    async def prepare(self) -> None:
        self._pending = []
        if self.request.method != "POST":
            return
        self._user = await self.caller()  # who asks, and whether they may, come before what they send
        await self.call(self.check_target, self._user, *self.path_args)
        limit = self.service.settings.upload_limit
        length = self.request.headers.get("Content-Length")
        if length is not None and length.isdigit() and int(length) > limit:
            raise Problem(413, self._too_large())
        self.request.connection.set_max_body_size(4 * limit)
        content_type = self.request.headers.get("Content-Type", "")
        self._multipart = content_type.startswith("multipart/form-data")
        if self._multipart:
            self._form = SpooledForm(content_type, FILES, FIELDS, self.context.uploads)

    def check_target(self, user: UserRecord, project_id: str, *ids: str) -> None:
        """Raise the catalog's error when ``user`` may not add to the target of the path."""
        self.service.catalog.project(user, project_id, write=True)

    async def data_received(self, chunk: bytes) -> None:
        self._size += len(chunk)
        if self._form is None:
            return
        if self._size > self.service.settings.upload_limit:
            self._discard()  # over the limit: keep nothing; read_form() answers 413
            return
        self._pending.append(chunk)
        self._pending_size += len(chunk)
        if self._pending_size >= _PIECE:
            await self._parse_pending()

    async def _parse_pending(self) -> None:
        piece, self._pending, self._pending_size = b"".join(self._pending), [], 0
        form = self._form
        if form is not None and piece:
            await self.call(form.write, piece)

    def _too_large(self) -> str:
        return f"the upload is larger than the limit of {self.service.settings.upload_limit / 2**20:g} MB"

    def _discard(self) -> None:
        form, self._form, self._pending = self._form, None, []
        if form is not None:
            form.discard()

    def on_connection_close(self) -> None:
        if not self._handed:  # the client left while sending: the files go
            self._discard()
        super().on_connection_close()

    def on_finish(self) -> None:
        self._discard()

    async def read_form(self, read: Callable[[dict[str, Any]], T]) -> T:
        """``read(form)`` off the IOLoop, ``form`` being the upload's files (binary handles) and fields,
        checked (413 when the body was over the limit, 400 when it is not a usable form); the files
        are removed once it returned or failed."""
        if self._size > self.service.settings.upload_limit:
            raise Problem(413, self._too_large())
        if not self._multipart:
            raise Problem(400, "send the dataset as multipart/form-data with a 'profiles' file")
        await self._parse_pending()
        form = self._form
        if form is None:  # the connection closed meanwhile
            raise tornado.web.Finish()
        files, fields = await self.call(form.result)
        self._handed = True
        try:
            return await self.call(read, _form_values(files, fields))
        finally:
            self._discard()


class DatasetsHandler(_UploadHandler):
    """List a project's datasets; upload one (``profiles`` file, optional ``isolates`` file)."""

    async def get(self, project_id: str) -> None:
        user = await self.caller()
        page = self.page()
        datasets = await self.call(self.service.catalog.datasets, user, project_id)
        await self.send_json([dataset_view(d) for d in self.paged(datasets, page)])

    async def post(self, project_id: str) -> None:
        catalog, user = self.service.catalog, self._user
        dataset = await self.read_form(lambda form: catalog.add_dataset(
            user, project_id, form.pop("profiles"), form.pop("isolates"), **form))
        await self.send_json(dataset_view(dataset, report=True), 201)


class VersionsHandler(_UploadHandler):
    """Add profiles: a new version of a dataset from a file of new profiles (optional new isolates),
    read as an upload is (the dataset's own missing values and kind); the dataset stays as it was."""

    def check_target(self, user: UserRecord, project_id: str, *ids: str) -> None:
        super().check_target(user, project_id)
        self.service.catalog.dataset(user, project_id, ids[0])

    async def post(self, project_id: str, dataset_id: str) -> None:
        catalog, user = self.service.catalog, self._user
        dataset = await self.read_form(lambda form: catalog.add_version(
            user, project_id, dataset_id, form["profiles"], form["isolates"], name=form["name"],
            description=form["description"], profile_column=form["profile_column"]))
        await self.send_json(dataset_view(dataset, report=True), 201)


def _form_values(files: dict[str, SpooledFile], fields: dict[str, bytes]) -> dict[str, Any]:
    """The upload's files (binary handles) and fields, checked; a 400 problem names what is missing or
    wrong."""
    if "profiles" not in files:
        raise Problem(400, "the upload has no 'profiles' file")

    def text(name: str) -> str:
        try:
            return fields.get(name, b"").decode("utf-8").strip()
        except UnicodeDecodeError:
            raise Problem(400, f"the field {name!r} is not UTF-8 text") from None

    kind = text("kind") or "auto"
    if kind not in KINDS:
        raise Problem(400, f"kind must be one of {', '.join(KINDS)}, not {kind[:40]!r}")
    missing = text("missing_values")
    return {
        "profiles": files["profiles"].handle,
        "isolates": files["isolates"].handle if "isolates" in files else None,
        "name": text("name") or files["profiles"].filename, "description": text("description"),
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
