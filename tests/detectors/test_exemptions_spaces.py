"""The exemptions for spaces, punctuation and digits: French typography, digit groups, units, CJK, okina."""

from __future__ import annotations

import pytest

from detectors.exemptions import (
    is_cjk_context,
    is_french_nbsp,
    is_number_group_separator,
    is_number_unit_space,
    is_ogham_space,
    is_okina,
)

NBSP = "\N{NO-BREAK SPACE}"
NNBSP = "\N{NARROW NO-BREAK SPACE}"
THIN = "\N{THIN SPACE}"


def at(text: str, ch: str, occurrence: int = 0) -> int:
    index = -1
    for _ in range(occurrence + 1):
        index = text.index(ch, index + 1)
    return index


@pytest.mark.parametrize(
    "text, occurrence, expected",
    [
        # --- before high punctuation and the closing guillemet, after the opening one
        (f"Bonjour{NBSP}!", 0, True),
        (f"Voulez-vous continuer{NNBSP}?", 0, True),
        (f"Attention{NBSP}: fichier introuvable{NBSP}; r\u00e9essayez.", 1, True),
        (f"\u00ab{NNBSP}texte{NNBSP}\u00bb", 0, True),
        (f"\u00ab{NNBSP}texte{NNBSP}\u00bb", 1, True),
        (f"{NBSP}:", 0, True),
        # --- elsewhere it is not French punctuation spacing
        (f"Hello{NBSP}world", 0, False),
        (f"Working directory:{NBSP}/home/alice", 0, False),
        (f"word {NBSP}!", 0, False),
    ],
)
def test_is_french_nbsp(text: str, occurrence: int, expected: bool) -> None:
    index = at(text, NBSP if NBSP in text else NNBSP, occurrence)
    assert is_french_nbsp(text, index) is expected


def test_is_french_nbsp_rejects_an_ordinary_space_and_bad_indexes() -> None:
    assert not is_french_nbsp("Bonjour !", 7)
    assert not is_french_nbsp(f"Bonjour{NBSP}!", 99)


@pytest.mark.parametrize(
    "text, index, expected",
    [
        (f"1{NNBSP}000{NNBSP}000", 1, True),
        (f"1{NNBSP}000{NNBSP}000", 5, True),
        (f"Das Paket wiegt 12{THIN}345 Gramm.", 18, True),
        (f"\u0420\u043e\u0441\u0441\u0438\u044f: 146{NBSP}447{NBSP}424 \u0447\u0435\u043b.", 11, True),
        (f"page 1{NBSP}2026", 6, False),  # four digits after: not a thousands group
        (f"step 1{NBSP}then", 6, False),
        (f"12{NBSP}34", 2, False),
        (f"x{NNBSP}000", 1, False),
    ],
)
def test_is_number_group_separator(text: str, index: int, expected: bool) -> None:
    assert is_number_group_separator(text, index) is expected


@pytest.mark.parametrize(
    "text, index, expected",
    [
        (f"10{NBSP}%", 2, True),
        (f"5{NBSP}km", 1, True),
        (f"20{NNBSP}\u00b0C", 2, True),
        (f"100{NBSP}\u20ac", 3, True),
        (f"3{NBSP}Mio. Einwohner", 1, True),
        (f"146{NBSP}\u043c\u043b\u043d", 3, True),
        (f"step 5{NBSP}then", 6, False),
        (f"version 2{NBSP}is out", 9, False),
        (f"Today{NBSP}km", 5, False),
    ],
)
def test_is_number_unit_space(text: str, index: int, expected: bool) -> None:
    assert is_number_unit_space(text, index) is expected


@pytest.mark.parametrize(
    "text, index, expected",
    [
        ("\u5b57\u6bb5\u7c7b\u578b\uff1a%(field_type)s", 4, True),
        ("\u66f4\u591a\u53ef\u7528\u4fe1\u606f\u8bf7\u8bbe\u7f6e\u9009\u9879DEBUG\uff1dTrue\u3002", 16, True),
        ("\u65e5\u672c\u8a9e\u3000\u30c6\u30ad\u30b9\u30c8", 3, True),
        ("\ud30c\uc77c\uc744\u3000\ucc3e\uc744", 3, True),
        ("Working directory\uff1a /home/alice", 17, False),
        ("a\u3000b", 1, False),
        # full-width forms and U+3000 do not vouch for each other
        ("\uff24\uff25\uff22\uff35\uff27\u3000\uff1d", 5, False),
        # another line does not count
        ("\u65e5\u672c\u8a9e\nDEBUG\uff1dTrue", 9, False),
    ],
)
def test_is_cjk_context(text: str, index: int, expected: bool) -> None:
    assert is_cjk_context(text, index) is expected


def test_is_ogham_space() -> None:
    assert is_ogham_space("\u1681\u1682\u1683\u1680\u1684", 3)
    assert not is_ogham_space("never\u1680commit", 5)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Hawai\u02bbi", True),
        ("O\u02bbahu", True),
        ("Kaua\u02bbi", True),
        ("\u02bbOkina", True),
        ("O\u02bbzbekiston", True),
        ("Today\u02bbs", False),
        ("don\u02bbt", False),
        ("user\u02bbs", False),
    ],
)
def test_is_okina(text: str, expected: bool) -> None:
    assert is_okina(text, text.index("\u02bb")) is expected
