"""The tree view without a browser: its data, its controls' effects and its downloads on the demo dataset."""

from __future__ import annotations

import asyncio
import gc
import shutil
import weakref

import numpy as np
import panel as pn
import pytest
from paths import DEMO

from dashboard.tree import colours as node_colours
from dashboard.tree import export as tree_export
from dashboard.tree import figure as tree_figure
from dashboard.tree import view as tree_view
from dashboard.tree.geometry import RULE_GROUPS, node_sizes, pie_wedges, zoom_box
from dashboard.tree.overview import OverviewTree
from dashboard.tree.view import TreeView
from dashboard.viewmodels.placements import placements_frame
from dashboard.viewmodels.selection import Selection
from dashboard.viewmodels.tree import NO_COLOUR, PARTITION_CHOICE, TreeControls
from engine.algorithms import metadata, registry
from engine.algorithms.clusters import cluster_tsv, cut
from engine.algorithms.layouts import side_by_side
from engine.algorithms.nomenclature import name_clusters
from engine.algorithms.partitions import partition
from engine.algorithms.placement import placement_report
from engine.algorithms.placement_table import placements_tsv
from engine.algorithms.subsets import induced_subtree
from engine.io.datasets import read_dataset
from engine.io.formats import TREE_FORMATS
from engine.io.newick import to_newick
from engine.io.partition_table import partition_tsv
from engine.io.tables import isolates_tsv, profiles_tsv
from engine.models import Dataset, Inference, Layout


@pytest.fixture(scope="module")
def demo() -> tuple[Dataset, Inference, Layout]:
    dataset = read_dataset((DEMO / "profiles.tsv").read_bytes(), (DEMO / "isolates.tsv").read_bytes())
    inference = registry.infer("goeburst", dataset)
    return dataset, inference, registry.lay_out("radial", inference)


@pytest.fixture
def view(demo: tuple[Dataset, Inference, Layout]) -> TreeView:
    return TreeView(*demo, title="demo: goeBURST")


def download(view: TreeView, label: str) -> bytes:
    """What the download button ``label`` sends when clicked."""
    return asyncio.run(view.downloads[label].callback()).read()


def test_a_grapetree_layout_is_drawn_where_it_placed_its_trees_and_singletons(demo) -> None:
    dataset, inference, _ = demo
    layout = registry.lay_out("grapetree", inference)  # its own grid, the singletons in one block
    x = TreeView(dataset, inference, layout).canvas.edges.data["x"]
    np.testing.assert_allclose(x[0::3], layout.x[inference.parents])


def test_edges_are_one_nan_broken_line_at_the_side_by_side_layout(view: TreeView, demo) -> None:
    _, inference, layout = demo
    placed = side_by_side(layout)
    x, y = view.canvas.edges.data["x"], view.canvas.edges.data["y"]
    assert len(x) == len(y) == 3 * len(inference.parents)
    assert np.isnan(x[2::3]).all() and np.isnan(y[2::3]).all()
    np.testing.assert_allclose(x[0::3], placed.x[inference.parents])
    np.testing.assert_allclose(y[1::3], placed.y[inference.children])
    fig = view.canvas.figure
    assert fig.output_backend == "canvas" and fig.match_aspect and fig.name == "tree-figure"  # 260 nodes
    lines = [r for r in fig.renderers if type(r.glyph).__name__ == "Line" and r.visible]
    assert lines == [view.canvas.edge_line, view.canvas.shortened_line]  # no branch is shortened yet
    assert len(view.canvas.shortened.data["x"]) == 0
    assert view.node_labels.value and view.canvas.node_labels_glyph.visible  # 260 nodes: labels on
    hover = view.canvas.nodes.data["summary"]
    assert "country: " in hover[0] and not any("isolate: DEMO" in text for text in hover)  # no id columns


def test_node_area_grows_with_the_isolate_count(view: TreeView, demo) -> None:
    dataset = demo[0]
    np.testing.assert_allclose(view.canvas.nodes.data["size"], node_sizes(dataset.counts))
    sizes = node_sizes(np.array([0, 1, 2, 50, 500, 10_000]))
    assert (np.diff(sizes) >= 0).all() and 4 == sizes[0] < sizes[1] < sizes[-1] == 48
    np.testing.assert_allclose(node_sizes(np.array([1, 4, 16])) ** 2, [100, 400, 1600])  # area ~ count


def test_colour_by_a_categorical_column_draws_pies_that_add_up(view: TreeView, demo) -> None:
    dataset = demo[0]
    view.colour_by.value = "country"
    found = metadata.composition(dataset, "country")
    wedges = view.canvas.wedges.data
    rows = np.array([dataset.profiles.ids.index(i) for i in wedges["id"]])
    angle = np.asarray(wedges["end_angle"]) - np.asarray(wedges["start_angle"])
    for row in np.unique(rows):
        assert angle[rows == row].sum() == pytest.approx(2 * np.pi)
    np.testing.assert_array_equal(wedges["isolates"], found.counts[rows, wedges["category"]])
    mixed = (found.counts > 0).sum(axis=1) >= 2
    assert set(rows.tolist()) == set(np.flatnonzero(mixed).tolist())
    single = np.flatnonzero((found.counts > 0).sum(axis=1) == 1)
    colours = node_colours.palette_for(found.categories)
    assert [view.canvas.nodes.data["fill"][r] for r in single] == [colours[found.counts[r].argmax()]
                                                                     for r in single]
    totals = found.counts.sum(axis=0)
    legend = view.legend_table.value
    assert view.legend.object == "<b>country</b>" and view.legend_table.visible
    assert legend["value"].tolist() == found.categories and legend["isolates"].tolist() == totals.tolist()
    assert legend["colour"].tolist() == colours and legend["shown"].all()


def test_colour_by_a_numeric_column_uses_the_mean_on_a_gradient(view: TreeView, demo) -> None:
    dataset = demo[0]
    view.colour_by.value = "year"
    means = metadata.numeric_means(dataset, "year")
    assert list(view.canvas.nodes.data["fill"]) == node_colours.gradient(means)
    assert len(view.canvas.wedges.data["x"]) == 0 and "linear-gradient" in view.legend.object
    view.colour_by.value = NO_COLOUR
    assert view.legend.object == ""


def test_search_rings_the_matches_and_zooms_to_them(view: TreeView) -> None:
    g = view.geometry
    view.search.value = "Portugal"
    rows = metadata.search(view.dataset, "Portugal")
    assert view.search_message.object == f"{len(rows)} nodes match."
    np.testing.assert_allclose(view.canvas.ring.data["x"], g.x[rows])
    x_range, y_range = view.canvas.figure.x_range, view.canvas.figure.y_range
    assert x_range.start <= g.x[rows].min() and g.x[rows].max() <= x_range.end
    assert y_range.start <= g.y[rows].min() and g.y[rows].max() <= y_range.end
    assert x_range.tags[:2] == [x_range.start, x_range.end]  # what the browser applies as a user zoom
    view.search.value = "5"
    row = view.dataset.profiles.ids.index("5")
    assert view.search_message.object == "1 node matches."
    assert x_range.start < g.x[row] < x_range.end and x_range.end - x_range.start < 1000
    view.search.value = "no such thing"
    assert view.search_message.object == "Nothing matches." and len(view.canvas.ring.data["x"]) == 0


def test_cluster_cut_table_and_tsv_agree_with_the_engine(view: TreeView, demo) -> None:
    inference = demo[1]
    assert view.downloads["Cluster TSV"].disabled and view.threshold.disabled
    view.cut_clusters.value = True
    for threshold in (1, 2):
        view.threshold.value = threshold
        labels = cut(inference, threshold)
        assert view.clusters.visible and view.clusters.value["profiles"].sum() == len(inference.ids)
        assert view.clusters.value["profiles"].tolist() == np.bincount(labels)[1:].tolist()
        assert download(view, "Cluster TSV").decode() == cluster_tsv(inference, labels, threshold)
        assert view.downloads["Cluster TSV"].filename.endswith(f"_clusters_d{threshold}.tsv")
        fills = np.asarray(view.canvas.nodes.data["fill"], dtype=object)
        assert len(set(fills[labels <= 20])) == min(20, labels.max())
        assert len(set(fills[labels > 20])) <= 1
    view.cut_clusters.value = False
    assert view.downloads["Cluster TSV"].disabled and not view.clusters.visible


def test_edge_rule_colours_are_one_line_per_rule_present(view: TreeView, demo) -> None:
    inference = demo[1]
    present = {RULE_GROUPS[k] for k in np.unique(view.geometry.rules)}
    assert set(view.canvas.rule_lines) == present and len(present) <= len(RULE_GROUPS)
    view.edge_rules.value = True
    assert not view.canvas.edge_line.visible
    assert all(line.visible for line in view.canvas.rule_lines.values())
    drawn = sum(len(source.data["x"]) for source in view.canvas.rule_sources.values())
    assert drawn == 3 * len(inference.parents) and "SLV count (lv1)" in view.legend.object
    view.edge_rules.value = False
    assert view.canvas.edge_line.visible and not any(r.visible for r in view.canvas.rule_lines.values())


def test_edge_labels_are_the_distances_at_the_midpoints(view: TreeView, demo) -> None:
    inference = demo[1]
    view.edge_labels.value = True
    text = view.canvas.edge_text.data
    assert list(text["text"]) == [str(d) for d in inference.distances]
    k = 7
    g = view.geometry
    assert text["x"][k] == pytest.approx((g.x[inference.parents[k]] + g.x[inference.children[k]]) / 2)
    view.edge_labels.value = False
    assert len(view.canvas.edge_text.data["x"]) == 0


def test_trees_above_the_canvas_limit_are_drawn_with_webgl(demo, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tree_figure, "CANVAS_MAX_NODES", len(demo[1].ids) - 1)
    assert TreeView(*demo).canvas.figure.output_backend == "webgl"
    monkeypatch.setattr(tree_figure, "CANVAS_MAX_NODES", len(demo[1].ids))
    assert TreeView(*demo).canvas.figure.output_backend == "canvas"


def test_large_trees_switch_to_a_datashaded_overview(demo, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tree_view, "OVERVIEW_MIN_NODES", 100)
    view = TreeView(*demo)
    assert isinstance(view.canvas, OverviewTree) and isinstance(view.canvas.pane, pn.pane.HoloViews)
    assert view.node_labels.disabled and not view.node_labels.value
    view.colour_by.value = "country"
    assert list(view.canvas.node_frame["fill"]) == list(view.colours.fill)
    assert view.canvas.node_frame["fill"].nunique() > 5 and view.canvas.pane.object is view.canvas.overlay
    view.colour_by.value = "year"  # a gradient, snapped to the colour bar's stops for datashader
    assert set(view.canvas.node_frame["fill"]) <= {*view.colours.scale.colours, node_colours.NO_VALUE_COLOUR}
    view.search.value = "Portugal"
    rows = metadata.search(view.dataset, "Portugal")
    assert view.search_message.object == f"{len(rows)} nodes match."
    assert view.canvas.marked.tolist() == rows.tolist()
    x0, x1, y0, y1 = view.canvas.view
    assert x0 < view.geometry.x[rows].min() and view.geometry.x[rows].max() < x1
    assert y0 < view.geometry.y[rows].min() and view.geometry.y[rows].max() < y1


def test_tree_downloads_equal_the_engine_writers(view: TreeView, demo) -> None:
    inference = demo[1]
    for tree in TREE_FORMATS.values():
        assert download(view, tree.label).decode() == tree.write(inference)
        assert view.downloads[tree.label].filename == f"demo_goeBURST.{tree.extension}"
    assert view.downloads["Newick"].filename == "demo_goeBURST.nwk"


def test_svg_is_not_offered_for_big_trees(demo, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tree_export, "SVG_MAX_NODES", 100)
    assert TreeView(*demo).downloads["SVG"].disabled


@pytest.mark.skipif(shutil.which("chromium") is None, reason=tree_export.NO_CHROMIUM)
def test_png_of_the_current_view(view: TreeView) -> None:
    view.colour_by.value = "country"
    assert download(view, "PNG").startswith(b"\x89PNG")


def test_pies_and_zoom_boxes_on_small_examples() -> None:
    counts = np.array([[2, 0, 2], [0, 3, 0], [1, 1, 2]])
    x = y = np.arange(3.0)
    wedges = pie_wedges(counts, ["#a", "#b", "#c"], x, y, np.full(3, 10.0), ["1", "2", "3"])
    assert wedges["id"].tolist() == ["1", "1", "3", "3", "3"]
    np.testing.assert_allclose(wedges["end_angle"], [np.pi, 2 * np.pi, np.pi / 2, np.pi, 2 * np.pi])
    assert wedges["radius"].tolist() == [5.0] * 5 and wedges["fill_color"].tolist()[:2] == ["#a", "#c"]
    x0, x1, y0, y1 = zoom_box(np.array([0.0, 1000.0]), np.array([0.0, 100.0]), 2.0)
    assert (x1 - x0) == pytest.approx(2 * (y1 - y0)) and x0 < 0 and x1 > 1000


def test_a_dataset_without_isolates_has_plain_nodes_and_no_metadata_colours(demo) -> None:
    dataset = read_dataset((DEMO / "profiles.tsv").read_bytes())
    view = TreeView(dataset, *demo[1:])
    assert view.colour_by.disabled and list(view.colour_by.values) == [NO_COLOUR]
    assert set(view.canvas.nodes.data["summary"]) == {""}
    view.search.value = "5"
    assert view.search_message.object == "1 node matches."


def test_a_partition_colours_by_its_names_lists_its_changes_and_is_downloaded(demo) -> None:
    dataset, inference, layout = demo
    cut_at = partition(inference, [1, 2])
    naming = name_clusters(None, cut_at.ids, cut_at.labels, cut_at.thresholds)
    controls = TreeControls.for_tree(dataset, inference, naming)
    view = TreeView(dataset, inference, layout, title="demo: goeBURST", controls=controls)
    assert view.changes.visible and view.changes.value["kind"].unique().tolist() == ["new"]
    assert not view.downloads["Partition TSV"].disabled
    assert download(view, "Partition TSV").decode() == partition_tsv(naming.isolates, naming.thresholds,
                                                                     naming.names)
    view.colour_by.value = f"{PARTITION_CHOICE}2"
    fills = np.asarray(view.canvas.nodes.data["fill"], dtype=object)
    names = [row[1] for row in naming.names]
    assert view.colours.legend[0].label == "C1" and view.clusters.visible is False
    assert len({fill for fill, name in zip(fills, names, strict=True) if name == "C1"}) == 1
    plain = TreeView(*demo, title="demo: goeBURST")
    assert not plain.changes.visible and plain.downloads["Partition TSV"].disabled


def test_a_versions_new_isolates_are_a_table_whose_rows_select_their_profiles(demo) -> None:
    dataset, inference, layout = demo
    cut_at = partition(inference, [1, 2])
    naming = name_clusters(None, cut_at.ids, cut_at.labels, cut_at.thresholds)
    old = dataset.profiles.size - 3  # as if a version had added the last three profiles
    report = placement_report(dataset, old, naming)
    new_rows = np.arange(dataset.profiles.size) >= old
    controls = TreeControls.for_tree(dataset, inference, naming, new_rows, report)
    view = TreeView(dataset, inference, layout, title="demo: goeBURST", controls=controls)
    assert view.placements.visible and "pd-tree-placements" in view.placements.css_classes
    assert view.placements.value.equals(placements_frame(report, naming.thresholds))
    assert view.placements.value["isolate"].tolist() == dataset.profiles.ids[old:]
    assert view.placements.value.columns.tolist()[-2:] == ["cluster at 1", "cluster at 2"]
    assert download(view, "Placement TSV").decode() == placements_tsv(report, naming.thresholds)
    view.placements.selection = [1]  # a row ticked
    assert view.selection.rows == [old + 1] and view.selection.source == "placements"
    assert sorted(view.canvas.nodes.selected.indices) == [old + 1]
    assert "among the new isolates" in view.selection_message.object
    view.placements.selection = []
    assert view.selection.rows == []
    view.placements.selection = [0, 2]
    assert view.selection.rows == [old, old + 2]
    view.selection.choose([0], "tree")  # another view selects: the ticks go
    assert view.placements.selection == [] and view.selection.rows == [0]
    plain = TreeView(*demo, title="demo: goeBURST")
    assert not plain.placements.visible and plain.downloads["Placement TSV"].disabled


def test_collapse_draws_the_engines_clusters_and_a_node_selects_its_profiles(view: TreeView, demo) -> None:
    dataset, inference = demo[:2]
    view.collapse.value = 1
    labels = cut(inference, 1)
    assert view.drawn.geometry.profiles == len(np.unique(labels))
    assert f"**{view.drawn.geometry.nodes:,} nodes** drawn" in view.drawn_message.object
    biggest = np.bincount(labels).argmax()
    node = view.drawn.groups.drawn(np.flatnonzero(labels == biggest))
    assert len(node) == 1
    view.canvas.nodes.selected.indices = node.tolist()  # a tap in the browser
    assert view.selection.rows == np.flatnonzero(labels == biggest).tolist()
    assert view.selection.source == "tree" and view.canvas.nodes.selected.indices == node.tolist()
    picked = view.selection.isolates(dataset.isolates)
    assert view.table.value.index.tolist() == picked.tolist()
    assert f"**{len(view.selection.rows):,} profiles, {len(picked):,} isolates selected** in the tree" \
        in view.selection_message.object
    view.collapse.value = 5  # beyond the slider's end (the longest edge, 2): typed in its box
    assert view.drawn.geometry.profiles == len(np.unique(cut(inference, 5))) < len(np.unique(labels))
    view.collapse.value = 0
    assert view.drawn.geometry.profiles == dataset.profiles.size
    assert view.selection.rows == np.flatnonzero(labels == biggest).tolist()  # kept through redraws
    assert sorted(view.canvas.nodes.selected.indices) == view.selection.rows


def test_a_closed_view_is_freed_while_the_sessions_selection_lives_on(demo) -> None:
    # A session keeps one selection for every tree it opens; a view it replaced must not stay in memory
    # (each tree opened in the dashboard used to keep its view, about 3 MB, until the server stopped).
    shared = Selection()
    first = TreeView(*demo, selection=shared)
    first.collapse.value = 1
    gone = weakref.ref(first)
    first.close()
    del first
    gc.collect()
    assert gone() is None
    second = TreeView(*demo, selection=shared)
    shared.choose(np.arange(3), "table")  # the selection still reaches the view that shows it
    assert sorted(second.canvas.nodes.selected.indices) == [0, 1, 2]


def test_table_rows_and_filters_select_their_nodes(view: TreeView, demo) -> None:
    dataset = demo[0]
    isolates = dataset.isolates
    view.table.selection = [0, 3]
    links = np.asarray(isolates.profile_rows)
    assert view.selection.rows == sorted({int(links[0]), int(links[3])})
    assert view.selection.source == "table"
    assert sorted(view.canvas.nodes.selected.indices) == view.selection.rows
    view.table.selection = []
    view.table.filters = [{"field": "country", "type": "like", "value": "Portugal"}]
    country = isolates.columns.index("country")
    portugal = [k for k, row in enumerate(isolates.rows) if "Portugal" in row[country]]
    assert view.selection.rows == sorted({int(links[k]) for k in portugal})
    assert sorted(view.canvas.nodes.selected.indices) == view.selection.rows
    view.table.filters = []
    assert view.selection.rows == [] and view.clear_selection.disabled


def test_selection_downloads_equal_the_engine_writers(view: TreeView, demo) -> None:
    dataset, inference = demo[:2]
    assert all(button.disabled for button in view.selection_downloads.values())
    rows = metadata.search(dataset, "Portugal").tolist()
    view.selection.choose(rows, "search")
    picked = view.selection.isolates(dataset.isolates)
    selected = {label: asyncio.run(button.callback()).read().decode()
                for label, button in view.selection_downloads.items()}
    assert selected["Isolate TSV"] == isolates_tsv(dataset.isolates, picked)
    assert selected["Profile TSV"] == profiles_tsv(dataset.profiles, rows, dataset.isolates.profile_column)
    assert selected["Subtree Newick"] == to_newick(induced_subtree(inference, rows))
    lines = selected["Isolate TSV"].splitlines()
    column = lines[0].split("\t").index(dataset.isolates.profile_column)
    ids = {dataset.profiles.ids[row] for row in rows}
    assert len(lines) == len(picked) + 1 and {line.split("\t")[column] for line in lines[1:]} == ids
    view.clear_selection.clicks += 1
    assert view.selection.rows == [] and len(view.table.value) == len(dataset.isolates.rows)


def test_categories_are_capped_and_a_legend_click_hides_one(view: TreeView, demo) -> None:
    view.colour_by.value = "country"
    total = len(metadata.composition(demo[0], "country").categories)
    view.max_categories.value = 3
    legend = view.legend_table.value
    assert len(legend) <= 4 and "other" in legend["value"].tolist() and total > 3
    assert legend["isolates"].sum() == len(demo[0].isolates.rows)
    shown = set(view.canvas.nodes.data["fill"])
    view.palette.value = next(p for p in view.palette.values if p != view.palette.value)
    assert set(view.canvas.nodes.data["fill"]) != shown
    first = legend["value"].iloc[0]
    view._on_legend_click(type("Click", (), {"row": 0})())
    assert view.controls.hidden == [first] and not view.legend_table.value["shown"].iloc[0]
    view.min_group.value = 10_000  # every category is too small: one "other"
    assert view.legend_table.value["value"].tolist() == ["other"] and view.controls.hidden == []


@pytest.mark.skipif(tree_export.missing_browser() is not None, reason=tree_export.NO_CHROMIUM)
def test_svg_of_the_current_view_has_its_legend_and_the_shortened_branches(view: TreeView) -> None:
    view.colour_by.value = "country"
    view.max_categories.value = 3
    view.long_branches.value = 1  # the demo's edges are 1 or 2 long
    assert len(view.canvas.shortened_text.data["text"])
    picture = download(view, "SVG").decode()
    assert picture.lstrip().startswith("<svg")
    for entry in view.canvas.scene.colours.legend:
        assert f"{entry.label} ({entry.isolates:,})" in picture
    assert "shortened branch" in picture and "demo: goeBURST" in picture
