"""Newick: a writer in PhyloDB's form and a reader of the trees it writes.

The writer follows PhyloDB's ``NewickFormatter`` (spec/algorithms.md §6): the output of PhyloDash and
PhyloDB is the same text for the same edges and root order. It walks the inference without
recursion, so a chain 10,000 profiles deep is written at Python's default recursion limit.

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

import re

import numpy as np

from engine.errors import InputError
from engine.forest import walk_forest
from engine.models import Inference

__all__ = ["read_newick", "to_newick"]


_NEEDS_QUOTES = re.compile(r"[\s()\[\]':;,]")
_TOKEN = re.compile(r"\s+|'(?:[^']|'')*'|[(),:;]|[^\s()\[\]':;,]+|.", re.DOTALL)
_WHOLE = re.compile(r"[0-9]+")


def _quote(label: str) -> str:
    """``label`` as a Newick label: quoted when it holds punctuation or whitespace, or is empty."""
    if label and not _NEEDS_QUOTES.search(label):
        return label
    return "'" + label.replace("'", "''") + "'"


def _length(distance: int | float) -> str:
    """A branch length as Newick writes it: a whole number as it is, a fraction to 8 significant digits."""
    return str(distance) if isinstance(distance, int) else f"{distance:.8g}"


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
        children is ``(c1:d1,c2:d2,...)id``, children in edge order; a leaf is its id; an internal
        node (not a profile: NJ trees, dendrograms) has no label. Whole-number lengths are written
        as they are, fractional ones to 8 significant digits. ``""`` when the inference has no edge.

    Raises
    ------
    InputError
        When the edges are not a forest hanging from the roots (see :func:`walk_forest`).

    Examples
    --------
    The examples of PhyloDB's ``NewickFormatterTests``:

    >>> from engine.io.json import from_json
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
    profiles = inference.profile_count
    labels = [_quote(label) if node < profiles else "" for node, label in enumerate(inference.ids)]
    children = np.asarray(inference.children).tolist()
    lengths = [f":{_length(d)}" for d in np.asarray(inference.distances).tolist()]
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
