"""Private use, noncharacters, unassigned code points and lone surrogates."""

from __future__ import annotations

import json

import pytest

from detectors import sanitize, scan
from detectors.model import Severity
from detectors.reserved import ReservedDetector, reserved_kind

POWERLINE_PROMPT = "dev@box \ue0b0 ~/src/app \ue0a0 main \ue0b0 $ pytest -q"


def kinds(text: str) -> list[tuple[str, Severity]]:
    return [(f.kind, f.severity) for f in ReservedDetector().find(text)]


@pytest.mark.parametrize(
    "payload, should_flag",
    [
        # --- reserved code points in prompt text
        ("You are Claude Code\U000F0041, Anthropic's official CLI for Claude.", True),
        ("Today\ue000s date: 2026-11-24", True),
        (POWERLINE_PROMPT, True),  # medium, but kept by sanitize (below)
        ("cwd: /home/dev\ufdd0/app", True),
        ("ok\uffff", True),
        ("x\U0010FFFE", True),
        ("user\u0378name", True),  # unassigned in the Greek block
        ("build\U000E0080", True),  # unassigned right after the tag block
        (json.loads('"broken \\ud800 escape"'), True),
        # --- assigned characters of every kind
        ("\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8\u3067\u3059\u3002", False),
        ("\u041f\u0440\u0438\u0432\u0435\u0442, \u043c\u0438\u0440! \N{GRINNING FACE} \u2192 \u2014 \u2026", False),
        ("\u0905\u0928\u0941\u091a\u094d\u091b\u0947\u0926 \u0967\u0968", False),
        ("\U0001F3F4\U000E0067\U000E0062\U000E0065\U000E006E\U000E0067\U000E007F", False),  # tags are not ours
        ("\U000E0001\U000E0000", False),  # tag block, even unassigned parts: tag-smuggling's
    ],
)
def test_flags_reserved(payload: str, should_flag: bool) -> None:
    assert bool([f for f in ReservedDetector().find(payload) if f.severity >= Severity.MEDIUM]) is should_flag


def test_kinds_and_severities() -> None:
    assert kinds("a\ue000b\ufffec\u0378d\ud800") == [
        ("private-use", Severity.MEDIUM),
        ("noncharacter", Severity.HIGH),
        ("unassigned", Severity.HIGH),
        ("lone-surrogate", Severity.HIGH),
    ]


def test_adjacent_kinds_are_split() -> None:
    assert [f.text for f in ReservedDetector().find("\ue000\ue001\ud800\ufdd0")] == ["\ue000\ue001", "\ud800", "\ufdd0"]


def test_sanitize_keeps_icon_font_glyphs_and_repairs_surrogates() -> None:
    assert sanitize(POWERLINE_PROMPT).text == POWERLINE_PROMPT
    assert sanitize("a\ud800\udc00b\u0378").text == "a\ufffd\ufffdb"


def test_message_names_the_code_points() -> None:
    [finding] = ReservedDetector().find("x\ue0b0")
    assert "U+E0B0" in finding.message and "icon font" in finding.message


def test_reserved_kind() -> None:
    assert reserved_kind("\U00100000") == "private-use"
    assert reserved_kind("\U0001FFFF") == "noncharacter"


def test_scan_never_raises_on_lone_surrogates() -> None:
    assert [f.kind for f in scan("\udfff")] == ["lone-surrogate"]
