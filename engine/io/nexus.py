"""Nexus: a TREES block around the Newick text, in PhyloDB's form (its ``NexusFormatter``)."""

from __future__ import annotations

from engine.io.newick import to_newick
from engine.models import Inference

__all__ = ["to_nexus"]


def to_nexus(inference: Inference) -> str:
    """Write an inference as a Nexus TREES block, in PhyloDB's form.

    Parameters
    ----------
    inference : Inference
        The tree or forest; its singletons are left out (see Notes).

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
    >>> from engine.io.json import from_json
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
