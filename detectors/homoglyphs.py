"""Homoglyph letters (issue 3, channel 9): look-alike letters of another script inside a word,
and every other UTS #39 look-alike of ASCII in ASCII text.

"p\\u0430ypal" hides CYRILLIC SMALL LETTER A in a Latin word, "\\u041co\\u0441\\u043a\\u0432\\u0430" hides a
Latin "o" in a Cyrillic one. Words are judged whole, by the Script_Extensions of their letters
(UTS #39 "resolved script set"), with the UTS #39 confusables prototypes (``_tables.CONFUSABLE_ASCII``)
telling whether a foreign letter looks like one of the word's own script. A Latin-script
look-alike (U+0131, U+0261, U+1D04...) in an otherwise ASCII word is medium in English text
(the line, or the text around it) and in a generated line (a path, an environment value).

Any other character UTS #39 maps to one printable ASCII character is judged where the text
around it is ASCII: a symbol, mark or CJK letter inside an ASCII word ("C\\u2502aude"), a letter
or script-bound sign standing as a word of its own ("\\u0430 task", "should \\u0964 run"), a
look-alike of a digit in a number or where one stands ("2\\u039f26", "Linux \\u03ec.8.0",
"fewer than \\u13ce lines"), and punctuation of other scripts and notations ("IMPORTANT\\u0589",
"Anthropic\\u05d9s", "HEAD\\u02dc1"): medium, high in a generated line. The curated look-alikes
of the punctuation, digit, space and normalization detectors are theirs.

Left alone, because they are how real text is written: words in one script (Russian,
Ukrainian, Serbian, Kazakh, Greek, Armenian...), Japanese words mixing Han, Hiragana and
Katakana, CJK/Latin mixes such as "GitHub\\u306e\\u30ea\\u30dd\\u30b8\\u30c8\\u30ea" (UTS #39
"highly restrictive" allows them), Greek symbols prefixed to units ("\\u03c3x"), Turkish dotless
i in Turkish text and IPA transcriptions. Compatibility characters (mathematical letters,
full-width forms) are left to the normalization and punctuation detectors. Of the other
look-alikes: any of them near letters of a non-ASCII script (they are that script's own);
symbols no script claims standing alone between spaces (a breadcrumb "\\u203a", a table's
"\\u2502", a prompt "\\u276f", an operator "\\u2217", a Roman numeral); a Greek letter or a
mathematical letter alone ("\\u03b1 = 0.05"); a letter quoted on its own; emoji (U+2795, and
U+2139 but inside a word); U+2013 EN DASH, the range dash of typeset prose and CLDR intervals.
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
from detectors.exemptions import (
    is_english_context,
    is_format_conversion,
    is_french_nbsp,
    is_greek_symbol,
    is_greek_symbol_prefix,
    is_ipa_transcription,
    is_standalone_symbol,
)
from detectors.model import Finding, Severity
from detectors.neighbourhood import (
    ASCII_LOOK_ALIKES,
    PUNCTUATION_LETTERS,
    PUNCTUATION_LOOK_ALIKES,
    AsciiContextFinder,
    fold_lookalikes,
    has_non_ascii_letter,
    in_dynamic_line,
    is_typographic,
    script_ranges,
    window,
    without_ranges,
)
from detectors.punctuation import JUDGED_BY_CONSISTENCY
from detectors.split_pattern import SplitPattern, merged
from detectors.unicode import char_class, describe, in_ranges, script, script_extensions

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
_DOTLESS_I_CHAR = chr(_DOTLESS_I)
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
# Letters that pass for punctuation end a word (`detectors.neighbourhood.PUNCTUATION_LETTERS`).
_WORD_CHARS = char_class(
    without_ranges(sorted([*_tables.LETTER, *_tables.NONSPACING_MARK, *_tables.SPACING_MARK]), PUNCTUATION_LETTERS)
)
_WORD_REST = re.compile(f"[{_WORD_CHARS}]*")
_WORD_REACH = 64


# --- Look-alikes of ASCII in ASCII text: the UTS #39 confusables no other rule judges ------------
#
# A mark can be any character UTS #39 says passes for an ASCII one: a symbol inside a word
# ("C\u2502aude", BOX DRAWINGS LIGHT VERTICAL for l), a foreign letter as a word of its own
# ("\u0430 task", "\u0406 will"), a letter in a number ("2\u039f26", "Linux \u03ec.8.0"), punctuation
# of another script ("IMPORTANT\u0589", "Anthropic\u05d9s"). Each is judged only where the text
# around it is ASCII (`detectors.neighbourhood.AsciiContextFinder`): in Armenian, Hebrew or CJK
# prose the same characters are that script's own letters and punctuation.

_MATH_ALPHANUMERICS = (0x1D400, 0x1D7FF)
# The one-letter English words, by their UTS #39 prototypes ("I" passes for "l").
_ONE_LETTER_WORDS = frozenset(_tables.ASCII_SKELETON.get(ord(ch), ch) for ch in "aAI")
# An ASCII digit by its prototype: 2 for "2", but 0 for "O" and 1 for "l".
_DIGIT_OF = {_tables.ASCII_SKELETON.get(ord(digit), digit): digit for digit in "0123456789"}
_NUMBER_SEPARATORS = frozenset(".,:/-")
_QUOTES = frozenset("`'\"")
_CLOSING_SINGLE_QUOTE = re.compile("[\u2018\u2019]")


def _look_alike_classes() -> tuple[dict[str, str], dict[str, str], dict[str, str], dict[str, str]]:
    """The look-alikes judged here, by the place they can stand for ASCII in:

    - inside an ASCII word: symbols, marks, numbers and CJK letters that pass for a letter
      (other letters are judged with their word; NFKC turns the compatibility ones into ASCII,
      which the normalization detector reports);
    - as a word of their own: letters that pass for one (mathematical letters are formula
      variables there, "\U0001d465 > 0");
    - in a number: anything that passes for a digit but the decimal digits (the digit
      detector's) and the number forms NFKC turns into digits (superscripts, circled digits,
      fractions: "10\u00b2" is ordinary typography);
    - as punctuation: anything that passes for ASCII punctuation, but the characters the
      punctuation detector judges by consistency (curly quotes, hyphens, slashes...).
    """
    in_word: dict[str, str] = {}
    alone: dict[str, str] = {}
    digits: dict[str, str] = {}
    for ch, prototype in ASCII_LOOK_ALIKES.items():
        cp = ord(ch)
        if in_ranges(cp, _tables.FULLWIDTH_ASCII) or in_ranges(cp, _tables.NON_ASCII_DECIMAL_DIGIT):
            continue
        pictograph = in_ranges(cp, _tables.EXTENDED_PICTOGRAPHIC)
        folded = unicodedata2.normalize("NFKC", ch)
        if prototype.isalpha():
            letter = unicodedata2.category(ch).startswith("L") and script(ch) not in _CJK_SCRIPTS and not pictograph
            if letter and not _MATH_ALPHANUMERICS[0] <= cp <= _MATH_ALPHANUMERICS[1]:
                alone[ch] = prototype
            # U+2139 INFORMATION SOURCE is an emoji, which the normalization detector leaves alone.
            elif not letter and (pictograph or not (folded.isascii() and folded.isalpha())):
                in_word[ch] = prototype
        if prototype in _DIGIT_OF and not pictograph and not any(c.isdigit() for c in folded):
            digits[ch] = _DIGIT_OF[prototype]
    punctuation = {ch: p for ch, p in PUNCTUATION_LOOK_ALIKES.items() if ch not in JUDGED_BY_CONSISTENCY}
    return in_word, alone, digits, punctuation


_IN_WORD, _ALONE, _DIGIT_LOOK_ALIKES, _PUNCTUATION = _look_alike_classes()
_LOOK_ALIKE_RANGES = merged({ord(ch) for table in (_IN_WORD, _ALONE, _DIGIT_LOOK_ALIKES, _PUNCTUATION) for ch in table})
_LOOK_ALIKES_IN_ASCII_CONTEXT = AsciiContextFinder(_LOOK_ALIKE_RANGES)
# Letters that can only pass for a word of their own: beside a letter or digit they are part of
# a word, which `HomoglyphDetector._judge_word` judges (Turkish dotless i in "kullan\u0131c\u0131").
_ONLY_ALONE = frozenset(_ALONE).difference(_IN_WORD, _DIGIT_LOOK_ALIKES, _PUNCTUATION)


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
    triggers: ClassVar[list[tuple[int, int]]] = merged(
        {cp for low, high in [*_FOREIGN, *_LOOK_ALIKE_RANGES] for cp in range(low, high + 1)}
    )

    def find(self, text: str) -> Iterator[Finding]:
        judged_until = 0
        rewritten: set[int] = set()
        for position in _touching_runs(text):
            if position < judged_until:
                continue
            start = _word_start(text, max(judged_until, position - _WORD_REACH), position)
            if is_format_conversion(text, start):
                start += 1
            end = _WORD_REST.match(text, position, position + _WORD_REACH).end()
            judged_until = end
            for finding in self._judge_word(text, start, end):
                if _rewrites(finding):
                    rewritten.update(range(finding.start, finding.end))
                yield finding
        for index in _LOOK_ALIKES_IN_ASCII_CONTEXT.find(text):
            if index in rewritten:
                continue  # its word's verdict stands; `sanitize` rescans what the rewrite makes of it
            if text[index] in _ONLY_ALONE and (_is_ascii_alnum(text[index - 1:index]) or _is_ascii_alnum(text[index + 1:index + 2])):
                continue  # part of a word with ASCII letters, which `_judge_word` judged
            verdict = _judge_visible(text, index)
            if verdict is not None:
                kind, severity, message, replacement = verdict
                yield make_finding(self.name, kind, text, index, index + 1, severity, message, replacement=replacement)

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
        # English prose, even where the line holds no English word of its own (a heading, a list
        # item), or a generated line (a path, an environment value). Turkish sentences are often
        # plain ASCII but for U+0131 and hold such values too ("DEBUG=True ayar\u0131 ile"): there
        # only English words tell.
        generated = in_dynamic_line(text, start) and not any(word[i] == _DOTLESS_I_CHAR for i in odd)
        english = generated or _english_around(text, start, end)
        severity = Severity.MEDIUM if english and not native else Severity.LOW
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
    lead_bit = other_bit = 0
    found: list[np.ndarray] = []
    for low, high in chunks(len(text)):
        # One character of context on each side, for the neighbours at the chunk's edges.
        context_low = max(0, low - 1)
        flags = lookup(text[context_low:high + 1], _TOUCH_TABLE)
        if not lead_bit:
            if not (flags & _FOREIGN_LETTER).any():
                continue  # no foreign letter yet: the detector may run for another look-alike
            lead_bit, other_bit = _lead_and_other(text)
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


def _lead_and_other(text: str) -> tuple[int, int]:
    """The `_TOUCH_TABLE` bits of the rarer kind of letter in a sample of ``text``, and of the other."""
    turkic = _TURKIC_LETTERS.search(text) is not None
    one_foreign = _ONE_FOREIGN_BUT_DOTLESS_I if turkic else _ONE_FOREIGN
    sample = text[:_SAMPLE]
    foreign_count = len(one_foreign.for_text(sample).findall(sample))
    foreign_bit = _FOREIGN_BUT_DOTLESS_I if turkic else _FOREIGN_LETTER
    led_by_foreign = foreign_count <= len(_ASCII_LETTER.findall(sample))
    return (foreign_bit, _ASCII) if led_by_foreign else (_ASCII, foreign_bit)


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


# kind, severity, message, replacement
_Verdict = tuple[str, Severity, str, str]


def _rewrites(finding: Finding) -> bool:
    """Whether sanitize (at its default threshold) rewrites the finding's span character for character."""
    return (
        finding.severity >= Severity.MEDIUM and finding.replacement is not None
        and len(finding.replacement) == finding.end - finding.start
    )


# What sanitize deletes (format and default-ignorable characters, selectors, C0 controls): a
# verdict reads the text without them, so that deleting them changes none.
_DELETED = SplitPattern(
    "<deleted>",
    deleted=merged({
        cp for low, high in [*_tables.FORMAT, *_tables.DEFAULT_IGNORABLE, *_tables.VARIATION_SELECTOR, (0x00, 0x08), (0x0B, 0x0C), (0x0E, 0x1F)]
        for cp in range(low, high + 1)
    }),
)
_VERDICT_REACH = 120  # `in_dynamic_line` reads 80 characters each side
_EMOJI_PRESENTATION = "\N{VARIATION SELECTOR-16}"


def _judge_visible(text: str, index: int) -> _Verdict | None:
    """`_judge_look_alike` on the text around ``index`` as it reads with invisible characters gone."""
    if text[index + 1:index + 2] == _EMOJI_PRESENTATION and in_ranges(ord(text[index]), _tables.EXTENDED_PICTOGRAPHIC):
        return None  # U+2139 INFORMATION SOURCE drawn as the emoji, not as an i
    low, high = max(0, index - _VERDICT_REACH), min(len(text), index + _VERDICT_REACH + 1)
    deleted = _DELETED.for_text(text[low:high])
    if deleted.search(text, low, high) is None:
        return _judge_look_alike(text, index)
    before, after = deleted.sub("", text[low:index]), deleted.sub("", text[index + 1:high])
    return _judge_look_alike(before + text[index] + after, len(before))


def _judge_look_alike(text: str, index: int) -> _Verdict | None:
    """One look-alike in ASCII surroundings, by the place it stands in (`_look_alike_classes`)."""
    ch = text[index]
    if not _ascii_around(text, index):
        # Nothing ASCII on its line to pass for, but a word on a line of its own in ASCII text
        # (a tree entry "\u251c\u2500\u2500\u2500\u0455\u0433\u1c83/") is still read as an English word.
        if ASCII_LOOK_ALIKES.get(ch, "").isalpha() and _whole_word_of_look_alikes(text, index, across_lines=True):
            return _look_alike(text, index, "look-alike-word", ASCII_LOOK_ALIKES[ch], _SPELLED_ONLY, Severity.MEDIUM)
        return None  # a lone character, a string of its own
    before = _folded(text[index - 1]) if index > 0 else ""
    after = _folded(text[index + 1]) if index + 1 < len(text) else ""
    if ch in _IN_WORD and _is_ascii_letter(before) and _is_ascii_letter(after) and not _drawn(text, index):
        return _look_alike(text, index, "look-alike-in-word", _IN_WORD[ch], "inside an ASCII word", Severity.MEDIUM)
    alone = not before.isalnum() and not after.isalnum()
    if ch in _ALONE and alone and _passes_for_a_word(text, index):
        return _look_alike(text, index, "look-alike-word", _ALONE[ch], "as a word of its own", Severity.MEDIUM)
    if ASCII_LOOK_ALIKES.get(ch, "").isalpha() and not alone and _whole_word_of_look_alikes(text, index):
        return _look_alike(text, index, "look-alike-word", ASCII_LOOK_ALIKES[ch], _SPELLED_ONLY, Severity.MEDIUM)
    if ch in _IN_WORD and _word_boundary(before) and _word_boundary(after) and not _is_glyph_of_its_own(text, index):
        return _look_alike(text, index, "look-alike-word", _IN_WORD[ch], "as a word of its own", Severity.MEDIUM)
    if ch in _DIGIT_LOOK_ALIKES:
        number = _in_number(text, index, before, after)
        if number is not None:
            return _look_alike(text, index, "look-alike-digit", _DIGIT_LOOK_ALIKES[ch], *number)
    if ch in _PUNCTUATION and not (is_standalone_symbol(text, index) or _french_quote(text, index) or _german_quote(text, index)):
        severity, where = _punctuation_ladder(text, index)
        return "look-alike-punctuation", severity, f"{describe(ch)} passes for {_PUNCTUATION[ch]!r} {where}", _PUNCTUATION[ch]
    return None


_WORD_REACH_LOOK_ALIKES = 32
_SPELLED_ONLY = "in a word written only with look-alikes of ASCII letters"
# Scripts whose letters alone spell English words convincingly (Arabic or Hebrew letters join
# or run right to left, and do not). A word mixing look-alikes of two scripts (Cherokee and
# Cyrillic, a mathematical italic and an Armenian letter) is no word of any language.
_WHOLE_WORD_SCRIPTS = frozenset({"Cyrillic", "Greek", "Armenian"})


def _spells(ch: str) -> bool:
    """A letter, or a symbol that passes for one (U+2373 APL IOTA for i): part of a word."""
    return ch.isalpha() or ASCII_LOOK_ALIKES.get(ch, "").isalpha()


def _whole_word_of_look_alikes(text: str, index: int, across_lines: bool = False) -> bool:
    """Whether the word around ``text[index]`` is written only with letters of another script
    than Latin that pass for ASCII letters: UTS #39's whole-script confusable ("\u0441\u043e\u0501\u0435"
    for "code"), which no mixed-script test sees. Quoted beside the ASCII word it spells, it is
    being shown ("'\u0441\u043e\u0501\u0435' for 'code'"). ``across_lines``: the ASCII text around
    may be on the lines before and after (the word's own line has no other letter)."""
    start = index
    while start > max(0, index - _WORD_REACH_LOOK_ALIKES) and _spells(text[start - 1]):
        start -= 1
    end = index + 1
    while end < min(len(text), index + _WORD_REACH_LOOK_ALIKES) and _spells(text[end]):
        end += 1
    word = text[start:end]
    if len(word) < 2 or not all(ASCII_LOOK_ALIKES.get(letter, "").isalpha() for letter in word):
        return False
    scripts = {script(letter) for letter in word}
    if len(scripts) == 1 and not scripts <= _WHOLE_WORD_SCRIPTS:
        return False  # one script of its own: IPA, Cherokee, a styled (mathematical) word
    if 0 < start and end < len(text) and text[start - 1] == text[end] and text[end] in _QUOTES and _spelled_nearby(text, start, end):
        return False
    # A Serbian "\u0458\u0435\u0440" between placeholders is a word of the Serbian sentence around it.
    if across_lines:
        low, high = max(0, start - _VERDICT_REACH), min(len(text), end + _VERDICT_REACH)
        if _ASCII_ALNUM.search(text, low, start) is None and _ASCII_ALNUM.search(text, end, high) is None:
            return False
    else:
        low, high = _line_around(text, start, end)
    return not has_non_ascii_letter(text, low, start) and not has_non_ascii_letter(text, end, high)


def _line_around(text: str, start: int, end: int) -> tuple[int, int]:
    """The `_VERDICT_REACH` characters each side of ``text[start:end]`` on its line."""
    return window(text, start, _VERDICT_REACH)[0], window(text, end - 1, _VERDICT_REACH)[1]


def _spelled_nearby(text: str, start: int, end: int) -> bool:
    """Whether the ASCII word that ``text[start:end]`` spells stands on the same line, compared
    by UTS #39 skeleton (so "I" and "l" are one letter)."""
    spelled = "".join(ASCII_LOOK_ALIKES[letter] for letter in text[start:end]).translate(_tables.ASCII_SKELETON).lower()
    low, high = _line_around(text, start, end)
    line = (text[low:start] + " " + text[end:high]).translate(_tables.ASCII_SKELETON).lower()
    return re.search(rf"(?<![a-z0-9]){re.escape(spelled)}(?![a-z0-9])", line) is not None


def _drawn(text: str, index: int) -> bool:
    """Whether a symbol no script claims recurs near it on its line: the rules of a table drawn
    without padding ("\u2502Name\u2502Value\u2502"), not a letter passing for one."""
    ch = text[index]
    if unicodedata2.category(ch)[0] not in "PS" or script_extensions(ch) - {"Common", "Inherited"}:
        return False
    low, high = window(text, index, _VERDICT_REACH)
    return text.count(ch, low, high) > 1


def _german_quote(text: str, index: int) -> bool:
    """U+201A SINGLE LOW-9 QUOTATION MARK opening a German or Czech quotation ("\u201aHallo\u2018")."""
    if text[index] != "\u201a":
        return False
    _, high = window(text, index)
    return _CLOSING_SINGLE_QUOTE.search(text, index + 1, high) is not None


def _french_quote(text: str, index: int) -> bool:
    """A single guillemet that French typography's no-break space ties to its text ("\u2039\u00a0oui\u00a0\u203a")."""
    # One space alone, as the spaces detector exempts it: a run of them is no French typography.
    before = is_french_nbsp(text, index - 1) and not text[index - 2:index - 1].isspace()
    after = is_french_nbsp(text, index + 1) and not text[index + 2:index + 3].isspace()
    return before or after


def _look_alike(text: str, index: int, kind: str, replacement: str, where: str, severity: Severity) -> _Verdict:
    if in_dynamic_line(text, index):
        severity, where = Severity.HIGH, f"{where}, in a generated line (date, path or environment value)"
    return kind, severity, f"{describe(text[index])} passes for {replacement!r} {where} in ASCII text", replacement


def _folded(ch: str) -> str:
    """A neighbour as the other look-alike detectors' sanitize writes it (digits, spaces,
    full-width punctuation), so that their rewriting changes no verdict here. A letter stays
    itself: whether U+02BC is rewritten depends on the letters around it."""
    return ch if ch.isalpha() else fold_lookalikes(ch)


def _word_boundary(ch: str) -> bool:
    """A line edge, a space or ASCII punctuation: what a word of its own stands between
    (a symbol beside another, as in a box drawing, is no word)."""
    return not ch or ch.isspace() or (ch.isascii() and not ch.isalnum())


def _is_ascii_letter(ch: str) -> bool:
    return ch.isascii() and ch.isalpha()


def _is_ascii_alnum(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def _is_ascii_digit(ch: str) -> bool:
    return ch.isascii() and ch.isdigit()


_ENGLISH_REACH = 210


def _english_around(text: str, start: int, end: int) -> bool:
    """`is_english_context` on the line or across lines, with punctuation look-alikes folded
    (as sanitize writes them, so that "the\u02d0" reads "the:" before and after)."""
    low = max(0, start - _ENGLISH_REACH)
    local = fold_lookalikes(text[low:end + _ENGLISH_REACH])
    return is_english_context(local, start - low, end - low) or is_english_context(local, start - low, end - low, across_lines=True)


def _is_glyph_of_its_own(text: str, index: int) -> bool:
    """A symbol alone (`is_standalone_symbol`), or an emoji: U+2139 INFORMATION SOURCE beside
    others is the emoji, only inside a word does it pass for an i."""
    return is_standalone_symbol(text, index) or in_ranges(ord(text[index]), _tables.EXTENDED_PICTOGRAPHIC)


def _passes_for_a_word(text: str, index: int) -> bool:
    """Whether a letter standing alone is a disguised word rather than a symbol.

    A Greek letter alone is a symbol ("\u03b1 = 0.05"); a Latin letter of another orthography
    or IPA alone ("\u0192", florin) is one too, unless it passes for the English words "a" and
    "I"; in a transcription between slashes it is a sound; quoted on its own ("a Cyrillic
    `\u0430`") it is being shown, not read.
    """
    ch = text[index]
    if is_greek_symbol(ch) or is_ipa_transcription(text, index, index + 1):
        return False
    if 0 < index < len(text) - 1 and text[index - 1] == text[index + 1] and text[index - 1] in _QUOTES:
        return False
    return "Latin" not in script_extensions(ch) or _ALONE[ch] in _ONE_LETTER_WORDS


def _in_number(text: str, index: int, before: str, after: str) -> tuple[str, Severity] | None:
    """Where a look-alike of a digit stands in a number: beside an ASCII digit, one separator
    from one ("1-\u0417", "\u03ec.8.0"), or alone where a number goes ("fewer than \u13ce lines").

    Look-alikes of 0 and 1 are letters O and l first: only beside a digit, or between two
    separated digits, do they stand for one.
    """
    digit = _DIGIT_LOOK_ALIKES[text[index]]
    if _is_ascii_digit(before) or _is_ascii_digit(after):
        return "inside a number", Severity.HIGH
    if _is_ascii_letter(before) or _is_ascii_letter(after):
        # In a word it is a letter, unless the word is a hash or an identifier holding digits.
        return ("inside an identifier with digits", Severity.HIGH) if _token_holds_digits(text, index) else None
    separated_before = index >= 2 and before in _NUMBER_SEPARATORS and _is_ascii_digit(_folded(text[index - 2]))
    separated_after = after in _NUMBER_SEPARATORS and _is_ascii_digit(_folded(text[index + 2:index + 3]))
    if digit in "01":
        return ("inside a number", Severity.HIGH) if separated_before and separated_after else None
    if separated_before or separated_after:
        return "inside a number", Severity.HIGH
    if not before.isalnum() and not after.isalnum():
        return "where a number stands", Severity.MEDIUM
    return None


_ASCII_ALNUM_RUN = re.compile("[0-9A-Za-z]*")
_ASCII_ALNUM = re.compile("[0-9A-Za-z]")


def _ascii_around(text: str, index: int) -> bool:
    """Whether an ASCII letter or digit stands within reach of ``text[index]`` on its line."""
    low, high = window(text, index)
    return _ASCII_ALNUM.search(text, low, index) is not None or _ASCII_ALNUM.search(text, index + 1, high) is not None


def _token_holds_digits(text: str, index: int) -> bool:
    """Whether the ASCII letters and digits around ``text[index]`` hold a digit ("3f9c2e1")."""
    left = _ASCII_ALNUM_RUN.match(text[max(0, index - 40):index][::-1]).group()
    right = _ASCII_ALNUM_RUN.match(text, index + 1, index + 41).group()
    return any(ch.isdigit() for ch in left + right)


def _punctuation_ladder(text: str, index: int) -> tuple[Severity, str]:
    """Low in typographic prose, high in a generated line, else medium.

    The neighbourhood is ASCII, with a letter or digit to compare with (`_ascii_around`).
    """
    low, high = window(text, index)
    if is_typographic(text, low, index) or is_typographic(text, index + 1, high):
        return Severity.LOW, "in typographic prose"
    if in_dynamic_line(text, index):
        return Severity.HIGH, "in a generated line (date, path or environment value) of ASCII text"
    return Severity.MEDIUM, "in ASCII text"
