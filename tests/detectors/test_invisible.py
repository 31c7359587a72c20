"""Zero-width and invisible format characters, and invisible runs that encode data."""

from __future__ import annotations

import pytest

from detectors import sanitize, scan
from detectors.invisible import InvisibleDetector, decode_invisible_run, describe_position
from detectors.model import Severity

ZWSP = "\N{ZERO WIDTH SPACE}"
ZWNJ = "\N{ZERO WIDTH NON-JOINER}"
ZWJ = "\N{ZERO WIDTH JOINER}"
WJ = "\N{WORD JOINER}"
BOM = "\N{ZERO WIDTH NO-BREAK SPACE}"
SHY = "\N{SOFT HYPHEN}"
CLAUDE_ENV = "Here is useful information about the environment you are running in:\n<env>\nWorking directory: /home/dev/app\nToday's date: 2026-11-24\n</env>"
CODEX = "You are a coding agent running in the Codex CLI, a terminal-based coding assistant."


def encode_bits(text: str, zero: str, one: str) -> str:
    """The common zero-width steganography scheme: 8 bits per byte, MSB first."""
    bits = "".join(f"{b:08b}" for b in text.encode())
    return bits.translate({ord("0"): zero, ord("1"): one})


def flagged(text: str) -> list:
    return [f for f in InvisibleDetector().find(text) if f.severity >= Severity.MEDIUM]


@pytest.mark.parametrize(
    "payload, should_flag",
    [
        # --- single marks in real prompt lines
        ("Today" + ZWSP + "'s date: 2026-11-24", True),
        (CODEX.replace("coding agent", "coding" + ZWNJ + " agent"), True),
        (CODEX.replace("Codex", "Co" + ZWJ + "dex"), True),
        ("Working directory: /home/dev" + WJ + "/app", True),
        ("import os\n" + BOM + "import sys", True),
        ("x\N{INVISIBLE TIMES}y", True),
        ("cd\N{MONGOLIAN VOWEL SEPARATOR} /tmp", True),
        ("use\N{COMBINING GRAPHEME JOINER}r", True),
        ("name: \N{HANGUL FILLER}", True),
        ("name: \N{HALFWIDTH HANGUL FILLER}", True),
        ("\N{HANGUL CHOSEONG FILLER}ok", True),
        ("Platform:\N{BRAILLE PATTERN BLANK}linux", True),
        ("cwd" + SHY + ": /tmp", True),
        ("Today" + SHY + "s", True),
        ("a\N{INHIBIT SYMMETRIC SWAPPING}b", True),
        ("a\N{INTERLINEAR ANNOTATION ANCHOR}b", True),
        ("a\U0001BCA0b", True),
        ("a\U0001D173b", True),
        # --- runs that encode data
        (CODEX + encode_bits("user=alice", ZWSP, ZWNJ), True),
        ("Fix the bug." + encode_bits("id 42", "\N{INVISIBLE TIMES}", "\N{INVISIBLE PLUS}"), True),
        ("hi" + ZWSP * 12 + "there", True),
        # --- legitimate uses
        ("\u0645\u06cc" + ZWNJ + "\u062e\u0648\u0627\u0647\u0645 \u0628\u0647 \u062e\u0627\u0646\u0647 \u0628\u0631\u0648\u0645.", False),
        ("\u0938\u0902\u092f\u0941\u0915\u094d\u0924 \u0930\u093e\u0937\u094d\u091f\u094d\u0930 \u0915\u094d" + ZWJ + "\u0937", False),
        ("\u0986\u09ae\u09bf \u09b0\u09cd" + ZWJ + "\u09af\u09be\u09ac \u09a6\u09c7\u0996\u09bf", False),
        ("\u0dc1\u0dca" + ZWJ + "\u0dbb\u0dd3 \u0dbd\u0d82\u0d9a\u0dcf\u0dc0", False),
        ("Family: \N{MAN}" + ZWJ + "\N{WOMAN}" + ZWJ + "\N{GIRL}" + ZWJ + "\N{BOY}", False),
        (BOM + "# README\n\nRun `make test`.", False),
        ("\u1100\u1160", False),  # a jamo syllable with a vowel filler
        ("\u115f\u1161\u11a8", False),  # choseong filler + vowel + final
        ("\u2813\u2811\u2807\u2807\u2815\N{BRAILLE PATTERN BLANK}\u283a\u2815\u2817\u2807\u2819", False),
        ("\u2800\u2800\u28ff\u28ff\u2800\u2800", False),  # braille art
        ("\u1820\u1828\u1833\u180e\u1820", False),  # Mongolian vowel separator before final a
        ("\u0e20\u0e32\u0e29\u0e32" + ZWSP + "\u0e44\u0e17\u0e22" + ZWSP + "\u0e07\u0e48\u0e32\u0e22", False),  # Thai word breaks
        # Django's km and fa catalogues: ZWSP after a Latin word and after digits in Khmer text,
        # and a Persian ZWNJ right after an LRM
        ("Boolean (\u17a2\u17b6\u1785\u1787\u17b6 True" + ZWSP + " \u179a\u17ba False)", False),
        ("\u17e7" + ZWSP + "\u1790\u17d2\u1784\u17c3" + ZWSP + "\u1780\u1793\u17d2\u179b\u1784", False),
        ("\u0627\u0632 \u0631\u0648\u0634\u200e" + ZWNJ + "\u0647\u0627\u06cc \u062c\u0627\u06cc\u06af\u0632\u06cc\u0646", False),
        ("\u0e44\u0e17\u0e22 means Thai in Thai" + ZWSP + ", a word from the Thai alphabet", True),
        ("The Donau" + SHY + "dampf" + SHY + "schiff" + SHY + "fahrt sails at noon.", False),  # low only
        (CLAUDE_ENV, False),
    ],
)
def test_flags_invisible_characters(payload: str, should_flag: bool) -> None:
    assert bool(flagged(payload)) is should_flag


# --- decoding -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "zero, one",
    [(ZWSP, ZWNJ), (ZWNJ, ZWSP), (ZWNJ, ZWJ), ("\N{INVISIBLE TIMES}", "\N{INVISIBLE PLUS}"), (WJ, ZWSP)],
)
def test_binary_runs_decode_either_way_round(zero: str, one: str) -> None:
    assert decode_invisible_run(encode_bits("user=alice", zero, one)) == "user=alice"


def test_binary_with_separator_decodes() -> None:
    groups = [format(ord(ch), "b").translate({ord("0"): ZWSP, ord("1"): ZWNJ}) for ch in "key=7"]
    assert decode_invisible_run(ZWJ.join(groups)) == "key=7"


def test_base4_run_decodes() -> None:
    alphabet = sorted([ZWSP, ZWNJ, ZWJ, WJ])
    run = "".join(alphabet[(b >> shift) & 3] for b in b"ok!" for shift in (6, 4, 2, 0))
    assert decode_invisible_run(run) == "ok!"


def test_undecodable_run_gives_hex() -> None:
    assert decode_invisible_run((ZWSP + ZWNJ + ZWNJ) * 4).startswith("hex:")


def test_encoded_run_is_one_high_finding_with_payload() -> None:
    text = CODEX + encode_bits("user=alice", ZWSP, ZWNJ) + "\nRespond briefly."
    [finding] = scan(text)
    assert finding.kind == "invisible-run" and finding.severity is Severity.HIGH
    assert finding.payload == "user=alice"
    assert "ZERO WIDTH SPACE U+200B" in finding.message
    assert sanitize(text).text == CODEX + "\nRespond briefly."


def test_run_may_include_directional_marks() -> None:
    run = encode_bits("hi", "\N{LEFT-TO-RIGHT MARK}", ZWSP)
    [finding] = InvisibleDetector().find("a" + run + "b")
    assert finding.payload == "hi"


# --- messages and severities ----------------------------------------------------------------
def test_message_names_the_character_and_the_word() -> None:
    [finding] = InvisibleDetector().find("Today" + ZWSP + "s date")
    assert finding.message == "ZERO WIDTH SPACE U+200B inside the word 'Todays'"
    assert finding.kind == "zero-width" and finding.replacement == ""


def test_soft_hyphen_in_a_long_prose_word_is_low() -> None:
    findings = list(InvisibleDetector().find("Die Donau" + SHY + "dampf" + SHY + "schiff" + SHY + "fahrt beginnt."))
    assert {f.severity for f in findings} == {Severity.LOW}


def test_soft_hyphen_on_a_dynamic_line_is_medium() -> None:
    [finding] = InvisibleDetector().find("Working direc" + SHY + "tory: /home/dev/app")
    assert finding.severity is Severity.MEDIUM


def test_lone_directional_marks_are_left_to_bidi() -> None:
    assert list(InvisibleDetector().find("a\N{LEFT-TO-RIGHT MARK}b")) == []


def test_describe_position() -> None:
    assert describe_position("say " + ZWSP + " hi", 4, 5) == "at offset 4"
    assert describe_position("end" + ZWSP, 3, 4) == "after 'end'"


def test_megabyte_run_of_one_character_is_one_finding() -> None:
    [finding] = InvisibleDetector().find("a" + ZWSP * 1_000_000 + "b")
    assert (finding.start, finding.end) == (1, 1_000_001)


# --- format characters of one script's text, out of it -------------------------------------

@pytest.mark.parametrize("mark", [
    "\N{ARABIC NUMBER SIGN}", "\N{ARABIC END OF AYAH}", "\N{SYRIAC ABBREVIATION MARK}", "\N{KAITHI NUMBER SIGN}",
    "\N{EGYPTIAN HIEROGLYPH VERTICAL JOINER}", "\N{KHMER VOWEL INHERENT AQ}",
])
def test_a_script_format_character_in_ascii_text_is_medium_and_deleted(mark: str) -> None:
    text = CLAUDE_ENV.replace("2026-11-24", "20" + mark + "26-11-24")
    (finding,) = flagged(text)
    assert (finding.kind, finding.severity, finding.text) == ("format-character", Severity.MEDIUM, mark)
    assert sanitize(text).text == CLAUDE_ENV


@pytest.mark.parametrize("text", [
    # Arabic: "page" and the number sign before the page number in Arabic-Indic digits
    "\u0627\u0644\u0635\u0641\u062d\u0629 \N{ARABIC NUMBER SIGN}\u0661\u0662\u0663",
    # Khmer: an inherent vowel after a consonant, as legacy Khmer text stores it
    "\u1780\N{KHMER VOWEL INHERENT AA}\u1781\u1782",
])
def test_a_script_format_character_in_its_own_script_is_left_alone(text: str) -> None:
    assert list(InvisibleDetector().find(text)) == []
