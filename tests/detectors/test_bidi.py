"""Bidi controls (Trojan Source) and directional marks outside right-to-left text."""

from __future__ import annotations

import pytest

from detectors import sanitize
from detectors.bidi import BidiDetector
from detectors.model import Severity

LRM = "\N{LEFT-TO-RIGHT MARK}"
RLM = "\N{RIGHT-TO-LEFT MARK}"
ALM = "\N{ARABIC LETTER MARK}"
RLO = "\N{RIGHT-TO-LEFT OVERRIDE}"
PDF = "\N{POP DIRECTIONAL FORMATTING}"
RLI = "\N{RIGHT-TO-LEFT ISOLATE}"
LRI = "\N{LEFT-TO-RIGHT ISOLATE}"
PDI = "\N{POP DIRECTIONAL ISOLATE}"
# CVE-2021-42574's "early return" example: the comment hides an `if` from the reader.
TROJAN_SOURCE = 'if access_level != "user' + RLO + " " + LRI + '// Check if admin' + PDI + " " + LRI + '":\n    return'


def flagged(text: str) -> list:
    return [f for f in BidiDetector().find(text) if f.severity >= Severity.MEDIUM]


@pytest.mark.parametrize(
    "payload, should_flag",
    [
        # --- embedding, override and isolate controls are always high
        (TROJAN_SOURCE, True),
        ("Run " + RLO + "txt.exe" + PDF, True),
        ("\u05e9\u05dc\u05d5\u05dd " + RLI + "world" + PDI, True),
        ("\N{LEFT-TO-RIGHT EMBEDDING}x", True),
        ("\N{FIRST STRONG ISOLATE}name" + PDI, True),
        # --- marks with no RTL text around them
        ("Today" + LRM + "'s date: 2026-11-24", True),
        ("You are Claude Code" + RLM + ", Anthropic's official CLI for Claude.", True),
        ("cwd: /home/dev/app" + ALM, True),
        ("Hello" + RLM * 3 + " world", True),
        # --- marks doing their job in Hebrew, Arabic, Persian, mixed with Latin and numbers
        ("\u05d2\u05e8\u05e1\u05ea Python " + LRM + "3.12" + LRM + " \u05d6\u05de\u05d9\u05e0\u05d4", False),
        ("\u05e9\u05dc\u05d5\u05dd" + RLM + " (C++)", False),
        ("\u0627\u0644\u0633\u0639\u0631: " + ALM + "\u0661\u0662\u0663 \u062f\u0648\u0644\u0627\u0631", False),
        ("\u0641\u0627\u06cc\u0644 config.json" + RLM + " \u0631\u0627 \u0628\u0627\u0632 \u06a9\u0646\u06cc\u062f", False),
        ("\u0710\u0712\u0713" + RLM + "!", False),  # Syriac
        ("\u0783\u07a6\u0787\u07b0\u0796\u07ac" + RLM + ".", False),  # Thaana
        # Django's ar/fa/he catalogues: marks around Latin placeholders inside RTL sentences
        ("\u0623\u064f\u0636\u064a\u0641 {name} " + RLM + "\u201d{object}\u201c.", False),
        (RLM + "%(model_name)s \u0628\u0627 \u0627\u06cc\u0646 %(field_label)s", False),
        ('%(value)s" \u05d7\u05d9\u05d9\u05d1 \u05dc\u05d4\u05d9\u05d5\u05ea \u05de\u05be\u05be\u05beTrue' + RLM + ", False", False),
        ("def f():\n    return 1\n", False),
        # a stray LRM in Turkish (left-to-right) text from the same catalogues
        (LRM + "\u00d6zbek\u00e7e", True),
    ],
)
def test_flags_bidi(payload: str, should_flag: bool) -> None:
    assert bool(flagged(payload)) is should_flag


def test_controls_are_high_and_deleted() -> None:
    findings = list(BidiDetector().find(TROJAN_SOURCE))
    assert {f.kind for f in findings} == {"bidi-control"}
    assert {f.severity for f in findings} == {Severity.HIGH}
    assert sanitize(TROJAN_SOURCE).text == 'if access_level != "user // Check if admin ":\n    return'


def test_mark_message_names_it() -> None:
    [finding] = BidiDetector().find("Today" + LRM + "s")
    assert finding.kind == "bidi-mark" and finding.severity is Severity.MEDIUM
    assert finding.message.startswith("LEFT-TO-RIGHT MARK U+200E inside the word 'Todays'")


def test_adjacent_controls_are_one_finding() -> None:
    [finding] = BidiDetector().find("a" + RLO * 1_000_000 + "b")
    assert finding.end - finding.start == 1_000_000
