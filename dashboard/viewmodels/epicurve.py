"""The epidemic curve of the open tree: its isolates per week, month or year, stacked as the tree is coloured,
and a time window brushed on it turned into the shared selection.

:class:`EpiCurve` follows a :class:`~dashboard.viewmodels.tree.TreeState`: its content (the isolates),
its controls (the stacks are the tree's colouring: its categories in the legend's order and colours,
without those the legend hides) and its :class:`~dashboard.viewmodels.selection.Selection`.
:meth:`EpiCurve.brush` selects the profiles of the isolates in the bins a window overlaps; whoever
selected, :attr:`EpiCurve.curve` counts the isolates of the selected profiles apart (``selected``), so
the view can draw that part in full colour. Only isolates that belong to a profile of the tree are
counted (as in the tree's legend).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import param

from dashboard.tree.colours import PLAIN_FILL, isolate_slots
from dashboard.viewmodels.selection import Selection, rows_of_isolates
from dashboard.viewmodels.tree import NO_COLOUR, TreeControls, TreeState
from engine.algorithms import dates
from engine.models import Dataset, Inference

#: The one series of a curve that is not split (no colour-by column, or a numeric one).
ALL_ISOLATES = "isolates"
#: The tree controls the stacks follow.
COLOURING = ("colour_by", "cut_clusters", "threshold", "palette", "max_categories", "min_group", "hidden")
#: Who made the selection, in words, by :attr:`Selection.source`.
SOURCE_WORDS = {"tree": "the nodes selected in the tree", "table": "the rows selected in the table",
                "epicurve": "the time window brushed on the curve", "map": "the place picked on the map",
                "search": "the search", "url": "the link",
                "placements": "the rows ticked among the new isolates"}


@dataclass(frozen=True)
class Stacks:
    """What the bars are split into: ``categories`` (bottom first) with their ``colours``, the category
    of every isolate in ``slots`` (-1: not counted: no profile, or a category the legend hides), a
    ``title`` (the colouring's) and how many isolates the legend's ``hidden`` categories hold."""

    title: str
    categories: list[str]
    colours: list[str]
    slots: np.ndarray
    hidden: int = 0


def stacks(dataset: Dataset, inference: Inference, controls: TreeControls | None) -> Stacks:
    """The stacks of the tree's colouring exactly (:meth:`TreeControls.colouring`: clusters, a partition's
    names, the profiles added or a text column, with the palette, category cap and smallest group of the
    controls, in the legend's order and colours), without the categories the legend hides; one series
    for no colouring or a number column."""
    isolates = dataset.isolates
    rows = np.asarray(isolates.profile_rows, np.int64) if isolates is not None else np.zeros(0, np.int64)
    single = Stacks("", [ALL_ISOLATES], [PLAIN_FILL], np.where(rows >= 0, 0, -1).astype(np.int64))
    if controls is None or (controls.colour_by == NO_COLOUR and not controls.cut_clusters):
        return single
    colours = controls.colouring(dataset, inference).colours
    slots = isolate_slots(colours, dataset, controls.max_categories)
    if slots is None:
        return single
    entries = colours.legend
    shown = [j for j, entry in enumerate(entries) if entry.label not in controls.hidden]
    renumber = np.full(len(entries) + 1, -1, np.int64)  # the last place: -1 stays -1
    renumber[shown] = np.arange(len(shown))
    kept = renumber[slots]
    return Stacks(colours.title, [entries[j].label for j in shown], [entries[j].colour for j in shown], kept,
                  hidden=int(((slots >= 0) & (kept < 0)).sum()))


@dataclass(frozen=True)
class Curve:
    """The curve to draw.

    ``counts[b, k]`` isolates fall in bin ``b`` (``bins.starts[b]`` to ``bins.ends[b]``, days since
    1970-01-01) and stack ``k``; ``selected[b, k]`` of them belong to the selected profiles (all of them
    when nothing is selected). ``undated`` isolates have no date in ``column``, ``coarse`` ones only a
    date too coarse for ``bins.unit`` (a year when binning by month); ``examples`` quotes a few values
    that are not dates.
    """

    column: str
    bins: dates.Bins
    stacks: Stacks
    counts: np.ndarray
    selected: np.ndarray
    undated: int
    coarse: int
    examples: list[str]

    @property
    def unit(self) -> str:
        """The bins' unit: week, month or year."""
        return self.bins.unit


@dataclass(frozen=True)
class DateColumn:
    """An isolate column read as dates: its ``name``, every isolate's value and the parsed dates."""

    name: str
    values: list[str]
    parsed: dates.Dates

    @classmethod
    def of(cls, dataset: Dataset, column: str) -> DateColumn:
        """Read ``dataset``'s isolate column ``column``."""
        index = dataset.isolates.columns.index(column)
        values = [row[index] for row in dataset.isolates.rows]
        return cls(column, values, dates.parse(values))


def curve(dated: DateColumn, unit: str, stacked: Stacks, chosen: np.ndarray | None) -> Curve:
    """The curve of the isolates by their dates in ``dated``, in ``unit`` bins, split into ``stacked``.

    ``chosen`` are the indices of the isolates whose part is shown apart (None: nothing selected).
    """
    parsed = dated.parsed
    bins = dates.binned(parsed, unit)
    counted = stacked.slots >= 0
    width = len(stacked.categories)
    placed = counted & (bins.index >= 0)
    shape = (len(bins.starts), width)
    flat = bins.index[placed] * width + stacked.slots[placed]
    counts = np.bincount(flat, minlength=shape[0] * width).reshape(shape)
    if chosen is None:
        selected = counts.copy()
    else:
        mask = np.zeros(len(dated.values), bool)
        mask[np.asarray(chosen, np.int64)] = True
        keep = mask[placed]
        selected = np.bincount(flat[keep], minlength=shape[0] * width).reshape(shape)
    no_date = counted & ~parsed.dated()
    examples = sorted({dated.values[i] for i in np.flatnonzero(no_date).tolist()})[:3]
    return Curve(dated.name, bins, stacked, counts, selected, int(no_date.sum()),
                 int((counted & parsed.dated() & (bins.index < 0)).sum()), examples)


def window_isolates(dated: DateColumn, unit: str, start: float, end: float
                    ) -> tuple[np.ndarray, tuple[int, int] | None]:
    """The isolates (indices, ascending) in the ``unit`` bins that overlap the window from day ``start``
    to day ``end``, and the span ``(first day, day after the last)`` of those bins (None: no bin)."""
    bins = dates.binned(dated.parsed, unit)
    hit = dates.in_window(bins, start, end)
    if not len(hit):
        return np.zeros(0, np.int64), None
    return np.flatnonzero(np.isin(bins.index, hit)), (int(bins.starts[hit[0]]), int(bins.ends[hit[-1]]))


def selected_words(isolates: int, profiles: int, who: str) -> str:
    """The selected part in words: ``the 12 isolates of the 3 profiles of <who>`` (singular for one).

    Examples
    --------
    >>> selected_words(1, 1, "the link")
    'the 1 isolate of the 1 profile of the link'
    """
    return (f"the {isolates:,} isolate{'' if isolates == 1 else 's'} of the {profiles:,} "
            f"profile{'' if profiles == 1 else 's'} of {who}")


def day_text(day: int) -> str:
    """``YYYY-MM-DD`` of a day counted from 1970-01-01."""
    return str(np.datetime64(int(day), "D"))


def span_text(span: tuple[int, int], unit: str) -> str:
    """A bin span in words: ``2010 to 2012``, ``2010-03 to 2010-05``, ``2010-03-01 to 2010-03-21``."""
    first, last = np.datetime64(span[0], "D"), np.datetime64(span[1] - 1, "D")
    cut_at = {"year": 4, "month": 7}.get(unit, 10)
    low, high = str(first)[:cut_at], str(last)[:cut_at]
    return low if low == high else f"{low} to {high}"


def _same(old: list, new: list) -> bool:
    """Whether two lists of inputs are the same: objects by identity, plain values (str, tuples) by value."""
    return len(old) == len(new) and all(
        a == b if isinstance(a, str | tuple | None) else a is b for a, b in zip(old, new, strict=True))


def _frozen(value: object) -> object:
    """``value`` with lists as tuples (compared by value)."""
    return tuple(value) if isinstance(value, list) else value


class EpiCurve(param.Parameterized):
    """The epidemic curve's state over the open tree (see the module docstring).

    ``column`` lists the date-like isolate columns (:func:`engine.algorithms.dates.date_columns`), best
    first; empty when there is none, and then :attr:`available` is False and the view hides.
    """

    tree = param.ClassSelector(class_=TreeState, constant=True, instantiate=False, precedence=-1,
                               doc="The open tree whose isolates are counted and whose selection is shared.")
    column = param.Selector(objects=[], default=None, allow_None=True, label="Date column",
                            doc="The isolate column read as dates (ISO dates, YYYY-MM or years).")
    unit = param.Selector(objects=list(dates.UNITS), default="year", label="Isolates per",
                          doc="The width of a bar: a week (Monday to Sunday), a month or a year.")
    available = param.Boolean(False, constant=True,
                              doc="Whether the open tree's isolates have a date column.")
    curve = param.ClassSelector(class_=Curve, default=None, allow_None=True, precedence=-1,
                                doc="The curve to draw, None when there is no tree or no date column.")
    window = param.Tuple(default=None, allow_None=True, length=2, precedence=-1,
                         doc="(first day, day after the last) of the bins brushed, while the curve's "
                             "selection is the one shown.")
    message = param.String("", doc="What the curve shows and what it leaves out, in a sentence or two.")

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self._quiet = False
        self._controls: TreeControls | None = None
        self._controls_watcher: Any = None
        # What a selection does not change, kept between refreshes: the dates and the stacks, each with
        # what it was made of (compared by identity for the dataset and the tree).
        self._dated: tuple[list, DateColumn] | None = None
        self._stacked: tuple[list, Stacks] | None = None
        self._init_callbacks()
        self._on_content()

    @property
    def selection(self) -> Selection:
        """The shared selection of the tree's views."""
        return self.tree.selection

    def _init_callbacks(self) -> None:
        self.tree.param.watch(self._on_content, "content")
        self.tree.param.watch(self._on_controls, "controls")
        self.selection.param.watch(self._on_selection, ["rows", "source"])
        self.param.watch(self._on_choice, ["column", "unit"])

    @property
    def dataset(self) -> Dataset | None:
        """The open tree's dataset, None when no tree with isolates is open."""
        content = self.tree.content
        return content.dataset if content is not None and content.dataset.isolates is not None else None

    def _on_content(self, _event: object = None) -> None:
        dataset = self.dataset
        found = dates.date_columns(dataset.isolates.columns, dataset.isolates.rows) if dataset else []
        self.param.column.objects = found
        column = found[0] if found else None
        unit = dates.default_unit(self._dates(dataset, column).parsed) if column else "year"
        with param.edit_constant(self):
            self.available = bool(found)
        self._watch_controls(self.tree.controls)
        self._quiet = True  # one refresh below, not one per parameter
        try:
            self.param.update(column=column, unit=unit, window=None)
        finally:
            self._quiet = False
        self._refresh()

    def _on_controls(self, event: param.parameterized.Event) -> None:
        self._watch_controls(event.new)
        self._refresh()

    def _watch_controls(self, controls: TreeControls | None) -> None:
        if self._controls is controls:
            return
        if self._controls is not None and self._controls_watcher is not None:
            self._controls.param.unwatch(self._controls_watcher)
        self._controls, self._controls_watcher = controls, None
        if controls is not None:
            self._controls_watcher = controls.param.watch(lambda *_events: self._refresh(), list(COLOURING))

    def _on_choice(self, *_events: object) -> None:
        if self._quiet:
            return
        if self.selection.source == "epicurve":  # a window of other bins: select again
            self.selection.clear()
        self.window = None
        self._refresh()

    def _on_selection(self, *_events: object) -> None:
        if self.selection.source != "epicurve":
            self.window = None
        self._refresh()

    def _refresh(self) -> None:
        dataset, content = self.dataset, self.tree.content
        if dataset is None or self.column is None:
            self.param.update(curve=None, message="")
            return
        chosen = self.selection.isolates(dataset.isolates) if self.selection.rows else None
        found = curve(self._dates(dataset, self.column), self.unit, self._stacks(dataset, content.inference),
                      chosen)
        self.param.update(curve=found, message=self._describe(found))

    def _dates(self, dataset: Dataset, column: str) -> DateColumn:
        """``column`` of ``dataset`` read as dates (kept until another dataset or column is asked for)."""
        made_of = [dataset, column]
        if self._dated is None or not _same(self._dated[0], made_of):
            self._dated = (made_of, DateColumn.of(dataset, column))
        return self._dated[1]

    def _stacks(self, dataset: Dataset, inference: Inference) -> Stacks:
        """The stacks of the tree's colouring (:func:`stacks`, kept until the colouring changes)."""
        controls = self.tree.controls
        made_of = [dataset, inference, None if controls is None else
                   tuple(_frozen(getattr(controls, name)) for name in COLOURING)]
        if self._stacked is None or not _same(self._stacked[0], made_of):
            self._stacked = (made_of, stacks(dataset, inference, controls))
        return self._stacked[1]

    def _describe(self, found: Curve) -> str:
        total = int(found.counts.sum())
        parts = [f"{total:,} isolates by **{found.column}**, per {found.unit}."]
        if found.undated:
            quoted = ", ".join(repr(value) if value else "empty" for value in found.examples)
            parts.append(f"{found.undated:,} without a date ({quoted}{', ...' if found.undated > 3 else ''}) "
                         "are not shown.")
        if found.stacks.hidden:
            parts.append(f"{found.stacks.hidden:,} of categories hidden in the tree's legend are not shown.")
        if found.coarse:
            parts.append(f"{found.coarse:,} with a date too coarse for a {found.unit} (only a year or a "
                         "month) are not shown: choose a longer bin to see them.")
        if self.selection.rows:
            shown = int(found.selected.sum())
            who = SOURCE_WORDS.get(self.selection.source, "the selection")
            window = f" ({span_text(self.window, found.unit)})" if self.window else ""
            parts.append(f"In full colour: {selected_words(shown, len(self.selection.rows), who + window)}.")
        else:
            parts.append("Drag across the curve to select a time window (the profiles of its isolates are "
                         "selected in the tree); click a bar to select its bin.")
        return " ".join(parts)

    def brush(self, start: float, end: float) -> list[int]:
        """Select the profiles of the isolates in the bins that overlap days ``start`` to ``end`` (any
        order, fractions allowed) on behalf of the curve; the profile rows selected (empty: none)."""
        dataset = self.dataset
        if dataset is None or self.column is None:
            return []
        picked, span = window_isolates(self._dates(dataset, self.column), self.unit, start, end)
        rows = rows_of_isolates(dataset.isolates, picked)
        self.window = span if rows else None
        before = (self.selection.rows, self.selection.source)
        self.selection.choose(rows, "epicurve")
        if (self.selection.rows, self.selection.source) == before:  # no watcher ran: the window may be new
            self._refresh()
        return rows

    def clear(self) -> None:
        """Select nothing (on behalf of the curve)."""
        self.window = None
        self.selection.clear("epicurve")
