"""Folders the tests read: the project's own fixtures and assets, and the shared data beside the project."""

from __future__ import annotations

from pathlib import Path

#: The project's root folder (``tests/`` is one level below it).
ROOT = Path(__file__).resolve().parents[1]
#: Small literal input files of the suite.
FIXTURES = ROOT / "tests" / "fixtures"
#: The corpus of malformed files every reader and upload must refuse with a sentence.
BAD_INPUTS = ROOT / "tests" / "bad_inputs"
#: The demo dataset a first start loads.
DEMO = ROOT / "assets" / "demo"
#: ``../shared`` seen from the project root: real datasets and the established tools' outputs.
SHARED = ROOT.parent / "shared"
