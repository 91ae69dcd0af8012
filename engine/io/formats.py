"""Tree files: Newick, Nexus, JSON and GraphML writers and a Newick reader.

Every writer takes an :class:`~engine.models.Inference` and walks it without recursion, so a chain
10,000 profiles deep or a tree of 100,000 profiles is written at Python's default recursion limit.
Newick and Nexus follow PhyloDB's ``NewickFormatter`` and ``NexusFormatter`` (spec/algorithms.md
§6): the output of PhyloDash and PhyloDB is the same text for the same edges and root order.

Newick grammar, as written and read here::

    text    = { tree }
    tree    = subtree label ";"            (the root has a label and no length)
    subtree = [ "(" child { "," child } ")" ] label
    child   = subtree ":" integer
    label   = unquoted | "'" { any character, a quote doubled } "'"

An unquoted label is a run of characters other than whitespace and ``()[]':;,``; a profile id that
contains any of those (or is empty) is written between single quotes with inner quotes doubled.
Underscores are kept as they are (PhyloDB does not turn them into blanks either).
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping

import numpy as np

from engine.choices import Choices
from engine.errors import InputError
from engine.forest import walk_forest
from engine.models import Inference, rule_code

_NEEDS_QUOTES = re.compile(r"[\s()\[\]':;,]")
_TOKEN = re.compile(r"\s+|'(?:[^']|'')*'|[(),:;]|[^\s()\[\]':;,]+|.", re.DOTALL)
_WHOLE = re.compile(r"[0-9]+")
_GRAPHML_NS = "http://graphml.graphdrawing.org/xmlns"


def _quote(label: str) -> str:
    """``label`` as a Newick label: quoted when it holds punctuation or whitespace, or is empty."""
    if label and not _NEEDS_QUOTES.search(label):
        return label
    return "'" + label.replace("'", "''") + "'"


def to_newick(inference: Inference) -> str:
    """Write an inference as Newick text, in PhyloDB's form.

    Parameters
    ----------
    inference : Inference
        The tree or forest to write.

    Returns
    -------
    str
        For every root with at least one edge, in ``inference.roots`` order, the tree
        ``subtree root_id;``, with no separator between trees and no trailing newline. A node with
        children is ``(c1:d1,c2:d2,...)id``, children in edge order; a leaf is its id. ``""`` when
        the inference has no edge.

    Raises
    ------
    InputError
        When the edges are not a forest hanging from the roots (see :func:`walk_forest`).

    Examples
    --------
    The examples of PhyloDB's ``NewickFormatterTests``:

    >>> def tree(ids, root, edges):
    ...     return from_json({"algorithm": "goeburst", "parameters": {},
    ...         "nodes": [{"id": i, "count": 1} for i in ids], "roots": [root],
    ...         "edges": [{"from": p, "to": c, "distance": d, "rule": "distance"} for p, c, d in edges]})
    >>> to_newick(tree("12", "2", [("2", "1", 1)]))
    '(1:1)2;'
    >>> to_newick(tree("123", "3", [("3", "1", 1), ("3", "2", 2)]))
    '(1:1,2:2)3;'
    >>> to_newick(tree("1234", "1", [("1", "2", 2), ("2", "3", 3), ("2", "4", 4)]))
    '((3:3,4:4)2:2)1;'
    >>> to_newick(tree(["ST 1", "it's"], "ST 1", [("ST 1", "it's", 0)]))
    "('it''s':0)'ST 1';"

    Notes
    -----
    A singleton root (a profile without any edge) is left out, as PhyloDB writes only trees with
    edges (its roots are the edge sources that are never targets); the JSON and GraphML writers
    keep singletons. O(rows + edges), iterative.
    """
    walk = walk_forest(inference)
    labels = [_quote(label) for label in inference.ids]
    children = np.asarray(inference.children).tolist()
    lengths = [f":{d}" for d in np.asarray(inference.distances).tolist()]
    parts: list[str] = []
    for root in np.asarray(inference.roots).tolist():
        if not walk.out_edges[root]:
            continue
        stack: list[int | str] = [";", root]
        while stack:
            item = stack.pop()
            if isinstance(item, str):
                parts.append(item)
                continue
            edges = walk.out_edges[item]
            if not edges:
                parts.append(labels[item])
                continue
            stack += (labels[item], ")")
            for k, edge in enumerate(reversed(edges)):
                if k:
                    stack.append(",")
                stack += (lengths[edge], children[edge])
            stack.append("(")
    return "".join(parts)


def to_nexus(inference: Inference) -> str:
    """Write an inference as a Nexus TREES block, in PhyloDB's form.

    Parameters
    ----------
    inference : Inference
        The tree or forest to write.

    Returns
    -------
    str
        ``"BEGIN TREES;\\n\\tTree result = <newick>\\nEND;"`` without a trailing newline, where
        ``<newick>`` is :func:`to_newick`; ``""`` when the inference has no edge.

    Raises
    ------
    InputError
        When the edges are not a forest hanging from the roots.

    Examples
    --------
    >>> inference = from_json({"algorithm": "goeburst", "parameters": {},
    ...     "nodes": [{"id": i, "count": 1} for i in "12"], "roots": ["2"],
    ...     "edges": [{"from": "2", "to": "1", "distance": 1, "rule": "distance"}]})
    >>> to_nexus(inference)
    'BEGIN TREES;\\n\\tTree result = (1:1)2;\\nEND;'

    Notes
    -----
    Singletons are left out, as in :func:`to_newick`.
    """
    newick = to_newick(inference)
    return f"BEGIN TREES;\n\tTree result = {newick}\nEND;" if newick else ""


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
        as named by :func:`engine.models.rule_name`.

    Examples
    --------
    >>> data = {"algorithm": "goeburst", "parameters": {"lvs": 1},
    ...     "nodes": [{"id": "1", "count": 2}, {"id": "2", "count": 1}], "roots": ["2"],
    ...     "edges": [{"from": "2", "to": "1", "distance": 1, "rule": "lv1"}]}
    >>> to_json(from_json(data)) == data
    True
    """
    ids = inference.ids
    return {
        "algorithm": inference.algorithm,
        "parameters": _plain(dict(inference.parameters)),
        "nodes": [{"id": label, "count": count}
                  for label, count in zip(ids, np.asarray(inference.counts).tolist(), strict=True)],
        "roots": [ids[root] for root in np.asarray(inference.roots).tolist()],
        "edges": [{"from": edge.parent, "to": edge.child, "distance": edge.distance, "rule": edge.rule}
                  for edge in inference.edges()],
    }


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
        "to": id, "distance": int >= 0, "rule": str}``). Other keys are ignored.

    Returns
    -------
    Inference
        Row ``i`` is ``nodes[i]``; every array is ``int64``.

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
    distances: list[int] = []
    rules: list[int] = []
    for i, edge in enumerate(edges):
        where = f"edge {i + 1}"
        if not isinstance(edge, Mapping):
            raise InputError(f"{where} must be an object with 'from', 'to', 'distance' and 'rule'")
        distance = _field(edge, "distance", int, where)
        rule = _field(edge, "rule", str, where)
        if distance < 0:
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

    inference = Inference(algorithm=algorithm, parameters=dict(parameters), ids=ids, parents=array(parents),
                          children=array(children), distances=array(distances), rules=array(rules),
                          roots=array(roots), counts=array(counts))
    walk_forest(inference)
    return inference


def to_graphml(inference: Inference) -> str:
    """Write an inference as a directed GraphML document (for Cytoscape, igraph, networkx, Gephi).

    Parameters
    ----------
    inference : Inference
        The tree or forest.

    Returns
    -------
    str
        An XML document (UTF-8 declaration, no trailing newline): one ``<node id=profile id>`` per
        row in row order with ``name`` (``string``, the profile id again) and ``count`` (``long``)
        data, one ``<edge source= target=>`` per edge in edge order with ``distance`` (``long``)
        and ``rule`` (``string``) data, and graph data ``algorithm`` (``string``). Singletons are
        kept. Ids are written as they are, XML-escaped.

    Examples
    --------
    >>> inference = from_json({"algorithm": "goeburst", "parameters": {},
    ...     "nodes": [{"id": "1", "count": 1}, {"id": "2", "count": 1}], "roots": ["1"],
    ...     "edges": [{"from": "1", "to": "2", "distance": 3, "rule": "lv1"}]})
    >>> '<edge source="1" target="2">' in to_graphml(inference)
    True

    Notes
    -----
    The ``name`` datum is for igraph: ``Graph.Read_GraphML`` makes it the vertex names (decoded
    correctly, whereas igraph 1.0 leaves an ``&`` in an ``id`` attribute as ``&#38;``).
    """
    root = ET.Element("graphml", xmlns=_GRAPHML_NS)
    for key, owner, kind in (("algorithm", "graph", "string"), ("name", "node", "string"),
                             ("count", "node", "long"), ("distance", "edge", "long"),
                             ("rule", "edge", "string")):
        ET.SubElement(root, "key", {"id": key, "for": owner, "attr.name": key, "attr.type": kind})
    graph = ET.SubElement(root, "graph", id="G", edgedefault="directed")
    ET.SubElement(graph, "data", key="algorithm").text = inference.algorithm
    for label, count in zip(inference.ids, np.asarray(inference.counts).tolist(), strict=True):
        node = ET.SubElement(graph, "node", id=label)
        ET.SubElement(node, "data", key="name").text = label
        ET.SubElement(node, "data", key="count").text = str(count)
    for edge in inference.edges():
        element = ET.SubElement(graph, "edge", source=edge.parent, target=edge.child)
        ET.SubElement(element, "data", key="distance").text = str(edge.distance)
        ET.SubElement(element, "data", key="rule").text = edge.rule
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True)


def _line(text: str, position: int) -> int:
    """1-based line number of ``text[position]``."""
    return text.count("\n", 0, position) + 1


def read_newick(text: str) -> list[tuple[str, str, int]]:
    """Read the edges of Newick text as PhyloDB writes it (one or more trees, integer lengths).

    Parameters
    ----------
    text : str
        Zero or more trees, each ending with ``;``, on one line or several; whitespace between
        tokens is ignored. Every node has a label (quoted labels are unquoted, a doubled quote
        read as one), every non-root node a non-negative integer length, the root none.

    Returns
    -------
    list of (parent, child, distance)
        The edges; a node's edges (children in written order) come when its label is read, so a
        subtree's edges come before its parent's. ``[]`` for empty text.

    Raises
    ------
    InputError
        With the line number, on unbalanced parentheses, a missing ``;``, a length that is not a
        whole number, a missing label or length, a root with a length, a tree without edges, an
        unclosed quote or an unexpected character (comments in ``[]`` are not supported).

    Examples
    --------
    >>> read_newick("((3:3,4:4)2:2)1;")
    [('2', '3', 3), ('2', '4', 4), ('1', '2', 2)]
    >>> read_newick("(1:1)2;(4:2)'ST 3';")
    [('2', '1', 1), ('ST 3', '4', 2)]
    >>> read_newick("(1:1.5)2;")
    Traceback (most recent call last):
    ...
    engine.errors.InputError: line 1: branch length '1.5' of node '1' is not a whole number

    Notes
    -----
    O(length of text), iterative.
    """
    tokens = [(match.group(), match.start()) for match in _TOKEN.finditer(text)
              if not match.group().isspace()]
    tokens.append(("", len(text)))  # end of text
    edges: list[tuple[str, str, int]] = []
    groups: list[list[tuple[str, int]]] = []  # the children read so far in each open "("

    def fail(message: str, position: int) -> InputError:
        return InputError(message, line=_line(text, position))

    def label(token: str, position: int, context: str) -> str:
        if token.startswith("'"):
            if len(token) < 2 or not token.endswith("'"):
                raise fail("a quoted label is not closed", position)
            return token[1:-1].replace("''", "'")
        if not token or token in "(),:;" or _NEEDS_QUOTES.search(token):
            found = f"{token!r}" if token else "the end of the text"
            raise fail(f"expected {context}, found {found}", position)
        return token

    i = 0
    while tokens[i][0] or groups:
        token, position = tokens[i]
        while token == "(":
            groups.append([])
            i += 1
            token, position = tokens[i]
        name = label(token, position, "a node label or '('")
        has_children = False
        i += 1
        token, position = tokens[i]
        while True:  # the node ``name`` is complete; read its length and what follows it
            length = None
            if token == ":":
                length_token, length_position = tokens[i + 1]
                if not groups:
                    raise fail(f"the root {name!r} has a branch length", position)
                if not _WHOLE.fullmatch(length_token):
                    shown = repr(length_token) if length_token else "nothing"
                    raise fail(f"branch length {shown} of node {name!r} is not a whole number",
                               length_position)
                length = int(length_token)
                i += 2
                token, position = tokens[i]
            if token in (",", ")"):
                if not groups:
                    raise fail(f"unbalanced parentheses: {token!r} outside any '('", position)
                if length is None:
                    raise fail(f"node {name!r} has no branch length", position)
                groups[-1].append((name, length))
            if token != ")":
                break
            kids = groups.pop()
            i += 1
            token, position = tokens[i]
            name = label(token, position, "the label of the node after ')'")
            has_children = True
            edges += [(name, kid, distance) for kid, distance in kids]
            i += 1
            token, position = tokens[i]
        if token == ",":
            i += 1
            continue
        if groups:
            raise fail(f"unbalanced parentheses: {len(groups)} '(' not closed", position)
        if token != ";":
            raise fail(f"missing ';' after the tree ending with {name!r}", position)
        if not has_children:
            raise fail(f"the tree {name!r} has no edges", position)
        i += 1
    return edges


def _json_text(inference: Inference) -> str:
    """:func:`to_json` serialised with :func:`json.dumps`."""
    return json.dumps(to_json(inference))


#: Writer of each tree file format, by name; an unknown name raises ParameterError.
FORMATS: Choices[Callable[[Inference], str]] = Choices("tree format", {
    "newick": to_newick,
    "nexus": to_nexus,
    "json": _json_text,
    "graphml": to_graphml,
})
