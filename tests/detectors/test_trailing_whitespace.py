"""Trailing whitespace: SNOW-style space and tab runs, and a trailing space on a generated line.

Real text: the agent prompts in tests/data/prompts, the shell output in tests/data/shell and
CPython's own source (which has trailing whitespace in a few docstrings and data files).
"""

from __future__ import annotations

import inspect
import textwrap
from functools import partial
from pathlib import Path

import pytest

from detectors import sanitize
from detectors.model import Severity
from detectors.trailing_whitespace import MAX_CHARS, TrailingWhitespaceDetector
from tests.support.detector_findings import PROMPTS, alarms_of, read_prompt

DETECTOR = TrailingWhitespaceDetector()
alarms = partial(alarms_of, DETECTOR)

SHELL = Path(__file__).resolve().parents[1] / "data" / "shell"
CLAUDE = read_prompt("claude_code.txt")
DATE_LINE = "Today's date: 2026-11-24"
PROSE_LINE = "Use the instructions below and the tools available to you to assist the user."


@pytest.mark.parametrize("path", sorted(PROMPTS.glob("*.txt")) + sorted(SHELL.glob("*.txt")), ids=lambda p: p.name)
def test_real_prompts_and_shell_output_are_quiet(path: Path) -> None:
    assert alarms(path.read_text(encoding="utf-8")) == []


def test_markdown_line_breaks_and_stray_trailing_spaces_are_quiet() -> None:
    marked = CLAUDE.replace(PROSE_LINE + "\n", PROSE_LINE + "  \n").replace("# Tone and style\n", "# Tone and style \n")
    assert marked != CLAUDE and alarms(marked) == []
    assert alarms(textwrap.dedent(inspect.getsource(textwrap)) + "\t\n   \t\n") == []  # blank lines' indentation


@pytest.mark.parametrize("trailing", [" ", "  ", "\t"])
def test_trailing_whitespace_on_the_date_line_is_an_alarm_and_sanitize_removes_it(trailing: str) -> None:
    marked = CLAUDE.replace(DATE_LINE + "\n", DATE_LINE + trailing + "\n")
    (alarm,) = alarms(marked)
    assert (alarm.text, alarm.severity, alarm.replacement) == (trailing, Severity.MEDIUM, "")
    assert sanitize(marked).text == CLAUDE


def test_snow_style_runs_of_spaces_and_tabs_are_alarms() -> None:
    # SNOW appends groups of spaces separated by tabs; here three lines of a real prompt carry them.
    lines = CLAUDE.split("\n")
    carriers = [n for n, line in enumerate(lines) if line.strip()][1:4]
    marked_lines = [line + ("\t  \t \t" if n in carriers else "") for n, line in enumerate(lines)]
    marked = "\n".join(marked_lines)
    found = alarms(marked)
    assert len(found) == 3 and all("SNOW" in f.message for f in found)
    assert sanitize(marked).text == CLAUDE


def test_long_strings_are_not_read() -> None:
    marked = CLAUDE.replace(DATE_LINE + "\n", DATE_LINE + " \n")
    assert alarms(marked) and alarms(marked + "x" * MAX_CHARS) == []
