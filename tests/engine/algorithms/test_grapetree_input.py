"""GrapeTree's encoding, row order and merging (engine/algorithms/grapetree_input.py).

Expected values are worked out by hand from research/grapetree-methods.md section 1 (the comment
above each case says how).
"""

from __future__ import annotations

import doctest

import numpy as np
import pytest
from grapetree_cases import dataset

from engine.algorithms import grapetree_input
from engine.algorithms.grapetree_input import MISSING_MODES, grapetree_profiles, missing_code
from engine.errors import ParameterError


def test_doctests() -> None:
    assert doctest.testmod(grapetree_input).failed == 0


def test_codes_order_merging_and_dropped_rows() -> None:
    # Locus 1 holds "10" and "9": string order puts "10" first (code 1), "9" gets 2. Locus 2
    # holds "b" and "B", one allele once upper-cased (code 1). Row c is missing everywhere and is
    # dropped. a = d = (1, 1) and b = e = (2, 1) merge; the lexsort (last locus first, all equal
    # here, then locus 1) puts a's group first; each group is represented by its first row.
    data = dataset([["10", "b"], ["9", "B"], ["-", "-"], ["10", "B"], ["9", "b"]], ids="abcde")
    g = grapetree_profiles(data)
    assert g.codes.tolist() == [[1, 1], [2, 1]]
    assert g.rows.tolist() == [0, 1]
    assert g.sizes.tolist() == [2, 2]
    assert g.node_of_row.tolist() == [0, 1, -1, 0, 1]
    assert g.dropped.tolist() == [2]
    assert g.loci.tolist() == [0, 1]
    assert g.size == 2


def test_last_locus_is_the_primary_sort_key() -> None:
    # Sorted by locus 3 first, then 2, then 1: (2,1,1) < (1,2,1) < (1,1,2); missing (0) sorts first.
    data = dataset([[1, 1, 2], [1, 2, 1], [2, 1, 1], [1, 1, "-"]])
    g = grapetree_profiles(data)
    assert g.rows.tolist() == [3, 2, 1, 0]
    assert g.codes.tolist() == [[1, 1, 0], [2, 1, 1], [1, 2, 1], [1, 1, 2]]


def test_profiles_differing_only_where_one_is_missing_are_not_merged() -> None:
    g = grapetree_profiles(dataset([[1, 2], [1, "-"]]))
    assert g.size == 2
    assert g.sizes.tolist() == [1, 1]


def test_complete_delete_drops_every_locus_with_a_missing_cell() -> None:
    # Locus 3 has a missing cell: with complete-delete only loci 1 and 2 remain, and rows 1 and 2
    # (equal there) merge.
    data = dataset([[1, 1, "-"], [1, 1, 2], [2, 1, 3]])
    g = grapetree_profiles(data, "complete-delete")
    assert g.loci.tolist() == [0, 1]
    assert g.codes.tolist() == [[1, 1], [2, 1]]
    assert g.sizes.tolist() == [2, 1]
    assert grapetree_profiles(data, "pair-delete").size == 3


def test_modes_and_their_grapetree_values() -> None:
    assert MISSING_MODES == {"pair-delete": 0, "complete-delete": 1, "as-allele": 2, "absolute": 3}
    assert [missing_code(name) for name in MISSING_MODES] == [0, 1, 2, 3]
    with pytest.raises(ParameterError, match="pair-delete"):
        missing_code("ignore")


def test_codes_fit_the_dataset_type() -> None:
    g = grapetree_profiles(dataset([[1, 2], [3, 4]]))
    assert g.codes.dtype == np.uint16
    assert g.codes.flags["C_CONTIGUOUS"]
