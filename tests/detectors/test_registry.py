"""The default registry as a whole: normal text stays quiet, scan never raises."""

from __future__ import annotations

import emoji
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detectors import registry, sanitize, scan
from detectors.bidi import BidiDetector
from detectors.control import ControlDetector
from detectors.invisible import InvisibleDetector
from detectors.model import Severity
from detectors.reserved import ReservedDetector
from detectors.tag_smuggling import TagSmugglingDetector
from detectors.variation_selectors import VariationSelectorDetector

INVISIBLE_CHANNELS = (
    TagSmugglingDetector(), VariationSelectorDetector(), InvisibleDetector(), BidiDetector(),
    ControlDetector(), ReservedDetector(),
)

FULLY_QUALIFIED_EMOJI = sorted(e for e, data in emoji.EMOJI_DATA.items() if data["status"] == emoji.STATUS["fully_qualified"])

# Real text of the kinds prompts carry: multilingual prose, code, shell and test output.
NORMAL_TEXT = {
    "persian": "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645 \u0627\u06cc\u0646 \u06a9\u062a\u0627\u0628\u200c\u0647\u0627 \u0631\u0627 \u0628\u062e\u0648\u0627\u0646\u0645.",
    "hindi": "\u0915\u094d\u200d\u0937\u092e\u093e \u0915\u0930\u0947\u0902, \u092f\u0939 \u092b\u093c\u093e\u0907\u0932 \u0928\u0939\u0940\u0902 \u092e\u093f\u0932\u0940\u0964",
    "bengali": "\u0986\u09ae\u09bf \u09b0\u09cd\u200d\u09af\u09be\u09ac \u098f\u09ac\u0982 \u0995\u09cd\u200c\u09b7 \u09a6\u09c7\u0996\u09c7\u099b\u09bf\u0964",
    "hebrew": "\u05d4\u05ea\u05e7\u05e0\u05ea Python \u200e3.12\u200e \u05e0\u05db\u05e9\u05dc\u05d4\u200f.",
    "arabic": "\u0627\u0644\u0633\u0639\u0631: \u061c\u0661\u0662\u0663 \u062f\u0648\u0644\u0627\u0631\u060c \u0634\u0643\u0631\u0627\u064b \u0644\u0643.",
    "japanese": "\u8a2d\u5b9a\u30d5\u30a1\u30a4\u30eb\u3092\u8aad\u307f\u8fbc\u3081\u307e\u305b\u3093\u3067\u3057\u305f\u3002",
    "korean": "\ud30c\uc77c\uc744 \ucc3e\uc744 \uc218 \uc5c6\uc2b5\ub2c8\ub2e4.",
    "bom": "\ufeff# Project\n\nRun `make test`.\n",
    "code": 'def greet(name: str) -> str:\n\treturn f"Hello, {name}!"\r\n',
    "shell": "$ git status\nOn branch main\nnothing to commit, working tree clean\n",
    "tree": "\u251c\u2500\u2500 detectors\n\u2502   \u2514\u2500\u2500 invisible.py\n\u2514\u2500\u2500 tests\n",
    "prose": "\u201cIt\u2019s done\u201d \u2014 she said\u2026 then \u2192 next.",
    "emoji prose": "Ship it \U0001F680 \U0001F44D\U0001F3FD \U0001F469\u200d\U0001F4BB #\ufe0f\u20e3 \U0001F1FA\U0001F1F8",
}

# Real agent prompt lines, each with one injected character, and the detector that owns it.
INJECTED = [
    ("You are Claude Code, Anthropic\u200bs official CLI for Claude.", "invisible"),
    ("You are a coding agent running in the Codex CLI\U000E0041\U000E0042.", "tag-smuggling"),
    ("You are an interactive CLI agent\ufe01 specializing in software engineering tasks.", "variation-selector"),
    ("Working directory: /home/dev/app\u202e", "bidi"),
    ("Today's date: 2026-11-24\x1b[8m", "control"),
    ("Is directory a git repo: Yes\ue000", "reserved"),
]


def test_detector_names_are_unique() -> None:
    names = [d.name for d in registry.DEFAULT_DETECTORS]
    assert len(names) == len(set(names))


def test_no_fully_qualified_emoji_raises_an_alarm() -> None:
    assert len(FULLY_QUALIFIED_EMOJI) > 3000
    alarms = {e: scan(e) for e in FULLY_QUALIFIED_EMOJI}
    assert {e: f for e, f in alarms.items() if any(x.severity >= Severity.MEDIUM for x in f)} == {}


def test_emoji_in_a_sentence_raise_no_alarm() -> None:
    text = "Reactions: " + " ".join(FULLY_QUALIFIED_EMOJI)
    assert [f for f in scan(text) if f.severity >= Severity.MEDIUM] == []


@pytest.mark.parametrize("label", sorted(NORMAL_TEXT))
def test_normal_text_raises_no_alarm(label: str) -> None:
    assert [f for f in scan(NORMAL_TEXT[label]) if f.severity >= Severity.MEDIUM] == []


@pytest.mark.parametrize("payload, detector", INJECTED)
def test_injected_characters_are_found_by_their_detector(payload: str, detector: str) -> None:
    assert detector in {f.detector for f in scan(payload) if f.severity >= Severity.MEDIUM}


# Every code point, surrogates included, mixed with the characters the detectors look at.
ANY_CHARACTER = st.one_of(
    st.characters(codec=None, exclude_categories=()),
    st.sampled_from(["\ud800", "\udfff", "\u200d", "\ufe0f", "\U000E0041", "\U000E007F", "\U0001F3F4",
                     "\x1b", "[", "]", "m", "\u202e", "\u200f", "\u0645", "\u00ad", "\u2800", "\U000E0100"]),
)


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=ANY_CHARACTER))
def test_scan_never_raises(text: str) -> None:
    findings = scan(text)
    assert all(f.kind != "detector-error" for f in findings), findings
    assert all(0 <= f.start <= f.end <= len(text) and text[f.start:f.end] == f.text for f in findings)


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.sampled_from([
    "a", " ", "\n", "\u200b", "\u200c", "\u200d", "\U0001F469", "\ufe0f", "\U000E0041", "\U000E007F", "\U0001F3F4",
    "\u202e", "\u200e", "\u200f", "\x1b", "[", "]", "m", "\x07", "\x85", "\ud800", "\ue000", "\u0645", "\u094d",
    "\u0915", "\ufeff", "\u2800", "\u28ff", "\u00ad", "\u1100", "\u1160", "\U000E0100", "\u6f22",
])).map("".join))
def test_sanitize_is_idempotent_over_the_invisible_channels(text: str) -> None:
    """Context exemptions must not flip when sanitize deletes a neighbour."""
    once = sanitize(text, findings=scan(text, INVISIBLE_CHANNELS)).text
    assert sanitize(once, findings=scan(once, INVISIBLE_CHANNELS)).text == once
