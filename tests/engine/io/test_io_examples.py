"""The docstring examples of every module of engine/io, one test case a module (a new module is included
without a change here)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import engine.io

MODULES = sorted(info.name for info in pkgutil.iter_modules(engine.io.__path__, "engine.io."))


def test_the_package_has_its_modules() -> None:
    assert {"engine.io.text", "engine.io.profiles", "engine.io.newick", "engine.io.formats"} <= set(MODULES)
    assert "engine.io.readers" not in MODULES


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name))
    assert result.attempted > 0, f"{name} has no examples"
    assert result.failed == 0
