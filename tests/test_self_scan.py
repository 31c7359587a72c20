"""Our own sources carry no covert character: no medium-or-worse finding in any .py or .md file.

Marks in tests are written as escapes ("\\u2019"), never as the raw characters, so a reader
sees what a test injects and the repo never carries a live mark. The `dates` detector is left
out: tests of the date channel write the incident's formats side by side on purpose, and
date formats are a channel of prompts a client generates, not of source code.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from detectors import Severity, scan
from detectors.registry import DEFAULT_DETECTORS

ROOT = Path(__file__).resolve().parents[1]
CHARACTER_DETECTORS = [detector for detector in DEFAULT_DETECTORS if detector.name != "dates"]
SOURCES = sorted(
    path for folder in ("detectors", "addons", "tests", "scripts", "bench", "docs")
    for path in (ROOT / folder).rglob("*") if path.suffix in (".py", ".md") and path.is_file()
) + [ROOT / "README.md"]


def test_the_source_tree_is_found() -> None:
    assert len(SOURCES) > 50 and ROOT / "detectors" / "dates.py" in SOURCES


@pytest.mark.parametrize("path", SOURCES, ids=lambda path: str(path.relative_to(ROOT)))
def test_source_file_carries_no_mark(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    alarms = [f"{f.kind} {f.codepoints[:4]} at {f.start}: {f.message}" for f in scan(text, CHARACTER_DETECTORS) if f.severity >= Severity.MEDIUM]
    assert alarms == []
