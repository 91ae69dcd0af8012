"""Tests of engine/services/settings.py: the upload limit and the inflation limit of gzip-compressed
uploads, and the size from which a job's distances are split over a Dask cluster."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.algorithms.blocks import SPLIT_ABOVE
from engine.errors import ParameterError
from engine.io.compressed import INFLATE_LIMIT
from engine.services.root import Service
from engine.services.settings import Settings


def test_the_default_upload_limit_takes_a_compressed_100000_x_3002_table() -> None:
    # bench/synthetic.py's cgmlst_file(n=100_000, loci=3002): 879,022,483 bytes of text, 260,674,022
    # with gzip -6; the text fits the default inflation limit too.
    assert Settings().upload_limit > 260_674_022 and Settings().inflate_limit > 879_022_483


def test_the_inflate_limit_is_read_in_megabytes_and_reaches_the_catalog(tmp_path: Path) -> None:
    assert Settings.from_environment({}).inflate_limit == INFLATE_LIMIT == 2048 * 2**20
    assert Settings.from_environment({"PHYLODASH_INFLATE_LIMIT_MB": "300"}).inflate_limit == 300 * 2**20
    with pytest.raises(ParameterError, match="PHYLODASH_INFLATE_LIMIT_MB must be a whole number, not '1G'"):
        Settings.from_environment({"PHYLODASH_INFLATE_LIMIT_MB": "1G"})
    service = Service(Settings(data=tmp_path, workers=1, inflate_limit=5 * 2**20))
    assert service.catalog.inflate_limit == 5 * 2**20


def test_the_dask_split_threshold_is_read_and_reaches_the_dask_runner(tmp_path: Path) -> None:
    assert Settings.from_environment({}).dask_split_above == SPLIT_ABOVE == 10**11
    assert Settings.from_environment({"PHYLODASH_DASK_SPLIT_ABOVE": "5000"}).dask_split_above == 5000
    with pytest.raises(ParameterError, match="PHYLODASH_DASK_SPLIT_ABOVE must be at least 1, not 0"):
        Settings.from_environment({"PHYLODASH_DASK_SPLIT_ABOVE": "0"})
    # The runner is made, not started: nothing connects to this address.
    service = Service(Settings(data=tmp_path, dask_scheduler="tcp://127.0.0.1:9", dask_split_above=7))
    assert service.runner.split_above == 7
