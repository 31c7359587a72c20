"""Each named exemption predicate, on the legitimate text it protects and on look-alike abuse."""

from __future__ import annotations

import pytest

from detectors import _tables
from detectors.exemptions import (
    is_bom_at_start,
    is_emoji_zwj_sequence,
    is_flag_tag_sequence,
    is_joining_script_zwnj,
    is_rtl_context,
    is_word_break_hint,
)

ZWJ = "\N{ZERO WIDTH JOINER}"
ZWNJ = "\N{ZERO WIDTH NON-JOINER}"
LRM = "\N{LEFT-TO-RIGHT MARK}"
RLM = "\N{RIGHT-TO-LEFT MARK}"
ALM = "\N{ARABIC LETTER MARK}"
BOM = "\N{ZERO WIDTH NO-BREAK SPACE}"
ENGLAND = "\N{WAVING BLACK FLAG}\U000E0067\U000E0062\U000E0065\U000E006E\U000E0067\U000E007F"


# --- is_emoji_zwj_sequence ------------------------------------------------------------------
@pytest.mark.parametrize(
    "payload, should_flag",
    [
        # real emoji: a technologist, a family, the rainbow flag, a skin-toned profession
        ("\N{WOMAN}" + ZWJ + "\N{PERSONAL COMPUTER}", True),
        ("\N{MAN}" + ZWJ + "\N{WOMAN}" + ZWJ + "\N{GIRL}", True),
        ("\N{WAVING WHITE FLAG}\N{VARIATION SELECTOR-16}" + ZWJ + "\N{RAINBOW}", True),
        ("\N{MAN}\N{EMOJI MODIFIER FITZPATRICK TYPE-4}" + ZWJ + "\N{STAFF OF AESCULAPIUS}\N{VARIATION SELECTOR-16}", True),
        # ZWJ between ordinary letters, or dangling after an emoji
        ("Today" + ZWJ + "s", False),
        ("\N{WOMAN}" + ZWJ + " laptop", False),
        ("pass" + ZWJ + "\N{PERSONAL COMPUTER}", False),
    ],
)
def test_is_emoji_zwj_sequence(payload: str, should_flag: bool) -> None:
    assert is_emoji_zwj_sequence(payload, payload.index(ZWJ)) is should_flag


def test_every_rgi_zwj_sequence_is_exempt() -> None:
    for sequence in _tables.RGI_EMOJI_ZWJ_SEQUENCES:
        for index, ch in enumerate(sequence):
            if ch == ZWJ:
                assert is_emoji_zwj_sequence(sequence, index), sequence.encode("unicode_escape")


def test_only_a_zwj_is_an_emoji_joiner() -> None:
    assert not is_emoji_zwj_sequence("\N{WOMAN}" + ZWNJ + "\N{PERSONAL COMPUTER}", 1)


# --- is_flag_tag_sequence -------------------------------------------------------------------
@pytest.mark.parametrize(
    "payload, should_flag",
    [
        (ENGLAND, True),
        ("Go " + ENGLAND + "!", False),  # the predicate judges the exact span it is given
        ("\N{WAVING BLACK FLAG}\U000E0075\U000E0073\U000E0063\U000E0061\U000E007F", False),  # us-ca: not RGI
        ("\N{WAVING BLACK FLAG}\U000E0069\U000E0067\U000E006E\U000E006F\U000E0072\U000E0065\U000E007F", False),
    ],
)
def test_is_flag_tag_sequence(payload: str, should_flag: bool) -> None:
    assert is_flag_tag_sequence(payload, 0, len(payload)) is should_flag


def test_every_rgi_tag_sequence_is_a_flag() -> None:
    text = "Flags: " + " ".join(_tables.RGI_EMOJI_TAG_SEQUENCES)
    for sequence in _tables.RGI_EMOJI_TAG_SEQUENCES:
        start = text.index(sequence)
        assert is_flag_tag_sequence(text, start, start + len(sequence))


# --- is_joining_script_zwnj -----------------------------------------------------------------
@pytest.mark.parametrize(
    "payload, should_flag",
    [
        # Persian: mi-khaham ("I want"), ketab-ha ("books"), and a ZWNJ before a space
        ("\u0645\u06cc" + ZWNJ + "\u062e\u0648\u0627\u0647\u0645", True),
        ("\u06a9\u062a\u0627\u0628" + ZWNJ + "\u0647\u0627", True),
        ("\u0646\u0645\u06cc" + ZWNJ + " \u062f\u0627\u0646\u0645", True),
        # Hindi half forms and Bengali, Malayalam, Sinhala conjunct control
        ("\u0915\u094d" + ZWJ + "\u0937", True),
        ("\u0915\u094d" + ZWNJ + "\u0937", True),
        ("\u0995\u09cd" + ZWNJ + "\u09b7", True),
        ("\u0d28\u0d4d" + ZWJ, True),
        ("\u0dc1\u0dca" + ZWJ + "\u0dbb\u0dd3", True),
        # Latin, Cyrillic, CJK and mixed Latin/Arabic: no shaping to control
        ("Tod" + ZWNJ + "ay", False),
        ("\u043f\u0440\u0438" + ZWJ + "\u0432\u0435\u0442", False),
        ("\u6f22" + ZWNJ + "\u5b57", False),
        ("abc" + ZWNJ + "\u0639\u0631\u0628\u064a", False),
        (" " + ZWNJ + " ", False),
        # format characters are looked through; blanks that sanitize deletes are not
        ("\u0631\u0648\u0634" + LRM + ZWNJ + "\u0647\u0627", True),
        ("\u0645" + ZWNJ + "\N{BRAILLE PATTERN BLANK}a", False),
        ("\u0645" + ZWNJ + "\x07", False),
    ],
)
def test_is_joining_script_zwnj(payload: str, should_flag: bool) -> None:
    index = next(k for k, ch in enumerate(payload) if ch in (ZWJ, ZWNJ))
    assert is_joining_script_zwnj(payload, index) is should_flag


# --- is_bom_at_start ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "payload, index, should_flag",
    [
        (BOM + "import os\n", 0, True),
        ("import os\n" + BOM + "import sys\n", 10, False),
        (BOM + BOM + "x", 1, False),
        ("x", 0, False),
    ],
)
def test_is_bom_at_start(payload: str, index: int, should_flag: bool) -> None:
    assert is_bom_at_start(payload, index) is should_flag


# --- is_rtl_context -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "payload, should_flag",
    [
        # Hebrew: RLM after a word before Latin in parentheses; Arabic with ALM before digits
        ("\u05e9\u05dc\u05d5\u05dd" + RLM + " (C++)", True),
        ("\u05d4\u05d2\u05e8\u05e1\u05d4 " + LRM + "3.12" + LRM + " \u05d6\u05de\u05d9\u05e0\u05d4", True),
        ("\u0627\u0644\u0633\u0639\u0631: " + ALM + "\u0661\u0662\u0663", True),
        # an English prompt, and a mark whose nearest strong neighbours are Latin on both sides
        ("Today" + LRM + "s date is 2026-11-24.", False),
        ("\u05e9\u05dc\u05d5\u05dd\nHello" + RLM + " world", False),
        # a run of marks must not vouch for itself
        ("Hello" + RLM + RLM + RLM + " world", False),
    ],
)
def test_is_rtl_context(payload: str, should_flag: bool) -> None:
    index = next(k for k, ch in enumerate(payload) if ch in (LRM, RLM, ALM))
    assert is_rtl_context(payload, index) is should_flag


# --- is_word_break_hint ---------------------------------------------------------------------
@pytest.mark.parametrize(
    "payload, should_flag",
    [
        # Thai "Thai language" and Khmer "Cambodia" with a word-break hint, Lao, Myanmar
        ("\u0e20\u0e32\u0e29\u0e32\u200b\u0e44\u0e17\u0e22", True),
        ("\u1794\u17d2\u179a\u1791\u17c1\u179f\u200b\u1780\u1798\u17d2\u1796\u17bb\u1787\u17b6", True),
        ("\u0e9e\u0eb2\u0eaa\u0eb2\u200b\u0ea5\u0eb2\u0ea7", True),
        ("\u1019\u103c\u1014\u103a\u200b\u1019\u102c", True),
        # Thai beside Latin and at the end of Thai text are still hints; Latin or CJK alone are not
        ("Today\u200bs", False),
        ("\u65e5\u672c\u200b\u8a9e", False),
        ("\u0e44\u0e17\u0e22\u200bThai", True),  # Thai within reach
        ("\u0e44\u0e17\u0e22\u200b", True),
        ("Thai is written \u200bwithout spaces", False),
    ],
)
def test_is_word_break_hint(payload: str, should_flag: bool) -> None:
    assert is_word_break_hint(payload, payload.index("\u200b")) is should_flag
