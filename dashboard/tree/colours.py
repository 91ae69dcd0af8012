"""How the nodes are coloured: one colour, a metadata column (categories or a gradient), or clusters.

Every colour PhyloDash shows is chosen here: the category palette (:func:`palette`,
:func:`palette_for`), the greys of "other" and "(no value)", and the numeric gradient
(:func:`gradient`); the engine's :mod:`engine.algorithms.metadata` gives the values they stand for.
Each scheme gives a :class:`NodeColours`: a fill colour per profile row plus what the legend lists.
:func:`legend_html` turns it into the HTML legend shown next to the tree.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import colorcet
import numpy as np

from engine.algorithms import metadata
from engine.algorithms.clusters import sizes
from engine.algorithms.metadata import Composition
from engine.models import Dataset

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
#: Glasbey colours (category10 first) without their one grey, kept for OTHER and NO_VALUE.
_CATEGORY_COLOURS = [c for c in colorcet.palette["glasbey_category10"] if not c[1:3] == c[3:5] == c[5:7]]
#: colorcet's blue-magenta-yellow without its palest eighth, so every colour shows on white.
GRADIENT_COLOURS: list[str] = colorcet.bmy[: len(colorcet.bmy) * 7 // 8]


def palette(n: int) -> list[str]:
    """``n`` distinguishable hex colours: Glasbey's, Category10 first, without grey.

    Colours repeat after the 255th. Examples: ``palette(2) == ['#1f77b3', '#ff7e0e']``.
    """
    return [_CATEGORY_COLOURS[i % len(_CATEGORY_COLOURS)] for i in range(n)]


def palette_for(categories: list[str]) -> list[str]:
    """One hex colour per category, in order: greys for "other" and "(no value)", :func:`palette` for
    the rest.

    Examples
    --------
    >>> palette_for(["PT", "other", "(no value)", "ES"])
    ['#1f77b3', '#bdbdbd', '#e0e0e0', '#ff7e0e']
    """
    greys = {metadata.OTHER: OTHER_COLOUR, metadata.NO_VALUE: NO_VALUE_COLOUR}
    colours = iter(palette(sum(category not in greys for category in categories)))
    return [greys[category] if category in greys else next(colours) for category in categories]


def gradient(values: np.ndarray, colours: list[str] = GRADIENT_COLOURS) -> list[str]:
    """Hex colours from ``colours`` (a colour map, low to high) for numbers, linear from min to max.

    Parameters
    ----------
    values : numpy.ndarray
        Numbers, NaN where there is none.
    colours : list of str, default :data:`GRADIENT_COLOURS`
        The colour map: colorcet ``bmy``, readable on white, or the stops of a colour bar.

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
    low, high = values[finite].min(), values[finite].max()
    scaled = (values - low) / (high - low) if high > low else np.full(len(values), 0.5)
    index = np.rint(np.nan_to_num(scaled) * (len(colours) - 1)).astype(np.int64).tolist()
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
    colours = palette_for(found.categories)
    has_isolates = found.counts.sum(axis=1) > 0
    fill = np.full(len(found.counts), NO_VALUE_COLOUR, dtype=object)
    if has_isolates.any():
        fill[has_isolates] = np.asarray(colours, dtype=object)[found.counts[has_isolates].argmax(axis=1)]
    legend = _entries(found.categories, colours, found.counts.sum(axis=0), (found.counts > 0).sum(axis=0))
    return NodeColours(column, fill, legend, composition=found, palette=colours)


def numeric_colours(dataset: Dataset, column: str) -> NodeColours:
    """Nodes coloured on a gradient by the mean of ``column`` over their isolates (grey without a value)."""
    values = metadata.numeric_means(dataset, column)
    fill = np.asarray(gradient(values), dtype=object)
    finite = values[np.isfinite(values)]
    if not len(finite):
        return NodeColours(column, fill, [])
    low, high = float(finite.min()), float(finite.max())
    bar = gradient(np.linspace(low, high, _GRADIENT_STOPS))
    return NodeColours(column, fill, [], scale=ColourScale(low, high, bar, values))


def metadata_colours(dataset: Dataset, column: str) -> NodeColours:
    """:func:`numeric_colours` when every value of ``column`` is a number, else :func:`category_colours`."""
    if metadata.is_numeric(dataset, column):
        return numeric_colours(dataset, column)
    return category_colours(dataset, column)


def cluster_colours(labels: np.ndarray, counts: np.ndarray, threshold: float,
                    names: list[str] | None = None) -> NodeColours:
    """Nodes coloured by cluster
    (``labels`` as :func:`engine.algorithms.clusters.cut` numbers them, 1 = largest).

    The :data:`COLOURED_CLUSTERS` largest clusters get their own colour, the rest share the "other"
    grey; the legend lists the coloured clusters ("cluster k", or ``names[k - 1]`` when given: a
    partition's lasting names), then "other (k clusters)", with isolate and profile totals.
    """
    labels = np.asarray(labels, dtype=np.int64)
    total = int(labels.max(initial=0))
    shown = min(total, COLOURED_CLUSTERS)
    categories = [f"cluster {k}" if names is None else names[k - 1] for k in range(1, shown + 1)]
    if total > shown:
        categories.append(f"{metadata.OTHER} ({total - shown} clusters)")
    colours = palette_for(categories[:shown]) + [OTHER_COLOUR] * (total > shown)
    slot = np.minimum(labels, shown + 1) - 1
    isolates = np.bincount(slot, weights=counts, minlength=len(categories)).astype(np.int64)
    profiles = np.bincount(slot, minlength=len(categories))
    fill = np.asarray(colours, dtype=object)[slot]
    legend = _entries(categories, colours, isolates, profiles)
    return NodeColours(f"clusters at distance {threshold:g}", fill, legend)


def new_profile_colours(new_rows: np.ndarray, counts: np.ndarray) -> NodeColours:
    """The profiles a dataset version added (``new_rows`` True) in the first palette colour, the others in
    the "other" grey; the legend counts both."""
    new = np.asarray(new_rows, dtype=bool)
    categories = ["new in this version", "in the earlier version"]
    colours = [palette(1)[0], OTHER_COLOUR]
    slot = np.where(new, 0, 1)
    isolates = np.bincount(slot, weights=counts, minlength=2).astype(np.int64)
    fill = np.asarray(colours, dtype=object)[slot]
    return NodeColours("profiles added", fill, _entries(categories, colours, isolates,
                                                         np.bincount(slot, minlength=2)))


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
