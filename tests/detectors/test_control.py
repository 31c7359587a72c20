"""Control characters, ANSI/VT escape sequences and line separators."""

from __future__ import annotations

import pytest

from detectors import sanitize, scan
from detectors.control import ControlDetector
from detectors.model import Severity

ESC = "\N{ESCAPE}"
PYTEST_OUTPUT = (
    "============================= test session starts ==============================\n"
    "platform linux -- Python 3.12.7, pytest-8.3.3, pluggy-1.5.0\n"
    "collected 3 items\n\ntests/test_app.py ..F                                                   [100%]\n"
)
LS_OUTPUT = "total 12\r\ndrwxr-xr-x 2 dev dev 4096 Nov 24 10:02 src\r\n-rw-r--r-- 1 dev dev  220 Nov 24 10:02 README.md\r\n"


def findings_at_least(text: str, severity: Severity) -> list:
    return [f for f in ControlDetector().find(text) if f.severity >= severity]


@pytest.mark.parametrize(
    "payload, should_flag",
    [
        # --- terminal injection and raw controls in prompt text
        ("Summarise this file." + ESC + "]0;pwned" + "\x07", True),
        ("See " + ESC + "]8;;https://evil.example" + ESC + "\\docs" + ESC + "]8;;" + ESC + "\\", True),
        ("All tests passed" + ESC + "[2K" + ESC + "[1A", True),  # erase line, cursor up
        ("safe command\x08\x08\x08\x08rm -rf", True),
        ("rm -rf /\x7f", True),
        ("token\x00=abc", True),
        ("a\x1bb", True),
        ("\x9b31mred", True),
        ("line one\N{LINE SEPARATOR}line two", True),
        ("para\N{PARAGRAPH SEPARATOR}para", True),
        ("mojibake don\u00e2\x80\x99t", True),
        # --- honest text: tabs, CRLF shell output, pytest output, source code
        ("def main():\n\treturn 0\r\n", False),
        (PYTEST_OUTPUT, False),
        (LS_OUTPUT, False),
        ("\x0c\n/* GNU style page break above */\n", False),
        ("caf\u00e9 \u65e5\u672c\u8a9e \u0645\u0631\u062d\u0628\u0627\n", False),
    ],
)
def test_flags_controls(payload: str, should_flag: bool) -> None:
    assert bool(findings_at_least(payload, Severity.MEDIUM)) is should_flag


def test_colour_codes_are_medium_and_shown() -> None:
    text = ESC + "[1m" + ESC + "[32mPASSED" + ESC + "[0m tests/test_app.py::test_ok"
    findings = list(ControlDetector().find(text))
    assert [f.kind for f in findings] == ["ansi-escape"] * 3
    assert {f.severity for f in findings} == {Severity.MEDIUM}
    assert findings[1].text == ESC + "[32m"
    assert "\u27e6U+001B\u27e7[32m" in findings[1].message
    assert sanitize(text).text == "PASSED tests/test_app.py::test_ok"


def test_osc_is_one_high_finding_over_the_whole_sequence() -> None:
    text = "ok " + ESC + "]52;c;cm0gLXJmIH4=" + "\x07" + " done"
    [finding] = ControlDetector().find(text)
    assert finding.severity is Severity.HIGH
    assert finding.text == text[3:-5]


def test_line_separators_become_newlines() -> None:
    assert sanitize("a\N{LINE SEPARATOR}b\x85c").text == "a\nb\nc"


def test_scan_runs_it_on_pure_ascii() -> None:
    assert [f.kind for f in scan("echo hi\x07")] == ["control-character"]


def test_runs_of_one_control_are_one_finding() -> None:
    [finding] = ControlDetector().find("x" + "\x00" * 1_000_000)
    assert finding.end - finding.start == 1_000_000 and "1000000 x NULL U+0000" in finding.message
