"""Combining-mark abuse (channel 12): stacked marks, enclosing and overlay marks on ASCII."""

from __future__ import annotations

from functools import partial

import emoji
import pytest
import unicodedata2

from detectors import sanitize
from detectors.combining import CombiningMarksDetector
from detectors.model import Severity
from tests.support.catalogues import msgstrs
from tests.support.detector_findings import alarms_of, findings_of, read_prompt

DETECTOR = CombiningMarksDetector()
findings = partial(findings_of, DETECTOR)
alarms = partial(alarms_of, DETECTOR)
CODEX = read_prompt("codex.txt").splitlines()[0]
STROKE = "\N{COMBINING LONG STROKE OVERLAY}"
ZALGO = "Z\u0351\u036b\u0343\u036a\u0302\u036b\u033d\u034f\u0334\u0319\u0324\u031e\u0349\u035a\u032f\u031e\u0320\u034da\u0366\u0309\u0342lgo"


FLAG_CASES = [
    # --- Zalgo: marks piled on Latin letters and on other scripts
    (ZALGO, True),
    (CODEX.replace("Codex", "Co\u0301\u0302\u0303dex", 1), True),
    ("\u041f\u0440\u0438\u0432\u0435\u0442\u0301\u0302\u0303\u0304\u0305 \u043c\u0438\u0440", True),
    ("\u05e9\u05dc\u05d5\u05dd\u0301\u0302\u0303", True),
    ("ok\u0300\u0301\u0302", True),
    # --- strike-through, slashes and circles drawn over ASCII
    ("".join(c + STROKE for c in "strike") + " this", True),
    ("rm -rf /tmp/c\N{COMBINING SHORT SOLIDUS OVERLAY}ache", True),
    ("Press A\N{COMBINING ENCLOSING CIRCLE} to continue", True),
    ("Step 1\N{COMBINING ENCLOSING SCREEN} done", True),
    # --- real scripts that stack marks on a base
    ("Ti\u1ebfng Vi\u1ec7t l\u00e0 ng\u00f4n ng\u1eef ch\u00ednh th\u1ee9c.", False),
    (unicodedata2.normalize("NFD", "Ti\u1ebfng Vi\u1ec7t l\u00e0 ng\u00f4n ng\u1eef ch\u00ednh th\u1ee9c."), False),
    (unicodedata2.normalize("NFD", "\u1faf \u1fa7 \u1f97 \u1f04\u03bd\u03b8\u03c1\u03c9\u03c0\u03bf\u03c2"), False),
    ("\u05d1\u05b0\u05bc\u05e8\u05b5\u05d0\u05e9\u05b4\u05c1\u0596\u05d9\u05ea \u05d1\u05b8\u05bc\u05e8\u05b8\u05a3\u05d0 \u05d0\u05b1\u05dc\u05b9\u05d4\u05b4\u0591\u05d9\u05dd \u05d0\u05b5\u05a5\u05ea \u05d4\u05b7\u05e9\u05b8\u05bc\u05c1\u05de\u05b7\u0596\u05d9\u05b4\u05dd \u05d5\u05b0\u05d0\u05b5\u05a5\u05ea \u05d4\u05b8\u05d0\u05b8\u05bd\u05e8\u05b6\u05e5\u05c3", False),
    ("\u05d1\u05b4\u05bc\u05e9\u05b0\u05c1\u05d1\u05b4\u05d9\u05dc", False),
    ("\u0628\u0650\u0633\u0652\u0645\u0650 \u0671\u0644\u0644\u064e\u0651\u0647\u0650 \u0671\u0644\u0631\u064e\u0651\u062d\u0652\u0645\u064e\u0670\u0646\u0650 \u0671\u0644\u0631\u064e\u0651\u062d\u0650\u064a\u0645\u0650", False),
    ("\u0f67\u0f71\u0f74\u0f83 \u0f56\u0f66\u0f92\u0fb2\u0f74\u0f56\u0f66\u0f0b \u0f68\u0f7c\u0f7e\u0f0b\u0f58\u0f0b\u0f4e\u0f72\u0f0b\u0f54\u0f51\u0fa8\u0f7a\u0f0b\u0f67\u0f71\u0f74\u0f83", False),
    ("\u0e17\u0e35\u0e48\u0e19\u0e35\u0e48\u0e44\u0e21\u0e48\u0e21\u0e35\u0e43\u0e04\u0e23\u0e2d\u0e22\u0e39\u0e48 \u0e19\u0e49\u0e33", False),
    ("\u0915\u094d\u0937\u092e\u093e \u0915\u0930\u0947\u0902, \u092f\u0939 \u092b\u093c\u093e\u0907\u0932 \u0928\u0939\u0940\u0902 \u092e\u093f\u0932\u0940\u0964", False),
    ("\u0986\u09ae\u09bf \u09ac\u09be\u0982\u09b2\u09be\u09af\u09bc \u0997\u09be\u09a8 \u0997\u09be\u0987\u0964", False),
    ("\u1011\u1019\u1004\u103a\u1038\u1005\u102c\u1038\u1015\u103c\u102e\u1038\u1015\u103c\u102e\u101c\u102c\u1038", False),
    ("\u17e1\u17e2\u17e3 \u1797\u17b6\u179f\u17b6\u1781\u17d2\u1798\u17c2\u179a", False),
    # --- Cyrillic number signs, keycaps, the NFD of U+2260
    ("\N{CYRILLIC SMALL LETTER A}\N{COMBINING CYRILLIC HUNDRED THOUSANDS SIGN}", False),
    ("Press 1\ufe0f\u20e3 or #\ufe0f\u20e3 or *\u20e3", False),
    ("if a =\N{COMBINING LONG SOLIDUS OVERLAY} b", False),
    ("Done \u2705 shipped \U0001F680 \U0001F44D\U0001F3FD", False),
]


@pytest.mark.parametrize("payload, should_flag", FLAG_CASES)
def test_flags_only_abused_marks(payload: str, should_flag: bool) -> None:
    assert bool(alarms(payload)) is should_flag, findings(payload)


def test_zalgo_is_high_and_keeps_the_first_mark() -> None:
    text = "Z\u0351\u036b\u0343\u036a\u0302algo"
    [finding] = findings(text)
    assert (finding.kind, finding.severity) == ("stacked-marks", Severity.HIGH)
    assert (finding.start, finding.end, finding.replacement) == (2, 6, "")
    assert "5 combining marks stacked on LATIN CAPITAL LETTER Z U+005A" in finding.message
    assert sanitize(text, findings=findings(text)).text == "Z\u0351algo"


def test_three_marks_on_latin_are_medium() -> None:
    [finding] = findings("ok\u0300\u0301\u0302")
    assert finding.severity is Severity.MEDIUM and finding.text == "\u0301\u0302"


def test_generic_marks_on_hebrew_are_foreign_and_hebrew_points_stay() -> None:
    text = "\u05e9\u05c1\u0301\u05b8\u0302\u0303"
    [finding] = findings(text)
    assert finding.start == 2 and finding.replacement == "\u05b8"
    assert sanitize(text, findings=findings(text)).text == "\u05e9\u05c1\u05b8"


def test_strike_through_deletes_every_stroke() -> None:
    text = "".join(c + STROKE for c in "strike")
    found = findings(text)
    assert [f.kind for f in found] == ["overlay-mark"] * 6
    assert sanitize(text, findings=found).text == "strike"


def test_enclosing_mark_on_a_non_ascii_base_is_low() -> None:
    assert [f.severity for f in findings("\u2605\N{COMBINING ENCLOSING CIRCLE}")] == [Severity.LOW]


def test_a_megabyte_of_marks_is_one_finding() -> None:
    text = "a" + "\u0301" * 1_000_000
    [finding] = findings(text)
    assert (finding.start, finding.end, finding.severity) == (2, len(text), Severity.HIGH)


@pytest.mark.parametrize("text", ["", "\ud800", "\u0301\u0302\u0303", "\ud800\u0301\u0302\u0303\u20dd", "\u20e3", "\ufe0f\u20e3"])
def test_never_raises(text: str) -> None:
    findings(text)


# --- real translations: Django's catalogues must raise nothing, decomposed or not
NEGATIVE_LANGUAGES = ("ru", "uk", "el", "sr", "vi", "hi", "th", "he", "ar", "ja", "zh_Hans", "ko", "fr", "de", "tr", "kk", "fa", "bn", "my", "km")


@pytest.mark.parametrize("language", NEGATIVE_LANGUAGES)
def test_real_translations_raise_no_alarm(language: str) -> None:
    texts = msgstrs(language) + tuple(unicodedata2.normalize("NFD", t) for t in msgstrs(language))
    assert {text: alarms(text) for text in texts if alarms(text)} == {}


def test_every_fully_qualified_emoji_is_quiet() -> None:
    sequences = [e for e, data in emoji.EMOJI_DATA.items() if data["status"] == emoji.STATUS["fully_qualified"]]
    assert len(sequences) > 3000
    for sequence in sequences:
        assert findings(sequence) == findings("ok" + sequence + "ok") == []
