"""Tree JSON: an inference as plain data and back (``python -m engine infer --format json`` writes it,
``python -m engine layout`` reads it).

This module is ``engine.io.json``; imports are absolute, so ``import json`` anywhere (here too) is
the standard library's module.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import numpy as np

from engine.errors import InputError
from engine.forest import walk_forest
from engine.models import Inference, rule_code

__all__ = ["from_json", "to_json", "to_json_text"]


def _plain(value: object) -> object:
    """A parameter value as JSON-ready data (numpy scalars and arrays, tuples as lists)."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    return value


def to_json(inference: Inference) -> dict[str, object]:
    """The inference as JSON-ready plain data (the input of ``python -m engine layout``).

    Parameters
    ----------
    inference : Inference
        The tree or forest.

    Returns
    -------
    dict
        ``{"algorithm": str, "parameters": dict, "nodes": [{"id": str, "count": int}, ...],
        "roots": [id, ...], "edges": [{"from": id, "to": id, "distance": int, "rule": str}, ...]}``;
        nodes in row order (singletons included), roots and edges in the inference's order, rules
        as named by :func:`engine.models.rule_name`. A tree with internal nodes (NJ, dendrograms)
        also has ``"internal": n``, the number of nodes at the end of ``nodes`` that are not
        profiles, and fractional distances.

    Examples
    --------
    >>> data = {"algorithm": "goeburst", "parameters": {"lvs": 1},
    ...     "nodes": [{"id": "1", "count": 2}, {"id": "2", "count": 1}], "roots": ["2"],
    ...     "edges": [{"from": "2", "to": "1", "distance": 1, "rule": "lv1"}]}
    >>> to_json(from_json(data)) == data
    True
    """
    ids = inference.ids
    data: dict[str, object] = {
        "algorithm": inference.algorithm,
        "parameters": _plain(dict(inference.parameters)),
        "nodes": [{"id": label, "count": count}
                  for label, count in zip(ids, np.asarray(inference.counts).tolist(), strict=True)],
        "roots": [ids[root] for root in np.asarray(inference.roots).tolist()],
        "edges": [{"from": edge.parent, "to": edge.child, "distance": edge.distance, "rule": edge.rule}
                  for edge in inference.edges()],
    }
    if inference.internal:
        data["internal"] = inference.internal
    return data


def to_json_text(inference: Inference) -> str:
    """:func:`to_json` serialised with :func:`json.dumps` (one line, no trailing newline).

    Examples
    --------
    >>> to_json_text(from_json({"algorithm": "goeburst", "parameters": {}, "nodes": [], "roots": [],
    ...                         "edges": []}))
    '{"algorithm": "goeburst", "parameters": {}, "nodes": [], "roots": [], "edges": []}'
    """
    return json.dumps(to_json(inference))


def _field(record: Mapping[str, object], key: str, kind: type, where: str) -> object:
    """``record[key]``, checked to be of ``kind`` (a bool does not pass as an int)."""
    if key not in record:
        raise InputError(f"{where} has no {key!r}")
    value = record[key]
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
        raise InputError(f"{where}: {key!r} must be {kind.__name__}, not {type(value).__name__}")
    return value


def from_json(data: Mapping[str, object]) -> Inference:
    """Build an inference from the plain data :func:`to_json` writes, checking its shape.

    Parameters
    ----------
    data : Mapping
        ``algorithm`` (str), ``parameters`` (dict), ``nodes`` (list of ``{"id": str, "count":
        int >= 0}``, ids unique), ``roots`` (list of node ids), ``edges`` (list of ``{"from": id,
        "to": id, "distance": int >= 0, "rule": str}``), and for a tree with internal nodes
        ``internal`` (how many of the last nodes are not profiles), whose distances may be fractional
        and, as neighbour joining may give them, negative. Other keys are ignored.

    Returns
    -------
    Inference
        Row ``i`` is ``nodes[i]``; every array is ``int64`` but fractional distances (``float64``).

    Raises
    ------
    InputError
        Naming the first problem: a missing key, a value of the wrong type, a duplicate or unknown
        id, a negative distance or count, an unknown rule, or edges that are not a forest hanging
        from the roots.

    Examples
    --------
    >>> inference = from_json({"algorithm": "goeburst", "parameters": {},
    ...     "nodes": [{"id": "1", "count": 1}, {"id": "2", "count": 1}], "roots": ["1"],
    ...     "edges": [{"from": "1", "to": "2", "distance": 3, "rule": "distance"}]})
    >>> inference.parents.tolist(), inference.children.tolist(), inference.distances.tolist()
    ([0], [1], [3])
    >>> from_json({"algorithm": "goeburst"})
    Traceback (most recent call last):
    ...
    engine.errors.InputError: the inference has no 'parameters'
    """
    if not isinstance(data, Mapping):
        raise InputError(f"an inference must be a JSON object, not {type(data).__name__}")
    where = "the inference"
    algorithm = _field(data, "algorithm", str, where)
    parameters = _field(data, "parameters", dict, where)
    nodes = _field(data, "nodes", list, where)
    root_ids = _field(data, "roots", list, where)
    edges = _field(data, "edges", list, where)
    internal = _field(data, "internal", int, where) if "internal" in data else 0
    if not 0 <= internal <= len(nodes):
        raise InputError(f"the inference's 'internal' must be between 0 and {len(nodes)}, not {internal}")
    ids: list[str] = []
    counts: list[int] = []
    row_of: dict[str, int] = {}
    for i, node in enumerate(nodes):
        where = f"node {i + 1}"
        if not isinstance(node, Mapping):
            raise InputError(f"{where} must be an object with 'id' and 'count'")
        label = _field(node, "id", str, where)
        count = _field(node, "count", int, where)
        if label in row_of:
            raise InputError(f"{where}: id {label!r} is used twice")
        if count < 0:
            raise InputError(f"{where}: count must not be negative, got {count}")
        row_of[label] = len(ids)
        ids.append(label)
        counts.append(count)

    def row(label: object, where: str) -> int:
        if not isinstance(label, str) or label not in row_of:
            raise InputError(f"{where} refers to {label!r}, which is not a node id")
        return row_of[label]

    roots = [row(label, f"root {i + 1}") for i, label in enumerate(root_ids)]
    parents: list[int] = []
    children: list[int] = []
    distances: list[int | float] = []
    rules: list[int] = []
    for i, edge in enumerate(edges):
        where = f"edge {i + 1}"
        if not isinstance(edge, Mapping):
            raise InputError(f"{where} must be an object with 'from', 'to', 'distance' and 'rule'")
        distance = _field(edge, "distance", float if internal and isinstance(edge.get("distance"), float)
                          else int, where)
        rule = _field(edge, "rule", str, where)
        if distance < 0 and not internal:
            raise InputError(f"{where}: distance must not be negative, got {distance}")
        try:
            code = rule_code(rule)
        except ValueError:
            raise InputError(f"{where}: unknown rule {rule!r} (distance, lv1, lv2, ..., frequency, id, "
                             "identical)") from None
        parents.append(row(_field(edge, "from", str, where), where))
        children.append(row(_field(edge, "to", str, where), where))
        distances.append(distance)
        rules.append(code)

    def array(values: list[int]) -> np.ndarray:
        return np.array(values, dtype=np.int64)

    fractional = any(isinstance(distance, float) for distance in distances)
    inference = Inference(algorithm=algorithm, parameters=dict(parameters), ids=ids, parents=array(parents),
                          children=array(children), rules=array(rules), roots=array(roots),
                          distances=np.array(distances, dtype=np.float64 if fractional else np.int64),
                          counts=array(counts), internal=internal)
    walk_forest(inference)
    return inference
