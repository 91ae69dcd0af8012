"""The epidemic curve's view model (dashboard/viewmodels/epicurve.py): bins, stacks, the shared selection."""

from __future__ import annotations

import doctest

import numpy as np
import pytest

import dashboard.viewmodels.epicurve
from dashboard.tree.colours import PLAIN_FILL, palette_for
from dashboard.viewmodels.epicurve import ALL_ISOLATES, EpiCurve, span_text, stacks
from dashboard.viewmodels.tree import OpenTree, TreeControls, TreeState
from engine.algorithms import registry
from engine.algorithms.clusters import cut
from engine.io.datasets import read_dataset

PROFILES = b"ST\ta\tb\n1\t1\t1\n2\t1\t2\n3\t5\t5\n4\t5\t6\n"
# i6 has no date, i7 a value that is no date, i8 only a year; i9's ST 9 is not in the profiles.
ISOLATES = (b"name\tST\tcountry\tcollection date\n"
            b"i1\t1\tPT\t2019-01-10\n"
            b"i2\t1\tES\t2019-01-20\n"
            b"i3\t2\tPT\t2019-03-05\n"
            b"i4\t3\tPT\t2019-03-30\n"
            b"i5\t4\tES\t2019-04-02\n"
            b"i6\t4\tES\t\n"
            b"i7\t3\tPT\t30/03/2019\n"
            b"i8\t2\tPT\t2019\n"
            b"i9\t9\tFR\t2019-02-01\n")


def day(text: str) -> int:
    return int(np.datetime64(text, "D").astype(np.int64))


@pytest.fixture
def tree() -> TreeState:
    dataset = read_dataset(PROFILES, ISOLATES)
    inference = registry.infer("goeburst", dataset)
    layout = registry.lay_out("radial", inference)
    state = TreeState()
    state.param.update(content=OpenTree(dataset, inference, layout),
                       controls=TreeControls.for_tree(dataset, inference))
    return state


def monthly(tree: TreeState) -> EpiCurve:
    """The curve of ``tree`` per month."""
    model = EpiCurve(tree=tree)
    model.unit = "month"
    return model


def test_no_tree_or_no_date_column_means_no_curve(tree):
    assert EpiCurve(tree=TreeState()).available is False
    dataset = read_dataset(PROFILES, b"name\tST\tcountry\ni1\t1\tPT\n")
    inference = registry.infer("goeburst", dataset)
    other = TreeState(content=OpenTree(dataset, inference, registry.lay_out("radial", inference)))
    model = EpiCurve(tree=other)
    assert (model.available, model.curve, model.column, model.message) == (False, None, None, "")


def test_the_curve_counts_dated_isolates_of_the_tree_per_month_and_says_what_it_leaves_out(tree):
    model = EpiCurve(tree=tree)
    assert model.available and model.column == "collection date"
    assert model.unit == "year"  # i8's "2019" is too coarse for a month or a week
    assert model.curve.counts.tolist() == [[6]] and model.curve.coarse == 0
    model.unit = "month"
    found = model.curve
    assert np.asarray(found.bins.starts, "datetime64[D]").astype(str).tolist() == [
        "2019-01-01", "2019-02-01", "2019-03-01", "2019-04-01"]
    assert found.counts.tolist() == [[2], [0], [2], [1]]  # i9 has no profile: not counted in February
    assert found.selected.tolist() == found.counts.tolist()
    assert (found.undated, found.coarse, found.examples) == (2, 1, ["", "30/03/2019"])
    assert "5 isolates by **collection date**, per month." in model.message
    assert "2 without a date (empty, '30/03/2019')" in model.message
    assert "1 with a date too coarse for a month" in model.message
    model.unit = "week"
    assert model.curve.counts.sum() == 5 and len(model.curve.bins.starts) == 13  # 2019-01-07 to 2019-04-01


def test_stacks_follow_the_tree_colouring(tree):
    model = monthly(tree)
    tree.controls.colour_by = "country"
    found = model.curve
    assert found.stacks.title == "country"
    assert found.stacks.categories == ["PT", "ES"]  # the legend's order: most isolates first
    assert found.stacks.colours == palette_for(["PT", "ES"])
    assert found.counts.tolist() == [[1, 1], [0, 0], [2, 0], [0, 1]]
    tree.controls.cut_clusters = True  # clusters at distance 1: STs {1, 2} and {3, 4}
    labels = cut(tree.content.inference, 1)
    assert labels[0] == labels[1] != labels[2] == labels[3]
    found = model.curve
    assert len(found.stacks.categories) == 2 and found.stacks.title.startswith("cluster")
    assert found.counts[:, labels[0] - 1].tolist() == [2, 0, 1, 0]
    assert found.counts[:, labels[2] - 1].tolist() == [0, 0, 1, 1]
    tree.controls.cut_clusters = False
    tree.controls.colour_by = "none"
    assert model.curve.stacks.categories == [ALL_ISOLATES] and model.curve.stacks.colours == [PLAIN_FILL]


def test_stacks_take_the_trees_palette_groups_and_hidden_categories(tree):
    model = monthly(tree)
    controls = tree.controls
    controls.param.update(colour_by="country", palette="category20")
    assert model.curve.stacks.colours == palette_for(["PT", "ES"], "category20")
    assert model.curve.stacks.colours == [e.colour for e in controls.colouring(
        tree.content.dataset, tree.content.inference).colours.legend]
    controls.min_group = 4  # ES has 3 isolates with a profile: merged into "other", as in the tree
    found = model.curve
    assert found.stacks.categories == ["PT", "other"]
    assert found.counts.tolist() == [[1, 1], [0, 0], [2, 0], [0, 1]]
    controls.hidden = ["other"]  # hidden in the tree's legend: left out of the curve, and said so
    found = model.curve
    assert found.stacks.categories == ["PT"] and found.stacks.hidden == 3
    assert found.counts.tolist() == [[1], [0], [2], [0]]
    assert "3 of categories hidden in the tree's legend are not shown." in model.message


def test_a_numeric_colouring_gives_one_series():
    isolates = b"name\tST\tdate\tage\ni1\t1\t2019\t3\ni2\t2\t2020\t4\ni3\t1\t2021\t3\n"
    dataset = read_dataset(PROFILES, isolates)  # a repeated age: a column the tree may be coloured by
    inference = registry.infer("goeburst", dataset)
    controls = TreeControls.for_tree(dataset, inference)
    controls.colour_by = "age"
    assert stacks(dataset, inference, controls).categories == [ALL_ISOLATES]


def test_brushing_a_window_selects_the_profiles_of_its_isolates_and_the_curve_shows_their_part(tree):
    model = monthly(tree)
    rows = model.brush(day("2019-03-20"), day("2019-03-10"))  # inside March: the whole month
    assert rows == [1, 2]  # i3 (ST 2) and i4 (ST 3)
    assert tree.selection.rows == [1, 2] and tree.selection.source == "epicurve"
    assert model.window == (day("2019-03-01"), day("2019-04-01"))
    # every isolate of STs 2 and 3 dated by month counts as selected, in whichever bin
    assert model.curve.selected.tolist() == [[0], [0], [2], [0]]
    assert ("the 2 isolates of the 2 profiles of the time window brushed on the curve (2019-03)"
            in model.message)
    model.brush(day("2019-01-15"), day("2019-04-15"))
    assert tree.selection.rows == [0, 1, 2, 3] and model.window == (day("2019-01-01"), day("2019-05-01"))
    assert span_text(model.window, "month") == "2019-01 to 2019-04"
    assert model.brush(day("2018-01-01"), day("2018-02-01")) == []
    assert tree.selection.rows == [] and model.window is None


def test_a_selection_made_elsewhere_is_shown_and_drops_the_window(tree):
    model = monthly(tree)
    model.brush(day("2019-03-01"), day("2019-03-02"))
    tree.selection.choose([0], "tree")
    assert model.window is None
    assert model.curve.selected.tolist() == [[2], [0], [0], [0]]
    assert "the 2 isolates of the 1 profile of the nodes selected in the tree" in model.message
    model.clear()
    assert tree.selection.rows == [] and model.curve.selected.tolist() == model.curve.counts.tolist()


def test_changing_the_bins_drops_the_curves_own_selection_but_not_anothers(tree):
    model = monthly(tree)
    model.brush(day("2019-03-01"), day("2019-03-02"))
    model.unit = "year"
    assert tree.selection.rows == [] and model.window is None
    tree.selection.choose([3], "map")
    model.unit = "month"
    assert tree.selection.rows == [3]


def test_doctests():
    assert doctest.testmod(dashboard.viewmodels.epicurve).failed == 0


def test_a_new_tree_resets_the_column_and_unit(tree):
    model = EpiCurve(tree=tree)
    model.unit = "week"
    dataset = read_dataset(PROFILES, b"name\tST\tyear\ni1\t1\t2001\ni2\t2\t2019\n")
    inference = registry.infer("goeburst", dataset)
    tree.param.update(content=OpenTree(dataset, inference, registry.lay_out("radial", inference)),
                      controls=TreeControls.for_tree(dataset, inference))
    assert (model.column, model.unit) == ("year", "year")
    assert model.curve.counts.sum() == 2 and len(model.curve.bins.starts) == 19
