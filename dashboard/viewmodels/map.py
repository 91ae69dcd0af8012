"""The map of the open tree's isolates: where they come from, counted per country (or per latitude/longitude
point), and a place picked on it turned into the shared selection.

Countries are matched by name or ISO code against the bundled world file (``assets/maps/``: Natural Earth
outlines with ISO 3166-1 codes and English names); values that match no country are reported, never
guessed. :class:`MapState` follows a :class:`~dashboard.viewmodels.tree.TreeState` like the epidemic
curve does: :meth:`MapState.pick` selects the profiles of a place's isolates; whoever selected,
:attr:`MapState.places` counts the isolates of the selected profiles apart. Only isolates that belong to
a profile of the tree are counted.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import param

from dashboard.viewmodels.epicurve import SOURCE_WORDS, selected_words
from dashboard.viewmodels.selection import Selection, rows_of_isolates
from dashboard.viewmodels.tree import TreeState
from dashboard.viewmodels.world import is_place, world
from engine.models import Dataset

#: Words that make a column's name place-like.
_PLACE_WORDS = ("country", "nation", "location", "origin", "place", "geo")
#: A column whose name is not place-like is offered when this share of its distinct values are countries.
MATCHED_SHARE = 0.8
_LATITUDE = ("lat", "latitude")
_LONGITUDE = ("lon", "long", "lng", "longitude")


def _words(name: str) -> list[str]:
    return re.sub(r"[^a-z]+", " ", name.casefold()).split()


def lat_lon_columns(columns: list[str]) -> tuple[str, str] | None:
    """The latitude and longitude columns (named ``lat``/``latitude`` and ``lon``/``long``/``lng``/
    ``longitude``, case and punctuation ignored, possibly with more words), or None."""
    lat = next((c for c in columns if any(w in _LATITUDE for w in _words(c))), None)
    lon = next((c for c in columns if any(w in _LONGITUDE for w in _words(c))), None)
    return (lat, lon) if lat and lon else None


def country_columns(columns: list[str], rows: list[list[str]]) -> list[str]:
    """The columns that hold countries: those with a place-like name (country, nation, location, origin,
    place, geo) and at least one country, then the others whose distinct place values are at least
    :data:`MATCHED_SHARE` countries; each group in column order."""
    known = world()
    named, matching = [], []
    for index, name in enumerate(columns):
        distinct = {row[index] for row in rows if is_place(row[index])}
        matched = sum(known.match(value) is not None for value in distinct)
        if not matched:
            continue
        if any(word in name.casefold() for word in _PLACE_WORDS):
            named.append(name)
        elif matched >= MATCHED_SHARE * len(distinct):
            matching.append(name)
    return named + matching


def _number(value: str) -> float:
    try:
        return float(value)
    except ValueError:
        return math.nan


@dataclass(frozen=True)
class Places:
    """The places of the isolates, as drawn.

    Place ``p`` is ``names[p]`` at ``lon[p], lat[p]`` (a country's centre, or a point), of kind
    ``"country"`` (``country[p]`` indexes :func:`world`'s countries) or ``"point"`` (``country[p]`` is -1);
    ``isolates[p]`` lists its isolates (indices, ascending), ``totals[p]`` counts them and ``selected[p]``
    counts those of the selected profiles (the totals when nothing is selected). ``unmatched`` lists the
    values that named no country, with their isolate counts, most first; ``no_place`` counts the
    isolates without a place (empty, "unknown", or no valid coordinates).
    """

    column: str
    kind: str
    names: list[str]
    lon: np.ndarray
    lat: np.ndarray
    country: np.ndarray
    isolates: list[np.ndarray]
    totals: np.ndarray
    selected: np.ndarray
    unmatched: list[tuple[str, int]]
    no_place: int


def _counted(dataset: Dataset) -> np.ndarray:
    return np.asarray(dataset.isolates.profile_rows, np.int64) >= 0


def country_places(dataset: Dataset, column: str, chosen: np.ndarray | None) -> Places:
    """The countries of ``dataset``'s isolates in ``column`` (see :class:`Places`); ``chosen``: indices of
    the isolates of the selected profiles, None when nothing is selected."""
    known = world()
    index = dataset.isolates.columns.index(column)
    counted = _counted(dataset)
    of_value: dict[str, int | None] = {}
    country = np.full(len(counted), -1, np.int64)
    unmatched: dict[str, int] = {}
    no_place = 0
    for i, row in enumerate(dataset.isolates.rows):
        if not counted[i]:
            continue
        value = row[index]
        if not is_place(value):
            no_place += 1
            continue
        if value not in of_value:
            of_value[value] = known.match(value)
        found = of_value[value]
        if found is None:
            unmatched[value.strip()] = unmatched.get(value.strip(), 0) + 1
        else:
            country[i] = found
    present = np.unique(country[country >= 0])
    members = [np.flatnonzero(country == k) for k in present.tolist()]
    return _places(column, "country", [known.countries[k].name for k in present.tolist()],
                   [known.countries[k].centre for k in present.tolist()], present, members, chosen,
                   sorted(unmatched.items(), key=lambda item: (-item[1], item[0])), no_place)


def point_places(dataset: Dataset, lat_column: str, lon_column: str, chosen: np.ndarray | None) -> Places:
    """The latitude/longitude points of ``dataset``'s isolates (rounded to 0.001 degree; see :class:`Places`).
    A value that is not a number, or out of range, leaves its isolate without a place."""
    columns = dataset.isolates.columns
    lat_index, lon_index = columns.index(lat_column), columns.index(lon_column)
    counted = _counted(dataset)
    lat = np.array([_number(row[lat_index]) for row in dataset.isolates.rows], np.float64)
    lon = np.array([_number(row[lon_index]) for row in dataset.isolates.rows], np.float64)
    valid = counted & (np.abs(lat) <= 90) & (np.abs(lon) <= 180)  # NaN compares False
    keys = np.round(np.column_stack([lon, lat]), 3)
    unique, inverse = np.unique(keys[valid], axis=0, return_inverse=True)
    where = np.flatnonzero(valid)
    members = [where[inverse.ravel() == k] for k in range(len(unique))]
    names = [f"{y:g}, {x:g}" for x, y in unique.tolist()]
    return _places(f"{lat_column}, {lon_column}", "point", names, [tuple(p) for p in unique.tolist()],
                   np.full(len(unique), -1, np.int64), members, chosen, [], int((counted & ~valid).sum()))


def _places(column: str, kind: str, names: list[str], centres: list, country: np.ndarray,
            members: list[np.ndarray], chosen: np.ndarray | None, unmatched: list[tuple[str, int]],
            no_place: int) -> Places:
    totals = np.array([len(m) for m in members], np.int64)
    xy = np.asarray(centres, np.float64).reshape(-1, 2)
    found = Places(column, kind, names, xy[:, 0], xy[:, 1], np.asarray(country, np.int64), members, totals,
                   totals.copy(), unmatched, no_place)
    return found if chosen is None else with_selection(found, chosen)


def with_selection(found: Places, chosen: np.ndarray | None) -> Places:
    """``found`` with ``selected`` counting the isolates ``chosen`` (indices; None: all of them)."""
    if chosen is None:
        return replace(found, selected=found.totals.copy())
    members = np.concatenate(found.isolates) if found.isolates else np.zeros(0, np.int64)
    owner = np.repeat(np.arange(len(found.isolates)), found.totals)
    hit = np.isin(members, np.asarray(chosen, np.int64))
    return replace(found, selected=np.bincount(owner[hit], minlength=len(found.isolates)).astype(np.int64))


def place_at(places: Places, lon: float, lat: float, tolerance: float) -> int | None:
    """The place at ``lon, lat``: the nearest place marker within ``tolerance`` degrees, else the country
    whose outline holds the point (a country of the places), else None."""
    if len(places.names):
        distance = np.hypot(places.lon - lon, places.lat - lat)
        nearest = int(np.argmin(distance))
        if distance[nearest] <= tolerance:
            return nearest
    if places.kind == "country":
        countries = world().countries
        for p, k in enumerate(places.country.tolist()):
            if countries[k].contains(lon, lat):
                return p
    return None


class MapState(param.Parameterized):
    """The map's state over the open tree (see the module docstring).

    ``column`` offers the country columns (:func:`country_columns`) and, when the isolates have latitude
    and longitude columns, their pair (``"lat, lon"``); empty when there is none, and then
    :attr:`available` is False and the view hides.
    """

    tree = param.ClassSelector(class_=TreeState, constant=True, instantiate=False, precedence=-1,
                               doc="The open tree whose isolates are counted and whose selection is shared.")
    column = param.Selector(objects=[], default=None, allow_None=True, label="Place column",
                            doc="The isolate column of countries (names or ISO codes), or the latitude and "
                                "longitude columns.")
    available = param.Boolean(False, constant=True, doc="Whether the open tree's isolates have places.")
    places = param.ClassSelector(class_=Places, default=None, allow_None=True, precedence=-1,
                                 doc="The places to draw, None when there is no tree or no place column.")
    picked = param.String("", precedence=-1, doc="The place picked on the map, while its selection is shown.")
    message = param.String("", doc="What the map shows and what it leaves out.")

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self._quiet = False
        self._points: dict[str, tuple[str, str]] = {}
        self._found: tuple[Dataset, str, Places] | None = None
        self._init_callbacks()
        self._on_content()

    @property
    def selection(self) -> Selection:
        """The shared selection of the tree's views."""
        return self.tree.selection

    @property
    def dataset(self) -> Dataset | None:
        """The open tree's dataset, None when no tree with isolates is open."""
        content = self.tree.content
        return content.dataset if content is not None and content.dataset.isolates is not None else None

    def _init_callbacks(self) -> None:
        self.tree.param.watch(self._on_content, "content")
        self.selection.param.watch(self._on_selection, ["rows", "source"])
        self.param.watch(self._on_column, "column")

    def _on_content(self, _event: object = None) -> None:
        dataset = self.dataset
        choices: list[str] = []
        self._points = {}
        if dataset is not None:
            choices = country_columns(dataset.isolates.columns, dataset.isolates.rows)
            pair = lat_lon_columns(dataset.isolates.columns)
            if pair is not None:
                self._points[f"{pair[0]}, {pair[1]}"] = pair
                choices.append(f"{pair[0]}, {pair[1]}")
        self.param.column.objects = choices
        with param.edit_constant(self):
            self.available = bool(choices)
        self._quiet = True  # one refresh below, not one per parameter
        try:
            self.param.update(column=choices[0] if choices else None, picked="")
        finally:
            self._quiet = False
        self._refresh()

    def _on_column(self, _event: object) -> None:
        if self._quiet:
            return
        if self.selection.source == "map":
            self.selection.clear()
        self.picked = ""
        self._refresh()

    def _on_selection(self, *_events: object) -> None:
        if self.selection.source != "map":
            self.picked = ""
        self._refresh()

    def _refresh(self) -> None:
        dataset = self.dataset
        if dataset is None or self.column is None:
            self.param.update(places=None, message="")
            return
        chosen = self.selection.isolates(dataset.isolates) if self.selection.rows else None
        found = with_selection(self._all_places(dataset, self.column), chosen)
        self.param.update(places=found, message=self._describe(found))

    def _all_places(self, dataset: Dataset, column: str) -> Places:
        """The places of ``column`` with nothing selected (kept until another dataset or column is asked
        for: a selection does not change them)."""
        if self._found is None or self._found[0] is not dataset or self._found[1] != column:
            if column in self._points:
                found = point_places(dataset, *self._points[column], None)
            else:
                found = country_places(dataset, column, None)
            self._found = (dataset, column, found)
        return self._found[2]

    def _describe(self, found: Places) -> str:
        what = "countries" if found.kind == "country" else "points"
        parts = [f"{int(found.totals.sum()):,} isolates in {len(found.names)} {what} (**{found.column}**)."]
        if found.unmatched:
            shown = ", ".join(f"'{value}' ({count})" for value, count in found.unmatched[:5])
            more = f" and {len(found.unmatched) - 5} more" if len(found.unmatched) > 5 else ""
            parts.append(f"Not matched to a country, so not on the map: {shown}{more}.")
        if found.no_place:
            parts.append(f"{found.no_place:,} without a place.")
        if self.selection.rows:
            who = f"'{self.picked}'" if self.selection.source == "map" and self.picked else \
                SOURCE_WORDS.get(self.selection.source, "the selection")
            shown = selected_words(int(found.selected.sum()), len(self.selection.rows), who)
            parts.append(f"In full colour: {shown}.")
        else:
            parts.append("Click a country or a circle to select the profiles of its isolates.")
        return " ".join(parts)

    def pick(self, place: int | None) -> list[int]:
        """Select the profiles of the isolates of place ``place`` (an index into :attr:`places`; None:
        nothing) on behalf of the map; the profile rows selected."""
        dataset, found = self.dataset, self.places
        if dataset is None or found is None or place is None:
            self.picked = ""
            self.selection.clear("map")
            return []
        rows = rows_of_isolates(dataset.isolates, found.isolates[place])
        self.picked = found.names[place]
        before = (self.selection.rows, self.selection.source)
        self.selection.choose(rows, "map")
        if (self.selection.rows, self.selection.source) == before:
            self._refresh()
        return rows

    def pick_at(self, lon: float, lat: float, tolerance: float) -> list[int]:
        """Select the place at ``lon, lat`` (see :func:`place_at`); nothing when there is none."""
        if self.places is None:
            return []
        return self.pick(place_at(self.places, lon, lat, tolerance))
