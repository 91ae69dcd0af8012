"""How the nodes are coloured: one colour, a metadata column (categories or a gradient), or clusters.

Each scheme gives a :class:`NodeColours`: a fill colour per profile row plus what the legend lists.
:func:`legend_html` turns it into the HTML legend shown next to the tree.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import numpy as np

from engine.algorithms import metadata
from engine.algorithms.clusters import sizes
from engine.algorithms.metadata import Composition
from engine.models import Dataset

#: Fill of every node when nothing colours them.
PLAIN_FILL = "#4c78a8"
#: Clusters beyond this many (the smallest) share the "other" grey.
COLOURED_CLUSTERS = 20
#: At most this many categories of a metadata column; the rarest merge into "other".
MAX_CATEGORIES = 20
_GRADIENT_STOPS = 9  # colours of the numeric colour bar


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

    ``fill[i]`` is the colour of profile row ``i``. A categorical colouring also has the
    ``composition`` of every node (so mixed nodes can be drawn as pies) and the ``palette`` colour of
    each of its categories; a numeric one has a ``scale``.
    """

    title: str
    fill: np.ndarray
    legend: list[LegendEntry]
    composition: Composition | None = None
    palette: list[str] | None = None
    scale: ColourScale | None = None


def plain_colours(rows: int) -> NodeColours:
    """Every node in :data:`PLAIN_FILL`, no legend."""
    return NodeColours("", np.full(rows, PLAIN_FILL, dtype=object), [])


def _entries(categories: list[str], colours: list[str], isolates: np.ndarray,
             profiles: np.ndarray) -> list[LegendEntry]:
    return [LegendEntry(colour, label, int(i), int(p))
            for colour, label, i, p in zip(colours, categories, isolates.tolist(), profiles.tolist(),
                                           strict=True)]


def category_colours(dataset: Dataset, column: str) -> NodeColours:
    """Nodes coloured by their most frequent category of ``column``
    (see :func:`engine.algorithms.metadata.composition`).

    At most :data:`MAX_CATEGORIES` categories, the rarest merged into "other". A node without isolates
    gets the "(no value)" grey. The legend lists every category with its isolate and profile totals.
    """
    found = metadata.composition(dataset, column, max_categories=MAX_CATEGORIES)
    colours = metadata.palette_for(found.categories)
    has_isolates = found.counts.sum(axis=1) > 0
    fill = np.full(len(found.counts), metadata.NO_VALUE_COLOUR, dtype=object)
    if has_isolates.any():
        fill[has_isolates] = np.asarray(colours, dtype=object)[found.counts[has_isolates].argmax(axis=1)]
    legend = _entries(found.categories, colours, found.counts.sum(axis=0), (found.counts > 0).sum(axis=0))
    return NodeColours(column, fill, legend, composition=found, palette=colours)


def numeric_colours(dataset: Dataset, column: str) -> NodeColours:
    """Nodes coloured on a gradient by the mean of ``column`` over their isolates (grey without a value)."""
    values = metadata.numeric_means(dataset, column)
    fill = np.asarray(metadata.gradient(values), dtype=object)
    finite = values[np.isfinite(values)]
    if not len(finite):
        return NodeColours(column, fill, [])
    low, high = float(finite.min()), float(finite.max())
    bar = metadata.gradient(np.linspace(low, high, _GRADIENT_STOPS))
    return NodeColours(column, fill, [], scale=ColourScale(low, high, bar, values))


def metadata_colours(dataset: Dataset, column: str) -> NodeColours:
    """:func:`numeric_colours` when every value of ``column`` is a number, else :func:`category_colours`."""
    if metadata.is_numeric(dataset, column):
        return numeric_colours(dataset, column)
    return category_colours(dataset, column)


def cluster_colours(labels: np.ndarray, counts: np.ndarray, threshold: float) -> NodeColours:
    """Nodes coloured by cluster
    (``labels`` as :func:`engine.algorithms.clusters.cut` numbers them, 1 = largest).

    The :data:`COLOURED_CLUSTERS` largest clusters get their own colour, the rest share the "other"
    grey; the legend lists the coloured clusters, then "other (k clusters)", with isolate and profile
    totals.
    """
    labels = np.asarray(labels, dtype=np.int64)
    total = int(labels.max(initial=0))
    shown = min(total, COLOURED_CLUSTERS)
    categories = [f"cluster {k}" for k in range(1, shown + 1)]
    if total > shown:
        categories.append(f"{metadata.OTHER} ({total - shown} clusters)")
    colours = metadata.palette_for(categories[:shown]) + [metadata.OTHER_COLOUR] * (total > shown)
    slot = np.minimum(labels, shown + 1) - 1
    isolates = np.bincount(slot, weights=counts, minlength=len(categories)).astype(np.int64)
    profiles = np.bincount(slot, minlength=len(categories))
    fill = np.asarray(colours, dtype=object)[slot]
    legend = _entries(categories, colours, isolates, profiles)
    return NodeColours(f"clusters at distance {threshold:g}", fill, legend)


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


def legend_html(colours: NodeColours, edges: list[tuple[str, str]] | None = None) -> str:
    """The legend as HTML: node colours (entries with totals, or a colour bar) and optionally edge colours.

    ``edges`` lists ``(colour, label)`` of the edge rules drawn. User text is escaped.
    """
    parts: list[str] = []
    if colours.title:
        parts.append(f"<b>{html.escape(colours.title)}</b>")
    parts += [f"<div>{_swatch(e.colour)}{html.escape(e.label)} "
              f"<small>({e.isolates} isolates, {e.profiles} profiles)</small></div>" for e in colours.legend]
    if colours.scale is not None:
        bar = ", ".join(colours.scale.colours)
        parts.append(f'<div style="height:12px;width:180px;background:linear-gradient(to right,{bar})"></div>'
                     f'<div style="display:flex;justify-content:space-between;width:180px">'
                     f"<small>{colours.scale.low:g}</small><small>{colours.scale.high:g}</small></div>"
                     f"<div>{_swatch(metadata.NO_VALUE_COLOUR)}no value</div>")
    if edges:
        parts.append("<b>edges: deciding rule</b>")
        parts += [f'<div><span style="display:inline-block;width:18px;height:3px;background:{colour};'
                  f'margin-right:6px;vertical-align:middle"></span>{html.escape(label)}</div>'
                  for colour, label in edges]
    return "\n".join(parts)


def coarse_fill(colours: NodeColours) -> np.ndarray:
    """The fill of every node with few distinct colours: a numeric colouring snapped to its colour-bar stops.

    Categorical and cluster colourings are returned as they are (at most about 20 colours); for a
    numeric one each value takes the nearest of the :data:`_GRADIENT_STOPS` stops, and a node without a
    value the "(no value)" grey. The datashaded overview aggregates by these colours.
    """
    if colours.scale is None:
        return colours.fill
    scale = colours.scale
    span = scale.high - scale.low
    position = (scale.values - scale.low) / span if span > 0 else np.full(len(scale.values), 0.5)
    stop = np.rint(np.nan_to_num(position) * (len(scale.colours) - 1)).astype(np.int64)
    return np.where(np.isfinite(scale.values), np.asarray(scale.colours, dtype=object)[stop],
                    metadata.NO_VALUE_COLOUR).astype(object)
