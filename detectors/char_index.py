"""One vectorised pass over a text, shared by the detectors, instead of one ``re`` pass each.

Each detector may declare ``triggers``: the code points without which it never reports
anything (its candidate class). A `TriggerTable` gives every such detector one bit in a
lookup table over all 0x110000 code points. For a non-ASCII text, `detectors.scan` builds a
`CharIndex`: the text's code points mapped through that table with numpy, a chunk at a time,
noting which bits occur and, for the detectors that set ``takes_candidates``, the offsets of
their trigger characters. A detector whose bit is absent is skipped; one that takes
candidates visits only those offsets instead of searching the whole text. The flags
themselves are dropped chunk by chunk, so the index costs memory only for the offsets it
keeps (a text made of one invisible character keeps none). The helpers below (lookup
tables, runs of consecutive offsets) serve detectors that need finer classes than one bit.

Verdicts never depend on the index: a detector called as ``find(text)`` alone finds the same
things (tests/detectors/test_char_index.py checks it). Left alone: detectors without
``triggers`` (they always run), and pure ASCII text, which `detectors.scan` already narrows
with ``ascii_relevant`` at C speed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence

import numpy as np

from detectors.unicode import Ranges, bmp_units

_CODE_SPACE = 0x110000
# Characters per numpy pass: 4 bytes each for the code points, 2 for their flags.
_CHUNK = 1 << 16
_MAX_BITS = 16
_FEW = 32  # below this many offsets, a Python loop beats numpy's per-call overhead
_SHORT_TEXT = 48  # texts this short are indexed character by character


class TriggerTable:
    """Bit ``i`` of ``table[cp]`` is set when ``cp`` is among the triggers of ``families[i]``.

    An index of a text keeps the offsets of the families in ``listed`` (those whose detector
    takes candidates) and only the presence of the others.

    >>> table = TriggerTable([[(0x200B, 0x200D)], [(0x60, 0x60)]])
    >>> table.present("a\u200bb"), table.present("x`y"), table.present("plain")
    ([True, False], [False, True], [False, False])
    """

    def __init__(self, families: Sequence[Ranges], listed: Iterable[int] = ()) -> None:
        if len(families) > _MAX_BITS:
            raise ValueError(f"at most {_MAX_BITS} trigger families, got {len(families)}")
        self.size = len(families)
        self.listed = tuple(sorted(set(listed)))
        if any(not 0 <= family < self.size for family in self.listed):
            raise ValueError(f"listed families must be in range({self.size}), got {self.listed}")
        self.listed_bits = sum(1 << family for family in self.listed)
        self.table = np.zeros(_CODE_SPACE, dtype=np.uint16)
        for bit, ranges in enumerate(families):
            for low, high in ranges:
                self.table[low:high + 1] |= np.uint16(1 << bit)
        self.flags_of = memoryview(self.table)  # one code point's bits as a Python int, for short texts

    def present(self, text: str) -> list[bool]:
        """For each family, whether ``text`` holds one of its code points (lone surrogates too)."""
        return CharIndex(text, self).present

    def index(self, text: str) -> CharIndex:
        """Which families occur in ``text``, and where the listed ones do, to share between detectors."""
        return CharIndex(text, self)


class CharIndex:
    """Which `TriggerTable` families occur in one text, and the offsets of the listed ones.

    `detectors.scan` builds it once for a non-ASCII text and hands each detector that takes
    candidates ``candidates(family)`` instead of letting it search the whole text.

    >>> index = TriggerTable([[(0x200B, 0x200D)], [(0x60, 0x60)]], listed=[0, 1]).index("a\u200bb\u200c`")
    >>> index.present, list(index.candidates(0)), list(index.candidates(1))
    ([True, True], [1, 3], [4])
    """

    def __init__(self, text: str, table: TriggerTable) -> None:
        self._offsets: dict[int, list[np.ndarray]] = {family: [] for family in table.listed}
        if len(text) <= _SHORT_TEXT:
            self._index_short(text, table)
            return
        offset_type = np.int32 if len(text) < 1 << 31 else np.int64
        listed_bits = table.listed_bits
        seen = 0
        for low, high in chunks(len(text)):
            flags = lookup(text[low:high], table.table)
            in_chunk = int(np.bitwise_or.reduce(flags))
            seen |= in_chunk
            if not in_chunk & listed_bits:
                continue
            # One pass for all listed families, then each family among those few offsets.
            found = np.flatnonzero(flags & np.uint16(listed_bits))
            found_flags = flags[found]
            if len(found) <= _FEW:   # a few offsets: sorted out in Python, cheaper than per-family masks
                self._keep_few(zip((found + low).tolist(), found_flags.tolist()), in_chunk, table, offset_type)
                continue
            found = found.astype(offset_type) + offset_type(low)
            for family in table.listed:
                if in_chunk >> family & 1:
                    self._offsets[family].append(found[found_flags & np.uint16(1 << family) != 0])
        self.present = [bool(seen >> bit & 1) for bit in range(table.size)]

    def _index_short(self, text: str, table: TriggerTable) -> None:
        """The same index, character by character: below numpy's fixed cost per call."""
        flags_of = table.flags_of
        seen = 0
        for ch in set(text):
            seen |= flags_of[ord(ch)]
        if seen & table.listed_bits:
            self._keep_few(enumerate(flags_of[ord(ch)] for ch in text), seen, table, np.int32)
        self.present = [bool(seen >> bit & 1) for bit in range(table.size)]

    def _keep_few(self, flagged: Iterable[tuple[int, int]], seen: int, table: TriggerTable, offset_type: type) -> None:
        """Keep the offsets of each listed family present in ``seen`` from ``(offset, bits)`` pairs."""
        pairs = [(offset, bits) for offset, bits in flagged if bits & table.listed_bits]
        for family in table.listed:
            if seen >> family & 1:
                kept = [offset for offset, bits in pairs if bits >> family & 1]
                self._offsets[family].append(np.array(kept, dtype=offset_type))

    def candidates(self, family: int) -> Offsets:
        """Offsets of the characters among the triggers of ``family``, in order."""
        if family not in self._offsets:
            raise ValueError(f"family {family} is not listed in this index's TriggerTable")
        return Offsets(self._offsets[family])


class Offsets:
    """Sorted offsets kept as numpy chunks. Iterating gives Python ints a chunk's worth at a
    time (a text made of trigger characters would otherwise need 8+ bytes each); a detector
    that works on arrays takes `array` instead.

    >>> offsets = Offsets([np.array([1, 5]), np.array([9])])
    >>> list(offsets), offsets.array().tolist()
    ([1, 5, 9], [1, 5, 9])
    """

    def __init__(self, parts: list[np.ndarray]) -> None:
        self._parts = parts

    def __iter__(self) -> Iterator[int]:
        for part in self._parts:
            yield from part.tolist()

    def array(self) -> np.ndarray:
        """All offsets in one array."""
        return np.concatenate(self._parts) if self._parts else np.zeros(0, dtype=np.intp)


def offset_array(offsets: Iterable[int]) -> np.ndarray:
    """``offsets`` as a numpy array, without a detour through Python ints for `Offsets`."""
    return offsets.array() if isinstance(offsets, Offsets) else np.fromiter(offsets, dtype=np.intp)


def class_ranges(body: str) -> list[tuple[int, int]]:
    """The ranges of a ``re`` class body written as literal characters and ``a-b`` ranges.

    >>> class_ranges("\\u00a0\\u2000-\\u200a\\u3000")
    [(160, 160), (8192, 8202), (12288, 12288)]
    """
    ranges: list[tuple[int, int]] = []
    index = 0
    while index < len(body):
        if index + 2 < len(body) and body[index + 1] == "-":
            ranges.append((ord(body[index]), ord(body[index + 2])))
            index += 3
        else:
            ranges.append((ord(body[index]), ord(body[index])))
            index += 1
    return sorted(ranges)


def membership_table(ranges: Ranges) -> np.ndarray:
    """A boolean lookup table over all code points, True inside ``ranges``."""
    table = np.zeros(_CODE_SPACE, dtype=np.bool_)
    for low, high in ranges:
        table[low:high + 1] = True
    return table


def run_starts(offsets: np.ndarray, min_length: int) -> np.ndarray:
    """Starts of the runs of consecutive ``offsets`` at least ``min_length`` long.

    >>> run_starts(np.array([1, 2, 3, 7, 9, 10]), 2).tolist()
    [1, 9]
    """
    if len(offsets) == 0:
        return offsets
    breaks = np.flatnonzero(np.diff(offsets) != 1)
    starts = np.concatenate(([0], breaks + 1))
    ends = np.concatenate((breaks + 1, [len(offsets)]))
    return offsets[starts[ends - starts >= min_length]]


def run_bounds(offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Starts and (exclusive) ends of the runs of consecutive ``offsets``.

    >>> [bounds.tolist() for bounds in run_bounds(np.array([1, 2, 3, 7, 9, 10]))]
    [[1, 7, 9], [4, 8, 11]]
    """
    if len(offsets) == 0:
        return offsets, offsets
    breaks = np.flatnonzero(np.diff(offsets) != 1)
    starts = np.concatenate(([offsets[0]], offsets[breaks + 1]))
    ends = np.concatenate((offsets[breaks], [offsets[-1]])) + 1
    return starts, ends


def runs(offsets: np.ndarray) -> list[tuple[int, int]]:
    """``(start, end)`` of each run of consecutive ``offsets``.

    >>> runs(np.array([1, 2, 3, 7, 9, 10]))
    [(1, 4), (7, 8), (9, 11)]
    """
    if len(offsets) <= _FEW:
        found: list[tuple[int, int]] = []
        for offset in offsets.tolist():
            if found and found[-1][1] == offset:
                found[-1] = (found[-1][0], offset + 1)
            else:
                found.append((offset, offset + 1))
        return found
    starts, ends = run_bounds(offsets)
    return list(zip(starts.tolist(), ends.tolist()))


def chunks(length: int, size: int = _CHUNK) -> Iterator[tuple[int, int]]:
    """``(low, high)`` of the consecutive chunks a text of ``length`` characters is processed in."""
    for low in range(0, length, size):
        yield low, min(length, low + size)


def code_points(text: str) -> np.ndarray:
    """``ord(ch)`` for each character of ``text`` (lone surrogates included), as uint16 when
    every character fits, else uint32.

    UTF-16 of text without astral characters (most text) is one code unit per character and
    costs about a copy; UTF-32 widens every character and costs several times more.

    >>> code_points("a\\u00e9\\u4e2d").dtype, code_points("a\\U0001f600\\ud800").tolist()
    (dtype('uint16'), [97, 128512, 55296])
    """
    units = bmp_units(text)
    if units is not None:
        return np.frombuffer(units, dtype=np.uint16)
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def code_points_at(text: str, offsets: np.ndarray) -> np.ndarray:
    """``ord(text[i])`` for each of the sorted ``offsets``, widening a chunk of text at a time.

    >>> code_points_at("a1\U0001d7d0b2", np.array([1, 2, 4])).tolist()
    [49, 120784, 50]
    """
    found = [np.zeros(0, dtype=np.uint32)]
    for low, high in chunks(len(text)):
        first, last = np.searchsorted(offsets, (low, high)).tolist()
        if first < last:
            found.append(code_points(text[low:high])[offsets[first:last] - low])
    return np.concatenate(found)


def lookup(text: str, table: np.ndarray) -> np.ndarray:
    """``table[ord(ch)]`` for each character of ``text`` (lone surrogates included)."""
    return np.take(table, code_points(text))   # take: the same values, faster than fancy indexing


def positions_by_bit(text: str, table: np.ndarray, bits: Sequence[int]) -> list[np.ndarray]:
    """For each of ``bits``, the sorted offsets of the characters whose ``table`` entry has it.

    >>> table = membership_table([(0x300, 0x36F)]).astype(np.uint8) | membership_table([(0x61, 0x61)]).astype(np.uint8) * 2
    >>> [found.tolist() for found in positions_by_bit("a\u0301b\u0302a", table, (1, 2))]
    [[1, 3], [0, 4]]
    """
    found: list[list[np.ndarray]] = [[] for _ in bits]
    for low, high in chunks(len(text)):
        flags = lookup(text[low:high], table)
        for kept, bit in zip(found, bits, strict=True):
            kept.append(np.flatnonzero(flags & bit) + low)
    return [np.concatenate(kept) if kept else np.zeros(0, dtype=np.intp) for kept in found]


def starts(text: str, candidates: Iterable[int] | None, pattern: re.Pattern[str]) -> Iterable[int]:
    """Where ``pattern`` (led by a detector's trigger class) may match, in order: the shared
    ``candidates`` when `detectors.scan` passed them, else every match start of ``pattern``.

    Callers still ``pattern.match`` each one and skip those inside what they already judged,
    so both sources give the same findings.
    """
    if candidates is not None:
        return candidates
    return (match.start() for match in pattern.finditer(text))
