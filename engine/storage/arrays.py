"""Bulky arrays (profile matrices, edge lists, coordinates) as ``.npz`` files beside the records."""

from __future__ import annotations

import glob
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

import numpy as np

from engine.errors import NotFoundError
from engine.storage.files import atomic_write


class ArrayReader(Protocol):
    """Reads the arrays stored under a key, from any process."""

    def get(self, key: str) -> dict[str, np.ndarray]:
        """The arrays stored under ``key``; NotFoundError when there are none."""


class ArrayWriter(Protocol):
    """Writes arrays under a key, from any process."""

    def put(self, key: str, arrays: Mapping[str, np.ndarray]) -> None:
        """Store named arrays under ``key``; readers see the old file or the new one, never a mix."""


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
        atomic_write(self._path(key), lambda handle: np.savez(handle, **arrays))  # not held whole

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
