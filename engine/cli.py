"""Command line: ``python -m engine infer | layout | distances | algorithms | compile``.

Results go to standard output (or ``-o FILE``); the read report and errors go to standard error.
A file or value that cannot be used ends the run with a one-line message and exit status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import IO

import param

from engine.algorithms import registry
from engine.algorithms.cgmlst_dists import write_cgmlst_dists
from engine.algorithms.parameters import parameter_names
from engine.errors import PhyloDashError
from engine.io.datasets import open_dataset
from engine.io.formats import EDGE_LIST, LAYOUT_FORMATS, TREE_FORMATS
from engine.io.json import from_json
from engine.models import MISSING_MODES, ReadReport
from engine.services.analyses import warm_up

#: What ``infer --format`` writes: the edge list (the default), then every tree format.
OUTPUT_FORMATS = {EDGE_LIST.name: EDGE_LIST, **TREE_FORMATS}
#: The `--missing` of `distances` that counts exactly as cgmlst-dists does.
CGMLST_DISTS = "cgmlst-dists"


def report_text(report: ReadReport) -> str:
    """A short, plain-words summary of what the reader found, for standard error."""
    lines = [f"read {report.profiles} profiles x {report.loci} loci, {report.missing_cells} missing cells"]
    if report.isolates:
        lines.append(
            f"read {report.isolates} isolates ({report.isolates_without_profile} without a known profile)"
        )
    if report.identical_groups:
        groups = len(report.identical_groups)
        plural = "s" if groups > 1 else ""
        lines.append(f"{groups} group{plural} of identical profiles, each drawn as one node")
    skipped = [*report.skipped_lines, *report.isolate_skipped_lines]
    for skip in skipped[:10]:
        lines.append(f"line {skip.line} left out: {skip.reason}")
    if len(skipped) > 10:
        lines.append(f"... and {len(skipped) - 10} more lines left out")
    lines.extend(report.notes)
    return "".join(f"{line}\n" for line in lines)


def _file_text(text: str) -> str:
    """``text`` as a file's content: ending with a newline unless it is empty."""
    return text if text.endswith("\n") or not text else text + "\n"


@contextmanager
def _output(path: str | None) -> Iterator[IO[str]]:
    if path is None or path == "-":
        yield sys.stdout
        return
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        yield handle


def _infer(args: argparse.Namespace) -> None:
    parameters = _given_options(args, registry.INFERENCE)
    registry.get(args.algorithm, registry.INFERENCE).check(parameters)  # refuse before reading
    missing_values = _missing_values(args)
    dataset = open_dataset(
        args.profiles,
        args.isolates,
        missing_values=missing_values,
        profile_column=args.isolates_column,
    )
    if not args.quiet:
        sys.stderr.write(report_text(dataset.report))
    inference = registry.infer(args.algorithm, dataset, parameters)
    text = _file_text(OUTPUT_FORMATS[args.format].write(inference))
    with _output(args.output) as out:
        out.write(text)


def _layout(args: argparse.Namespace) -> None:
    try:
        data = json.loads(Path(args.inference).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise PhyloDashError(f"cannot read the inference {args.inference}: {error}") from None
    if not isinstance(data, dict):
        raise PhyloDashError(f"{args.inference} does not hold an inference (a JSON object)")
    inference = from_json(data)
    layout = registry.lay_out(args.algorithm, inference, _given_options(args, registry.VISUALIZATION))
    text = _file_text(LAYOUT_FORMATS[args.format].write(layout))
    with _output(args.output) as out:
        out.write(text)


def _distances(args: argparse.Namespace) -> None:
    source: bytes | object
    if args.missing == CGMLST_DISTS:
        try:
            source = Path(args.profiles).read_bytes()
        except OSError as error:
            raise PhyloDashError(f"Cannot open {args.profiles}: {error.strerror or error}") from None
        missing = None
    else:
        source = open_dataset(args.profiles, missing_values=_missing_values(args))
        missing = args.missing
    with open(args.output, "wb") if args.output else nullcontext(sys.stdout.buffer) as out:
        write_cgmlst_dists(source, out, missing=missing, separator="," if args.csv else "\t",
                           matrix=args.matrix, max_distance=args.max_distance)


def _missing_values(args: argparse.Namespace) -> list[str] | None:
    """The ``--missing-values`` list, or None for the reader's default."""
    if args.missing_values is None:
        return None
    return [value.strip() for value in args.missing_values.split(",")]


def _algorithms(args: argparse.Namespace) -> None:
    described = registry.describe()
    if args.json:
        sys.stdout.write(json.dumps(described, indent=2) + "\n")
        return
    for algorithm in described:
        sys.stdout.write(f"{algorithm['name']} ({algorithm['kind']}): {algorithm['description']}\n")
        for option in algorithm["parameters"]:
            allowed = ""
            if "choices" in option:
                allowed = f" [{'|'.join(option['choices'])}]"
            elif "minimum" in option:
                allowed = f" [>= {option['minimum']}]"
            sys.stdout.write(f"    {option['name']}{allowed}, default {option['default']}: "
                             f"{option['description']}\n")


def _option_parameters(kind: str) -> dict[str, list[tuple[str, param.Parameter]]]:
    """Each option name of the algorithms of ``kind`` with the algorithms taking it and their parameter."""
    options: dict[str, list[tuple[str, param.Parameter]]] = {}
    for name in registry.names(kind):
        parameters = registry.get(name).parameters
        for option in parameter_names(parameters):
            options.setdefault(option, []).append((name, parameters.param[option]))
    return options


def _option_help(takers: list[tuple[str, param.Parameter]]) -> str:
    """What an option does for each group of algorithms that documents it alike, with the default."""
    groups: dict[tuple[str, object], list[str]] = {}
    for name, parameter in takers:
        groups.setdefault((parameter.doc, parameter.default), []).append(name)
    return "; ".join(f"{', '.join(names)}: {doc} (default {default})"
                     for (doc, default), names in groups.items())


def _add_algorithm_options(parser: argparse.ArgumentParser, kind: str, default: str) -> None:
    """``--algorithm`` and one ``--option`` per parameter of the registry's algorithms of ``kind``.

    An option left out takes the chosen algorithm's default; one the algorithm does not take, or a
    value it does not take (the choices offered are those of every algorithm), is refused by the
    registry's check with a sentence.
    """
    parser.add_argument("--algorithm", default=default, choices=registry.names(kind))
    for option, takers in _option_parameters(kind).items():
        parameters = [parameter for _, parameter in takers]
        extra: dict[str, object] = {}
        if all(isinstance(parameter, param.Integer) for parameter in parameters):
            extra["type"] = int
        if all(isinstance(parameter, param.Selector) for parameter in parameters):
            offered = (choice for parameter in parameters for choice in parameter.objects)
            extra["choices"] = list(dict.fromkeys(offered))
        parser.add_argument(f"--{option}", dest=f"option_{option}", metavar=option.upper(), default=None,
                            help=_option_help(takers).replace("%", "%%"), **extra)


def _given_options(args: argparse.Namespace, kind: str) -> dict[str, object]:
    """The algorithm options given on the command line (left-out ones are not passed)."""
    values = {option: getattr(args, f"option_{option}") for option in _option_parameters(kind)}
    return {option: value for option, value in values.items() if value is not None}


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m engine``."""
    parser = argparse.ArgumentParser(
        prog="python -m engine",
        description="Infer trees from typing data, lay them out, and write distance tables.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    infer = commands.add_parser("infer", help="infer a tree from a profile file")
    infer.add_argument("profiles", help="tab-separated profiles (MLST/cgMLST) or SNP strings")
    infer.add_argument("--isolates", help="isolate metadata file joined to the profiles")
    infer.add_argument(
        "--isolates-column",
        help="column of the isolate file holding the profile id (default: first header starting with ST)",
    )
    _add_algorithm_options(infer, registry.INFERENCE, "goeburst")
    infer.add_argument(
        "--missing-values",
        help="comma-separated cell values that mean 'missing' (default: empty, -, ?, N, 0)",
    )
    infer.add_argument("--format", default="edges", choices=OUTPUT_FORMATS)
    infer.add_argument("-o", "--output", help="write here instead of standard output")
    infer.add_argument("-q", "--quiet", action="store_true", help="do not print the read report")
    infer.set_defaults(run=_infer)

    layout = commands.add_parser("layout", help="lay out an inference written with --format json")
    layout.add_argument("inference", help="inference JSON file")
    _add_algorithm_options(layout, registry.VISUALIZATION, "radial")
    layout.add_argument("--format", default="json", choices=LAYOUT_FORMATS)
    layout.add_argument("-o", "--output", help="write here instead of standard output")
    layout.set_defaults(run=_layout)

    distances = commands.add_parser("distances",
                                    help="the pairwise distance table, as cgmlst-dists writes it")
    distances.add_argument("profiles", help="tab-separated allele calls (chewBBACA, EnteroBase, MLST)")
    distances.add_argument(
        "--missing", default=CGMLST_DISTS, choices=(CGMLST_DISTS, *MISSING_MODES),
        help="cgmlst-dists (default): its own reading and rule (a call that is not a positive integer is "
        "missing; a locus counts where both calls are present and differ); difference, ignore or allele: "
        "the profiles read as `infer` reads them, missing counted as in goeBURST")
    distances.add_argument("--missing-values", help="with a goeBURST mode: the cell values that mean "
                                                    "'missing' (default: empty, -, ?, N, 0)")
    distances.add_argument("--matrix", default="full", choices=("full", "lower", "upper"),
                           help="the whole matrix, or its lower or upper triangle with the diagonal")
    distances.add_argument("--csv", action="store_true", help="separate with commas instead of tabs")
    distances.add_argument("--max-distance", type=int, default=9999,
                           help="stop counting at this distance (cgmlst-dists -x; default 9999)")
    distances.add_argument("-o", "--output", help="write here instead of standard output")
    distances.set_defaults(run=_distances)

    algorithms = commands.add_parser("algorithms", help="list the algorithms and their parameters")
    algorithms.add_argument("--json", action="store_true", help="print the registry as JSON")
    algorithms.set_defaults(run=_algorithms)

    compiling = commands.add_parser(
        "compile", help="compile numba's kernels into its cache now (every algorithm once on a tiny "
        "dataset), so that no job pays for it; job workers do it too, while they wait for jobs")
    compiling.set_defaults(run=_compile)
    return parser


def _compile(_args: argparse.Namespace) -> None:
    steps = list(warm_up())
    sys.stderr.write(f"ran {len(steps)} warm-up steps: {', '.join(dict.fromkeys(steps))}\n")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 done, 2 unusable input)."""
    args = build_parser().parse_args(argv)
    try:
        args.run(args)
    except PhyloDashError as error:
        sys.stderr.write(f"error: {error}\n")
        return 2
    except BrokenPipeError:
        return 0
    return 0
