"""Look-alike digits (channel 10): non-ASCII digits mixed into ASCII numbers or Latin text."""

from __future__ import annotations

from functools import partial

import pytest

from detectors import sanitize
from detectors.digits import LookalikeDigitDetector, ascii_digits
from detectors.model import Severity
from tests.support.catalogues import LANGUAGES, msgstrs
from tests.support.detector_findings import alarms_of, findings_of, prompt_with_marked_line

DETECTOR = LookalikeDigitDetector()
findings = partial(findings_of, DETECTOR)
alarms = partial(alarms_of, DETECTOR)


FLAG_CASES = [
    # --- a digit run mixing ASCII with another script: high
    ("Today's date is 2026-\u0661\u0661-24.", True),
    ("Today's date is 20\u06f226-11-24.", True),
    ("Today's date is \uff12\uff10\uff12\uff16-11-24.", True),
    ("version \U0001d7d0.0", True),
    ("Listening on port 80\u096680.", True),
    # --- two digit scripts in one number
    ("\u0627\u0644\u062a\u0627\u0631\u064a\u062e \u0662\u0660\u06f2\u0666", True),
    # --- a whole non-ASCII number in Latin text: medium, mathematical digits: high
    ("The release year was \uff12\uff10\uff12\uff16 in the changelog.", True),
    ("Use Python \U0001d7d1 or later.", True),
    ("Retry at most \u0663 times.", True),
    # --- numbers written in the script of the text around them
    ("\u0627\u0644\u064a\u0648\u0645 \u0647\u0648 \u0662\u0664 \u0646\u0648\u0641\u0645\u0628\u0631 \u0662\u0660\u0662\u0666.", False),
    ("\u0627\u0645\u0631\u0648\u0632 \u06f2\u06f4 \u0646\u0648\u0627\u0645\u0628\u0631 \u06f2\u06f0\u06f2\u06f6 \u0627\u0633\u062a.", False),
    ("\u0634\u0645\u0627\u0631\u0647\u0654 \u0635\u0641\u062d\u0647 \u06a9\u0648\u0686\u06a9\u062a\u0631 \u0627\u0632 \u06f1 \u0627\u0633\u062a", False),
    ("\u4ee4\u548c\uff18\u5e74\uff08\uff12\uff10\uff12\uff16\u5e74\uff09\uff11\uff11\u6708\uff12\uff14\u65e5", False),
    ("\u0935\u093f\u0915\u093f\u092a\u0940\u0921\u093f\u092f\u093e \u0915\u0940 \u0938\u094d\u0925\u093e\u092a\u0928\u093e \u0967\u096b \u091c\u0928\u0935\u0930\u0940 \u0968\u0966\u0966\u0967 \u0915\u094b \u0939\u0941\u0908\u0964", False),
    ("\u0e27\u0e34\u0e01\u0e34\u0e1e\u0e35\u0e40\u0e14\u0e35\u0e22 \u0e01\u0e48\u0e2d\u0e15\u0e31\u0e49\u0e07\u0e40\u0e21\u0e37\u0e48\u0e2d \u0e51\u0e55 \u0e21\u0e01\u0e23\u0e32\u0e04\u0e21 \u0e52\u0e55\u0e54\u0e54", False),
    ("\ud30c\uc77c \uff13\uac1c\ub97c \ucc3e\uc558\uc2b5\ub2c8\ub2e4.", False),
    # --- ASCII numbers in any text are not this channel
    ("Today's date is 2026-11-24.", False),
    ("\u0627\u0644\u0625\u0635\u062f\u0627\u0631 3.12 \u0645\u062a\u0627\u062d.", False),
    # --- mathematical digits among mathematical letters: a formula
    ("\U0001d465 = \U0001d7d0\U0001d466 + \U0001d7cf", False),
]


@pytest.mark.parametrize("payload, should_flag", FLAG_CASES)
def test_flags_lookalike_digits_only_outside_their_own_script(payload: str, should_flag: bool) -> None:
    assert bool(alarms(payload)) is should_flag, findings(payload)


# payload, code points of the (first) finding, kind, severity, replacement
EXACT_CASES = [
    ("Today's date is 2026-\u0661\u0661-24.", ["U+0661", "U+0661"], "mixed-digits", Severity.HIGH, "11"),
    ("version \U0001d7d0.0", ["U+1D7D0"], "mixed-digits", Severity.HIGH, "2"),
    ("Use Python \U0001d7d1 or later.", ["U+1D7D1"], "mathematical-digits", Severity.HIGH, "3"),
    ("The year \uff12\uff10\uff12\uff16 in the changelog.", ["U+FF12", "U+FF10", "U+FF12", "U+FF16"],
     "non-ascii-digits", Severity.MEDIUM, "2026"),
    ("\u0627\u0644\u064a\u0648\u0645 \u0662\u0660\u0662\u0666", ["U+0662", "U+0660", "U+0662", "U+0666"],
     "native-digits", Severity.INFO, "2026"),
]


@pytest.mark.parametrize("payload, codepoints, kind, severity, replacement", EXACT_CASES)
def test_reports_code_points_kind_severity_and_ascii_replacement(
    payload: str, codepoints: list[str], kind: str, severity: Severity, replacement: str
) -> None:
    finding = findings(payload)[0]
    assert (finding.codepoints, finding.kind, finding.severity, finding.replacement) == (codepoints, kind, severity, replacement)
    assert payload[finding.start:finding.end] == finding.text


def test_each_non_ascii_run_of_a_mixed_number_is_its_own_finding() -> None:
    text = "Today's date is \u0662\u0660\u0662\u0666-11-\u0662\u0664."
    assert [(f.text, f.replacement, f.severity) for f in findings(text)] == [
        ("\u0662\u0660\u0662\u0666", "2026", Severity.HIGH),
        ("\u0662\u0664", "24", Severity.HIGH),
    ]
    assert sanitize(text, findings=findings(text)).text == "Today's date is 2026-11-24."


def test_native_numbers_are_reported_once_per_digit_set() -> None:
    text = (
        "\u0648\u0644\u062f \u0641\u064a \u0661\u0665 \u064a\u0646\u0627\u064a\u0631 \u0661\u0669\u0668\u0660 "
        "\u0648\u062a\u0648\u0641\u064a \u0641\u064a \u0662\u0664 \u0646\u0648\u0641\u0645\u0628\u0631 \u0662\u0660\u0662\u0666."
    )
    assert [(f.text, f.severity) for f in findings(text)] == [("\u0661\u0665", Severity.INFO)]


def test_a_huge_number_is_one_finding_with_a_short_message() -> None:
    (finding,) = findings("Retry " + "\u0663" * 10_000 + " times.")
    assert finding.end - finding.start == 10_000 and len(finding.message) < 200


def test_message_names_the_digits_and_the_number() -> None:
    (finding,) = findings("Today's date is 2026-\u0661\u0661-24.")
    assert finding.message == (
        "ARABIC-INDIC DIGIT ONE U+0661 mixed with ASCII digits in the number '2026-\u0661\u0661-24'"
    )


def test_ascii_digits() -> None:
    assert ascii_digits("\u0662\u0660\u0662\u0666\u06f1\u0967\uff19\U0001d7ff") == "20261199"


@pytest.mark.parametrize(
    "prompt, line, marked",
    [
        ("claude_code.txt", "Today's date: 2026-11-24", "Today's date: 2026-1\u06f1-24"),
        ("codex.txt", "<current_date>2026-11-24</current_date>", "<current_date>\U0001d7ee026-11-24</current_date>"),
        ("gemini_cli.txt", "November 24, 2026", "November \u0968\u096a, 2026"),
    ],
)
def test_digit_injected_in_a_real_prompt_is_found_and_sanitized(prompt: str, line: str, marked: str) -> None:
    original, text = prompt_with_marked_line(prompt, line, marked)
    assert [f.severity for f in alarms(text)] == [Severity.HIGH]
    assert sanitize(text, findings=findings(text)).text == original


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_alarm_on_real_translations(language: str) -> None:
    assert {s: alarms(s) for s in msgstrs(language) if alarms(s)} == {}


def test_emoji_are_not_digits_but_segmented_digits_are() -> None:
    text = "Ship it \U0001f680 \U0001f44d\U0001f3fd build \U0001fbf5 \U0001f9ea"
    assert [f.codepoints for f in findings(text)] == [["U+1FBF5"]]


def test_never_raises_on_lone_surrogates() -> None:
    assert [f.codepoints for f in findings("\ud8001\u0661\udfff")] == [["U+0661"]]
