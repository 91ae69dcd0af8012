"""Name -> value tables whose unknown names raise a helpful ParameterError."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Generic, TypeVar

from engine.errors import ParameterError, quoted

_V = TypeVar("_V")


class Choices(dict[str, _V], Generic[_V]):
    """A name -> value table whose unknown names raise :class:`~engine.errors.ParameterError`.

    ``table[name]`` with a name that is not in the table names the choices and the closest one;
    ``name in table`` and ``table.get(name)`` behave as for a plain dict.

    Parameters
    ----------
    kind : str
        What the names are, for the message ("tree format", "layout").
    items : Mapping[str, V]
        The table.

    Examples
    --------
    >>> table = Choices("tree format", {"newick": 1, "nexus": 2})
    >>> try:
    ...     table["newik"]
    ... except ParameterError as error:
    ...     print(error)
    unknown tree format 'newik' (did you mean 'newick'?); choose one of: newick, nexus
    """

    def __init__(self, kind: str, items: Mapping[str, _V]) -> None:
        super().__init__(items)
        self.kind = kind

    def __missing__(self, name: str) -> _V:
        close = difflib.get_close_matches(str(name), list(self), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ParameterError(f"unknown {self.kind} {quoted(name)}{hint}; choose one of: {', '.join(self)}")
