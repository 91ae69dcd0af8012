"""The one table of algorithms that the command line, the API and the dashboard read.

Each entry says what an algorithm is (name, kind, one-line description, version) and which
parameters it takes (a ``param.Parameterized`` class: type, default, bounds or choices, help), and
runs it; adding an algorithm is one parameter class and one entry. PhyloDB's job kinds are kept: an
*inference* builds a tree from a dataset, a *visualization* lays out an inference.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import cast

import param

from engine.algorithms import goeburst as _goeburst
from engine.algorithms import layouts as _layouts
from engine.algorithms import mstree as _mstree
from engine.algorithms import mstree_v2 as _mstree_v2
from engine.algorithms import static_layout as _static_layout
from engine.algorithms import tree_inference as _tree_inference
from engine.algorithms import tree_layouts as _tree_layouts
from engine.algorithms.grapetree_input import MISSING_MODES as GRAPETREE_MISSING
from engine.algorithms.parameters import (
    AlgorithmParameters,
    check_values,
    describe_parameter,
    parameter_names,
)
from engine.choices import Choices
from engine.errors import ParameterError
from engine.models import MISSING_MODES, CancelCheck, Dataset, Inference, Layout, ProgressCallback

INFERENCE = "inference"
VISUALIZATION = "visualization"


class GoeburstParameters(AlgorithmParameters):
    """Options of PhyloDB's goeBURST."""

    lvs = param.Integer(
        3, bounds=(1, 65535),
        doc="Locus-variant level: profiles more than lvs loci apart are never linked; LV levels 1..lvs "
        "break ties (3 = up to triple-locus variants).")
    missing = param.Selector(
        objects=list(MISSING_MODES), default="difference",
        doc="How a missing allele counts: 'difference' (always a difference, PhyloDB), 'ignore' (compare "
        "only loci present in both), 'allele' (missing is one more allele, PHYLOViZ Online).")


class GoeburstFullParameters(AlgorithmParameters):
    """Options of PHYLOViZ 2's goeBURST full MST: every LV level is used, so there is no lvs."""

    missing = GoeburstParameters.param.missing


class GrapeTreeParameters(AlgorithmParameters):
    """Options of GrapeTree's tree builders (MSTreeV2, MSTree, NJ)."""

    missing = param.Selector(
        objects=list(GRAPETREE_MISSING), default="pair-delete",
        doc="GrapeTree's missing-data option (-y): 'pair-delete' (0, the default: compare the loci called "
        "in both, scaled to all loci), 'complete-delete' (1: drop every locus with a missing call), "
        "'as-allele' (2: missing is one more allele), 'absolute' (3: count differences at loci called "
        "in both, unscaled).")


class HierarchicalParameters(AlgorithmParameters):
    """Options of hierarchical clustering: how the Hamming distance counts a missing allele."""

    missing = GoeburstParameters.param.missing


class NoParameters(AlgorithmParameters):
    """The algorithm has no options."""


class ForceParameters(AlgorithmParameters):
    """Options of the force-directed layout."""

    seed = param.Integer(0, bounds=(0, 2**31 - 1),
                         doc="Seed of the starting positions: same seed, same drawing.")
    iterations = param.Integer(50, bounds=(1, 10000), doc="Rounds of the force simulation.")
    start = param.Selector(objects=list(_layouts.FORCE_STARTS), default="radial",
                           doc="Where the nodes start: 'radial' (PhyloDB's layout) or 'grapetree' (the "
                           "static layout, which the simulation then refines: a few hundred rounds suffice "
                           "even at 15,000 nodes).")


@dataclass(frozen=True)
class Algorithm:
    """An entry of the registry. ``run(subject, progress=..., cancel=..., **parameters)``.

    ``subject`` is a Dataset for an inference and an Inference for a visualization; ``parameters``
    is the :class:`~engine.algorithms.parameters.AlgorithmParameters` class of its options.
    """

    name: str
    kind: str
    description: str
    version: str
    run: Callable[..., Inference | Layout]
    parameters: type[AlgorithmParameters]

    def check(self, values: Mapping[str, object] | None = None) -> dict[str, object]:
        """All parameters with defaults filled in and every value checked.

        Raises ParameterError for an unknown parameter name or a value out of bounds.
        """
        return check_values(self.parameters, values, self.name)

    def describe(self) -> dict[str, object]:
        """JSON-ready description of the algorithm and its parameters."""
        return {
            "name": self.name,
            "kind": self.kind,
            "description": self.description,
            "version": self.version,
            "parameters": [describe_parameter(self.parameters.param[name])
                           for name in parameter_names(self.parameters)],
        }


ALGORITHMS: Choices[Algorithm] = Choices(
    "algorithm",
    {
        "goeburst": Algorithm(
            name="goeburst",
            kind=INFERENCE,
            description="PhyloDB's goeBURST: links profiles at most lvs loci apart into a minimum "
            "spanning forest, ties broken by locus variants, isolate counts and ids.",
            version="1",
            run=_goeburst.goeburst,
            parameters=GoeburstParameters,
        ),
        "goeburst-full": Algorithm(
            name="goeburst-full",
            kind=INFERENCE,
            description="PHYLOViZ 2's goeBURST full MST: one minimum spanning tree of all profiles, "
            "ties broken by locus variants at every level, frequency and ids.",
            version="1",
            run=_goeburst.goeburst_full,
            parameters=GoeburstFullParameters,
        ),
        "mstree-v2": Algorithm(
            name="mstree-v2",
            kind=INFERENCE,
            description="GrapeTree's MSTreeV2, the default tree for cgMLST (EnteroBase, BIGSdb, "
            "ReporTree): missing calls handled by an asymmetric distance and a minimum spanning "
            "arborescence, then branch recrafting; identical to GrapeTree's trees.",
            version="1",
            run=_mstree_v2.mstree_v2,
            parameters=GrapeTreeParameters,
        ),
        "mstree": Algorithm(
            name="mstree",
            kind=INFERENCE,
            description="GrapeTree's classic MSTree: a minimum spanning tree of the symmetric distance, "
            "ties broken eBURST-like (more single-, double-, ... locus variants first).",
            version="1",
            run=_mstree.mstree,
            parameters=GrapeTreeParameters,
        ),
        "nj": Algorithm(
            name="nj",
            kind=INFERENCE,
            description="Neighbour joining (Saitou-Nei, as FastME runs it for GrapeTree) on GrapeTree's "
            "distance: an unrooted tree with branch lengths, the usual tree for SNP and cgMLST "
            "phylogenies; identical to GrapeTree's NJ trees.",
            version="1",
            run=_tree_inference.neighbour_joining,
            parameters=GrapeTreeParameters,
        ),
        "upgma": Algorithm(
            name="upgma",
            kind=INFERENCE,
            description="UPGMA (average linkage): a dendrogram whose merge heights are mean allele "
            "differences between groups.",
            version="1",
            run=_tree_inference.upgma,
            parameters=HierarchicalParameters,
        ),
        "wpgma": Algorithm(
            name="wpgma",
            kind=INFERENCE,
            description="WPGMA (weighted average linkage): like UPGMA, each merged group weighted alike.",
            version="1",
            run=_tree_inference.wpgma,
            parameters=HierarchicalParameters,
        ),
        "single-linkage": Algorithm(
            name="single-linkage",
            kind=INFERENCE,
            description="Single linkage: a dendrogram whose cut at d gives the clusters of profiles "
            "joined by chains of steps of at most d allele differences.",
            version="1",
            run=_tree_inference.single_linkage,
            parameters=HierarchicalParameters,
        ),
        "complete-linkage": Algorithm(
            name="complete-linkage",
            kind=INFERENCE,
            description="Complete linkage: a dendrogram whose cut at d gives groups in which every "
            "two profiles are at most d allele differences apart.",
            version="1",
            run=_tree_inference.complete_linkage,
            parameters=HierarchicalParameters,
        ),
        "radial": Algorithm(
            name="radial",
            kind=VISUALIZATION,
            description="PhyloDB's radial layout: each tree around its root, wedges sized by leaves, "
            "edges 100 x distance + 10 long.",
            version="1",
            run=_layouts.radial,
            parameters=NoParameters,
        ),
        "grapetree": Algorithm(
            name="grapetree",
            kind=VISUALIZATION,
            description="GrapeTree's static layout: each tree fanned out from its root, subtrees given "
            "angles by their number of nodes, edges 100 x distance long between the node discs, which "
            "never overlap; the trees of a forest in a grid, largest first, singletons in one block.",
            version="1",
            run=_static_layout.grapetree,
            parameters=NoParameters,
        ),
        "force": Algorithm(
            name="force",
            kind=VISUALIZATION,
            description="Force-directed layout (igraph), edge lengths following distance, the trees "
            "of a forest side by side.",
            version="2",
            run=_layouts.force,
            parameters=ForceParameters,
        ),
        "equal-angle": Algorithm(
            name="equal-angle",
            kind=VISUALIZATION,
            description="Equal-angle layout for unrooted trees such as NJ trees: each subtree gets an "
            "angle by its number of leaves, each branch is as long as it is.",
            version="1",
            run=_tree_layouts.equal_angle,
            parameters=NoParameters,
        ),
        "rectangular": Algorithm(
            name="rectangular",
            kind=VISUALIZATION,
            description="Rectangular layout for dendrograms: the root on the left, each node as far "
            "right as its distance from the root, the leaves one below the other.",
            version="1",
            run=_tree_layouts.rectangular,
            parameters=NoParameters,
        ),
    },
)


def get(name: str, kind: str | None = None) -> Algorithm:
    """The algorithm called ``name`` (of ``kind`` when given), or ParameterError with a hint."""
    algorithm = ALGORITHMS[name]
    if kind is not None and algorithm.kind != kind:
        others = ", ".join(a.name for a in ALGORITHMS.values() if a.kind == kind)
        raise ParameterError(f"{name!r} is not an {kind} algorithm; choose one of: {others}")
    return algorithm


#: The layout that fits the trees of an inference method, when it is not the radial one.
_FITTING_LAYOUTS = {"nj": "equal-angle", "upgma": "rectangular", "wpgma": "rectangular",
                    "single-linkage": "rectangular", "complete-linkage": "rectangular"}


def fitting_layout(inference_algorithm: str) -> str:
    """The layout that fits the trees of ``inference_algorithm``: equal-angle for NJ's unrooted trees,
    rectangular for dendrograms, PhyloDB's radial layout for the spanning trees."""
    return _FITTING_LAYOUTS.get(inference_algorithm, "radial")


def names(kind: str) -> list[str]:
    """Names of the algorithms of one kind, in registry order."""
    return [a.name for a in ALGORITHMS.values() if a.kind == kind]


def describe() -> list[dict[str, object]]:
    """JSON-ready list of every algorithm with its parameters."""
    return [algorithm.describe() for algorithm in ALGORITHMS.values()]


def run(
    name: str,
    kind: str,
    subject: Dataset | Inference,
    parameters: Mapping[str, object] | None = None,
    *,
    progress: ProgressCallback | None = None,
    cancel: CancelCheck | None = None,
) -> Inference | Layout:
    """Run algorithm ``name`` of ``kind`` on ``subject`` with checked parameters."""
    algorithm = get(name, kind)
    return algorithm.run(subject, progress=progress, cancel=cancel, **algorithm.check(parameters))


def infer(name: str, dataset: Dataset, parameters: Mapping[str, object] | None = None,
          **hooks: ProgressCallback | CancelCheck | None) -> Inference:
    """Run inference algorithm ``name`` on ``dataset`` (``progress`` and ``cancel`` as in :func:`run`)."""
    return cast(Inference, run(name, INFERENCE, dataset, parameters, **hooks))


def lay_out(name: str, inference: Inference, parameters: Mapping[str, object] | None = None,
            **hooks: ProgressCallback | CancelCheck | None) -> Layout:
    """Run visualization algorithm ``name`` on ``inference`` (hooks as in :func:`run`)."""
    return cast(Layout, run(name, VISUALIZATION, inference, parameters, **hooks))
