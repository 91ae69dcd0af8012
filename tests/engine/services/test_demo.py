"""The demo dataset in assets/ is what its script makes, and it reads and infers cleanly."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import numpy as np
from paths import ROOT

from engine.algorithms.goeburst import goeburst
from engine.io.datasets import open_dataset
from engine.models import Inference

ASSETS = ROOT / "assets"


def _make_demo_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_demo", ASSETS / "make_demo.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_demo_is_the_script_output(tmp_path: Path) -> None:
    _make_demo_module().write_demo(tmp_path)
    for name in ("profiles.tsv", "isolates.tsv"):
        assert (tmp_path / name).read_bytes() == (ASSETS / "demo" / name).read_bytes(), name


def test_demo_reads_without_problems_and_has_clonal_complexes() -> None:
    dataset = open_dataset(ASSETS / "demo" / "profiles.tsv", ASSETS / "demo" / "isolates.tsv")
    report = dataset.report
    assert report.profiles == 260 and report.loci == 7
    assert report.skipped_lines == [] and report.identical_groups == []
    assert report.isolates == 570 and report.isolates_without_profile == 0
    assert int(dataset.counts.sum()) == 570 and int(dataset.counts.min()) >= 1
    inference = goeburst(dataset, lvs=1)
    sizes = np.bincount(_tree_of_rows(inference, dataset.profiles.size))
    # Eight complexes of 30 single- and double-locus variants: SLV trees of several members each.
    assert (sizes >= 5).sum() >= 8


def _tree_of_rows(inference: Inference, n: int) -> np.ndarray:
    """Index of the tree (0, 1, ...) that each row belongs to."""
    parent = np.full(n, -1)
    parent[inference.children] = inference.parents
    tree = np.arange(n)
    for _ in range(n):
        moved = np.where(parent[tree] >= 0, parent[tree], tree)
        if np.array_equal(moved, tree):
            break
        tree = moved
    return np.unique(tree, return_inverse=True)[1]


def test_demo_isolates_have_a_country_and_a_date_in_their_year() -> None:
    dataset = open_dataset(ASSETS / "demo" / "profiles.tsv", ASSETS / "demo" / "isolates.tsv")
    columns = dataset.isolates.columns
    assert columns == ["id", "isolate", "country", "year", "date", "source", "ST", "clonal_complex"]
    year, date, country = (columns.index(name) for name in ("year", "date", "country"))
    for row in dataset.isolates.rows:
        assert row[country]
        assert str(np.datetime64(row[date], "D")) == row[date] and row[date][:4] == row[year]
