"""Normalization (channel 11): text that is not NFC, and compatibility look-alikes inside words."""

from __future__ import annotations

from functools import partial

import emoji
import pytest
import unicodedata2

from detectors import sanitize
from detectors.model import Severity
from detectors.normalization import NormalizationDetector
from tests.support.catalogues import msgstrs
from tests.support.detector_findings import alarms_of, findings_of, read_prompt

DETECTOR = NormalizationDetector()
findings = partial(findings_of, DETECTOR)
alarms = partial(alarms_of, DETECTOR)
CLAUDE = read_prompt("claude_code.txt").splitlines()
ACUTE = "\N{COMBINING ACUTE ACCENT}"
FI = "\N{LATIN SMALL LIGATURE FI}"
KELVIN = "\N{KELVIN SIGN}"


FLAG_CASES = [
    # --- one decomposed accent in an English sentence: a one-bit mark
    ("Please order a cafe" + ACUTE + " for the team.", True),
    (CLAUDE[0].replace("Claude", "Claude" + ACUTE, 1), True),
    ("Update your re" + ACUTE + "sume" + " and send it to me.", True),
    # --- ligatures, letter-like symbols and styled letters inside ASCII words
    ("def " + FI + "nd_files(path):", True),
    ("Read the con" + FI + "g " + FI + "le first.", True),
    ("temperature in " + KELVIN + "elvin", True),
    ("You are Claude Code, Anthropic's \N{MATHEMATICAL BOLD SMALL O}fficial CLI for Claude.", True),
    ("\N{MATHEMATICAL BOLD SMALL H}\N{MATHEMATICAL BOLD SMALL E}\N{MATHEMATICAL BOLD SMALL L}\N{MATHEMATICAL BOLD SMALL L}\N{MATHEMATICAL BOLD SMALL O} world", True),
    ("\N{CIRCLED LATIN SMALL LETTER H}\N{CIRCLED LATIN SMALL LETTER I} there", True),
    ("H\N{MODIFIER LETTER SMALL E}llo world", True),
    ("git \N{SCRIPT SMALL L}og --oneline", True),
    # --- decomposed text as macOS file names and some input methods write it: low
    ("Le cafe" + ACUTE + " est tre\N{COMBINING GRAVE ACCENT}s bon.", False),
    (unicodedata2.normalize("NFD", "Ti\u1ebfng Vi\u1ec7t l\u00e0 ng\u00f4n ng\u1eef ch\u00ednh th\u1ee9c c\u1ee7a Vi\u1ec7t Nam."), False),
    ("/Users/jose" + ACUTE + "/Documents/re" + ACUTE + "sume" + ACUTE + ".pdf", False),
    ("5 " + KELVIN, False),
    # --- compatibility characters used as they are meant
    ("The room is 20 m\u00b2 and costs \u00bd of the price.", False),
    ("N\u00ba 5, 1\u00aa edici\u00f3n, Python\u2122 3.12\u2026", False),
    ("x \u2208 \u211d and n \u2208 \u2115", False),
    ("Let \N{MATHEMATICAL ITALIC SMALL X} be the input.", False),
    ("E = mc\u00b2 and x\u207f + y\u207f = z\u207f", False),
    ("\u0e17\u0e33\u0e07\u0e32\u0e19\u0e44\u0e14\u0e49\u0e14\u0e35", False),
    ("\u314b\u314b\u314b \uc9c4\uc9dc \uc6c3\uae30\ub2e4", False),
    ("\u682a\u5f0f\u4f1a\u793e \u3231 5\u338f 20\u33a1", False),
    ("\uff76\uff80\uff76\uff85", False),
    ("\u2139\ufe0f \u24c2\ufe0f \U0001f170\ufe0f \U0001f201 \u3297\ufe0f", False),
    ("\u8c48 \u66f4", False),
    ("\ufefb \ufdf2", False),
    # --- the canonical composition of a negated relation
    ("a =\N{COMBINING LONG SOLIDUS OVERLAY} b", False),
]


@pytest.mark.parametrize("payload, should_flag", FLAG_CASES)
def test_flags_only_marks_in_ascii_words(payload: str, should_flag: bool) -> None:
    assert bool(alarms(payload)) is should_flag, findings(payload)


def test_decomposed_accent_span_and_replacement() -> None:
    text = "Please order a cafe" + ACUTE + " for the team."
    [finding] = findings(text)
    assert (finding.start, finding.end) == (18, 20)
    assert finding.codepoints == ["U+0065", "U+0301"]
    assert finding.replacement == "\N{LATIN SMALL LETTER E WITH ACUTE}"
    assert finding.kind == "not-nfc" and finding.severity is Severity.MEDIUM
    assert "COMBINING ACUTE ACCENT U+0301" in finding.message


def test_singleton_span_holds_only_the_changed_character() -> None:
    [finding] = findings("5 " + KELVIN)
    assert (finding.text, finding.replacement, finding.severity) == (KELVIN, "K", Severity.LOW)


def test_ligature_is_replaced_by_its_letters() -> None:
    text = "def " + FI + "nd_files(path):"
    [finding] = findings(text)
    assert (finding.text, finding.replacement, finding.kind) == (FI, "fi", "compatibility-in-word")
    assert sanitize(text, findings=findings(text)).text == "def find_files(path):"


def test_mathematical_word_is_high() -> None:
    word = "".join(chr(0x1D41A + ord(c) - ord("a")) for c in "hello")
    [finding] = findings(word + " world")
    assert (finding.severity, finding.kind, finding.replacement) == (Severity.HIGH, "styled-word", "hello")


def test_non_ascii_words_are_low() -> None:
    text = unicodedata2.normalize("NFD", "\u0395\u03bb\u03bb\u03b7\u03bd\u03b9\u03ba\u03ac")
    assert findings(text) and {f.severity for f in findings(text)} == {Severity.LOW}


def test_sanitize_gives_nfc_and_is_idempotent() -> None:
    text = "Open the cafe" + ACUTE + " menu, the " + FI + "le and the " + KELVIN + "elvin table."
    result = sanitize(text, min_severity=Severity.LOW, findings=findings(text))
    assert result.text == unicodedata2.normalize("NFKC", text)
    assert findings(result.text) == []


@pytest.mark.parametrize("text", ["", "\ud800", "e\ud800\u0301", "\u0301" * 1000, "a" + "\u0301" * 10_000])
def test_never_raises(text: str) -> None:
    findings(text)


def test_long_text_is_localised_by_halving() -> None:
    clean = "\n".join(CLAUDE) * 20
    text = clean + "\nOpen the cafe" + ACUTE + " menu.\n" + clean
    [finding] = alarms(text)
    assert text[finding.start:finding.end] == "e" + ACUTE


# --- real translations: Django's catalogues must raise nothing, even decomposed
NEGATIVE_LANGUAGES = ("ru", "uk", "el", "sr", "vi", "hi", "th", "he", "ar", "ja", "zh_Hans", "ko", "fr", "de", "tr", "kk", "fa", "bn")
# Genuinely odd: Django's Esperanto catalogue writes a few accents decomposed ("au\u0306gusto")
# and the rest precomposed (so does the Serbian Latin admin catalogue: "mo\u0107i" decomposed
# next to "\u0161to"). A lone decomposed accent in an ASCII word is what a mark looks like.
MIXED_FORMS = {
    ("eo", "E\u016dska"),
    ("eo", "a\u016dgusto"),
    ("eo", "Pan\u011daba"),
}


@pytest.mark.parametrize("language", NEGATIVE_LANGUAGES)
def test_real_translations_raise_no_alarm(language: str) -> None:
    assert {text: alarms(text) for text in msgstrs(language) if alarms(text)} == {}


@pytest.mark.parametrize("language, text", sorted(MIXED_FORMS))
def test_decomposed_accents_among_precomposed_ones_in_real_catalogues_are_caught(language: str, text: str) -> None:
    real = next(t for t in msgstrs(language) if unicodedata2.normalize("NFC", t) == text)
    assert real != text and alarms(real)


@pytest.mark.parametrize("language", ("fr", "de", "vi", "el", "ru", "ko", "pl", "es"))
def test_a_whole_decomposed_catalogue_raises_no_alarm(language: str) -> None:
    # A document decomposed throughout (as macOS writes file names) is one consistent form.
    document = unicodedata2.normalize("NFD", "\n".join(msgstrs(language)))
    assert alarms(document) == []


def test_real_catalogues_hold_non_nfc_text_reported_low() -> None:
    # Django's Hindi and Bengali catalogues write nukta letters precomposed (U+095B, U+09DF),
    # which NFC decomposes: normal text, seen as low.
    found = [f for language in ("hi", "bn") for text in msgstrs(language) for f in findings(text)]
    assert found and {f.severity for f in found} == {Severity.LOW}


def test_every_fully_qualified_emoji_is_quiet() -> None:
    sequences = [e for e, data in emoji.EMOJI_DATA.items() if data["status"] == emoji.STATUS["fully_qualified"]]
    assert len(sequences) > 3000
    for sequence in sequences:
        assert alarms(sequence) == alarms("ok" + sequence + "ok") == []
