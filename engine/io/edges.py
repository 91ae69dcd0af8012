"""The edge list: one edge a line, ``parent<TAB>child<TAB>distance``, the form of the reference trees
(``../shared/reference``) and the default output of ``python -m engine infer``."""

from __future__ import annotations

from engine.models import Inference

__all__ = ["edges_text"]


def edges_text(inference: Inference) -> str:
    r"""One line per edge: ``parent<TAB>child<TAB>distance``, ids as in the file, in edge order.

    Examples
    --------
    >>> from engine.io.json import from_json
    >>> edges_text(from_json({"algorithm": "goeburst", "parameters": {}, "roots": ["1"],
    ...     "nodes": [{"id": "1", "count": 1}, {"id": "ST 2", "count": 1}],
    ...     "edges": [{"from": "1", "to": "ST 2", "distance": 3, "rule": "distance"}]}))
    '1\tST 2\t3\n'
    """
    return "".join(f"{e.parent}\t{e.child}\t{e.distance}\n" for e in inference.edges())
