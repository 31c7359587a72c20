"""The named exemptions of the homoglyph, normalization and combining-marks detectors."""

from __future__ import annotations

import pytest

from detectors.exemptions import (
    is_english_context, is_format_conversion, is_greek_symbol, is_greek_symbol_prefix, is_ipa_transcription,
    is_keycap_sequence, is_standalone_symbol,
)


@pytest.mark.parametrize("word, expected", [
    ("\u03c3x", True), ("\u03bbmax", True), ("\u03bdHz", True), ("\u03c3", False),
    ("\u03bfpen", False), ("\u03bdersion", False), ("\u03f8uede", False), ("\u0391pple", False),
])
def test_greek_symbol_prefix(word: str, expected: bool) -> None:
    assert is_greek_symbol_prefix(word, 0) is expected


def test_greek_symbol_prefix_only_at_the_start() -> None:
    assert not is_greek_symbol_prefix("p\u03c3", 1)


@pytest.mark.parametrize("text, start, end, expected", [
    ("/\u0261\u028ad/", 1, 4, True), ("[\u0251\u02d0]", 1, 3, True), ("a \u0261ood day", 2, 6, False), ("/\u0261ood", 1, 5, False), ("", 0, 0, False),
    # a component of a path is no transcription
    ("Working directory: /home/alice/pro\u0237ects/billing", 31, 39, False), ("cd /pro\u0237ects/", 4, 12, True),
])
def test_ipa_transcription(text: str, start: int, end: int, expected: bool) -> None:
    assert is_ipa_transcription(text, start, end) is expected


@pytest.mark.parametrize("text, index, expected", [
    ("1\ufe0f\u20e3", 2, True), ("#\u20e3", 1, True), ("*\ufe0f\u20e3", 2, True),
    ("a\u20e3", 1, False), ("\ufe0f\u20e3", 1, False), ("\u20e3", 0, False), ("1\u20dd", 1, False),
])
def test_keycap_sequence(text: str, index: int, expected: bool) -> None:
    assert is_keycap_sequence(text, index) is expected


@pytest.mark.parametrize("text, index, expected", [
    ("%s\u0568", 1, True), ("%(model)s\u0647\u0627\u06cc", 8, True), ("%-5.2f\u0434", 5, True), ("%1$s\u0434", 3, True),
    ("pas\u0430", 2, False), ("%(x)q\u0434", 4, False), ("s", 0, False),
])
def test_format_conversion(text: str, index: int, expected: bool) -> None:
    assert is_format_conversion(text, index) is expected


@pytest.mark.parametrize("text, expected", [
    ("Open the f\u0131le for the user.", True),
    ("You are Claude Code, Anthrop\u0131c's official CLI for Claude.", True),
    ("Sunucu hatas\u0131", False),
    ("Dosya bulunamad\u0131", False),
    ("Die Datei ist in Ordnung, was nun?", False),
])
def test_english_context(text: str, expected: bool) -> None:
    assert is_english_context(text, 0, len(text)) is expected


@pytest.mark.parametrize("ch, expected", [("\u03b1", True), ("\u03c3", True), ("\u03bf", False), ("\u0391", False), ("a", False)])
def test_greek_symbol(ch: str, expected: bool) -> None:
    assert is_greek_symbol(ch) is expected


@pytest.mark.parametrize("text, index, expected", [
    ("  \u25cf CurrencyInput \u203a rejects more than two decimals", 18, True),  # jest's test path
    ("\u276f npm test", 0, True),  # a shell prompt
    ("\u2502   \u2514\u2500\u2500 invoices", 0, True),  # `tree` output
    ("Name \u2502 Value", 5, True),  # a table's column rule
    ("<example\u203a", 8, False),  # glued to a word
    ("should \u0964 run", 7, False),  # a danda belongs to Devanagari text
    ("a \u05d9 b", 2, False),  # a letter, not a symbol
])
def test_standalone_symbol(text: str, index: int, expected: bool) -> None:
    assert is_standalone_symbol(text, index) is expected


def test_english_context_across_lines_reads_the_headings_of_an_english_document() -> None:
    text = "Use the tools available to you.\n\n# Tool usage pol\u0131cy"
    start = text.index("pol")
    assert not is_english_context(text, start, start + 6)
    assert is_english_context(text, start, start + 6, across_lines=True)
