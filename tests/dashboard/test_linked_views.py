"""The epidemic curve and the map drawn under the tree, without a browser: their Bokeh data and how they
share the selection with the drawn tree (dashboard/tree/epicurve.py, map.py, linked.py)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from bokeh.models import TapTool
from paths import DEMO

from dashboard.tree.colours import FADED_ALPHA, LAND_FILL, count_shades
from dashboard.tree.epicurve import segments
from dashboard.tree.linked import LinkedViews
from dashboard.tree.map import LARGEST_CIRCLE_PX, SMALLEST_CIRCLE_PX, circle_sizes, country_outlines
from dashboard.tree.view import TreeView
from dashboard.viewmodels.tree import OpenTree, TreeControls, TreeState
from dashboard.viewmodels.world import world
from engine.algorithms import registry
from engine.io.datasets import read_dataset

_DAY_MS = 86_400_000


@pytest.fixture(scope="module")
def demo() -> OpenTree:
    dataset = read_dataset((DEMO / "profiles.tsv").read_bytes(), (DEMO / "isolates.tsv").read_bytes())
    inference = registry.infer("goeburst", dataset)
    return OpenTree(dataset, inference, registry.lay_out("radial", inference), "demo")


@pytest.fixture
def linked(demo: OpenTree) -> tuple[TreeState, LinkedViews, TreeView]:
    tree = TreeState()
    controls = TreeControls.for_tree(demo.dataset, demo.inference)
    tree.param.update(content=demo, controls=controls)
    views = LinkedViews(tree)
    view = TreeView(demo.dataset, demo.inference, demo.layout, controls=controls, selection=tree.selection)
    return tree, views, view


def test_the_demo_has_both_views(linked):
    _, views, _ = linked
    assert views.epicurve.model.available and views.epicurve.model.column == "date"
    assert views.map.model.available and views.map.model.column == "country"
    assert "570 isolates in 7 countries" in views.map.model.message


def test_segments_stack_the_selected_part_in_full_colour_under_the_rest(linked):
    _, views, _ = linked
    found = views.epicurve.model.curve
    data = segments(found)
    assert sum(data["isolates"]) == int(found.counts.sum()) == 570
    assert set(data["alpha"]) == {1.0} and set(data["part"]) == {""}
    views.epicurve.model.brush(found.bins.starts[3], found.bins.starts[3])  # the fourth year
    data = segments(views.epicurve.model.curve)
    left = np.asarray(data["left"])
    alpha, part = np.asarray(data["alpha"]), np.asarray(data["part"])
    selected = views.epicurve.model.curve.selected
    assert np.asarray(data["isolates"])[alpha == 1.0].sum() == selected.sum() > 0
    assert set(part[alpha == FADED_ALPHA]) == {"not selected"} and set(part[alpha == 1.0]) == {"selected"}
    # in every bin the bars touch: each segment starts where the one below it ends, selected ones first
    for start in np.unique(left):
        here = left == start
        bottoms, tops = np.asarray(data["bottom"])[here], np.asarray(data["top"])[here]
        assert bottoms[0] == 0 and (bottoms[1:] == tops[:-1]).all()
        assert (np.diff(alpha[here]) <= 0).all()
    assert views.epicurve.window.visible and views.epicurve.window.left == found.bins.starts[3] * _DAY_MS


def test_a_brushed_window_is_shown_on_the_tree_and_a_tap_on_the_tree_selects(linked):
    tree, views, view = linked
    starts = views.epicurve.model.curve.bins.starts
    views.epicurve._on_brush(SimpleNamespace(final=True, geometry={"x0": starts[2] * _DAY_MS,
                                                                   "x1": starts[4] * _DAY_MS}))
    rows = tree.selection.rows
    assert rows and tree.selection.source == "epicurve"
    assert view.canvas.nodes.selected.indices == rows
    # a tap replaces the selection (Bokeh's default toggle would clear it on a node already selected)
    assert {tool.mode for tool in view.canvas.figure.select(type=TapTool)} == {"replace"}
    view.canvas.nodes.selected.indices = [5, 1]  # as a tap or a box select in the browser
    assert tree.selection.rows == [1, 5] and tree.selection.source == "tree"
    assert views.epicurve.model.window is None
    assert "of the 2 profiles of the nodes selected in the tree" in views.epicurve.model.message
    views.epicurve.model.clear()
    assert view.canvas.nodes.selected.indices == []


def test_pies_are_faded_outside_the_selection(linked):
    tree, _, view = linked
    view.controls.colour_by = "country"
    tree.selection.choose([0], "table")
    wedges = view.canvas.wedges
    ids = np.asarray(wedges.data["id"], dtype=object)
    assert sorted(wedges.selected.indices) == np.flatnonzero(ids == view.geometry.ids[0]).tolist() != []


def test_the_map_shades_countries_and_sizes_circles_by_count(linked):
    tree, views, _ = linked
    places = views.map.model.places
    data = views.map.places.data
    assert data["name"] == places.names and max(data["outer"]) == LARGEST_CIRCLE_PX
    fills = dict(zip(views.map.countries.data["name"], views.map.countries.data["fill"], strict=True))
    assert fills["Spain"] == LAND_FILL and fills["Portugal"] != LAND_FILL
    portugal = places.names.index("Portugal")
    views.map._on_tap(SimpleNamespace(x=float(places.lon[portugal]), y=float(places.lat[portugal])))
    assert tree.selection.source == "map" and views.map.model.picked == "Portugal"
    # every Portuguese isolate's profile is selected; elsewhere only those of the same profiles
    inner, outer = np.asarray(views.map.places.data["inner"]), np.asarray(views.map.places.data["outer"])
    assert inner[portugal] == outer[portugal] and (inner <= outer).all() and (inner < outer).any()
    views.map._on_tap(SimpleNamespace(x=-3.7, y=40.4))  # Madrid: Spain has no isolate
    assert tree.selection.rows == [] and views.map.model.picked == ""


def test_circle_sizes_and_shades():
    sizes = circle_sizes(np.array([0, 1, 25, 100]), 100)
    assert sizes[0] == 0 and sizes[1] == SMALLEST_CIRCLE_PX and sizes[3] == LARGEST_CIRCLE_PX
    assert sizes[2] == pytest.approx(LARGEST_CIRCLE_PX / 2)  # a quarter of the isolates, a quarter the area
    assert count_shades(np.array([0, 0])) == [LAND_FILL, LAND_FILL]
    assert len(set(count_shades(np.array([1, 5, 50])))) == 3
    # every country with an outline is drawn; the smallest have none at this scale
    drawn = country_outlines()["name"]
    assert len(drawn) == sum(bool(c.polygons) for c in world().countries) > 170
