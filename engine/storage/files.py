"""Files the store writes: atomic replacement, and the log that tells other processes what changed.

A data folder holds several database files (:mod:`engine.storage.store`); each process keeps the ones
it parsed in memory. So that a process re-reads only what another one changed, every writer, while it
holds the store's lock, appends the name of the file it is about to replace to ``changes.log``; a
reader, under the same lock, reads the names appended since it last looked and re-reads those files
only. The log is replaced by an empty one when it grows past :data:`ROTATE_AT` bytes; a reader that
finds another log (another inode) than the one it followed cannot know what changed meanwhile and
checks every file it holds.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

#: Bytes past which the writer that appends starts a new, empty log.
ROTATE_AT = 1 << 20


def atomic_write(path: Path, data: bytes | Callable[[BinaryIO], object]) -> None:
    """Replace ``path`` with ``data`` so that readers see the old or the new file, never a mix;
    ``data`` is the bytes, or a function that writes them to the file handle it is given (so that
    they need not be held whole)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            if callable(data):
                data(handle)
            else:
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


class ChangeLog:
    """The names of the files written by any process, in order; read and appended under the store's lock.

    Parameters
    ----------
    path : Path
        The log file; created (empty) when missing.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        if not path.exists():
            atomic_write(path, b"")
        self._inode, self._offset = self._where_it_ends()

    def _where_it_ends(self) -> tuple[int, int]:
        status = self.path.stat()
        return status.st_ino, status.st_size

    def revision(self) -> tuple[int, int, int]:
        """(inode, mtime, size) of the log: it changes with every write of any process."""
        status = self.path.stat()
        return status.st_ino, status.st_mtime_ns, status.st_size

    def news(self) -> list[str] | None:
        """The names appended by other processes since the last call (each once, in order), or None when
        the log was replaced meanwhile and every file must be checked; afterwards the log is followed
        from its end."""
        inode, size = self._where_it_ends()
        if inode != self._inode or size < self._offset:
            self._inode, self._offset = inode, size
            return None
        if size == self._offset:
            return []
        with open(self.path, "rb") as log:
            log.seek(self._offset)
            appended = log.read(size - self._offset)
        self._offset = size
        # A crash may cut a line short: it then runs into the next one, which makes a name that no
        # file has (the caller checks every file); the last line, while it has no newline, waits.
        *lines, unfinished = appended.split(b"\n")
        self._offset -= len(unfinished)
        return list(dict.fromkeys(line.decode(errors="replace") for line in lines))

    def append(self, name: str) -> None:
        """Record that this process is about to replace the file ``name`` (before it does, so a crash
        in between costs other processes a needless re-read, never a missed change)."""
        if self._offset >= ROTATE_AT:
            atomic_write(self.path, b"")
            self._inode, self._offset = self._where_it_ends()
        line = f"{name}\n".encode()
        with open(self.path, "ab") as log:
            log.write(line)
        self._offset += len(line)
