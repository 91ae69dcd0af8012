"""The open tree: which dataset, inference and drawing the Tree tab shows, read off the UI, and the
controls over it (colours, collapse, branch and node scales, labels, search, cluster cut). A tree opens
with the newest partition of its inference (or the one asked for): its clusters, by their lasting names
at each threshold, are among the colourings, and so are the profiles a dataset version added to its
parent; the partition's placement report (where the version's new isolates landed) goes with it.

:meth:`TreeState.show` reads the tree; :class:`TreeControls` holds what the controls say and
:meth:`TreeControls.colouring` computes the node colours they ask for; :meth:`TreeState.save_subset`
keeps the selected profiles as a new dataset of the project. The drawing itself is the view's
(:class:`dashboard.tree.view.TreeView`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import param

from dashboard.session import SessionModel, part
from dashboard.text import plain
from dashboard.tree.collapse import BRANCH_SCALES
from dashboard.tree.colours import (
    MAX_CATEGORIES,
    MIN_GROUP_SIZE,
    PALETTE_LABELS,
    NodeColours,
    cluster_colours,
    cluster_table,
    metadata_colours,
    new_profile_colours,
    plain_colours,
)
from dashboard.tree.geometry import SIZE_SCALES
from dashboard.viewmodels.naming import named_labels
from dashboard.viewmodels.projects import ProjectPicker
from dashboard.viewmodels.selection import Selection
from engine.algorithms import registry
from engine.algorithms.clusters import cut
from engine.algorithms.nomenclature import Naming
from engine.algorithms.placement import Placement
from engine.algorithms.subsets import subset_dataset
from engine.errors import ParameterError, PhyloDashError
from engine.io.partition_table import threshold_label
from engine.models import Dataset, Inference, Layout
from engine.storage.records import DatasetRecord

_log = logging.getLogger(__name__)
#: The ``colour_by`` choice that colours nothing.
NO_COLOUR = "none"
#: The ``colour_by`` choice that shows the profiles a dataset version added.
NEW_PROFILES = "profiles added in this version"
#: The ``colour_by`` choices of a partition's names start so, then the threshold.
PARTITION_CHOICE = "cluster names at "
#: Profile ids are shown next to the nodes by default up to this many nodes.
NODE_LABELS_MAX = 2_000
#: The ``label_by`` choice that writes each node's profile id (ST).
ID_LABEL = "id"
#: How the controls name the branch length scales and the node size scales.
BRANCH_SCALE_LABELS = dict(zip(("as laid out", "square root", "logarithm"), BRANCH_SCALES, strict=True))
SIZE_SCALE_LABELS = dict(zip(("area ~ isolates", "diameter ~ isolates", "logarithmic"), SIZE_SCALES,
                             strict=True))
HELP = ("Open a tree from the **Jobs** tab (the *Open* button of a finished job). An inference opens with "
        "the newest drawing made of it, or the layout that fits its method computed at once.")


@dataclass(frozen=True)
class OpenTree:
    """A tree read for drawing: its dataset, the inference, the layout to draw it at, a title, the
    partition shown with it (its id and names; None when the inference has none), which profile
    rows the dataset version added to its parent (None for a dataset that is no version) and the
    partition's placement report of the new isolates (None without a partition or for one stored
    before reports were kept)."""

    dataset: Dataset
    inference: Inference
    layout: Layout
    title: str = ""
    partition_id: str | None = None
    naming: Naming | None = None
    new_rows: np.ndarray | None = None
    placements: list[Placement] | None = None


@dataclass(frozen=True)
class Colouring:
    """The node colours the controls ask for; with the cluster cut on, every profile row's ``clusters``
    label (1 = largest) and the cluster table's columns too."""

    colours: NodeColours
    threshold: int
    clusters: np.ndarray | None = None
    table: pd.DataFrame | None = None


class TreeControls(param.Parameterized):
    """What the controls beside a tree say. :meth:`for_tree` makes them for a given tree."""

    colour_by = param.Selector(objects=[NO_COLOUR], default=NO_COLOUR, label="Colour nodes by",
                               doc="An isolate metadata column with fewer distinct values than isolates, "
                                   "or none.")
    palette = param.Selector(objects=PALETTE_LABELS, default="glasbey", label="Palette",
                             doc="The colours of the categories (other and no value are always grey).")
    max_categories = param.Integer(MAX_CATEGORIES, bounds=(2, 60), label="Most categories",
                                   doc="At most this many categories; the rarest merge into 'other'.")
    min_group = param.Integer(MIN_GROUP_SIZE, bounds=(1, None), label="Smallest category (isolates)",
                              doc="Categories with fewer isolates than this merge into 'other'.")
    hidden = param.List(default=[], item_type=str, label="Hidden categories",
                        doc="Legend entries whose nodes are hidden (a pie keeps its other slices).")
    search = param.String("", label="Find", doc="An ST (exact) or any text found in an ST or in metadata.")
    node_labels = param.Boolean(False, label="Show node labels", doc="Write a label next to each node.")
    label_by = param.Selector(objects={"profile id (ST)": ID_LABEL}, default=ID_LABEL, label="Label nodes by",
                              doc="The profile id, or an isolate metadata column (its most frequent values).")
    label_size = param.Integer(8, bounds=(5, 30), label="Label font size (pt)", doc="The labels' font size.")
    edge_labels = param.Boolean(False, label="Show distances on edges",
                                doc="Write each edge's distance at its middle.")
    edge_rules = param.Boolean(False, label="Colour edges by rule",
                               doc="Colour each edge by the goeBURST rule that chose it.")
    cut_clusters = param.Boolean(False, label="Cut into clusters",
                                 doc="Colour the nodes by cluster at the threshold.")
    threshold = param.Integer(1, bounds=(0, 1), label="Cluster distance threshold",
                              doc="Edges with a distance above this are cut.")
    naming = param.ClassSelector(class_=Naming, default=None, allow_None=True, precedence=-1,
                                 doc="The names of the partition shown with the tree.")
    new_rows = param.Array(default=None, allow_None=True, precedence=-1,
                           doc="Which profile rows the dataset version added (None: not a version).")
    placements = param.List(default=None, allow_None=True, item_type=Placement, precedence=-1,
                            doc="Where the partition placed the version's new isolates (None: no report).")
    collapse = param.Number(0.0, bounds=(0, None), softbounds=(0, 1), step=1,
                            label="Collapse branches up to",
                            doc="Edges this long or shorter are merged: each cluster at this distance is one "
                                "node (its isolates pooled). 0 shows the whole tree.")
    long_branches = param.Number(0.0, bounds=(0, None), softbounds=(0, 1), step=1,
                                 label="Shorten branches longer than",
                                 doc="Edges longer than this are drawn as long as this, dashed, their length "
                                     "written beside them. 0 draws every edge at its length.")
    branch_scale = param.Selector(objects=BRANCH_SCALE_LABELS, default="linear", label="Branch lengths",
                                  doc="As laid out, or compressed (square root, logarithm) so long branches "
                                      "take less room.")
    size_scale = param.Selector(objects=SIZE_SCALE_LABELS, default="sqrt", label="Node size",
                                doc="How a node grows with its isolates: area, diameter or logarithm.")

    @classmethod
    def for_tree(cls, dataset: Dataset, inference: Inference, naming: Naming | None = None,
                 new_rows: np.ndarray | None = None,
                 placements: list[Placement] | None = None) -> TreeControls:
        """Controls for this tree: the colourings it offers (the added profiles of a version, the names
        of the partition at each of its thresholds, its isolate columns that group isolates), its
        isolate columns to label by, thresholds up to its longest edge, labels on up to
        :data:`NODE_LABELS_MAX` nodes; ``placements`` is the partition's placement report."""
        controls = cls(node_labels=dataset.profiles.size <= NODE_LABELS_MAX, naming=naming, new_rows=new_rows,
                       placements=placements)
        added = [NEW_PROFILES] if new_rows is not None and new_rows.any() else []
        thresholds = () if naming is None else naming.thresholds
        named = [f"{PARTITION_CHOICE}{threshold_label(t)}" for t in thresholds]
        controls.param.colour_by.objects = [NO_COLOUR, *added, *named, *metadata_columns(dataset)]
        isolates = dataset.isolates
        columns = [] if isolates is None else [c for c in isolates.columns if c != isolates.profile_column]
        controls.param.label_by.objects = {"profile id (ST)": ID_LABEL, **{c: c for c in columns}}
        distances = np.asarray(inference.distances)
        longest = float(np.max(distances, initial=0))
        controls.param.threshold.bounds = (0, max(int(longest), 1))
        controls.threshold = min(1, int(longest))
        whole = np.issubdtype(distances.dtype, np.integer)
        step = 1 if whole else (10 ** np.floor(np.log10(longest / 100)) if longest > 0 else 0.01)
        top = max(longest, 1.0) if whole else max(longest, 0.01)
        for name in ("collapse", "long_branches"):  # the slider spans the tree's edges; typed, any d >= 0
            controls.param[name].softbounds = (0, top)
            controls.param[name].step = float(step)
        return controls

    def colouring(self, dataset: Dataset, inference: Inference) -> Colouring:
        """The colours the controls ask for now (see :func:`colouring`)."""
        return colouring(dataset, inference, self.colour_by, self.cut_clusters, self.threshold,
                         self.naming, self.new_rows, palette=self.palette,
                         max_categories=self.max_categories, min_group=self.min_group)

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self.param.watch(self._categories_changed,
                         ["colour_by", "cut_clusters", "threshold", "max_categories", "min_group"])

    def _categories_changed(self, *_events: object) -> None:
        """Other categories: none of them is hidden."""
        self.hidden = []


def colouring(dataset: Dataset, inference: Inference, column: str, cut_on: bool, threshold: int,
              naming: Naming | None = None, new_rows: np.ndarray | None = None, *,
              palette: str = "glasbey", max_categories: int = MAX_CATEGORIES,
              min_group: int = MIN_GROUP_SIZE) -> Colouring:
    """The node colours of a tree: its clusters at ``threshold`` when ``cut_on``, else ``column``: the
    added profiles (:data:`NEW_PROFILES`, with ``new_rows``), a partition's names at one threshold
    (:data:`PARTITION_CHOICE` and the threshold, with ``naming``), an isolate column, or
    :data:`NO_COLOUR` (one colour). Categories take their colours from ``palette``; an isolate column
    has at most ``max_categories`` of them, those below ``min_group`` isolates merged into "other".
    Slow on big trees: call it in a thread."""
    counts = np.asarray(dataset.counts)
    if cut_on:
        labels = cut(inference, threshold)
        table = pd.DataFrame(cluster_table(labels, counts, inference.ids[:inference.profile_count]))
        return Colouring(cluster_colours(labels, counts, threshold, palette_name=palette), threshold, labels,
                         table)
    if column == NEW_PROFILES and new_rows is not None:
        return Colouring(new_profile_colours(new_rows, counts), threshold)
    if column.startswith(PARTITION_CHOICE) and naming is not None:
        at = column[len(PARTITION_CHOICE):]
        j = [threshold_label(t) for t in naming.thresholds].index(at)
        labels, names = named_labels([row[j] for row in naming.names])
        table = pd.DataFrame(cluster_table(labels, counts, naming.isolates)).assign(cluster=names)
        colours = cluster_colours(labels, counts, naming.thresholds[j], names, palette)
        return Colouring(colours, threshold, labels, table)
    if column != NO_COLOUR:
        return Colouring(metadata_colours(dataset, column, max_categories, min_group, palette), threshold)
    return Colouring(plain_colours(dataset.profiles.size), threshold)


def metadata_columns(dataset: Dataset) -> list[str]:
    """The isolate columns nodes can be coloured by: all but the profile-id column and the columns with a
    value for every isolate (an isolate id colours every isolate apart; the table shows it)."""
    isolates = dataset.isolates
    if isolates is None:
        return []
    found = []
    for k, name in enumerate(isolates.columns):
        if name != isolates.profile_column and len({row[k] for row in isolates.rows}) < len(isolates.rows):
            found.append(name)
    return found


class TreeState(SessionModel):
    """Which tree is open, its content once read, and its controls."""

    dataset_id = param.String(default=None, allow_None=True, doc="The open tree's dataset.")
    inference_id = param.String(default=None, allow_None=True, doc="The open inference.")
    visualization_id = param.String(default=None, allow_None=True,
                                    doc="The drawing shown; None: the newest, or the layout that fits.")
    status = param.Selector(objects=["closed", "loading", "open", "failed"], default="closed",
                            doc="closed (nothing asked yet), loading, open (content is set) or failed.")
    message = param.String(HELP, doc="Help, progress or why the tree could not be opened (Markdown).")
    content = param.ClassSelector(class_=OpenTree, default=None, allow_None=True, precedence=-1,
                                  doc="The tree read for drawing.")
    controls = param.ClassSelector(class_=TreeControls, default=None, allow_None=True, precedence=-1,
                                   doc="The controls of the open tree.")
    selection = param.ClassSelector(class_=Selection, default=None, precedence=-1, instantiate=True,
                                    doc="The profile rows the tree's views have selected.")
    subset_name = param.String("", label="New dataset name",
                               doc="The name of the dataset made of the selected profiles.")
    save_subset = param.Event(label="New dataset from selection",
                              doc="Keep the selected profiles and their isolates as a new dataset of the "
                                  "project, to launch an inference on.")
    subset_message = param.String("", doc="What the last New dataset did, or why it failed (Markdown).")
    saved = param.String(default=None, allow_None=True, precedence=-1,
                         doc="The id of the dataset the last New dataset made.")

    picker = part(ProjectPicker, "The project the tree belongs to.")

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        if self.selection is None:
            self.selection = Selection()
        self._ticket = 0  # the latest show(): an older one that ends later is dropped

    def _init_callbacks(self) -> None:
        self.param.watch(self._on_save_subset, "save_subset")

    async def _on_save_subset(self, _event: object = None) -> None:
        await self.keep_selection()

    async def keep_selection(self) -> None:
        """Store the selected profiles (and their isolates) as a new dataset of the project: ``saved``
        becomes its id (the page then offers it in the Jobs tab's form)."""
        content, rows = self.content, list(self.selection.rows)
        if content is None or not rows:
            self.subset_message = "Select some nodes (or table rows) first."
            return
        name = self.subset_name.strip() or f"{content.title.split(':')[0]} (selection of {len(rows):,})"
        try:
            record = await self.session.run(self._store_subset, self.picker.project, content, rows, name)
        except PhyloDashError as error:
            self.subset_message = f"**No new dataset:** {plain(error)}"
            return
        await self.picker.refresh()
        self.param.update(saved=record.id, subset_name="",
                          subset_message=f"Saved **{plain(record.name)}** ({len(rows):,} profiles): "
                                         "choose a method in **Jobs** and launch it.")

    def _store_subset(self, project: str | None, content: OpenTree, rows: list[int], name: str) -> Any:
        if not project:
            raise ParameterError("no project is selected")
        catalog = self.session.service.catalog
        catalog.project(self.session.user, project, write=True)  # members only
        note = f"{len(rows):,} profiles selected in the tree {content.title}"
        subset = subset_dataset(content.dataset, rows, note=note)
        return catalog.store_dataset(project, subset, name=name, description=note)

    async def show(self, dataset_id: str, inference_id: str, visualization_id: str | None = None,
                   partition_id: str | None = None) -> None:
        """Read and open a tree: the drawing ``visualization_id``, else the newest, else the layout that fits
        its method (equal-angle for NJ, rectangular for dendrograms, radial for the others); with the
        partition ``partition_id``, else the inference's newest one (if any)."""
        self._ticket += 1
        ticket = self._ticket
        self.param.update(dataset_id=dataset_id, inference_id=inference_id, visualization_id=visualization_id,
                          status="loading", message="Loading the tree...")
        try:
            content = await self.session.run(self._read, self.picker.project, dataset_id, inference_id,
                                             visualization_id, partition_id)
            controls = TreeControls.for_tree(content.dataset, content.inference, content.naming,
                                             content.new_rows, content.placements)
        except PhyloDashError as error:
            if ticket == self._ticket:
                self.param.update(status="failed", content=None, controls=None,
                                  message=f"**The tree could not be opened:** {plain(error)}")
            return
        except Exception:  # anything else: a sentence on the page, the traceback in the log
            _log.exception("opening tree %s/%s/%s failed", dataset_id, inference_id, visualization_id)
            if ticket == self._ticket:
                self.param.update(status="failed", content=None, controls=None,
                                  message="**The tree could not be opened** because of an error in the "
                                  "server; it was logged.")
            return
        if ticket == self._ticket:  # else a newer tree was asked for meanwhile
            self.selection.clear()
            self.param.update(content=content, controls=controls, status="open", message="")

    async def open_newest(self) -> bool:
        """Open the project's newest drawing (the demo's start-up tree on a first visit), else its newest
        tree; False (nothing changes) when the project has no tree or no project is chosen."""
        if self.session.user is None or not self.picker.project:
            return False
        newest = await self.session.run(self._newest, self.picker.project)
        if newest is None:
            return False
        await self.show(*newest)
        return True

    def _newest(self, project: str) -> tuple[str, str, str | None] | None:
        """``(dataset, inference, drawing or None)`` of the newest drawing of the project's live trees, else
        of its newest tree; None when it has none."""
        user, catalog = self.session.user, self.session.service.catalog
        trees = [tree for dataset in catalog.datasets(user, project)
                 for tree in catalog.inferences(user, project, dataset.id)]
        drawn = [(drawing.created, tree.dataset_id, tree.id, drawing.id) for tree in trees
                 for drawing in catalog.visualizations(user, project, tree.dataset_id, tree.id)]
        if drawn:
            _, dataset_id, tree_id, drawing_id = max(drawn)
            return dataset_id, tree_id, drawing_id
        if not trees:
            return None
        newest = max(trees, key=lambda tree: (tree.created, tree.id))
        return newest.dataset_id, newest.id, None

    def close(self) -> None:
        """Show no tree (when the user signs out)."""
        self._ticket += 1
        self.param.update(dataset_id=None, inference_id=None, visualization_id=None, status="closed",
                          message=HELP, content=None, controls=None)

    def _read(self, project: str, dataset_id: str, inference_id: str, drawing_id: str | None,
              partition_id: str | None) -> OpenTree:
        """Read the dataset, the tree and its layout (the chosen drawing, the newest, or the layout that
        fits the method, computed now), its partition (the chosen one or the newest, with its placement
        report) and, for a version of a dataset, which profile rows it added."""
        user, catalog = self.session.user, self.session.service.catalog
        dataset_record = catalog.dataset(user, project, dataset_id)
        inference_record = catalog.inference(user, project, dataset_id, inference_id)
        if drawing_id is None:
            drawings = catalog.visualizations(user, project, dataset_id, inference_id)
            drawing_id = drawings[-1].id if drawings else None
        inference = catalog.inference_content(inference_record)
        if drawing_id is None:
            fitting = registry.fitting_layout(inference_record.algorithm)
            layout = registry.lay_out(fitting, inference)
            drawn = f"{fitting} layout"
        else:
            drawing = catalog.visualization(user, project, dataset_id, inference_id, drawing_id)
            layout = catalog.layout_content(drawing)
            drawn = f"{drawing.algorithm} layout"
        title = f"{dataset_record.name}: {inference_record.algorithm}, {drawn}"
        if partition_id is None:
            partitions = catalog.partitions(user, project, dataset_id, inference_id)
            partition_id = partitions[-1].id if partitions else None
        naming, placements = None, None
        if partition_id is not None:
            partition = catalog.partition(user, project, dataset_id, inference_id, partition_id)
            naming, placements = catalog.partition_result(partition)
        parent = None if dataset_record.parent_id is None else catalog.store.find(DatasetRecord,
                                                                                 dataset_record.parent_id)
        new_rows = None if parent is None else np.arange(dataset_record.profile_count) >= parent.profile_count
        return OpenTree(catalog.dataset_content(dataset_record), inference, layout, title, partition_id,
                        naming, new_rows, placements)
