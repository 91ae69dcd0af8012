"""Datasets, inferences and layouts survive the trip through the store's npz files unchanged."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from engine.algorithms.goeburst import goeburst
from engine.algorithms.layouts import radial
from engine.io.datasets import read_dataset
from engine.storage.codec import (
    dataset_from_arrays,
    dataset_to_arrays,
    inference_from_arrays,
    inference_to_arrays,
    layout_from_arrays,
    layout_to_arrays,
)
from engine.storage.store import TinyDBStore

PROFILES = (
    b"ST\tadk\tfumC\tgyrB\n"
    b"1\t1\t01\t3\n"
    b"2\t1\t1\t3\n"
    b"10\t\t1\t4\n"
    b"ST 7\t1\t1\t3\n"
)
ISOLATES = (
    b"id\tcountry\tST\n"
    b"a\tPortugal\t1\n"
    b"b\tJapan & Co (<5)\t10\n"
    b"c\t\t1\n"
    b"d\tKenya\t99\n"
)


def test_dataset_round_trip_keeps_alleles_isolates_and_counts(tmp_path: Path) -> None:
    dataset = read_dataset(PROFILES, ISOLATES)
    store = TinyDBStore(tmp_path)
    store.put_arrays("datasets/d1", dataset_to_arrays(dataset))
    back = dataset_from_arrays(store.get_arrays("datasets/d1"))
    assert back.profiles.ids == ["1", "2", "10", "ST 7"]
    assert back.profiles.loci == dataset.profiles.loci
    assert np.array_equal(back.profiles.matrix, dataset.profiles.matrix)
    assert back.profiles.matrix.dtype == dataset.profiles.matrix.dtype
    assert back.profiles.alleles == dataset.profiles.alleles
    assert back.profiles.allele(0, 1) == "01" and back.profiles.allele(2, 0) == ""
    assert back.profiles.missing_values == dataset.profiles.missing_values
    assert back.isolates is not None and dataset.isolates is not None
    assert back.isolates.rows == dataset.isolates.rows and back.isolates.columns == dataset.isolates.columns
    assert back.isolates.profile_rows.tolist() == dataset.isolates.profile_rows.tolist()
    assert back.counts.tolist() == dataset.counts.tolist() == [2, 0, 1, 0]
    assert back.report == dataset.report and back.report.isolates_without_profile == 1


def test_dataset_without_isolates_round_trips() -> None:
    dataset = read_dataset(PROFILES)
    back = dataset_from_arrays(dataset_to_arrays(dataset))
    assert back.isolates is None and back.counts.tolist() == [1, 1, 1, 1]


def test_inference_and_layout_round_trip(tmp_path: Path) -> None:
    dataset = read_dataset(PROFILES)
    inference = goeburst(dataset, lvs=3)
    store = TinyDBStore(tmp_path)
    store.put_arrays("inferences/i1", inference_to_arrays(inference))
    back = inference_from_arrays(store.get_arrays("inferences/i1"), "goeburst", {"lvs": 3})
    assert list(back.edges()) == list(inference.edges())
    assert back.roots.tolist() == inference.roots.tolist() and back.parameters == {"lvs": 3}
    layout = radial(back)
    store.put_arrays("visualizations/v1", layout_to_arrays(layout))
    again = layout_from_arrays(store.get_arrays("visualizations/v1"), "radial", {})
    assert again.ids == layout.ids
    for name in ("rows", "x", "y", "component"):
        assert np.array_equal(getattr(again, name), getattr(layout, name))
