"""Tests of engine/services/settings.py: the inflation limit of gzip-compressed uploads."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.errors import ParameterError
from engine.io.compressed import INFLATE_LIMIT
from engine.services.root import Service
from engine.services.settings import Settings


def test_the_inflate_limit_is_read_in_megabytes_and_reaches_the_catalog(tmp_path: Path) -> None:
    assert Settings.from_environment({}).inflate_limit == INFLATE_LIMIT == 2048 * 2**20
    assert Settings.from_environment({"PHYLODASH_INFLATE_LIMIT_MB": "300"}).inflate_limit == 300 * 2**20
    with pytest.raises(ParameterError, match="PHYLODASH_INFLATE_LIMIT_MB must be a whole number, not '1G'"):
        Settings.from_environment({"PHYLODASH_INFLATE_LIMIT_MB": "1G"})
    service = Service(Settings(data=tmp_path, workers=1, inflate_limit=5 * 2**20))
    assert service.catalog.inflate_limit == 5 * 2**20
