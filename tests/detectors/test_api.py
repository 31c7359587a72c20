"""The public contract of `detectors`: scan, sanitize, replay, Finding and Severity."""

import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from detectors import DEFAULT_DETECTORS, Finding, Severity, replay, sanitize, scan

CODEPOINT = re.compile(r"^U\+(?:[0-9A-F]{4}|[1-9A-F][0-9A-F]{4}|10[0-9A-F]{4})$")

# Real agent prompt lines with one mark each (written with escapes: no hidden characters in source).
MARKED = [
    "Today\N{MODIFIER LETTER APOSTROPHE}s date is 2026-11-24.",
    "You are Claude Code, Anthropic's official CLI for Claude.\N{ZERO WIDTH SPACE}",
    "Working directory: /home/alice/project\U000E0041\U000E0042\U000E0043",
    "Is directory a git repo: Yes \N{RIGHT-TO-LEFT OVERRIDE}oN",
]

# Arbitrary text, lone surrogates included (they arrive from JSON "\ud800" escapes).
ANY_TEXT = st.text(st.characters(codec=None, categories=None), max_size=200)
MIXED_TEXT = st.lists(
    st.sampled_from(MARKED + ["plain ASCII text. ", "Привет, мир! ", "今日は2026年11月24日です。", "\N{WAVING HAND SIGN}\N{EMOJI MODIFIER FITZPATRICK TYPE-4} "]),
    max_size=6,
).map("".join)


def test_registry_is_an_explicit_tuple_of_named_detectors():
    assert isinstance(DEFAULT_DETECTORS, tuple) and DEFAULT_DETECTORS
    names = [d.name for d in DEFAULT_DETECTORS]
    assert len(names) == len(set(names)), "detector names are a contract and must be unique"
    for detector in DEFAULT_DETECTORS:
        assert re.fullmatch(r"[a-z][a-z0-9-]*", detector.name)
        assert isinstance(detector.ascii_relevant, bool)


def test_severity_orders_and_serialises_lower_case():
    assert Severity.INFO < Severity.LOW < Severity.MEDIUM < Severity.HIGH
    assert max([Severity.LOW, Severity.HIGH, Severity.MEDIUM]) is Severity.HIGH
    assert json.dumps([Severity.HIGH]) == '["high"]'
    with pytest.raises(ValueError, match="unknown severity"):
        Severity.parse("critical")


@pytest.mark.parametrize("text", MARKED)
def test_findings_are_well_formed_and_point_at_the_mark(text):
    findings = scan(text)
    assert any(f.severity >= Severity.MEDIUM for f in findings), findings
    for finding in findings:
        assert isinstance(finding, Finding)
        assert 0 <= finding.start <= finding.end <= len(text)
        assert finding.text == text[finding.start:finding.end]
        assert finding.codepoints == [f"U+{ord(ch):04X}" for ch in finding.text]
        assert all(CODEPOINT.match(cp) for cp in finding.codepoints)
        assert finding.message
        with pytest.raises(Exception):
            finding.start = 0  # frozen


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(ANY_TEXT)
def test_scan_never_raises_and_no_detector_fails(text):
    findings = scan(text)
    assert [f for f in findings if f.kind == "detector-error"] == []
    assert findings == sorted(findings, key=lambda f: (f.start, f.end))


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(ANY_TEXT, MIXED_TEXT))
def test_sanitize_is_idempotent_and_changes_only_applied_spans(text):
    result = sanitize(text, min_severity=Severity.MEDIUM)
    assert sanitize(result.text, min_severity=Severity.MEDIUM).text == result.text
    # Every character outside the applied spans is kept, in order.
    kept = []
    cursor = 0
    for finding in sorted(result.applied, key=lambda f: f.start):
        kept.append(text[cursor:finding.start])
        cursor = finding.end
    kept.append(text[cursor:])
    outside = "".join(kept)
    assert _is_subsequence(outside, result.text)
    assert replay(text, result.steps) == result.text


def _is_subsequence(needle: str, haystack: str) -> bool:
    it = iter(haystack)
    return all(ch in it for ch in needle)


@pytest.mark.parametrize("text", MARKED)
def test_sanitize_removes_the_marks_it_applies(text):
    result = sanitize(text)
    assert result.applied
    remaining = [f for f in scan(result.text) if f.severity >= Severity.MEDIUM and f.replacement is not None]
    assert remaining == []


def test_clean_text_is_returned_unchanged():
    text = "def main() -> int:\n    return 0  # It's fine.\n"
    assert scan(text) == []
    assert sanitize(text).text == text


def test_scan_rejects_non_strings_with_a_clear_error():
    with pytest.raises(TypeError, match="takes a str"):
        scan(b"bytes")  # type: ignore[arg-type]
