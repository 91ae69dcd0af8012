"""A multipart/form-data body read as it arrives: files to temporary files, a few text fields kept.

:class:`SpooledForm` is fed the request body a piece at a time (:meth:`SpooledForm.write`) and parses
it with python-multipart's streaming parser. A file part (one with a ``filename``) whose name is among
``files`` is written to an unnamed temporary file in ``folder`` (``O_TMPFILE``: it has no name, so
nothing is left behind even when the process dies); a part without a file name whose name is among
``fields`` is kept in memory, at most :data:`FIELD_LIMIT` bytes. Every other part is skipped, as is
the second part of a name. So memory holds a piece of the body and the fields, never the files.

The first problem of the body (malformed multipart, a field too long) stops the parsing; later pieces
are only counted by the caller, and :meth:`SpooledForm.result` raises the problem as a 400 (a disk that
is full: the OSError itself, a server error). :meth:`SpooledForm.discard` closes (so removes) the
files; the caller calls it on every path: after the files were read, after an error, when the client
went away.
"""

from __future__ import annotations

import contextlib
import tempfile
import threading
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

from api.problems import Problem

__all__ = ["FIELD_LIMIT", "SpooledFile", "SpooledForm"]

#: The most bytes a text field of a form may hold (a description is at most 10,000 characters).
FIELD_LIMIT = 2**20
#: Bytes of a temporary file's write buffer.
_BUFFER = 2**20


@dataclass(frozen=True)
class SpooledFile:
    """A file of the form: its name as the client gave it and its bytes, ``handle`` (at its start)."""

    filename: str
    handle: BinaryIO


class SpooledForm:
    """The parts of a multipart/form-data body written to it piece by piece (see the module).

    Parameters
    ----------
    content_type : str
        The request's Content-Type (``multipart/form-data; boundary=...``); one without a boundary
        makes :meth:`result` raise.
    files, fields : collection of str
        Names of the file parts to keep (spooled to disk) and of the text fields to keep.
    folder : Path
        Where the temporary files are made (it exists).
    """

    def __init__(self, content_type: str, files: Collection[str], fields: Collection[str],
                 folder: Path) -> None:
        self._wanted_files, self._wanted_fields = set(files), set(fields)
        self._folder = folder
        self._lock = threading.Lock()  # write() runs in a thread; discard() may come from another
        self.files: dict[str, SpooledFile] = {}
        self.fields: dict[str, bytes] = {}
        self._error: str | None = None
        self._failure: OSError | None = None
        self._ended = False
        self._discarded = False
        self._part: _Part | None = None
        kind, options = parse_options_header(content_type)
        boundary = options.get(b"boundary", b"")
        self._parser: MultipartParser | None = None
        if kind != b"multipart/form-data" or not boundary:
            self._error = "the Content-Type names no boundary"
            return
        try:
            self._parser = MultipartParser(boundary, {
                "on_part_begin": self._begin, "on_header_field": self._header_name,
                "on_header_value": self._header_value, "on_header_end": self._header_end,
                "on_headers_finished": self._headers_finished, "on_part_data": self._data,
                "on_part_end": self._end_part, "on_end": self._end})
        except FormParserError as error:  # a boundary longer than the standard allows
            self._error = str(error)

    def write(self, data: bytes) -> None:
        """Parse the next piece of the body (blocking: disk writes; call it off the IOLoop)."""
        with self._lock:
            stopped = self._error is not None or self._failure is not None or self._discarded
            if stopped or self._parser is None:
                return
            try:
                self._parser.write(data)
            except (FormParserError, _FieldTooLong) as error:
                self._error = str(error)
            except OSError as error:  # the disk is full, ...: the server's failure, raised by result()
                self._failure = error
            if self._error is not None or self._failure is not None:
                self._close_files()

    def result(self) -> tuple[dict[str, SpooledFile], dict[str, bytes]]:
        """The files (each handle at its start) and the fields of the whole body; a 400 problem when it
        was malformed or ended before its final boundary; the OSError met while spooling (a full disk:
        the server's failure, not the client's)."""
        with self._lock:
            if self._failure is not None:
                raise self._failure
            if self._error is None and not self._ended:
                self._error = "it ends before its final boundary"
            if self._error is not None:
                self._close_files()
                raise Problem(400, f"the multipart/form-data body is malformed: {self._error[:200]}")
            for spooled in self.files.values():
                spooled.handle.flush()
                spooled.handle.seek(0)
            return dict(self.files), dict(self.fields)

    def discard(self) -> None:
        """Close, and so remove, every temporary file; later pieces are ignored. Safe to call twice."""
        with self._lock:
            self._discarded = True
            self._close_files()

    def _close_files(self) -> None:
        part, self._part = self._part, None
        handles = [spooled.handle for spooled in self.files.values()]
        if part is not None and part.file is not None:
            handles.append(part.file)
        self.files = {}
        for handle in handles:
            with contextlib.suppress(OSError):
                handle.close()

    # -- the parser's callbacks ------------------------------------------------------------------

    def _begin(self) -> None:
        self._part = _Part()

    def _header_name(self, data: bytes, start: int, end: int) -> None:
        if self._part is not None:
            self._part.name += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        if self._part is not None:
            self._part.value += data[start:end]

    def _header_end(self) -> None:
        part = self._part
        if part is not None:
            if part.name.strip().lower() == b"content-disposition":
                part.disposition = part.value
            part.name, part.value = b"", b""

    def _headers_finished(self) -> None:
        part = self._part
        if part is None:
            return
        kind, options = parse_options_header(part.disposition)  # bytes: read as Latin-1, given back
        name = options.get(b"name", b"").decode("utf-8", "replace")
        if kind != b"form-data" or not name:
            raise FormParserError("a part has no Content-Disposition 'form-data' with a name")
        filename = options.get(b"filename", b"").decode("utf-8", "replace")
        if filename:
            if name in self._wanted_files and name not in self.files:
                # closed (so removed) by discard() or on an error; the name is gone at once (O_TMPFILE)
                part.file = tempfile.TemporaryFile(  # noqa: SIM115
                    dir=self._folder, prefix="upload-", buffering=_BUFFER)
                part.field = name
                self.files[name] = SpooledFile(filename, part.file)
        elif name in self._wanted_fields and name not in self.fields:
            part.field = name
            self.fields[name] = b""

    def _data(self, data: bytes, start: int, end: int) -> None:
        part = self._part
        if part is None or part.field is None:
            return
        if part.file is not None:
            part.file.write(data[start:end])
            return
        value = self.fields[part.field] + data[start:end]
        if len(value) > FIELD_LIMIT:
            raise _FieldTooLong(f"the field {part.field!r} is longer than {FIELD_LIMIT // 2**20} MB")
        self.fields[part.field] = value

    def _end_part(self) -> None:
        self._part = None

    def _end(self) -> None:
        self._ended = True


class _FieldTooLong(Exception):
    """A text field past :data:`FIELD_LIMIT`."""


class _Part:
    """The part being read: its header line being read, its disposition, and where its data goes."""

    def __init__(self) -> None:
        self.name = b""
        self.value = b""
        self.disposition = b""
        self.field: str | None = None
        self.file: BinaryIO | None = None
