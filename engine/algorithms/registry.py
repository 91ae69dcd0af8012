"""The one table of algorithms that the command line, the API and the dashboard read.

Each entry says what an algorithm is (name, kind, one-line description, version) and which
parameters it takes (type, default, bounds or choices, help), and runs it. PhyloDB's job kinds are
kept: an *inference* builds a tree from a dataset, a *visualization* lays out an inference.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import cast

from engine.algorithms import goeburst as _goeburst
from engine.algorithms import layouts as _layouts
from engine.choices import Choices
from engine.errors import ParameterError
from engine.models import MISSING_MODES, CancelCheck, Dataset, Inference, Layout, ProgressCallback

INFERENCE = "inference"
VISUALIZATION = "visualization"


@dataclass(frozen=True)
class Parameter:
    """One parameter of an algorithm: its type, default and allowed values."""

    name: str
    type: type
    default: object
    description: str
    minimum: int | None = None
    maximum: int | None = None
    choices: tuple[str, ...] | None = None

    def check(self, value: object) -> object:
        """``value`` as this parameter's type, or ParameterError saying what is allowed.

        Integers written as text ("3") are accepted, as a form or a command line sends them;
        booleans and fractional numbers are not integers.
        """
        if self.type is int:
            value = _as_int(self.name, value)
            if self.minimum is not None and value < self.minimum:
                raise ParameterError(f"{self.name} must be at least {self.minimum}, not {value}")
            if self.maximum is not None and value > self.maximum:
                raise ParameterError(f"{self.name} must be at most {self.maximum}, not {value}")
            return value
        if not isinstance(value, str):
            raise ParameterError(f"{self.name} must be text, not {type(value).__name__}")
        if self.choices is not None and value not in self.choices:
            raise ParameterError(f"{self.name} must be one of {', '.join(self.choices)}, not {value!r}")
        return value

    def describe(self) -> dict[str, object]:
        """JSON-ready description (name, type, default, description, bounds or choices)."""
        record: dict[str, object] = {
            "name": self.name,
            "type": "integer" if self.type is int else "string",
            "default": self.default,
            "description": self.description,
        }
        if self.minimum is not None:
            record["minimum"] = self.minimum
        if self.maximum is not None:
            record["maximum"] = self.maximum
        if self.choices is not None:
            record["choices"] = list(self.choices)
        return record


def _as_int(name: str, value: object) -> int:
    if isinstance(value, bool):
        raise ParameterError(f"{name} must be a whole number, not {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("+-").isdigit():
        return int(value.strip())
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise ParameterError(f"{name} must be a whole number, not {value!r}")


@dataclass(frozen=True)
class Algorithm:
    """An entry of the registry. ``run(subject, progress=..., cancel=..., **parameters)``.

    ``subject`` is a Dataset for an inference and an Inference for a visualization.
    """

    name: str
    kind: str
    description: str
    version: str
    run: Callable[..., Inference | Layout]
    parameters: tuple[Parameter, ...] = field(default_factory=tuple)

    def check(self, values: Mapping[str, object] | None = None) -> dict[str, object]:
        """All parameters with defaults filled in and every value checked.

        Raises ParameterError for an unknown parameter name or a value out of bounds.
        """
        values = dict(values or {})
        known = {parameter.name: parameter for parameter in self.parameters}
        unknown = sorted(set(values) - set(known))
        if unknown:
            allowed = ", ".join(known) or "none"
            raise ParameterError(
                f"{self.name} takes no parameter {', '.join(map(repr, unknown))}; it takes: {allowed}"
            )
        return {
            name: parameter.check(values[name]) if name in values else parameter.default
            for name, parameter in known.items()
        }

    def describe(self) -> dict[str, object]:
        """JSON-ready description of the algorithm and its parameters."""
        return {
            "name": self.name,
            "kind": self.kind,
            "description": self.description,
            "version": self.version,
            "parameters": [parameter.describe() for parameter in self.parameters],
        }


_MISSING = Parameter(
    "missing",
    str,
    "difference",
    "How a missing allele counts: 'difference' (always a difference, PhyloDB), 'ignore' (compare "
    "only loci present in both), 'allele' (missing is one more allele, PHYLOViZ Online).",
    choices=MISSING_MODES,
)

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
            parameters=(
                Parameter(
                    "lvs",
                    int,
                    3,
                    "Locus-variant level: profiles more than lvs loci apart are never linked; LV "
                    "levels 1..lvs break ties (3 = up to triple-locus variants).",
                    minimum=1,
                    maximum=65535,
                ),
                _MISSING,
            ),
        ),
        "goeburst-full": Algorithm(
            name="goeburst-full",
            kind=INFERENCE,
            description="PHYLOViZ 2's goeBURST full MST: one minimum spanning tree of all profiles, "
            "ties broken by locus variants at every level, frequency and ids.",
            version="1",
            run=_goeburst.goeburst_full,
            parameters=(
                Parameter(
                    "lvs",
                    int,
                    None,
                    "Accepted for PhyloDB's job shape and ignored: every level is used.",
                    minimum=1,
                ),
                _MISSING,
            ),
        ),
        "radial": Algorithm(
            name="radial",
            kind=VISUALIZATION,
            description="PhyloDB's radial layout: each tree around its root, wedges sized by leaves, "
            "edges 100 x distance + 10 long.",
            version="1",
            run=_layouts.radial,
        ),
        "force": Algorithm(
            name="force",
            kind=VISUALIZATION,
            description="Force-directed layout (igraph), edge lengths following distance, the trees "
            "of a forest side by side.",
            version="1",
            run=_layouts.force,
            parameters=(
                Parameter("seed", int, 0, "Seed of the starting positions: same seed, same drawing.",
                          minimum=0, maximum=2**31 - 1),
                Parameter("iterations", int, 50, "Rounds of the force simulation.", minimum=1,
                          maximum=10000),
            ),
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
    """Run algorithm ``name`` of ``kind`` on ``subject`` with checked parameters.

    Parameters left at a default of None (``goeburst-full``'s ignored ``lvs``) are not passed.
    """
    algorithm = get(name, kind)
    values = {k: v for k, v in algorithm.check(parameters).items() if v is not None}
    return algorithm.run(subject, progress=progress, cancel=cancel, **values)


def infer(name: str, dataset: Dataset, parameters: Mapping[str, object] | None = None,
          **hooks: ProgressCallback | CancelCheck | None) -> Inference:
    """Run inference algorithm ``name`` on ``dataset`` (``progress`` and ``cancel`` as in :func:`run`)."""
    return cast(Inference, run(name, INFERENCE, dataset, parameters, **hooks))


def lay_out(name: str, inference: Inference, parameters: Mapping[str, object] | None = None,
            **hooks: ProgressCallback | CancelCheck | None) -> Layout:
    """Run visualization algorithm ``name`` on ``inference`` (hooks as in :func:`run`)."""
    return cast(Layout, run(name, VISUALIZATION, inference, parameters, **hooks))
