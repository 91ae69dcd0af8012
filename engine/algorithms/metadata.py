"""Values from isolate metadata per node: categories and their counts, means, hover summaries, search.

A node is a profile row. This module computes values only; how they are shown is the dashboard's
business (``dashboard/tree/``). Only isolates that belong to a profile (``Isolates.profile_rows >= 0``)
count. Values are compared as the reader left them (trimmed strings); "ties by name" means Python's
string order.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from operator import itemgetter

import numpy as np

from engine.choices import Choices
from engine.errors import ParameterError
from engine.models import Dataset, Isolates

#: Category that gathers the least frequent values when there are too many.
OTHER = "other"
#: Category of the isolates whose cell is empty.
NO_VALUE = "(no value)"


def _isolates(dataset: Dataset) -> Isolates:
    """The isolates of ``dataset``, or ParameterError when it has none."""
    if dataset.isolates is None:
        raise ParameterError("the dataset has no isolate metadata")
    return dataset.isolates


def _values(dataset: Dataset, column: str) -> tuple[np.ndarray, np.ndarray]:
    """Cells of ``column`` (an object array of str) and profile rows of the isolates of a profile."""
    isolates = _isolates(dataset)
    index = Choices("isolate column", {name: i for i, name in enumerate(isolates.columns)})[column]
    rows = np.asarray(isolates.profile_rows, dtype=np.int64)
    members = np.flatnonzero(rows >= 0)
    cells = np.empty(len(isolates.rows), dtype=object)
    cells[:] = list(map(itemgetter(index), isolates.rows))
    return cells[members], rows[members]


def _factorize(values: Iterable[str]) -> tuple[list[str], np.ndarray]:
    """The distinct values in string order, and the code (index among them) of every value."""
    values = list(values)
    names = sorted(set(values))
    code = {name: i for i, name in enumerate(names)}
    return names, np.fromiter(map(code.__getitem__, values), dtype=np.int64, count=len(values))


def _as_float(value: str) -> float:
    """``float(value)``, NaN when it is not a number."""
    try:
        return float(value)
    except ValueError:
        return math.nan


def _parse(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The values as floats (NaN where empty or not a number) and which values are non-empty."""
    numbers = np.array([_as_float(value) if value else math.nan for value in values], dtype=np.float64)
    return numbers, np.array([bool(value) for value in values], dtype=bool)


def is_numeric(dataset: Dataset, column: str) -> bool:
    """Whether an isolate column holds numbers only (so it has means, see :func:`numeric_means`).

    Parameters
    ----------
    dataset : Dataset
        A dataset with isolates.
    column : str
        An isolate column.

    Returns
    -------
    bool
        True when at least one isolate of a profile has a value in ``column`` and every non-empty
        value there parses as a finite float (``2019``, ``-1.5``, ``1e3``; not ``nan`` or ``inf``).

    Raises
    ------
    ParameterError
        When the dataset has no isolates, or ``column`` is not one of their columns.

    Examples
    --------
    >>> from engine.io.datasets import read_dataset
    >>> dataset = read_dataset(b"ST\\ta\\n1\\t1\\n", b"ST\\tyear\\tcountry\\n1\\t2019\\tPT\\n1\\t\\tES\\n")
    >>> is_numeric(dataset, "year"), is_numeric(dataset, "country")
    (True, False)
    """
    numbers, present = _parse(_values(dataset, column)[0])
    return bool(present.any()) and bool(np.isfinite(numbers[present]).all())


@dataclass(frozen=True)
class Composition:
    """How many isolates of each profile row fall in each category of a column.

    ``counts[i, j]`` (``int64``, shape ``(profiles, len(categories))``) counts the isolates of row
    ``i`` in ``categories[j]``. Categories are in display order: most isolates first, ties by
    name; the last one may be :data:`OTHER`.
    """

    categories: list[str]
    counts: np.ndarray


def composition(dataset: Dataset, column: str, max_categories: int = 20) -> Composition:
    """Per-profile category counts of a categorical isolate column, for pie-chart nodes.

    Parameters
    ----------
    dataset : Dataset
        A dataset with isolates.
    column : str
        An isolate column.
    max_categories : int, default 20
        At most this many categories (>= 1).

    Returns
    -------
    Composition
        One category per distinct value, an empty cell counting as :data:`NO_VALUE` (an ordinary
        category). When there are more than ``max_categories`` values, the ``max_categories - 1``
        most frequent stay and the rest (including a value that is literally ``"other"``) merge
        into :data:`OTHER`, the last category, so exactly ``max_categories`` remain. A profile
        without isolates has a row of zeros; each row sums to the profile's isolate count.

    Raises
    ------
    ParameterError
        When the dataset has no isolates, ``column`` is not one of their columns (with the closest
        name), or ``max_categories`` < 1.

    Examples
    --------
    >>> from engine.io.datasets import read_dataset
    >>> dataset = read_dataset(b"ST\\ta\\n1\\t1\\n2\\t2\\n3\\t3\\n",
    ...                        b"ST\\tcountry\\n1\\tPT\\n1\\tES\\n2\\tPT\\n2\\t\\n2\\tFR\\n")
    >>> result = composition(dataset, "country", max_categories=3)
    >>> result.categories, result.counts.tolist()
    (['PT', '(no value)', 'other'], [[1, 0, 1], [1, 1, 1], [0, 0, 0]])

    Notes
    -----
    O(isolates + profiles * categories).
    """
    categories, slots = _categories(dataset, column, max_categories)
    rows = np.asarray(_isolates(dataset).profile_rows, dtype=np.int64)
    members = rows >= 0
    width = len(categories)
    flat = np.bincount(rows[members] * width + slots[members], minlength=dataset.profiles.size * width)
    return Composition(categories, flat.reshape(dataset.profiles.size, width).astype(np.int64))


def _categories(dataset: Dataset, column: str, max_categories: int) -> tuple[list[str], np.ndarray]:
    """The categories of :func:`composition` and the category of every isolate (-1 without a profile)."""
    if max_categories < 1:
        raise ParameterError(f"max_categories must be at least 1, got {max_categories}")
    values, _ = _values(dataset, column)
    names, codes = _factorize([value or NO_VALUE for value in values])
    totals = np.bincount(codes, minlength=len(names))
    ranked = np.lexsort((np.arange(len(names)), -totals)).tolist()  # codes are in name order
    merge = len(names) > max_categories
    if merge:
        ranked = [code for code in ranked if names[code] != OTHER][: max_categories - 1]
    categories = [names[code] for code in ranked] + ([OTHER] if merge else [])
    slot = np.full(len(names), len(ranked), dtype=np.int64)  # unranked codes go to OTHER
    slot[ranked] = np.arange(len(ranked))
    rows = np.asarray(_isolates(dataset).profile_rows, dtype=np.int64)
    slots = np.full(len(rows), -1, dtype=np.int64)
    slots[rows >= 0] = slot[codes]
    return categories, slots


def isolate_categories(dataset: Dataset, column: str,
                       max_categories: int = 20) -> tuple[list[str], np.ndarray]:
    """The categories of :func:`composition`, in its order, and the category of every isolate.

    Parameters
    ----------
    dataset : Dataset
        A dataset with isolates.
    column : str
        An isolate column.
    max_categories : int, default 20
        As for :func:`composition`.

    Returns
    -------
    tuple of (list of str, numpy.ndarray)
        The categories exactly as :func:`composition` lists them, and, for every isolate (row of the
        isolate table), the index of its category: ``int64``, -1 for an isolate without a profile
        (those are not counted, as in :func:`composition`).

    Raises
    ------
    ParameterError
        As :func:`composition`.

    Examples
    --------
    >>> from engine.io.datasets import read_dataset
    >>> dataset = read_dataset(b"ST\\ta\\n1\\t1\\n2\\t2\\n",
    ...                        b"ST\\tcountry\\n1\\tPT\\n1\\tES\\n2\\tPT\\n9\\tFR\\n")
    >>> categories, slots = isolate_categories(dataset, "country")
    >>> categories, slots.tolist()
    (['PT', 'ES'], [0, 1, 0, -1])
    """
    return _categories(dataset, column, max_categories)


def numeric_means(dataset: Dataset, column: str) -> np.ndarray:
    """Mean value of a numeric isolate column per profile row (what a numeric scale shows).

    Parameters
    ----------
    dataset : Dataset
        A dataset with isolates.
    column : str
        An isolate column whose non-empty values are finite numbers (see :func:`is_numeric`).

    Returns
    -------
    numpy.ndarray
        ``float64``, one per profile row: the mean over its isolates with a value, NaN when it
        has none.

    Raises
    ------
    ParameterError
        When the dataset has no isolates, ``column`` is not one of their columns, or a non-empty
        value is not a finite number (the message quotes it).

    Examples
    --------
    >>> from engine.io.datasets import read_dataset
    >>> dataset = read_dataset(b"ST\\ta\\n1\\t1\\n2\\t2\\n",
    ...                        b"ST\\tyear\\n1\\t2019\\n1\\t2020\\n2\\t\\n")
    >>> numeric_means(dataset, "year").tolist()
    [2019.5, nan]
    """
    values, rows = _values(dataset, column)
    numbers, present = _parse(values)
    bad = np.flatnonzero(present & ~np.isfinite(numbers))
    if len(bad):
        raise ParameterError(f"isolate column {column!r} is not numeric: {values[bad[0]]!r} is not a number")
    n = dataset.profiles.size
    sums = np.bincount(rows[present], weights=numbers[present], minlength=n)
    counts = np.bincount(rows[present], minlength=n)
    with np.errstate(invalid="ignore"):
        return sums / counts


def summaries(dataset: Dataset, columns: list[str] | None = None, top: int = 3) -> list[str]:
    """A short plain-text summary of the isolates of every profile row, for hover text.

    Parameters
    ----------
    dataset : Dataset
        A dataset with isolates.
    columns : list of str, optional
        The isolate columns to summarise, in this order. Default: every column but the profile-id
        column.
    top : int, default 3
        How many values to show per column (>= 1).

    Returns
    -------
    list of str
        One string per profile row, e.g. ``"country: Portugal (3), Spain (1); year: 2019 (2)"``: per
        column, its ``top`` most frequent non-empty values with their isolate counts (ties by
        value), columns separated by ``"; "``. A column without a value in the profile is left
        out; a profile without isolates gets ``""``.

    Raises
    ------
    ParameterError
        When the dataset has no isolates, a column is unknown, or ``top`` < 1.

    Examples
    --------
    >>> from engine.io.datasets import read_dataset
    >>> dataset = read_dataset(b"ST\\ta\\n1\\t1\\n2\\t2\\n",
    ...     b"ST\\tcountry\\tyear\\n1\\tPT\\t2019\\n1\\tES\\t2019\\n1\\tPT\\t\\n")
    >>> summaries(dataset)
    ['country: PT (2), ES (1); year: 2019 (2)', '']

    Notes
    -----
    Counting is vectorised over all columns at once (one sort of profile/value keys); Python only
    factorises each column and joins the kept pieces of text: O(isolates * columns) plus sorts.
    About 0.005 s for 15,000 profiles, 1,000 isolates and 20 columns; 0.3 s with 100,000 isolates.
    """
    if top < 1:
        raise ParameterError(f"top must be at least 1, got {top}")
    isolates = _isolates(dataset)
    if columns is None:
        columns = [name for name in isolates.columns if name != isolates.profile_column]
    labels: list[str] = []  # every distinct value of every column; a "global code" indexes it
    column_of: list[int] = []  # column (index into columns) of each global code
    pairs: list[np.ndarray] = []  # (profile row, global code) of every non-empty cell
    for c, column in enumerate(columns):
        values, rows = _values(dataset, column)
        names, codes = _factorize(values)
        filled = codes >= (names[:1] == [""])  # "" sorts first: leave out empty cells
        pairs.append(np.column_stack([rows[filled], codes[filled] + len(labels)]))
        labels += names
        column_of += [c] * len(names)
    result = [""] * dataset.profiles.size
    cells = np.concatenate(pairs) if pairs else np.zeros((0, 2), dtype=np.int64)
    if not len(cells):
        return result
    # Sorted by profile, then column, then value: each (profile, column) group is a contiguous run.
    keys = np.sort(cells[:, 0] * len(labels) + cells[:, 1])  # not np.unique: several times slower
    starts = np.flatnonzero(np.concatenate([[True], keys[1:] != keys[:-1]]))
    unique, counts = keys[starts], np.diff(np.append(starts, len(keys)))
    profile, code = np.divmod(unique, len(labels))
    column = np.asarray(column_of)[code]
    new_profile = np.concatenate([[True], profile[1:] != profile[:-1]])
    new_group = new_profile | np.concatenate([[True], column[1:] != column[:-1]])
    group = np.cumsum(new_group) - 1
    most = int(counts.max())
    order = np.argsort(group * (most + 1) - counts, kind="stable")  # by count inside each group
    code, counts = code[order], counts[order]
    keep = np.arange(len(order)) - np.flatnonzero(new_group)[group] < top
    # Each kept value is lead + value + " (count)", where the lead is ", " in the same column,
    # "; column: " at the next column and "\ncolumn: " at the next profile (one line per profile).
    leads = np.array([", "] * len(columns) + [f"; {name}: " for name in columns]
                     + [f"\n{name}: " for name in columns], dtype=object)
    head = np.where(new_profile, 2, new_group.astype(np.int64))[keep]
    in_parentheses = np.array([f" ({k})" for k in range(most + 1)], dtype=object)
    pieces = np.column_stack([leads[head * len(columns) + column[keep]],
                              np.array(labels, dtype=object)[code[keep]], in_parentheses[counts[keep]]])
    text = "".join(pieces.ravel().tolist())
    for row, summary in zip(profile[new_profile].tolist(), text[1:].split("\n"), strict=True):
        result[row] = summary
    return result


def search(dataset: Dataset, text: str) -> np.ndarray:
    """Profile rows that match a search box entry, by id or by isolate metadata.

    Parameters
    ----------
    dataset : Dataset
        Any dataset (isolates optional).
    text : str
        What the user typed; trimmed, compared case-insensitively.

    Returns
    -------
    numpy.ndarray
        Sorted ``int64`` profile rows: those whose id equals ``text``; when none does, those whose
        id contains it or that have an isolate with a metadata value containing it. Empty for an
        empty (or blank) ``text``.

    Examples
    --------
    >>> from engine.io.datasets import read_dataset
    >>> dataset = read_dataset(b"ST\\ta\\n1\\t1\\n11\\t2\\n2\\t3\\n",
    ...                        b"ST\\tcountry\\n2\\tPortugal\\n11\\tSpain\\n")
    >>> search(dataset, " 1 ").tolist(), search(dataset, "SPA").tolist(), search(dataset, "por").tolist()
    ([0], [1], [2])
    """
    needle = text.strip().casefold()
    if not needle:
        return np.zeros(0, dtype=np.int64)
    ids = [profile_id.casefold() for profile_id in dataset.profiles.ids]
    exact = [row for row, profile_id in enumerate(ids) if profile_id == needle]
    if exact:
        return np.array(exact, dtype=np.int64)
    found = {row for row, profile_id in enumerate(ids) if needle in profile_id}
    if dataset.isolates is not None:
        found.update(row for row, cells in zip(dataset.isolates.profile_rows.tolist(), dataset.isolates.rows,
                                               strict=True)
                     if row >= 0 and any(needle in cell.casefold() for cell in cells))
    return np.array(sorted(found), dtype=np.int64)
