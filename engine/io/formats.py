"""The one table of tree file formats, and the table of layout files: name, extension, media type,
writer and label of each.

The command line (``python -m engine infer --format``), the REST API (``GET .../inferences/{id}?format=``
and its OpenAPI description) and the dashboard's download buttons all offer the formats of
:data:`TREE_FORMATS` and write them with its writers; a format added here is offered by all three.
Each format is a module of its own: :mod:`engine.io.newick`, :mod:`engine.io.nexus`,
:mod:`engine.io.json`, :mod:`engine.io.graphml`, :mod:`engine.io.edges`, :mod:`engine.io.coordinates`.

Examples
--------
>>> tree = TREE_FORMATS["nexus"]
>>> tree.extension, tree.media_type, tree.label
('nex', 'text/plain', 'Nexus')
>>> list(TREE_FORMATS), EDGE_LIST.name, list(LAYOUT_FORMATS)
(['newick', 'nexus', 'json', 'graphml'], 'edges', ['json', 'tsv'])
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from engine.choices import Choices
from engine.io.coordinates import layout_json, layout_tsv
from engine.io.edges import edges_text
from engine.io.graphml import to_graphml
from engine.io.json import to_json_text
from engine.io.newick import to_newick
from engine.io.nexus import to_nexus
from engine.models import Inference, Layout

__all__ = ["EDGE_LIST", "LAYOUT_FORMATS", "TREE_FORMATS", "FileFormat"]

_T = TypeVar("_T")


@dataclass(frozen=True)
class FileFormat(Generic[_T]):
    """A kind of file PhyloDash writes from a result (an inference or a layout).

    Attributes
    ----------
    name : str
        What users choose it by: ``--format NAME``, ``?format=NAME``.
    extension : str
        The file name extension, without the dot.
    media_type : str
        Its media type, without parameters (the text is always UTF-8).
    write : callable
        The writer: the result in, the whole text out (no trailing newline added).
    label : str
        Its name in the dashboard (a download button says it).
    """

    name: str
    extension: str
    media_type: str
    write: Callable[[_T], str]
    label: str


def _table(kind: str, *formats: FileFormat[_T]) -> Choices[FileFormat[_T]]:
    return Choices(kind, {file_format.name: file_format for file_format in formats})


#: The tree formats, by name, in the order they are offered; an unknown name raises ParameterError.
TREE_FORMATS: Choices[FileFormat[Inference]] = _table(
    "tree format",
    FileFormat("newick", "nwk", "text/plain", to_newick, "Newick"),
    FileFormat("nexus", "nex", "text/plain", to_nexus, "Nexus"),
    FileFormat("json", "json", "application/json", to_json_text, "JSON"),
    FileFormat("graphml", "graphml", "application/xml", to_graphml, "GraphML"),
)

#: One edge a line, the form of the reference trees: the command line's default output, offered
#: there only (it is not a tree file that other programs open).
EDGE_LIST: FileFormat[Inference] = FileFormat("edges", "tsv", "text/tab-separated-values", edges_text,
                                              "Edges TSV")

#: The files of a layout's coordinates (``python -m engine layout --format``).
LAYOUT_FORMATS: Choices[FileFormat[Layout]] = _table(
    "layout format",
    FileFormat("json", "json", "application/json", layout_json, "JSON"),
    FileFormat("tsv", "tsv", "text/tab-separated-values", layout_tsv, "TSV"),
)
