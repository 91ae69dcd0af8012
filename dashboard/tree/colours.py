"""How the nodes are coloured: one colour, a metadata column (categories or a gradient), or clusters.

Every colour PhyloDash shows is chosen here: the category palettes (:data:`PALETTES`, :func:`palette`,
:func:`palette_for`), the greys of "other" and "(no value)", and the numeric gradient
(:func:`gradient`); the engine's :mod:`engine.algorithms.metadata` gives the values they stand for.
Each scheme gives a :class:`NodeColours`: a fill colour per profile row plus what the legend lists.
:func:`pooled` gives the colours of collapsed nodes (their isolates pooled), :func:`hidden` those left
when the legend hides some categories, and :func:`legend_html` and :func:`legend_rows` the legend shown
next to the tree.
"""

from __future__ import annotations

import html
from collections.abc import Collection
from dataclasses import dataclass, replace
from typing import Protocol

import colorcet
import numpy as np

from dashboard.tree.geometry import filled
from engine.algorithms import metadata
from engine.algorithms.clusters import sizes
from engine.algorithms.metadata import Composition
from engine.models import Dataset, Isolates, Profiles

#: Fill of every node when nothing colours them.
PLAIN_FILL = "#4c78a8"
#: The fill of the internal nodes of NJ trees and dendrograms (no isolates, whatever the colouring).
INTERNAL_FILL = "#707070"
#: Clusters beyond this many (the smallest) share the "other" grey.
COLOURED_CLUSTERS = 20
#: At most this many categories of a metadata column; the rarest merge into "other".
MAX_CATEGORIES = 20
_GRADIENT_STOPS = 9  # colours of the numeric colour bar
#: The grey of the "other" category (and of the clusters beyond :data:`COLOURED_CLUSTERS`).
OTHER_COLOUR = "#bdbdbd"
#: The grey of "(no value)": isolates with an empty cell, nodes without isolates or without a number.
NO_VALUE_COLOUR = "#e0e0e0"
#: The smallest category kept apart from "other" by default (in isolates).
MIN_GROUP_SIZE = 1


def _no_grey(colours: list[str]) -> list[str]:
    """``colours`` without pure greys (kept for "other" and "(no value)")."""
    return [c.lower() for c in colours if not c[1:3].lower() == c[3:5].lower() == c[5:7].lower()]


#: The category palettes by name, each without greys: Glasbey's 255 colours with Category10 first (the
#: default), D3's Category20, Okabe and Ito's 8 colours that stay apart for colour-blind readers, and
#: Glasbey's darker and lighter sets.
PALETTES: dict[str, list[str]] = {
    "glasbey": _no_grey(colorcet.palette["glasbey_category10"]),
    "category20": _no_grey([
        "#1f77b4", "#aec7e8", "#ff7f0e", "#ffbb78", "#2ca02c", "#98df8a", "#d62728", "#ff9896", "#9467bd",
        "#c5b0d5", "#8c564b", "#c49c94", "#e377c2", "#f7b6d2", "#7f7f7f", "#c7c7c7", "#bcbd22", "#dbdb8d",
        "#17becf", "#9edae5"]),
    "colour-blind": ["#e69f00", "#56b4e9", "#009e73", "#f0e442", "#0072b2", "#d55e00", "#cc79a7", "#000000"],
    "dark": _no_grey(colorcet.palette["glasbey_dark"]),
    "light": _no_grey(colorcet.palette["glasbey_light"]),
}
#: How the controls name the palettes.
PALETTE_LABELS = {"Glasbey (Category10 first)": "glasbey", "Category20": "category20",
                  "Colour-blind safe (Okabe-Ito, 8)": "colour-blind", "Glasbey dark": "dark",
                  "Glasbey light": "light"}
_CATEGORY_COLOURS = PALETTES["glasbey"]
#: colorcet's blue-magenta-yellow without its palest eighth, so every colour shows on white.
GRADIENT_COLOURS: list[str] = colorcet.bmy[: len(colorcet.bmy) * 7 // 8]


def palette(n: int, name: str = "glasbey") -> list[str]:
    """``n`` hex colours of the palette ``name`` (see :data:`PALETTES`), without grey.

    Colours repeat after the palette's last. Examples: ``palette(2) == ['#1f77b3', '#ff7e0e']``,
    ``palette(2, "colour-blind") == ['#e69f00', '#56b4e9']``.
    """
    if name not in PALETTES:
        raise ValueError(f"unknown palette {name!r}; choose one of {', '.join(PALETTES)}")
    colours = PALETTES[name]
    return [colours[i % len(colours)] for i in range(n)]


def palette_for(categories: list[str], name: str = "glasbey") -> list[str]:
    """One hex colour per category, in order: greys for "other" and "(no value)", :func:`palette`
    ``name`` for the rest.

    Examples
    --------
    >>> palette_for(["PT", "other", "(no value)", "ES"])
    ['#1f77b3', '#bdbdbd', '#e0e0e0', '#ff7e0e']
    """
    greys = {metadata.OTHER: OTHER_COLOUR, metadata.NO_VALUE: NO_VALUE_COLOUR}
    colours = iter(palette(sum(category not in greys for category in categories), name))
    return [greys[category] if category in greys else next(colours) for category in categories]


def gradient(values: np.ndarray, colours: list[str] = GRADIENT_COLOURS, low: float | None = None,
             high: float | None = None) -> list[str]:
    """Hex colours from ``colours`` (a colour map, low to high) for numbers, linear from min to max.

    Parameters
    ----------
    values : numpy.ndarray
        Numbers, NaN where there is none.
    colours : list of str, default :data:`GRADIENT_COLOURS`
        The colour map: colorcet ``bmy``, readable on white, or the stops of a colour bar.
    low, high : float, optional
        The values of the first and last colour (default: the smallest and largest finite value).

    Returns
    -------
    list of str
        One colour per value: the smallest finite value gets ``colours[0]`` (dark blue), the largest
        ``colours[-1]`` (orange), the nearest colour in between; NaN gets :data:`NO_VALUE_COLOUR`.
        When all finite values are equal they get the middle colour.

    Examples
    --------
    >>> gradient(np.array([0.0, np.nan, 10.0]))
    ['#000c7c', '#e0e0e0', '#ffc71d']
    >>> gradient(np.array([1.0, 2.0, 4.0]), ["#000000", "#777777", "#ffffff"])
    ['#000000', '#777777', '#ffffff']
    """
    values = np.asarray(values, dtype=np.float64)
    finite = np.isfinite(values)
    if not finite.any():
        return [NO_VALUE_COLOUR] * len(values)
    low = values[finite].min() if low is None else low
    high = values[finite].max() if high is None else high
    scaled = (values - low) / (high - low) if high > low else np.full(len(values), 0.5)
    index = np.rint(np.clip(np.nan_to_num(scaled), 0.0, 1.0) * (len(colours) - 1)).astype(np.int64).tolist()
    return [colours[i] if ok else NO_VALUE_COLOUR for i, ok in zip(index, finite.tolist(), strict=True)]


@dataclass(frozen=True)
class LegendEntry:
    """One line of the legend: a colour, what it stands for, and how many isolates and profiles have it."""

    colour: str
    label: str
    isolates: int
    profiles: int


@dataclass(frozen=True)
class ColourScale:
    """A numeric colouring: the colour bar from ``low`` to ``high`` and the value of every profile row."""

    low: float
    high: float
    colours: list[str]
    values: np.ndarray


@dataclass(frozen=True)
class NodeColours:
    """A colouring of the nodes.

    ``fill[i]`` is the colour of profile row ``i``. A categorical colouring (a metadata column, or
    clusters) also has the ``composition`` of every node (so mixed nodes can be drawn as pies) and the
    ``palette`` colour of each of its categories; a numeric one has a ``scale`` (and the metadata
    ``column`` its values come from). ``visible`` says which nodes are shown (None: all), once the
    legend hides some categories (:func:`hidden`).
    """

    title: str
    fill: np.ndarray
    legend: list[LegendEntry]
    composition: Composition | None = None
    palette: list[str] | None = None
    scale: ColourScale | None = None
    column: str = ""
    visible: np.ndarray | None = None


def plain_colours(rows: int) -> NodeColours:
    """Every node in :data:`PLAIN_FILL`, no legend."""
    return NodeColours("", filled(rows, PLAIN_FILL), [])


def _entries(categories: list[str], colours: list[str], isolates: np.ndarray,
             profiles: np.ndarray) -> list[LegendEntry]:
    return [LegendEntry(colour, label, int(i), int(p))
            for colour, label, i, p in zip(colours, categories, isolates.tolist(), profiles.tolist(),
                                           strict=True)]


def _merge_small(found: Composition, min_size: int) -> Composition:
    """``found`` with the categories of fewer than ``min_size`` isolates merged into "other" (the last
    category; "(no value)" is never merged)."""
    totals = found.counts.sum(axis=0)
    keep = metadata.OTHER, metadata.NO_VALUE
    small = [j for j, name in enumerate(found.categories) if name not in keep and totals[j] < min_size]
    if not small:
        return found
    stays = [j for j, name in enumerate(found.categories) if j not in small and name != metadata.OTHER]
    merged = [j for j, name in enumerate(found.categories) if j in small or name == metadata.OTHER]
    counts = np.column_stack([found.counts[:, stays], found.counts[:, merged].sum(axis=1)])
    return Composition([found.categories[j] for j in stays] + [metadata.OTHER], counts.astype(np.int64))


def _fill(counts: np.ndarray, colours: list[str]) -> np.ndarray:
    """Each node's colour: its most frequent category's, the "(no value)" grey for a node without any."""
    fill = filled(len(counts), NO_VALUE_COLOUR)
    present = counts.sum(axis=1) > 0
    if present.any() and colours:
        fill[present] = np.asarray(colours, dtype=object)[counts[present].argmax(axis=1)]
    return fill


def category_colours(dataset: Dataset, column: str, max_categories: int = MAX_CATEGORIES,
                     min_size: int = MIN_GROUP_SIZE, palette_name: str = "glasbey") -> NodeColours:
    """Nodes coloured by their most frequent category of ``column``
    (see :func:`engine.algorithms.metadata.composition`).

    At most ``max_categories`` categories, the rarest merged into "other", as are those of fewer than
    ``min_size`` isolates. A node without isolates gets the "(no value)" grey. The legend lists every
    category with its isolate and profile totals; colours come from the palette ``palette_name``.
    """
    found = _merge_small(metadata.composition(dataset, column, max_categories=max_categories), min_size)
    colours = palette_for(found.categories, palette_name)
    legend = _entries(found.categories, colours, found.counts.sum(axis=0), (found.counts > 0).sum(axis=0))
    return NodeColours(column, _fill(found.counts, colours), legend, composition=found, palette=colours,
                       column=column)


def numeric_colours(dataset: Dataset, column: str) -> NodeColours:
    """Nodes coloured on a gradient by the mean of ``column`` over their isolates (grey without a value)."""
    values = metadata.numeric_means(dataset, column)
    fill = np.asarray(gradient(values), dtype=object)
    finite = values[np.isfinite(values)]
    if not len(finite):
        return NodeColours(column, fill, [])
    low, high = float(finite.min()), float(finite.max())
    bar = gradient(np.linspace(low, high, _GRADIENT_STOPS))
    return NodeColours(column, fill, [], scale=ColourScale(low, high, bar, values), column=column)


def metadata_colours(dataset: Dataset, column: str, max_categories: int = MAX_CATEGORIES,
                     min_size: int = MIN_GROUP_SIZE, palette_name: str = "glasbey") -> NodeColours:
    """:func:`numeric_colours` when every value of ``column`` is a number, else :func:`category_colours`
    (with those options)."""
    if metadata.is_numeric(dataset, column):
        return numeric_colours(dataset, column)
    return category_colours(dataset, column, max_categories, min_size, palette_name)


def cluster_colours(labels: np.ndarray, counts: np.ndarray, threshold: float,
                    names: list[str] | None = None, palette_name: str = "glasbey") -> NodeColours:
    """Nodes coloured by cluster
    (``labels`` as :func:`engine.algorithms.clusters.cut` numbers them, 1 = largest).

    The :data:`COLOURED_CLUSTERS` largest clusters get their own colour, the rest share the "other"
    grey (colours from the palette ``palette_name``); the legend lists the coloured clusters
    ("cluster k", or ``names[k - 1]`` when given: a partition's lasting names), then
    "other (k clusters)", with isolate and profile totals. The composition counts each row once in its
    cluster's category, so collapsed nodes that hold several clusters are drawn as pies of their
    profiles.
    """
    labels = np.asarray(labels, dtype=np.int64)
    total = int(labels.max(initial=0))
    shown = min(total, COLOURED_CLUSTERS)
    categories = [f"cluster {k}" if names is None else names[k - 1] for k in range(1, shown + 1)]
    if total > shown:
        categories.append(f"{metadata.OTHER} ({total - shown} clusters)")
    colours = palette_for(categories[:shown], palette_name) + [OTHER_COLOUR] * (total > shown)
    slot = np.minimum(labels, shown + 1) - 1
    isolates = np.bincount(slot, weights=counts, minlength=len(categories)).astype(np.int64)
    profiles = np.bincount(slot, minlength=len(categories))
    fill = np.asarray(colours, dtype=object)[slot]
    legend = _entries(categories, colours, isolates, profiles)
    return NodeColours(f"clusters at distance {threshold:g}", fill, legend, _one_each(categories, slot),
                       colours)


def _one_each(categories: list[str], slot: np.ndarray) -> Composition:
    """The composition that counts each row once, in its category ``slot[row]``."""
    one = np.zeros((len(slot), len(categories)), dtype=np.int64)
    one[np.arange(len(slot)), slot] = 1
    return Composition(categories, one)


class Pooling(Protocol):
    """How the rows of a tree are drawn: :class:`dashboard.tree.collapse.Groups`."""

    of: np.ndarray
    profiles: int
    collapsed: bool

    def pool(self, values: np.ndarray) -> np.ndarray: ...


def grouped_dataset(dataset: Dataset, of: np.ndarray, size: int) -> Dataset:
    """A dataset whose profile rows are ``size`` groups: every isolate belongs to the group ``of[row]``
    of its row (the metadata functions then pool the isolates of each group). Its profiles are empty
    stand-ins: only the isolates and counts mean anything."""
    isolates = dataset.isolates
    rows = np.asarray(of, dtype=np.int64)
    if isolates is not None:
        links = np.asarray(isolates.profile_rows, dtype=np.int64)
        isolates = Isolates(isolates.columns, isolates.rows, isolates.profile_column,
                            np.where(links >= 0, rows[np.maximum(links, 0)], -1))
    stand_in = Profiles([""] * size, [], np.zeros((size, 0), dtype=np.uint16), [], ())
    counts = np.bincount(rows, weights=dataset.counts, minlength=size).astype(np.int64)
    return Dataset(stand_in, isolates, counts, dataset.report)


def pooled(colours: NodeColours, groups: Pooling, size: int, dataset: Dataset) -> NodeColours:
    """The colours of ``size`` drawn nodes, each the profile rows ``groups`` puts in it pooled.

    A categorical colouring adds the compositions of the rows (the fill is the most frequent category,
    mixed nodes become pies); a numeric one takes the mean over all the node's isolates on the same
    colour bar; one colour stays one colour. The legend is the rows' (isolate and profile totals). Not
    collapsed: ``colours`` as they are.
    """
    if not groups.collapsed:
        return colours
    if colours.composition is not None:
        counts = groups.pool(colours.composition.counts)[:size]
        return replace(colours, fill=_fill(counts, colours.palette or []),
                       composition=Composition(colours.composition.categories, counts))
    if colours.scale is not None:
        scale = colours.scale
        means = metadata.numeric_means(grouped_dataset(dataset, groups.of[:groups.profiles], size),
                                       colours.column)
        fill = np.asarray(gradient(means, GRADIENT_COLOURS, scale.low, scale.high), dtype=object)
        return replace(colours, fill=fill, scale=replace(scale, values=means))
    return replace(colours, fill=filled(size, colours.fill[0] if len(colours.fill) else PLAIN_FILL))


def hidden(colours: NodeColours, categories: Collection[str]) -> NodeColours:
    """``colours`` without the legend's ``categories``: their isolates left out of the pies and fills;
    a node none of whose isolates is left is not ``visible`` (a node without isolates counts as
    "(no value)"). Numeric and single colourings, or nothing hidden: ``colours`` as they are."""
    found = colours.composition
    if found is None or not categories:
        return colours
    gone = np.array([name in categories for name in found.categories], dtype=bool)
    if not gone.any():
        return colours
    counts = np.where(gone[None, :], 0, found.counts)
    before, after = found.counts.sum(axis=1), counts.sum(axis=1)
    visible = np.where(before > 0, after > 0, metadata.NO_VALUE not in categories)
    return replace(colours, fill=_fill(counts, colours.palette or []),
                   composition=Composition(found.categories, counts), visible=visible)


def isolate_slots(colours: NodeColours, dataset: Dataset, max_categories: int) -> np.ndarray | None:
    """The legend entry (index into ``colours.legend``) of every isolate of ``dataset`` under the
    categorical colouring ``colours``, -1 for an isolate without a profile; None for a numeric or single
    colouring, or a dataset without isolates.

    An isolate column's colouring (made with ``max_categories``) places each isolate by its own value, a
    value merged away (rare, or in a group below the smallest size) in "other"; a colouring of profile
    rows (clusters, a partition's names, the profiles added) places it with its profile.
    """
    found = colours.composition
    if found is None or dataset.isolates is None:
        return None
    rows = np.asarray(dataset.isolates.profile_rows, dtype=np.int64)
    members = rows >= 0
    slots = np.full(len(rows), -1, dtype=np.int64)
    if colours.column:
        names, of_isolate = metadata.isolate_categories(dataset, colours.column, max_categories)
        final = {name: j for j, name in enumerate(found.categories)}
        moved = np.array([final.get(name, final.get(metadata.OTHER, -1)) for name in names], dtype=np.int64)
        slots[members] = moved[of_isolate[members]]
    else:
        slots[members] = found.counts.argmax(axis=1)[rows[members]]
    return slots


def legend_rows(colours: NodeColours, hidden_categories: Collection[str] = ()) -> dict[str, list]:
    """The legend as table columns: ``colour``, ``value``, ``isolates``, ``profiles`` and ``shown``
    (False for the hidden categories), one row per entry."""
    entries = colours.legend
    return {"colour": [e.colour for e in entries], "value": [e.label for e in entries],
            "isolates": [e.isolates for e in entries], "profiles": [e.profiles for e in entries],
            "shown": [e.label not in hidden_categories for e in entries]}


def new_profile_colours(new_rows: np.ndarray, counts: np.ndarray) -> NodeColours:
    """The profiles a dataset version added (``new_rows`` True) in the first palette colour, the others in
    the "other" grey; the legend counts both, and collapsed nodes holding both are drawn as pies."""
    new = np.asarray(new_rows, dtype=bool)
    categories = ["new in this version", "in the earlier version"]
    colours = [palette(1)[0], OTHER_COLOUR]
    slot = np.where(new, 0, 1)
    isolates = np.bincount(slot, weights=counts, minlength=2).astype(np.int64)
    fill = np.asarray(colours, dtype=object)[slot]
    return NodeColours("profiles added", fill,
                       _entries(categories, colours, isolates, np.bincount(slot, minlength=2)),
                       _one_each(categories, slot), colours)


def cluster_table(labels: np.ndarray, counts: np.ndarray, ids: list[str],
                  shown_ids: int = 5) -> dict[str, list]:
    """Columns of the cluster table: ``cluster, profiles, isolates, ids`` (the first ``shown_ids`` ids).

    One row per cluster in cluster order; the ``profiles`` column sums to the number of rows.
    """
    labels = np.asarray(labels, dtype=np.int64)
    size = sizes(labels)
    isolates = np.bincount(labels - 1, weights=counts, minlength=len(size)).astype(np.int64)
    members: list[list[str]] = [[] for _ in size]
    for row in np.argsort(labels, kind="stable").tolist():
        found = members[labels[row] - 1]
        if len(found) < shown_ids:
            found.append(ids[row])
    first = [", ".join(found) + (", ..." if len(found) < total else "")
             for found, total in zip(members, size.tolist(), strict=True)]
    return {"cluster": list(range(1, len(size) + 1)), "profiles": size.tolist(),
            "isolates": isolates.tolist(), "ids": first}


def _swatch(colour: str) -> str:
    return (f'<span style="display:inline-block;width:12px;height:12px;border-radius:6px;'
            f'background:{colour};margin-right:6px;vertical-align:middle"></span>')


def legend_html(colours: NodeColours, edges: list[tuple[str, str]] | None = None, *,
                entries: bool = True) -> str:
    """The legend as HTML: node colours (entries with totals, or a colour bar) and optionally edge colours.

    ``edges`` lists ``(colour, label)`` of the edge rules drawn. Without ``entries`` the categories are
    left out (the page lists them in a table whose rows hide and show them). User text is escaped.
    """
    parts: list[str] = []
    if colours.title:
        parts.append(f"<b>{html.escape(colours.title)}</b>")
    parts += [f"<div>{_swatch(e.colour)}{html.escape(e.label)} "
              f"<small>({e.isolates} isolates, {e.profiles} profiles)</small></div>"
              for e in (colours.legend if entries else [])]
    if colours.scale is not None:
        bar = ", ".join(colours.scale.colours)
        parts.append(f'<div style="height:12px;width:180px;background:linear-gradient(to right,{bar})"></div>'
                     f'<div style="display:flex;justify-content:space-between;width:180px">'
                     f"<small>{colours.scale.low:g}</small><small>{colours.scale.high:g}</small></div>"
                     f"<div>{_swatch(NO_VALUE_COLOUR)}no value</div>")
    if edges:
        parts.append("<b>edges: deciding rule</b>")
        parts += [f'<div><span style="display:inline-block;width:18px;height:3px;background:{colour};'
                  f'margin-right:6px;vertical-align:middle"></span>{html.escape(label)}</div>'
                  for colour, label in edges]
    return "\n".join(parts)


def coarse_fill(colours: NodeColours) -> np.ndarray:
    """The fill of every node with few distinct colours: a numeric colouring snapped to its colour-bar stops.

    Categorical and cluster colourings are returned as they are (at most about 20 colours); for a
    numeric one each value takes the nearest of the :data:`_GRADIENT_STOPS` stops (:func:`gradient`
    over the colour bar), and a node without a value the "(no value)" grey. The datashaded overview
    aggregates by these colours.
    """
    if colours.scale is None:
        return colours.fill
    return np.asarray(gradient(colours.scale.values, colours.scale.colours), dtype=object)


# --- the epidemic curve and the map ------------------------------------------------------------------

#: Opacity of the part of the epidemic curve outside the selection.
FADED_ALPHA = 0.25
#: The map's land without isolates (or without selected ones), and its borders.
LAND_FILL = "#f2f2f2"
LAND_LINE = "#a8a8a8"
#: The map's circles: the selected isolates of a place (all of them when nothing is selected).
PLACE_FILL = PLAIN_FILL
#: Shades of the countries by isolate count, light to dark (colorcet's blues without its palest third).
COUNT_SHADES: list[str] = colorcet.blues[len(colorcet.blues) // 3:]


def count_shades(counts: np.ndarray) -> list[str]:
    """A colour per count for the map: :data:`LAND_FILL` for 0, else :data:`COUNT_SHADES` on a log scale
    from 1 (lightest) to the largest count (darkest).

    Examples
    --------
    >>> shades = count_shades(np.array([0, 1, 10, 100]))
    >>> shades[0] == LAND_FILL, shades[1] == COUNT_SHADES[0], shades[3] == COUNT_SHADES[-1]
    (True, True, True)
    """
    counts = np.asarray(counts, dtype=np.float64)
    if counts.max(initial=0.0) <= 0:
        return [LAND_FILL] * len(counts)
    index = np.rint(np.log1p(np.maximum(counts - 1, 0)) / np.log1p(max(counts.max() - 1, 1))
                    * (len(COUNT_SHADES) - 1)).astype(np.int64)
    return [COUNT_SHADES[i] if c > 0 else LAND_FILL
            for i, c in zip(index.tolist(), counts.tolist(), strict=True)]
