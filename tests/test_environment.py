"""The ways into PhyloDash's environment stay in step with pyproject.toml.

pyproject.toml is the single source of dependencies. environment.yml (for conda users), the
Makefile's ``install`` target and the CI script ``.ci/run`` only point at it; these tests fail as
soon as one of them drifts: a conda dependency pyproject lacks, a Python version pyproject refuses,
an install without the ``dev`` extra, a CI script that no longer runs ``make test``.

Conda itself is not available to the test suite, so environment.yml is checked by reading it.
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path

import pytest
import yaml

# packaging is a dependency of pytest itself, so it is always present with the dev extra.
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent

# Conda-forge names that differ from the PyPI names used in pyproject.toml.
CONDA_TO_PYPI = {"python-igraph": "igraph"}

# `-e .[dev]` or `--editable ".[dev,docs]"`: the project itself, editable, with extras.
EDITABLE_PROJECT = re.compile(r"""(?:-e|--editable)\s+(?P<q>["']?)\./?\[(?P<extras>[^\]]*)\](?P=q)""")


# --- fixtures -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pyproject() -> dict:
    with (ROOT / "pyproject.toml").open("rb") as handle:
        return tomllib.load(handle)


@pytest.fixture(scope="module")
def environment() -> dict:
    data = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    assert isinstance(data, dict), "environment.yml must be a YAML mapping"
    return data


@pytest.fixture(scope="module")
def makefile() -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    return _parse_makefile((ROOT / "Makefile").read_text(encoding="utf-8"))


# --- helpers ------------------------------------------------------------------------------------


def _split_dependencies(environment: dict) -> tuple[list[str], list[str]]:
    """The conda match specs and the pip entries of environment.yml's ``dependencies``."""
    conda, pip_sections = [], []
    for item in environment.get("dependencies") or []:
        if isinstance(item, dict):
            assert set(item) == {"pip"}, f"unexpected section in environment.yml dependencies: {item}"
            pip_sections.append(item["pip"] or [])
        else:
            conda.append(str(item).strip())
    assert len(pip_sections) <= 1, "environment.yml has more than one pip section"
    return conda, [str(entry).strip() for entry in (pip_sections[0] if pip_sections else [])]


def _conda_spec(spec: str) -> tuple[str, str]:
    """Split a conda match spec (``python=3.11``, ``conda-forge::numpy >=1.26``) into name and version."""
    match = re.fullmatch(r"(?:[\w.\-]+::)?([A-Za-z0-9_.\-]+)\s*(.*)", spec)
    assert match, f"cannot read the conda dependency {spec!r} in environment.yml"
    name, rest = match.groups()
    rest = rest.strip()
    if rest.startswith("=") and not rest.startswith("=="):
        rest = rest[1:].split("=")[0]  # fuzzy pin `=3.11`, maybe followed by `=build`
    elif rest and " " in rest and not re.search(r"[<>=!,]", rest):
        rest = rest.split()[0]  # `3.11.7 h1234_cpython`: drop the build string
    return name, rest


def _conda_version_as_pep440(constraint: str) -> SpecifierSet:
    """The PEP 440 equivalent of a conda version constraint (``3.11``, ``3.11.*``, ``>=3.11,<3.13``)."""
    assert "|" not in constraint, f"conda 'or' constraints are not supported here: {constraint!r}"
    clauses = []
    for part in constraint.replace(" ", "").split(","):
        match = re.fullmatch(r"(==|!=|>=|<=|>|<|~=)?([0-9][0-9A-Za-z.*]*)", part)
        assert match, f"cannot read the conda version constraint {constraint!r}"
        operator, version = match.groups()
        if operator is None:  # a bare or fuzzy version means that release series
            clauses.append(f"=={version.removesuffix('*').removesuffix('.')}.*")
        else:
            clauses.append(f"{operator}{version}")
    return SpecifierSet(",".join(clauses))


def _pyproject_names(pyproject: dict) -> set[str]:
    """Canonical names of every dependency pyproject.toml declares, extras included."""
    project = pyproject["project"]
    requirements = list(project.get("dependencies", []))
    for extra in project.get("optional-dependencies", {}).values():
        requirements.extend(extra)
    return {canonicalize_name(Requirement(text).name) for text in requirements}


def _parse_makefile(text: str) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Prerequisites and recipe lines per target, with the Makefile's own variables expanded.

    Enough of make for this project's Makefile: simple variables (``=``, ``:=``, ``?=``), ordinary
    rules and tab-indented recipes; ``define`` blocks are skipped, functions are left unexpanded.
    """
    variables: dict[str, str] = {}

    def expand(value: str) -> str:
        for _ in range(10):
            expanded = re.sub(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)",
                              lambda m: variables.get(m.group(1), m.group(0)), value)
            if expanded == value:
                break
            value = expanded
        return value

    prerequisites: dict[str, list[str]] = {}
    recipes: dict[str, list[str]] = {}
    current: list[str] = []
    in_define = False
    for line in re.sub(r"\\\n", " ", text).splitlines():
        if in_define:
            in_define = line.strip() != "endef"
            continue
        if line.startswith("define "):
            in_define, current = True, []
            continue
        if line.startswith("\t"):
            for target in current:
                recipes[target].append(expand(line.strip()))
            continue
        stripped = line.split("#", 1)[0].strip()
        if not stripped:
            continue
        assignment = re.fullmatch(r"([.A-Za-z_][.A-Za-z0-9_]*)\s*(\?=|::=|:=|\+=|=)\s*(.*)", stripped)
        if assignment:
            name, operator, value = assignment.groups()
            if operator != "?=" or name not in variables:
                variables[name] = expand(value) if operator != "+=" else variables.get(name, "") + " " + value
            current = []
            continue
        rule = re.fullmatch(r"([^:]+?)\s*:\s*(.*)", expand(stripped))
        if rule:
            current = rule.group(1).split()
            for target in current:
                prerequisites.setdefault(target, []).extend(rule.group(2).replace("|", " ").split())
                recipes.setdefault(target, [])
    return prerequisites, recipes


def _recipe_lines(makefile, target: str) -> list[str]:
    """Every recipe line make may run for ``target``, its prerequisites' recipes included."""
    prerequisites, recipes = makefile
    seen, lines, stack = set(), [], [target]
    while stack:
        name = stack.pop()
        if name in seen or name not in recipes:
            continue
        seen.add(name)
        lines.extend(recipes[name])
        stack.extend(prerequisites.get(name, []))
    return lines


# --- environment.yml ----------------------------------------------------------------------------


def test_environment_is_named_after_the_project_and_uses_conda_forge(environment, pyproject):
    assert environment.get("name") == pyproject["project"]["name"]
    assert "conda-forge" in (environment.get("channels") or [])


def test_environment_pip_section_installs_exactly_the_project_with_dev_extra(environment, pyproject):
    conda, pip_entries = _split_dependencies(environment)
    extras_defined = set(pyproject["project"].get("optional-dependencies", {}))
    assert "dev" in extras_defined, "pyproject.toml no longer defines the dev extra"
    assert "pip" in {_conda_spec(spec)[0] for spec in conda}, "environment.yml must list pip itself"
    # Any other pip entry would be a dependency kept outside pyproject.toml.
    assert len(pip_entries) == 1, f"the pip section must install only the project: {pip_entries}"
    match = EDITABLE_PROJECT.fullmatch(pip_entries[0])
    assert match, f"the pip section must be `-e .[dev]`, found {pip_entries[0]!r}"
    extras = {extra.strip() for extra in match.group("extras").split(",") if extra.strip()}
    assert "dev" in extras
    assert extras <= extras_defined, f"extras that pyproject.toml does not define: {extras - extras_defined}"


def test_environment_python_satisfies_requires_python(environment, pyproject):
    requires_python = SpecifierSet(pyproject["project"]["requires-python"])
    conda, _ = _split_dependencies(environment)
    pins = [version for name, version in map(_conda_spec, conda) if name == "python"]
    assert len(pins) == 1, "environment.yml must list python exactly once"
    assert pins[0], "environment.yml must pin a python version, or conda may pick one pyproject refuses"
    allowed_by_conda = _conda_version_as_pep440(pins[0])
    candidates = [Version(f"3.{minor}.{patch}") for minor in range(6, 21) for patch in (0, 1, 99)]
    chosen = [version for version in candidates if allowed_by_conda.contains(version)]
    assert chosen, f"python {pins[0]!r} in environment.yml matches no Python 3 release"
    refused = [str(version) for version in chosen if not requires_python.contains(version)]
    assert not refused, (
        f"python {pins[0]!r} in environment.yml allows {refused}, outside requires-python {requires_python}"
    )


def test_environment_lists_no_dependency_pyproject_lacks(environment, pyproject):
    conda, _ = _split_dependencies(environment)
    declared = _pyproject_names(pyproject)
    extra = []
    for spec in conda:
        name = _conda_spec(spec)[0].lower()
        if name in {"python", "pip"}:
            continue
        if canonicalize_name(CONDA_TO_PYPI.get(name, name)) not in declared:
            extra.append(spec)
    assert not extra, f"environment.yml lists dependencies that pyproject.toml lacks: {extra}"


def test_conda_spec_reading():
    # The helpers above decide the environment tests; check them on literal cases.
    assert _conda_spec("python=3.11") == ("python", "3.11")
    assert _conda_spec("python=3.11.7=h955ad1f_0_cpython") == ("python", "3.11.7")
    assert _conda_spec("conda-forge::python >=3.11,<3.13") == ("python", ">=3.11,<3.13")
    assert _conda_spec("pip") == ("pip", "")
    assert Version("3.11.9") in _conda_version_as_pep440("3.11")
    assert Version("3.12.0") not in _conda_version_as_pep440("3.11.*")
    assert Version("3.10.4") not in _conda_version_as_pep440(">=3.11")
    assert Version("3.13.0") not in _conda_version_as_pep440(">=3.11, <3.13")


# --- Makefile and CI ----------------------------------------------------------------------------


def test_makefile_install_installs_the_project_with_dev_extra(makefile, pyproject):
    assert "install" in makefile[1], "the Makefile has no install target"
    installs = [
        match
        for line in _recipe_lines(makefile, "install")
        if re.search(r"\bpip\s+install\b", line)
        for match in [EDITABLE_PROJECT.search(line)]
        if match
    ]
    assert installs, "`make install` does not run `pip install -e .[dev]`"
    extras = {extra.strip() for extra in installs[0].group("extras").split(",")}
    assert "dev" in extras
    assert "dev" in pyproject["project"].get("optional-dependencies", {})


def test_makefile_test_installs_then_runs_ruff_and_pytest(makefile):
    prerequisites, recipes = makefile
    assert "install" in prerequisites.get("test", []), "`make test` must depend on install"
    recipe = recipes.get("test", [])
    assert any(re.search(r"\bruff\s+check\b", line) for line in recipe), "`make test` must run ruff check"
    assert any(re.search(r"-m\s+pytest\b", line) for line in recipe), "`make test` must run pytest"


def test_ci_script_runs_make_test():
    script = ROOT / ".ci" / "run"
    text = script.read_text(encoding="utf-8")
    assert os.access(script, os.X_OK), ".ci/run must be executable"
    assert text.startswith("#!") and "bash" in text.splitlines()[0]
    assert re.search(r"^\s*set\s+-euo\s+pipefail\b", text, re.MULTILINE), ".ci/run must use set -euo pipefail"
    commands = [line.strip() for line in text.splitlines()]
    commands = [line for line in commands if line and not line.startswith("#")]
    runs = [line for line in commands if re.fullmatch(r"(?:exec\s+)?make\s+(?:.*\s)?test(?:\s.*)?", line)]
    assert runs, ".ci/run does not call `make test`"
    assert not any("||" in line for line in runs), "a failure of `make test` must fail the CI run"
