"""The view in the page's address: which tree, drawn how, with which partition's names and selection, so
that a copied link opens the same view for a colleague who may see the project.

:class:`ViewLink` holds the address's query parameters as plain values (the page keeps them in the
URL with Panel's location); :func:`encode_rows` and :func:`decode_rows` write a selection of profile
rows compactly. The page fills the link from the open tree and, after sign-in, opens what a link
names (see :class:`dashboard.viewmodels.page.PageState`).
"""

from __future__ import annotations

import base64
import zlib
from collections.abc import Iterable
from typing import ClassVar

import numpy as np
import param

#: Selections of more rows than this are not put in the address (it would grow too long).
MAX_LINK_ROWS = 200_000
_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


def _base36(value: int) -> str:
    text = ""
    while True:
        value, digit = divmod(value, 36)
        text = _DIGITS[digit] + text
        if not value:
            return text


def encode_rows(rows: Iterable[int]) -> str:
    """Profile rows as a short text for an address: ``""`` for none, else the shorter of ``r`` + runs
    (``first-last`` or ``row`` in base 36, joined by ``.``) and ``z`` + the rows as a bitmap, deflated,
    in URL-safe base 64 (for large scattered selections). Both start with a letter, never a number.

    Examples
    --------
    >>> encode_rows([1, 2, 3, 7, 40])
    'r1-3.7.14'
    >>> decode_rows(encode_rows(range(0, 30_000, 3))) == list(range(0, 30_000, 3))
    True
    """
    found = np.unique(np.fromiter((int(row) for row in rows), dtype=np.int64))
    if not len(found):
        return ""
    if found[0] < 0:
        raise ValueError("rows are 0 or more")
    breaks = np.flatnonzero(np.diff(found) != 1) + 1
    starts = found[np.concatenate([[0], breaks])].tolist()
    ends = found[np.concatenate([breaks - 1, [len(found) - 1]])].tolist()
    runs = "r" + ".".join(_base36(a) if a == b else f"{_base36(a)}-{_base36(b)}"
                          for a, b in zip(starts, ends, strict=True))
    bits = np.zeros(int(found[-1]) + 1, dtype=bool)
    bits[found] = True
    deflated = zlib.compress(np.packbits(bits).tobytes(), 9)
    packed = "z" + base64.urlsafe_b64encode(deflated).decode().rstrip("=")
    return runs if len(runs) <= len(packed) else packed


def decode_rows(text: str, limit: int = MAX_LINK_ROWS) -> list[int]:
    """The rows :func:`encode_rows` wrote, ascending; ``[]`` for ``""``. ValueError when ``text`` is not
    such a text or names a row at or above ``limit``."""
    text = (text or "").strip()
    if not text:
        return []
    kind, body = text[0], text[1:]
    if kind == "r":
        rows: set[int] = set()
        for token in body.split("."):
            first, _, last = token.partition("-")
            a, b = int(first, 36), int(last or first, 36)
            if not 0 <= a <= b < limit:
                raise ValueError(f"rows {a}-{b} are out of range")
            rows.update(range(a, b + 1))
        return sorted(rows)
    if kind == "z":
        try:
            packed = zlib.decompress(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)),
                                     bufsize=limit // 8 + 1)
        except (ValueError, zlib.error) as error:
            raise ValueError(f"not a selection: {error}") from None
        if len(packed) > limit // 8 + 1:
            raise ValueError("the selection is too large")
        found = np.flatnonzero(np.unpackbits(np.frombuffer(packed, dtype=np.uint8)))
        if len(found) and found[-1] >= limit:
            raise ValueError("a row is out of range")
        return found.tolist()
    raise ValueError(f"not a selection: it starts with {kind!r}, not r or z")


class _AddressText(param.String):
    """A text of the address, where ``null`` means absent: Panel's location writes a parameter set back
    to None as ``null`` (and cannot drop it from the address), so a link copied after a drawn tree gave
    way to one without a drawing would otherwise name the drawing ``'null'``."""

    @classmethod
    def deserialize(cls, value: str) -> str | None:
        """The address's text as the parameter's value (None for ``null``)."""
        return None if value == "null" else value


class ViewLink(param.Parameterized):
    """The query parameters of the page's address that name the view (None: not in the address).

    Only plain text and numbers, checked when used: a link may come from anyone, and opening it only
    shows what the signed-in user may see.
    """

    project = _AddressText(default=None, allow_None=True, doc="The project's id.")
    dataset = _AddressText(default=None, allow_None=True, doc="The dataset's id.")
    inference = _AddressText(default=None, allow_None=True, doc="The tree's (inference's) id.")
    drawing = _AddressText(default=None, allow_None=True, doc="The drawing's (visualization's) id.")
    partition = _AddressText(default=None, allow_None=True,
                             doc="The partition whose cluster names the tree shows (None: its newest).")
    colour = _AddressText(default=None, allow_None=True, doc="The column the nodes are coloured by.")
    collapse = param.Number(default=None, allow_None=True, bounds=(0, None),
                            doc="The collapse distance (0: the whole tree).")
    selection = _AddressText(default=None, allow_None=True, doc="The selected profile rows (encode_rows).")

    #: The address's names of the parameters (short, as users see them).
    QUERY: ClassVar[dict[str, str]] = {
        "project": "project", "dataset": "dataset", "inference": "tree", "drawing": "drawing",
        "partition": "partition", "colour": "colour", "collapse": "collapse", "selection": "selected"}

    def names_a_tree(self) -> bool:
        """Whether the address names a tree to open."""
        return bool(self.project and self.dataset and self.inference)

    def clear(self) -> None:
        """Name no view."""
        self.param.update({name: None for name in self.QUERY})

    def accept(self, values: dict) -> None:
        """Take ``values`` the address gave that did not fit as they came (Panel reads ``2019`` as a
        number): as text where text is expected, dropped where they make no sense."""
        fixed = {}
        for name, value in values.items():
            if name in self.QUERY and name != "collapse" and value is not None:
                fixed[name] = str(value)
            elif name == "collapse" and isinstance(value, int | float) and value >= 0:
                fixed[name] = float(value)
        self.param.update(fixed)
