"""Look-alike punctuation (channel 7): consistency with the text around is the signal."""

from __future__ import annotations

from functools import partial

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detectors import sanitize, scan
from detectors.digits import LookalikeDigitDetector
from detectors.model import Severity
from detectors.punctuation import LookalikePunctuationDetector, ascii_counterpart
from detectors.spaces import LookalikeSpaceDetector
from tests.support.catalogues import LANGUAGES, msgstrs
from tests.support.detector_findings import PROMPTS, alarms_of, findings_of, prompt_with_marked_line, read_prompt

DETECTOR = LookalikePunctuationDetector()
findings = partial(findings_of, DETECTOR)
alarms = partial(alarms_of, DETECTOR)


FLAG_CASES = [
    # --- modifier letters inside English words: high
    ("Today\u02bcs date is 2026-11-24.", True),
    ("You are Claude Code, Anthropic\u02bcs official CLI for Claude.", True),
    ("Don\u02b9t use emojis unless the user asks for them.", True),
    ("If the user\u02bbs request is ambiguous, ask.", True),
    # --- the odd typographic apostrophe in a generated line among ASCII ones: medium
    ("You are Claude Code, Anthropic's CLI. Don't guess.\nToday\u2019s date is 2026-11-24.", True),
    ("Use the user's shell.\nThe user\u2019s working directory: /home/alice/proj", True),
    # --- look-alike hyphens, slashes, colons, full stops, semicolons in ASCII text
    ("Use rg -n or rg --files to search.\nToday's date is 2026\u201011\u201024.", True),
    ("Working directory: /home/alice\u2215proj", True),
    ("Working directory: /home/alice\u2044proj", True),
    ("Run the tests with pytest \u2012q before you commit.", True),
    ("Is directory a git repo\u2236 Yes", True),
    ("Is directory a git repo\ua789 Yes", True),
    ("Prefer rg over grep\u037e it is much faster.", True),
    ("See the README\u2024md file for the commands.", True),
    ("Is directory a git repo\uff1a Yes", True),
    ("Set DEBUG\uff1dTrue in settings\uff0epy before you run the server.", True),
    ("The \uff28\uff45\uff4c\uff4c\uff4f command prints a greeting.", True),
    ("Please don\x60t run the migrations yourself.", True),
    ("LANG=en_US.UTF\u22128\nTZ=Europe/Berlin", True),
    ("If you cannot help, say so briefly (1\u20122 sentences).", True),
    ("$ node --version\nv22.11.0\n10.9\uff0e0", True),
    ("      45 |   })\u037e\n      46 | });", True),
    # --- a full-width letter inside an ASCII word, even inside CJK text
    ("\u6709\u95dc `%(app_label)s.%(o\uff42ject_name)s` \u7684\u7269\u4ef6", True),
    ("{na\uff4de} \u5df2\u522a\u9664\u3002", True),
    ("\u0417\u0430 %(filter_tit\uff4ce)s", True),
    # --- typographic prose, consistent with itself: nothing medium+
    ("\u201cIt\u2019s done,\u201d she said \u2014 and that\u2019s that\u2026", False),
    ("I\u2019m sure it\u2019s fine: the \u2018quick\u2019 fix works \u2192 ship it.", False),
    ("The temperature fell to \u221215 \u00b0C overnight.", False),
    ("Add \u00bd cup, or 1\u20442 cup, of sugar.", False),
    ("The summit is at 45\u00b030\u2032N.", False),
    ("The state\u2010of\u2010the\u2010art parser", False),
    ("She\u2019s the author of \u201cState\u2010of\u2010the\u2010art parsing\u201d \u2014 a classic.", False),
    # --- orthographies where the modifier letter is a letter
    ("Hawai\u02bbi is the 50th state; O\u02bbahu is its most populous island.", False),
    ("O\u02bbzbekiston Respublikasi poytaxti Toshkent shahri.", False),
    ("\u0421\u043b\u043e\u0432\u043e \u00ab\u043c\u02bc\u044f\u043a\u0438\u0439\u00bb \u043f\u0438\u0448\u0435\u0442\u044c\u0441\u044f \u0437 \u0430\u043f\u043e\u0441\u0442\u0440\u043e\u0444\u043e\u043c.", False),
    # --- CJK full-width punctuation in CJK text
    ("\u7ef4\u57fa\u767e\u79d1\u662f\u4e00\u4e2a\u81ea\u7531\u5185\u5bb9\u7684\u767e\u79d1\u5168\u4e66\uff0c\u4efb\u4f55\u4eba\u90fd\u53ef\u4ee5\u7f16\u8f91\uff1a\u6b22\u8fce\uff01", False),
    ("\u66f4\u591a\u53ef\u7528\u4fe1\u606f\u8bf7\u8bbe\u7f6e\u9009\u9879DEBUG\uff1dTrue\u3002", False),
    ("\u30a4\u30f3\u30b9\u30c8\u30fc\u30eb\u306f\u6210\u529f\u3057\u307e\u3057\u305f\uff01\uff08\u8a73\u7d30\u306f\u30ed\u30b0\u3092\u53c2\u7167\uff09", False),
    ("\ud30c\uc77c\uc744 \ucc3e\uc744 \uc218 \uc5c6\uc2b5\ub2c8\ub2e4\uff08\uacbd\ub85c\ub97c \ud655\uc778\ud558\uc138\uc694\uff09\uff01", False),
    ("\u671f\u9593\uff1a2015/01/01\uff5e2017/01/01", False),
    ("format_interval(..., locale=\"ja\") returns '2015/01/01\uff5e2017/01/01'", False),
    ("\uff0c", False),
    # --- Greek question mark in Greek
    ("\u03a4\u03b9 \u03ce\u03c1\u03b1 \u03b5\u03af\u03bd\u03b1\u03b9\u037e", False),
    # --- ASCII text, code and Markdown: backticks that are code spans, not apostrophes
    ("Prefer `rg` over `grep`; the `Finding`s are sorted by `start`.", False),
    ("SELECT `id`,`name` FROM `users` WHERE `id`=1;", False),
    ("echo `date` && ls -la", False),
]


@pytest.mark.parametrize("payload, should_flag", FLAG_CASES)
def test_flags_lookalike_punctuation_only_where_the_text_around_is_ascii(payload: str, should_flag: bool) -> None:
    assert bool(alarms(payload)) is should_flag, findings(payload)


# payload, code point, severity, replacement
EXACT_CASES = [
    ("Today\u02bcs date is 2026-11-24.", "U+02BC", Severity.HIGH, "'"),
    ("Don't guess.\nToday\u2019s date is 2026-11-24.", "U+2019", Severity.MEDIUM, "'"),
    ("Today's date is 2026\u201011-24.", "U+2010", Severity.HIGH, "-"),
    ("Working directory: /home/alice\u2215proj", "U+2215", Severity.HIGH, "/"),
    ("Prefer rg over grep\u037e it is faster.", "U+037E", Severity.MEDIUM, ";"),
    ("Is directory a git repo\uff1a Yes", "U+FF1A", Severity.MEDIUM, ":"),
    ("Please don\x60t run the migrations.", "U+0060", Severity.MEDIUM, "'"),
]


@pytest.mark.parametrize("payload, codepoint, severity, replacement", EXACT_CASES)
def test_reports_code_point_severity_and_ascii_replacement(
    payload: str, codepoint: str, severity: Severity, replacement: str
) -> None:
    (finding,) = findings(payload)
    assert (finding.codepoints, finding.severity, finding.replacement) == ([codepoint], severity, replacement)
    assert finding.detector == "lookalike-punctuation"
    assert payload[finding.start:finding.end] == finding.text


def test_message_names_the_character_and_what_the_text_uses() -> None:
    (finding,) = findings("Don't guess.\nToday\u2019s date is 2026-11-24.")
    assert finding.message.startswith("RIGHT SINGLE QUOTATION MARK U+2019 where the rest of the text uses U+0027")


# --- consistency: the same character judged by the text around it


def test_typographic_apostrophe_is_info_in_typographic_prose() -> None:
    text = "\u201cIt\u2019s late,\u201d he said. \u201cWe\u2019ll ship tomorrow; today\u2019s build is red.\u201d"
    assert {f.severity for f in findings(text)} == {Severity.INFO}


def test_typographic_apostrophes_are_reported_once_per_text() -> None:
    text = (
        "L\u2019ann\u00e9e derni\u00e8re, l\u2019\u00e9quipe n\u2019a pas publi\u00e9 d\u2019erratum\u00a0; "
        "aujourd\u2019hui, c\u2019est chose faite, et l\u2019on s\u2019en r\u00e9jouit."
    )
    assert [(f.start, f.severity) for f in findings(text)] == [(1, Severity.INFO)]


def test_cjk_punctuation_in_cjk_text_is_not_reported() -> None:
    text = (
        "\u7ef4\u57fa\u767e\u79d1\uff08Wikipedia\uff09\u662f\u4e00\u4e2a\u81ea\u7531\u5185\u5bb9\u3001"
        "\u516c\u5f00\u7f16\u8f91\u4e14\u591a\u8bed\u8a00\u7684\u7f51\u7edc\u767e\u79d1\u5168\u4e66\uff0c"
        "\u901a\u8fc7Wiki\u6280\u672f\u4f7f\u5f97\u6240\u6709\u4eba\u90fd\u53ef\u4ee5\u4fee\u6539\u5185\u5bb9\uff01"
    )
    assert findings(text) == []


def test_odd_typographic_apostrophe_outside_generated_lines_is_low() -> None:
    text = "Don't guess URLs. It's fine to ask. The user\u2019s files stay local."
    (finding,) = findings(text)
    assert finding.severity == Severity.LOW


def test_fullwidth_run_is_one_finding_replaced_by_its_nfkc_form() -> None:
    (finding,) = findings("Call \uff28\uff45\uff4c\uff4c\uff4f() first.")
    assert (finding.kind, finding.text, finding.replacement) == ("fullwidth-ascii", "\uff28\uff45\uff4c\uff4c\uff4f", "Hello")


def test_fullwidth_digits_are_left_to_the_digit_detector() -> None:
    assert findings("Version \uff12\uff10\uff12\uff16 is out.") == []


@pytest.mark.parametrize(
    "ch, expected",
    [("\u2019", "'"), ("\u02bc", "'"), ("\u00b4", "'"), ("\u2212", "-"), ("\uff0d", "-"), ("\u2215", "/"),
     ("\u2236", ":"), ("\u037e", ";"), ("\u2024", "."), ("`", "'")],
)
def test_ascii_counterpart(ch: str, expected: str) -> None:
    assert ascii_counterpart(ch) == expected


# --- real agent prompts with an injected mark


@pytest.mark.parametrize(
    "prompt, line, marked, codepoint, severity",
    [
        ("claude_code.txt", "Today's date: 2026-11-24", "Today\u2019s date: 2026-11-24", "U+2019", Severity.MEDIUM),
        ("claude_code.txt", "Today's date: 2026-11-24", "Today\u02bcs date: 2026-11-24", "U+02BC", Severity.HIGH),
        ("claude_code.txt", "Working directory: /home/alice/projects/billing-service",
         "Working directory: /home/alice/projects\u2215billing-service", "U+2215", Severity.HIGH),
        ("gemini_cli.txt", "Today's date is Monday", "Today\u2019s date is Monday", "U+2019", Severity.MEDIUM),
        ("codex.txt", "<current_date>2026-11-24</current_date>", "<current_date>2026\u201011-24</current_date>",
         "U+2010", Severity.HIGH),
    ],
)
def test_mark_injected_in_a_real_prompt_is_found(
    prompt: str, line: str, marked: str, codepoint: str, severity: Severity
) -> None:
    original, text = prompt_with_marked_line(prompt, line, marked)
    assert [(f.codepoints, f.severity) for f in alarms(text)] == [([codepoint], severity)]
    assert sanitize(text, findings=findings(text)).text == original


@pytest.mark.parametrize("prompt", sorted(p.name for p in PROMPTS.glob("*.txt")))
def test_clean_real_prompts_raise_nothing(prompt: str) -> None:
    assert alarms(read_prompt(prompt)) == []


# --- real translations: Django's catalogues


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_alarm_on_real_translations(language: str) -> None:
    assert {s: alarms(s) for s in msgstrs(language) if alarms(s)} == {}


def test_mixed_apostrophes_in_a_real_french_translation_are_low() -> None:
    """Django's French catalogue mixes U+0027 and U+2019 in one sentence: worth seeing, not an alarm."""
    (mixed,) = [s for s in msgstrs("fr") if s.startswith("L'extension de fichier")]
    assert {f.severity for f in findings(mixed)} == {Severity.LOW}


def test_never_raises_on_lone_surrogates() -> None:
    assert [f.codepoints for f in findings("\ud800\u2019\udfff\uff1a\ud800`s")] == [["U+2019"], ["U+FF1A"]]


# --- sanitize stays idempotent across the three look-alike detectors: context is judged on
# folded text, so replacing one mark never changes how another is judged.

_LOOKALIKES = (
    LookalikePunctuationDetector(), LookalikeSpaceDetector(), LookalikeDigitDetector(),
)


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.sampled_from([
    "a", "s", "t", " ", "\n", "'", "-", "/", "1", "Today", "date", "2026-11-24", "/home/a/b", "\u2019", "\u2018",
    "\u02bc", "\u02bb", "o", "\u2010", "\u2212", "\u2215", "\uff1a", "\uff41", "\uff10", "\u0661", "\u06f1",
    "\U0001d7d0", "\u00a0", "\u202f", "\u3000", "\u4e2d", "\u00e9", "`", "\u037e", "\u03b1", "%(count)s", "!", "(",
    ";", "\u201c", "\u2014", "km", "\u00ab", "\u0430", "\ud800", "\u2024", "\uff0e", "\u3001", "`s", "x`",
]), max_size=30).map("".join))
def test_sanitize_is_idempotent_over_the_lookalike_channels(text: str) -> None:
    once = sanitize(text, findings=scan(text, _LOOKALIKES)).text
    assert sanitize(once, findings=scan(once, _LOOKALIKES)).text == once
