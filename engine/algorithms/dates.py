"""Dates in isolate metadata: which columns hold them, what each value means, and time bins.

A value is read as an ISO date (``2019-07-04``, also with ``/`` and with a time after it), a month
(``2019-07``) or a year (``2019``); anything else (empty, ``unknown``, ``04/07/2019``, ``2019-02-30``)
has no date. A parsed value is the first day of the period it names plus its *precision*: a year
cannot be put in a month or a week, so binning by month leaves it out and says so. Days count from
1970-01-01 (numpy's ``datetime64[D]``).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from engine.errors import ParameterError

#: Precision codes: no date, a year, a month, a day.
NONE, YEAR, MONTH, DAY = 0, 1, 2, 3
#: Time bins, finest first, and the precision a value needs to be put in one.
UNITS = {"week": DAY, "month": MONTH, "year": YEAR}
#: The default bin is the finest that gives at most this many bins.
MAX_DEFAULT_BINS = 150
#: Words that make a column's name date-like, the first ones preferred (``collection date``, ``year``).
_NAME_WORDS = ("date", "year", "time", "collected", "sampled", "isolated")
_PATTERN = re.compile(r"(\d{4})(?:[-/](\d{1,2})(?:[-/](\d{1,2})(?:[T ]\S.*)?)?)?")
_EPOCH = datetime.date(1970, 1, 1).toordinal()


@dataclass(frozen=True)
class Dates:
    """Parsed values: ``days[i]`` is the first day of value ``i``'s period (0 when it has none) and
    ``precision[i]`` one of :data:`NONE`, :data:`YEAR`, :data:`MONTH`, :data:`DAY`."""

    days: np.ndarray
    precision: np.ndarray

    def dated(self, unit: str | None = None) -> np.ndarray:
        """Which values have a date (precise enough for bins of ``unit`` when given)."""
        return self.precision >= (UNITS[unit] if unit else YEAR)


def parse_value(value: str) -> tuple[int, int]:
    """``(day, precision)`` of one value (see :func:`parse`); ``(0, NONE)`` when it has no date.

    Examples
    --------
    >>> parse_value("1970-01-02"), parse_value("1970-02"), parse_value("1971"), parse_value("2019-02-30")
    ((1, 3), (31, 2), (365, 1), (0, 0))
    """
    found = _PATTERN.fullmatch(value.strip())
    if found is None:
        return 0, NONE
    year, month, day = found.groups()
    try:
        date = datetime.date(int(year), int(month or 1), int(day or 1))
    except ValueError:  # month 13, 30 February, year 0
        return 0, NONE
    return date.toordinal() - _EPOCH, DAY if day else MONTH if month else YEAR


def parse(values: Iterable[str]) -> Dates:
    """The date of every value: ISO ``YYYY-MM-DD`` (``/`` also accepted, a time after it ignored),
    ``YYYY-MM`` or ``YYYY``.

    Parameters
    ----------
    values : iterable of str
        Cells of a metadata column, as the reader left them.

    Returns
    -------
    Dates
        One entry per value, in order: the first day of the period (days since 1970-01-01) and its
        precision; a value that does not parse, or names a day that does not exist, has precision
        :data:`NONE`.

    Examples
    --------
    >>> found = parse(["2019-07-04", "2019-07", "2019", "", "unknown", "2019-07-04T10:00"])
    >>> found.precision.tolist(), np.asarray(found.days, "datetime64[D]").astype(str).tolist()[:3]
    ([3, 2, 1, 0, 0, 3], ['2019-07-04', '2019-07-01', '2019-01-01'])

    Notes
    -----
    Each distinct value is parsed once: O(values) dictionary look-ups.
    """
    seen: dict[str, tuple[int, int]] = {}
    pairs = [seen[value] if value in seen else seen.setdefault(value, parse_value(value)) for value in values]
    found = np.array(pairs, dtype=np.int64).reshape(-1, 2)
    return Dates(found[:, 0].copy(), found[:, 1].astype(np.int8))


def _name_rank(name: str) -> int | None:
    """How date-like a column name is: the index of the first word of :data:`_NAME_WORDS` in it, or None."""
    words = re.sub(r"[^a-z]+", " ", name.casefold())
    return next((k for k, word in enumerate(_NAME_WORDS) if word in words), None)


def date_columns(columns: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """The columns whose name is date-like and where at least one value is a date, best first.

    Parameters
    ----------
    columns : sequence of str
        Column names (an isolate table's header).
    rows : sequence of sequences of str
        The table's rows.

    Returns
    -------
    list of str
        Columns whose name contains "date", "year", "time", "collected", "sampled" or "isolated" and
        that hold at least one date, ordered by that word (a "date" before a "year"), then by how many
        values are dates (most first), then by the finest precision found, then by column order.

    Examples
    --------
    >>> date_columns(["id", "year", "collection_date", "update time"],
    ...              [["a", "2019", "2019-03-01", "x"], ["b", "2020", "", "y"]])
    ['collection_date', 'year']
    """
    ranked = []
    for index, name in enumerate(columns):
        rank = _name_rank(name)
        if rank is None:
            continue
        found = parse(row[index] for row in rows)
        dated = int(found.dated().sum())
        if dated:
            ranked.append((rank, -dated, -int(found.precision.max()), index, name))
    return [name for *_, name in sorted(ranked)]


def bin_starts(days: np.ndarray, unit: str) -> np.ndarray:
    """The first day of the ``unit`` bin (``week``: Monday to Sunday, ``month``, ``year``) of each day.

    Examples
    --------
    >>> bin_starts(np.array([0, 3, 4, 40]), "week").tolist()  # 1970-01-01 is a Thursday
    [-3, -3, 4, 39]
    >>> np.asarray(bin_starts(np.array([40, 400]), "month"), "datetime64[D]").astype(str).tolist()
    ['1970-02-01', '1971-02-01']
    """
    days = np.asarray(days, dtype=np.int64)
    if unit == "week":
        return days - (days + 3) % 7  # Monday is weekday 0; 1970-01-01 was a Thursday (3)
    if unit not in UNITS:
        raise ParameterError(f"unknown time bin {unit!r}: choose one of {', '.join(UNITS)}")
    step = "datetime64[M]" if unit == "month" else "datetime64[Y]"
    return days.astype("datetime64[D]").astype(step).astype("datetime64[D]").astype(np.int64)


def next_start(starts: np.ndarray, unit: str) -> np.ndarray:
    """The first day of the bin after each bin starting on ``starts``."""
    starts = np.asarray(starts, dtype=np.int64)
    if unit == "week":
        return starts + 7
    step = "datetime64[M]" if unit == "month" else "datetime64[Y]"
    return (starts.astype("datetime64[D]").astype(step) + 1).astype("datetime64[D]").astype(np.int64)


@dataclass(frozen=True)
class Bins:
    """Consecutive time bins and the bin of every value.

    ``starts[b]`` and ``ends[b]`` are the first day of bin ``b`` and of the next one (days since
    1970-01-01), every bin from the first dated value's to the last one's, empty ones included;
    ``index[i]`` is value ``i``'s bin, -1 when it has no date precise enough for ``unit``.
    """

    unit: str
    starts: np.ndarray
    ends: np.ndarray
    index: np.ndarray


def binned(dates: Dates, unit: str) -> Bins:
    """Put dated values into consecutive ``unit`` bins (see :class:`Bins`).

    Parameters
    ----------
    dates : Dates
        Parsed values (:func:`parse`).
    unit : {"week", "month", "year"}
        The bin size; a value needs a day for a week and a month for a month.

    Raises
    ------
    ParameterError
        When ``unit`` is none of :data:`UNITS`.

    Examples
    --------
    >>> found = binned(parse(["2019-07-04", "2019-09", "2019", ""]), "month")
    >>> np.asarray(found.starts, "datetime64[D]").astype(str).tolist(), found.index.tolist()
    (['2019-07-01', '2019-08-01', '2019-09-01'], [0, 2, -1, -1])
    """
    if unit not in UNITS:
        raise ParameterError(f"unknown time bin {unit!r}: choose one of {', '.join(UNITS)}")
    usable = dates.dated(unit)
    index = np.full(len(dates.days), -1, dtype=np.int64)
    if not usable.any():
        empty = np.zeros(0, dtype=np.int64)
        return Bins(unit, empty, empty, index)
    first = bin_starts(dates.days[usable], unit)
    low, high = int(first.min()), int(first.max())
    if unit == "week":
        starts = np.arange(low, high + 1, 7, dtype=np.int64)
    else:
        step = "datetime64[M]" if unit == "month" else "datetime64[Y]"
        lo, hi = np.array([low, high], dtype="datetime64[D]").astype(step)
        starts = np.arange(lo, hi + 1).astype("datetime64[D]").astype(np.int64)
    index[usable] = np.searchsorted(starts, first)
    return Bins(unit, starts, next_start(starts, unit), index)


def default_unit(dates: Dates) -> str:
    """The finest unit that every dated value is precise enough for and that gives at most
    :data:`MAX_DEFAULT_BINS` bins; "year" when none does.

    Examples
    --------
    >>> default_unit(parse(["2019-07-04", "2019-09-30"])), default_unit(parse(["2001-07-04", "2019-09-30"]))
    ('week', 'year')
    >>> default_unit(parse(["2019-07", "2020-01-02"]))
    'month'
    """
    dated = dates.dated()
    for unit, needed in UNITS.items():
        if dated.any() and (dates.precision[dated] >= needed).all() and \
                len(binned(dates, unit).starts) <= MAX_DEFAULT_BINS:
            return unit
    return "year"


def in_window(bins: Bins, start: float, end: float) -> np.ndarray:
    """The bins that overlap the window ``[start, end]`` (days, any order; fractions allowed), ascending.

    Examples
    --------
    >>> found = binned(parse(["2019-01-05", "2019-02-05", "2019-03-05"]), "month")
    >>> in_window(found, 17_931.5, 17_921).tolist()  # from 2019-02-04 back to 2019-01-25: Jan and Feb
    [0, 1]
    """
    low, high = sorted((float(start), float(end)))
    return np.flatnonzero((bins.starts <= high) & (bins.ends > low))
