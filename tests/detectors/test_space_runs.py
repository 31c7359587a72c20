"""Space runs: two spaces, or a tab, between the words of a generated line.

Real text: the agent prompts in tests/data/prompts (their environment lines are where the
marks go), the shell output in tests/data/shell, and CPython's own source and data files.
"""

from __future__ import annotations

import re
import sysconfig
from functools import partial
from pathlib import Path

import pytest

from detectors import sanitize, scan
from detectors.model import Severity
from detectors.space_runs import SpaceRunDetector
from detectors.trailing_whitespace import MAX_CHARS
from tests.support.detector_findings import PROMPTS, alarms_of, read_prompt
from scripts.eval_corpus import english_paragraphs

DETECTOR = SpaceRunDetector()
alarms = partial(alarms_of, DETECTOR)

SHELL = Path(__file__).resolve().parents[1] / "data" / "shell"
# The generated lines of the real prompts, as each agent writes them.
GENERATED_LINES = [
    ("claude_code.txt", "Today's date: 2026-11-24"),
    ("claude_code.txt", "Working directory: /home/alice/projects/billing-service"),
    ("claude_code.txt", "OS Version: Linux 6.8.0-49-generic"),
    ("gemini_cli.txt", "Today's date is Monday, November 24, 2026 (formatted according to the user's locale)."),
    ("gemini_cli.txt", "I'm currently working in the directory: /home/alice/projects/billing-service"),
]


def _gaps(line: str) -> list[int]:
    return [m.start() for m in re.finditer(" ", line)]


@pytest.mark.parametrize("path", sorted(PROMPTS.glob("*.txt")) + sorted(SHELL.glob("*.txt")), ids=lambda p: p.name)
def test_real_prompts_and_shell_output_are_quiet(path: Path) -> None:
    assert alarms(path.read_text(encoding="utf-8")) == []


def test_cpython_source_and_data_files_are_quiet() -> None:
    """Source code pads strings and aligns comments; test data aligns columns."""
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    paths = sorted([*stdlib.glob("*.py"), *stdlib.glob("test/*.txt"), *stdlib.glob("test/*/*.txt")])
    assert len(paths) > 150
    noisy = [p.name for p in paths if alarms(p.read_text(encoding="utf-8", errors="replace"))]
    assert noisy == []


@pytest.mark.parametrize("prompt, line", GENERATED_LINES, ids=[line[:24] for _, line in GENERATED_LINES])
@pytest.mark.parametrize("run", ["  ", "\t", "   "], ids=["two spaces", "tab", "three spaces"])
def test_a_wider_gap_in_a_generated_line_is_an_alarm_and_sanitize_closes_it(prompt: str, line: str, run: str) -> None:
    original = read_prompt(prompt)
    assert line in original
    for gap in _gaps(line):
        marked = original.replace(line, line[:gap] + run + line[gap + 1:], 1)
        (alarm,) = alarms(marked)
        assert (alarm.text, alarm.severity, alarm.replacement) == (run, Severity.MEDIUM, " ")
        assert sanitize(marked).text == original


@pytest.mark.parametrize("layout", [
    # a column block: the same runs on the lines around
    "Platform:    linux\nOS Version:  Linux 6.8.0-49-generic\nDate:        2026-11-24",
    # rows of as many fields, one padded ("ls -l" as an agent's tool fixture writes it)
    "-rw-r--r-- 1 alice alice 1843 Nov 24 09:12 billing.py\n-rw-r--r-- 1 alice alice  912 Nov 24 09:12 test_billing.py\n"
    "-rw-r--r-- 1 alice alice 77 Nov 24 09:12 README.md",
    # git's commit header, whole and cut off
    "commit 3f9c2e1\nAuthor: Alice Martin <alice@example.com>\nDate:   Tue Nov 24 08:41:08 2026 -0800",
    "Date:   Tue Nov 24 08:41:08 2026 -0800",
    # a table row, an inline comment
    "| 2026-11-24  | deploy |",
    "cd /home/alice/projects  # the project root",
    # source code pads strings and spaces its arguments as its author likes (CPython's own lines)
    "        print(f\"  L{start} to L{end}\", file=file)",
    "    prefix = dict(insert='+ ', delete='- ', replace='! ', equal='  ')",
    "    b'crw-rw-rw- 1 root root 1, 3 Oct 18  2007 /dev/null\\n'",
    # a long gap is visible, and pads columns
    "Working directory:      /home/alice/projects/billing-service",
])
def test_layout_is_quiet(layout: str) -> None:
    assert alarms(layout) == []


def test_two_spaces_after_every_sentence_are_a_habit_of_the_text() -> None:
    """A writer who puts two spaces after each full stop does so in the date line too."""
    paragraph = next(p for p in english_paragraphs() if p.count(". ") >= 2 and "\n" not in p)
    typewritten = paragraph.replace(". ", ".  ")
    text = typewritten + "\n\nToday's date: 2026-11-24.  Working directory: /home/alice/project\n\n" + typewritten
    assert alarms(text) == []
    # Without the habit elsewhere, the same gap is the odd one out.
    assert alarms(paragraph + "\n\nToday's date: 2026-11-24.  Working directory: /home/alice/project\n")


def test_registered_and_long_strings_are_not_read() -> None:
    marked = read_prompt("claude_code.txt").replace("Today's date: 2026-11-24", "Today's date:  2026-11-24")
    assert [f.detector for f in scan(marked) if f.severity >= Severity.MEDIUM] == ["space-runs"]
    assert alarms(marked) and alarms(marked + "x" * MAX_CHARS) == []
