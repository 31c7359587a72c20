"""Tests for detectors.char_index: the shared trigger index and its vectorised helpers."""

from __future__ import annotations

import numpy as np
import pytest

import detectors
from detectors import DEFAULT_DETECTORS, scan
from detectors.char_index import (
    TriggerTable, chunks, class_ranges, membership_table, positions_by_bit, run_bounds, run_starts, runs,
)

CHUNK = next(chunks(1 << 30))[1]
ZWSP = "\N{ZERO WIDTH SPACE}"
RLM = "\N{RIGHT-TO-LEFT MARK}"


def _table() -> TriggerTable:
    families = [d.triggers for d in DEFAULT_DETECTORS if getattr(d, "triggers", None) is not None]
    return TriggerTable(families, listed=range(len(families)))


# --- the index agrees with a plain per-character check -------------------------------------------

@pytest.mark.parametrize("text", [
    "Aujourd\u2019hui, le 24\u00a0novembre\u00a0: caf\u00e9 cre\u0300me.",
    "\u041f\u0440\u0438\u0432\u0435\u0442, \u043c\u0438\u0440! Hello, world.",
    "\u0645\u0631\u062d\u0628\u0627 \u0661\u0662\u0663 \u0628\u0627\u0644\u0639\u0627\u0644\u0645",
    "\u0928\u092e\u0938\u094d\u0924\u0947 \u0926\u0941\u0928\u093f\u092f\u093e",
    "family \U0001f468\u200d\U0001f469\u200d\U0001f467 flag \U0001f3f4\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f",
    "lone surrogate \ud800 and private use \ue000",
    "",
    # More trigger characters than the few sorted out in Python: the vectorised split.
    "Aujourd\u2019hui, le 24\u00a0novembre 2026\u00a0: caf\u00e9 cre\u0300me. " * 12,
])
def test_candidates_are_exactly_the_trigger_characters(text: str) -> None:
    families = [d.triggers for d in DEFAULT_DETECTORS if getattr(d, "triggers", None) is not None]
    index = _table().index(text)
    for family, ranges in enumerate(families):
        expected = [i for i, ch in enumerate(text) if any(low <= ord(ch) <= high for low, high in ranges)]
        assert list(index.candidates(family)) == expected
        assert index.present[family] == bool(expected)


def test_candidates_cross_chunk_boundaries() -> None:
    text = "a" * (CHUNK - 1) + ZWSP + ZWSP + "b" * CHUNK + RLM
    table = TriggerTable([[(0x200B, 0x200B)], [(0x200F, 0x200F)]], listed=[0, 1])
    index = table.index(text)
    assert list(index.candidates(0)) == [CHUNK - 1, CHUNK]
    assert list(index.candidates(1)) == [len(text) - 1]


def test_an_unlisted_family_has_presence_but_no_offsets() -> None:
    index = TriggerTable([[(0x200B, 0x200B)], [(0x200F, 0x200F)]], listed=[1]).index("a" + ZWSP + RLM)
    assert index.present == [True, True]
    assert list(index.candidates(1)) == [2]
    with pytest.raises(ValueError, match="not listed"):
        list(index.candidates(0))


def test_the_index_keeps_no_per_character_flags() -> None:
    """A text made of one invisible character (no detector takes it as a candidate) costs
    `scan`'s index nothing that grows with the text."""
    text = ZWSP * (CHUNK * 4)
    index = detectors._DEFAULT_TRIGGERS.index(text)
    kept = sum(array.nbytes for arrays in index._offsets.values() for array in arrays)
    assert kept == 0
    invisible = next(d for d in DEFAULT_DETECTORS if d.name == "invisible")
    assert index.present[detectors._DEFAULT_FAMILY[id(invisible)]]


# --- helpers ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("offsets, expected", [
    ([], []),
    ([5], [(5, 6)]),
    ([1, 2, 3, 7, 9, 10], [(1, 4), (7, 8), (9, 11)]),
])
def test_runs(offsets: list[int], expected: list[tuple[int, int]]) -> None:
    array = np.array(offsets, dtype=np.intp)
    assert runs(array) == expected
    assert [b.tolist() for b in run_bounds(array)] == [[s for s, _ in expected], [e for _, e in expected]]
    assert run_starts(array, 2).tolist() == [s for s, e in expected if e - s >= 2]


def test_runs_of_many_offsets_agree_with_the_vectorised_bounds() -> None:
    offsets = np.array(sorted({(i * 7919) % 1000 for i in range(300)}), dtype=np.intp)
    starts, ends = run_bounds(offsets)
    assert runs(offsets) == list(zip(starts.tolist(), ends.tolist()))
    assert runs(offsets[:5]) == [(s, e) for s, e in runs(offsets) if e <= offsets[4] + 1]


def test_positions_match_a_per_character_loop_over_chunks() -> None:
    text = ("caf\u00e9 e\u0301 " * (CHUNK // 4))[: CHUNK * 2 + 7]
    marks = [(0x300, 0x36F)]
    expected = [i for i, ch in enumerate(text) if 0x300 <= ord(ch) <= 0x36F]
    both = membership_table(marks).astype(np.uint8) | membership_table([(0xE9, 0xE9)]).astype(np.uint8) * 2
    found_marks, found_e = positions_by_bit(text, both, (1, 2))
    assert found_marks.tolist() == expected
    assert found_e.tolist() == [i for i, ch in enumerate(text) if ch == "\u00e9"]


def test_class_ranges() -> None:
    assert class_ranges("\u00a0\u2000-\u200a\u3000") == [(0xA0, 0xA0), (0x2000, 0x200A), (0x3000, 0x3000)]


def test_too_many_families_is_an_error() -> None:
    with pytest.raises(ValueError):
        TriggerTable([[(cp, cp)] for cp in range(17)])


# --- scan with the index gives what each detector gives alone -------------------------------------

@pytest.mark.parametrize("text", [
    "Today\u02bcs date is 2026\u201211\u201224 and the price is \u0661\u0662 USD\u00a0; see \u0440aypal.com",
    "Bonjour\u00a0! \u00ab\u00a0citation\u00a0\u00bb Z\u0336a\u0337l\u0338g\u0335o\u0334 \ufb01le \u212aelvin",
    "plain\u200b\u200c\u200b\u200c\u200b\u200c\u200b\u200c\u200b hidden \U000e0041\U000e0042 tail\u202e",
    "\u0645\u0631\u062d\u0628\u0627\u200c\u0628\u0627 \u0928\u092e\u0938\u094d\u0924\u0947 \U0001f469\u200d\U0001f4bb",
    # Dates get the digits' offsets from the index: astral digits, emoji without them, one digit.
    "Le 2026-11-24 \U0001f642 puis le \U0001d7d0\U0001d7ce\U0001d7d0\U0001d7d4-11-24, et 2026/11/24.",
    "\u4eca\u65e5\u306f2026\u5e7411\u670824\u65e5\u3067\u3059 \u2705 \u660e\u65e5\u306f2026/11/25 10:30 \U0001f642",
    "un seul chiffre 7 \U0001f642",
])
def test_scan_equals_the_detectors_run_alone(text: str) -> None:
    alone = [f for d in DEFAULT_DETECTORS for f in d.find(text)]
    best: dict[tuple[int, int], object] = {}
    for finding in alone:
        key = (finding.start, finding.end)
        if key not in best or finding.severity > best[key].severity:
            best[key] = finding
    assert scan(text) == sorted(best.values(), key=lambda f: (f.start, f.end))
