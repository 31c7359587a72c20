"""Homoglyph letters (issue 3, channel 9): look-alike letters of another script inside a word.

"p\\u0430ypal" hides CYRILLIC SMALL LETTER A in a Latin word, "\\u041co\\u0441\\u043a\\u0432\\u0430" hides a
Latin "o" in a Cyrillic one. Words are judged whole, by the Script_Extensions of their letters
(UTS #39 "resolved script set"), with the UTS #39 confusables prototypes (``_tables.CONFUSABLE_ASCII``)
telling whether a foreign letter looks like one of the word's own script.

Left alone, because they are how real text is written: words in one script (Russian,
Ukrainian, Serbian, Kazakh, Greek, Armenian...), Japanese words mixing Han, Hiragana and
Katakana, CJK/Latin mixes such as "GitHub\\u306e\\u30ea\\u30dd\\u30b8\\u30c8\\u30ea" (UTS #39
"highly restrictive" allows them), Greek symbols prefixed to units ("\\u03c3x"), Turkish dotless
i in Turkish text and IPA transcriptions. Compatibility characters (mathematical letters,
full-width forms) are left to the normalization and punctuation detectors.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import ClassVar

import numpy as np
import unicodedata2

from detectors import _tables
from detectors.base import make_finding
from detectors.char_index import chunks, lookup, membership_table
from detectors.exemptions import is_english_context, is_format_conversion, is_greek_symbol_prefix, is_ipa_transcription
from detectors.model import Finding, Severity
from detectors.neighbourhood import has_non_ascii_letter, script_ranges, window
from detectors.split_pattern import SplitPattern, merged
from detectors.unicode import char_class, describe, script, script_extensions

# Scripts whose mixes with Latin are ordinary writing (UTS #39 "highly restrictive" profile).
_CJK_SCRIPTS = frozenset({"Han", "Hiragana", "Katakana", "Hangul", "Bopomofo"})
_NEUTRAL_SCRIPTS = frozenset({"Common", "Inherited"})
_CONTEXT_RADIUS = 200


def _single_letter_prototypes() -> dict[str, str]:
    """Non-ASCII letters whose UTS #39 prototype is one ASCII letter, except those that NFKC
    turns into ASCII (the normalization detector reports those)."""
    found = {}
    for cp, prototype in _tables.CONFUSABLE_ASCII.items():
        ch = chr(cp)
        if (
            len(prototype) == 1 and prototype.isalpha()
            and unicodedata2.category(ch).startswith("L")
            and not unicodedata2.normalize("NFKC", ch).isascii()
            and script(ch) not in _CJK_SCRIPTS
        ):
            found[ch] = prototype
    return found


_PROTOTYPE = _single_letter_prototypes()
# (script, ASCII prototype) -> the letter of that script that looks like it, for the reverse case.
_LOOK_ALIKE_IN: dict[tuple[str, str], str] = {}
for _ch, _proto in sorted(_PROTOTYPE.items(), reverse=True):
    _LOOK_ALIKE_IN[(script(_ch), _proto)] = _ch

_FOREIGN = sorted(list(script_ranges(("Cyrillic", "Greek", "Armenian"))) + merged({ord(ch) for ch in _PROTOTYPE}))


_DOTLESS_I = 0x0131
# Turkish and Azerbaijani write U+0131 in most sentences; where their other letters (g and s
# with breve and cedilla, capital I with dot, schwa) appear, U+0131 is not scanned for at all.
_TURKIC_LETTERS = re.compile("[\u011e\u011f\u015e\u015f\u0130\u018f\u0259]")
# Candidates are foreign letters touching an ASCII letter, found with one vectorised pass
# (`_touching_runs`); these count foreign letters in a sample, to pick which kind leads.
_ONE_FOREIGN = SplitPattern("<f>", f=_FOREIGN)
_ONE_FOREIGN_BUT_DOTLESS_I = SplitPattern("<f>", f=[r for r in _FOREIGN if r != (_DOTLESS_I, _DOTLESS_I)])
_ASCII_LETTER = re.compile("[A-Za-z]")
_FOREIGN_LETTER, _FOREIGN_BUT_DOTLESS_I, _ASCII = 1, 2, 4
_TOUCH_TABLE = (
    membership_table(_FOREIGN).astype(np.uint8) * _FOREIGN_LETTER
    | membership_table([r for r in _FOREIGN if r != (_DOTLESS_I, _DOTLESS_I)]).astype(np.uint8) * _FOREIGN_BUT_DOTLESS_I
    | membership_table([(0x41, 0x5A), (0x61, 0x7A)]).astype(np.uint8) * _ASCII
)
_SAMPLE = 4096
_WORD_CHARS = char_class(_tables.LETTER, _tables.NONSPACING_MARK, _tables.SPACING_MARK)
_WORD_REST = re.compile(f"[{_WORD_CHARS}]*")
_WORD_REACH = 64


@lru_cache(maxsize=4096)
def _scripts_of(ch: str) -> frozenset[str]:
    """Script_Extensions without Common/Inherited; Han/Kana/Hangul/Bopomofo count as one CJK family."""
    scripts = script_extensions(ch) - _NEUTRAL_SCRIPTS
    return scripts | {"CJK"} if scripts & _CJK_SCRIPTS else scripts


class HomoglyphDetector:
    """Finds letters of another script that pass for the script of the word they sit in."""

    name: ClassVar[str] = "homoglyph"
    ascii_relevant: ClassVar[bool] = False
    # Without one of these characters the detector reports nothing (see detectors.char_index).
    triggers: ClassVar[list[tuple[int, int]]] = _FOREIGN

    def find(self, text: str) -> Iterator[Finding]:
        judged_until = 0
        for position in _touching_runs(text):
            if position < judged_until:
                continue
            start = _word_start(text, max(judged_until, position - _WORD_REACH), position)
            if is_format_conversion(text, start):
                start += 1
            end = _WORD_REST.match(text, position, position + _WORD_REACH).end()
            judged_until = end
            yield from self._judge_word(text, start, end)

    def _judge_word(self, text: str, start: int, end: int) -> Iterator[Finding]:
        word = text[start:end]
        letters = [(i, ch) for i, ch in enumerate(word) if _scripts_of(ch)]
        common = frozenset.intersection(*(_scripts_of(ch) for _, ch in letters)) if letters else frozenset()
        if common:
            if common & {"Latin"}:
                yield from self._latin_look_alikes(text, start, word)
            return
        if all(("Latin" in _scripts_of(ch)) or ("CJK" in _scripts_of(ch)) for _, ch in letters):
            return
        host = self._host_script(letters)
        foreign = [(i, ch) for i, ch in letters if host not in _scripts_of(ch)]
        look_alikes = {ch: self._look_alike(ch, host) for _, ch in foreign}
        if not all(look_alikes.values()):
            odd = "".join(dict.fromkeys(ch for _, ch in foreign))
            yield make_finding(
                self.name, "mixed-script-word", text, start, end, Severity.LOW,
                f"mixed-script word {word!r}: {host} with {', '.join(describe(ch) for ch in odd)}",
            )
            return
        foreign_indexes = {i for i, _ in foreign}
        rest_plain = host != "Latin" or all(ch.isascii() for i, ch in enumerate(word) if i not in foreign_indexes)
        severity = Severity.HIGH if rest_plain else Severity.MEDIUM
        if host == "Latin" and is_greek_symbol_prefix(word, foreign[0][0]) and len(foreign) == 1:
            severity = Severity.LOW
        for run_start, run_end in _runs(i for i, _ in foreign):
            run = word[run_start:run_end]
            looks = "; ".join(f"{describe(ch)} looks like {_shown(look_alikes[ch])}" for ch in dict.fromkeys(run))
            yield make_finding(
                self.name, "homoglyph", text, start + run_start, start + run_end, severity,
                f"{looks} inside the {host} word {word!r}",
                replacement="".join(look_alikes[ch] for ch in run),
            )

    @staticmethod
    def _host_script(letters: list[tuple[int, str]]) -> str:
        """Latin when every letter reads as ASCII; else the script with the most letters."""
        if all(ch.isascii() or ch in _PROTOTYPE for _, ch in letters):
            return "Latin"
        counts: dict[str, int] = {}
        for _, ch in letters:
            for name in _scripts_of(ch) - {"CJK"}:
                counts[name] = counts.get(name, 0) + 1
        return max(counts, key=lambda name: (counts[name], name == "Latin"))

    @staticmethod
    def _look_alike(ch: str, host: str) -> str | None:
        """The letter of ``host`` script that ``ch`` passes for, if any."""
        prototype = ch if ch.isascii() else _PROTOTYPE.get(ch)
        if prototype is None:
            return None
        if host == "Latin":
            return prototype
        return _LOOK_ALIKE_IN.get((host, prototype))

    def _latin_look_alikes(self, text: str, start: int, word: str) -> Iterator[Finding]:
        """Latin-script look-alikes (U+0131, U+0261, U+0251, U+01C0...) in an otherwise ASCII word."""
        odd = [i for i, ch in enumerate(word) if not ch.isascii()]
        if not odd or not all(word[i] in _PROTOTYPE for i in odd) or len(odd) == len(word):
            return
        end = start + len(word)
        if is_ipa_transcription(text, start, end):
            return
        low, _ = window(text, start, _CONTEXT_RADIUS)
        _, high = window(text, end - 1, _CONTEXT_RADIUS)
        native = has_non_ascii_letter(text, low, start) or has_non_ascii_letter(text, end, high)
        severity = Severity.MEDIUM if is_english_context(text, start, end) and not native else Severity.LOW
        for run_start, run_end in _runs(odd):
            run = word[run_start:run_end]
            looks = "; ".join(f"{describe(ch)} looks like {_PROTOTYPE[ch]!r}" for ch in dict.fromkeys(run))
            yield make_finding(
                self.name, "latin-look-alike", text, start + run_start, start + run_end, severity,
                f"{looks} inside the otherwise ASCII word {word!r}",
                replacement="".join(_PROTOTYPE[ch] for ch in run),
            )


def _touching_runs(text: str) -> Iterator[int]:
    """Positions of letters (foreign or ASCII) that touch a letter of the other kind, in order.

    The rarer kind in a sample leads (foreign letters in English, ASCII ones in Russian), and a
    letter touching the other kind on both sides is listed twice, as the ``re`` patterns that
    this vectorised pass replaces did.
    """
    turkic = _TURKIC_LETTERS.search(text) is not None
    one_foreign = _ONE_FOREIGN_BUT_DOTLESS_I if turkic else _ONE_FOREIGN
    sample = text[:_SAMPLE]
    foreign_count = len(one_foreign.for_text(sample).findall(sample))
    foreign_bit = _FOREIGN_BUT_DOTLESS_I if turkic else _FOREIGN_LETTER
    led_by_foreign = foreign_count <= len(_ASCII_LETTER.findall(sample))
    lead_bit, other_bit = (foreign_bit, _ASCII) if led_by_foreign else (_ASCII, foreign_bit)
    found: list[np.ndarray] = []
    for low, high in chunks(len(text)):
        # One character of context on each side, for the neighbours at the chunk's edges.
        context_low = max(0, low - 1)
        flags = lookup(text[context_low:high + 1], _TOUCH_TABLE)
        lead = (flags & lead_bit) != 0
        other = (flags & other_bit) != 0
        inner = slice(low - context_low, low - context_low + high - low)
        before = np.zeros_like(lead)
        before[1:] = other[:-1]
        after = np.zeros_like(lead)
        after[:-1] = other[1:]
        for neighbour in (after, before):
            found.append(np.flatnonzero((lead & neighbour)[inner]) + low)
    return iter(np.sort(np.concatenate(found), kind="stable").tolist()) if found else iter(())


def _word_start(text: str, low: int, position: int) -> int:
    """As ``re.search("[word]*$", text, low, position).start()``, without its quadratic retries.

    ``$`` also matches before a line break that ends the window, hence the ``stop``.
    """
    stop = position - 1 if position > low and text[position - 1] == "\n" else position
    return stop - _WORD_REST.match(text[low:stop][::-1]).end()


def _shown(ch: str) -> str:
    """An ASCII look-alike quoted, any other one named: ``'a'`` or ``CYRILLIC SMALL LETTER O U+043E``."""
    return repr(ch) if ch.isascii() else describe(ch)


def _runs(indexes: Iterator[int] | list[int]) -> Iterator[tuple[int, int]]:
    """Contiguous ``(start, end)`` runs of sorted indexes.

    >>> list(_runs([1, 2, 5]))
    [(1, 3), (5, 6)]
    """
    run_start = previous = None
    for index in indexes:
        if previous is not None and index == previous + 1:
            previous = index
            continue
        if run_start is not None:
            yield run_start, previous + 1
        run_start = previous = index
    if run_start is not None:
        yield run_start, previous + 1
