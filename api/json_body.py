"""The one reader of JSON request bodies: bounded in size and depth, strict about what JSON is.

Every endpoint that takes a JSON body reads it here, after :class:`~api.handlers.base.BaseHandler`
has refused a body over the size limit (413, from Content-Length before reading when it is given).
What this refuses, each with a 400 and a sentence: bytes that are not UTF-8, text that is not JSON,
nesting deeper than :data:`MAX_DEPTH`, ``NaN`` and ``Infinity`` (not JSON numbers), numbers too
long to read, a key given twice in one object, and text with a lone surrogate (not Unicode).
"""

from __future__ import annotations

import json
import re
from typing import Any

import numpy as np

from api.problems import Problem
from engine.errors import quoted

#: The deepest nesting of arrays and objects a body may have.
MAX_DEPTH = 32
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_OPEN, _CLOSE = np.frombuffer(b"[{", np.uint8), np.frombuffer(b"]}", np.uint8)


def nesting(body: bytes) -> int:
    """How deeply the arrays and objects of a JSON text nest (0 for a scalar), strings left out.

    Examples
    --------
    >>> nesting(b'{"a": [1, {"b": "[[["}]}')
    3
    """
    symbols = np.frombuffer(_STRING.sub(b"", body), np.uint8)
    steps = np.isin(symbols, _OPEN).astype(np.int64) - np.isin(symbols, _CLOSE)
    return int(np.cumsum(steps).max(initial=0))


def parse_json(body: bytes, max_depth: int = MAX_DEPTH) -> Any:
    """The value of a JSON body, or a 400 problem saying what is wrong with it.

    Examples
    --------
    >>> parse_json(b'{"name": "Outbreak"}')
    {'name': 'Outbreak'}
    >>> parse_json(b'{"a": 1, "a": 2}')
    Traceback (most recent call last):
    ...
    api.problems.Problem: the key 'a' is given twice in one object
    """
    if nesting(body) > max_depth:
        raise Problem(400, f"the JSON body is nested more than {max_depth} levels deep")
    try:
        value = json.loads(body.decode("utf-8"), parse_constant=_no_constant, object_pairs_hook=_unique_keys)
    except UnicodeDecodeError:
        raise Problem(400, "the body must be UTF-8 text") from None
    except ValueError:  # not JSON, or a number too long to read
        raise Problem(400, "the body must be JSON") from None
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise Problem(400, "the body holds text that is not valid Unicode (a lone surrogate)") from None
    return value


def _no_constant(name: str) -> Any:
    raise Problem(400, f"{name} is not a JSON number")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    value = dict(pairs)
    if len(value) < len(pairs):
        seen: set[str] = set()
        twice = next(key for key, _ in pairs if key in seen or seen.add(key))
        raise Problem(400, f"the key {quoted(twice)} is given twice in one object")
    return value
