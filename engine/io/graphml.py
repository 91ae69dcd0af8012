"""GraphML: a directed graph document of the tree, for Cytoscape, igraph, networkx or Gephi."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np

from engine.models import Inference

__all__ = ["to_graphml"]


_GRAPHML_NS = "http://graphml.graphdrawing.org/xmlns"


def to_graphml(inference: Inference) -> str:
    """Write an inference as a directed GraphML document (for Cytoscape, igraph, networkx, Gephi).

    Parameters
    ----------
    inference : Inference
        The tree or forest, singletons included.

    Returns
    -------
    str
        An XML document (UTF-8 declaration, no trailing newline): one ``<node id=profile id>`` per
        row in row order with ``name`` (``string``, the profile id again) and ``count`` (``long``)
        data, one ``<edge source= target=>`` per edge in edge order with ``distance`` (``long``;
        ``double`` for the fractional lengths of NJ trees and dendrograms) and ``rule``
        (``string``) data, and graph data ``algorithm`` (``string``). Singletons are kept. Ids are
        written as they are, XML-escaped.

    Examples
    --------
    >>> from engine.io.json import from_json
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
    lengths = "long" if np.issubdtype(np.asarray(inference.distances).dtype, np.integer) else "double"
    for key, owner, kind in (("algorithm", "graph", "string"), ("name", "node", "string"),
                             ("count", "node", "long"), ("distance", "edge", lengths),
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
