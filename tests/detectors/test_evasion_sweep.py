"""An attacker's sweep: every single-character look-alike or invisible mark in a real agent prompt.

Someone who wants to hide one bit in an otherwise plain ASCII English prompt swaps one ASCII
character for a look-alike, or inserts one invisible character. This module tries all of them,
as that person would, in the real system prompts of ``tests/data/prompts`` (for the few ASCII
characters those never write in a fitting place: real shell output, then Django's English UI
strings, then real source code):

a. every code point that UTS #39 confusables (the data `scripts/gen_tables.py` reads, from
   glyphguard) maps to one printable ASCII character, put in place of that character and of
   the ASCII characters UTS #39 itself folds onto it (0 for O; 1, I and | for l; ` for '):
   inside a word, as the one-letter words a, A and I, in a number (the date, a version, a
   hash), as punctuation, between words; each in a generated line (date, path, environment
   value) and in a plain one;
b. every Default_Ignorable_Code_Point, every Cf, Zs, Zl, Zp and Cc character (but TAB, LF, CR
   and the ASCII space) and every variation selector, inserted inside a word, between words,
   inside the path, inside the date and between the words of a generated line.

Each must give a medium+ finding that overlaps it. What does not is either fixed in the owning
detector or listed below as an exception, with the reason and, where possible, computed from
Unicode data; the tests compare the misses with the exceptions both ways, so an exception that
starts being detected fails too and must be removed. The code points come from Unicode data
(unicodedata2, the generated tables, the confusables), never from hand-typed lists.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import unicodedata2
from glyphguard._data import ucd as glyphguard_ucd

from detectors import Severity, _tables, scan
from detectors.context import is_dynamic_line
from detectors.exemptions import is_english_context
from detectors.neighbourhood import TYPOGRAPHIC_RANGE_DASH
from detectors.punctuation import MODIFIER_APOSTROPHES, TYPOGRAPHIC_QUOTES
from detectors.unicode import in_ranges, script, script_extensions
from tests.support.detector_findings import PROMPTS

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # scripts/ is a plain folder beside the packages
    sys.path.insert(0, str(ROOT))

from scripts.eval_corpus import code_paragraphs, english_paragraphs  # noqa: E402

SHELL = ROOT / "tests" / "data" / "shell"
PRINTABLE_ASCII = [chr(cp) for cp in range(0x20, 0x7F)]


# --- the real text marks go into ----------------------------------------------------------------

@cache
def hosts() -> tuple[str, ...]:
    """The agent prompts first, then shell output: real text whose lines an agent sends."""
    prompts = sorted(PROMPTS.glob("*.txt"))
    shell = sorted(SHELL.glob("*.txt"))
    return tuple(path.read_text(encoding="utf-8") for path in [*prompts, *shell])


@dataclass(frozen=True)
class Site:
    """Where a mark goes: ``text[index]`` is replaced (part a) or the mark goes before it (part b)."""

    where: str
    text: str
    index: int

    def context(self) -> str:
        return self.text[max(0, self.index - 12):self.index + 12].replace("\n", "\\n")


def _is_ascii_letter(ch: str) -> bool:
    return ch.isascii() and ch.isalpha()


def _is_ascii_alnum(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def _fits(text: str, index: int, ch: str, where: str) -> bool:
    """Whether ``text[index]`` (which is ``ch``) is a realistic place of kind ``where`` for a swap."""
    before, after = text[index - 1:index], text[index + 1:index + 2]
    if where == "inside a word":
        return _is_ascii_letter(before) and _is_ascii_letter(after)
    if where == "one-letter word":
        return not before.isalnum() and not after.isalnum() and before not in ("'", "-") and after != "-"
    if ch.isdigit():  # a digit of a number
        return _is_ascii_alnum(before) or _is_ascii_alnum(after)
    if ch == " ":  # between two words
        return _is_ascii_alnum(before) and _is_ascii_alnum(after)
    return _is_ascii_alnum(before) or _is_ascii_alnum(after)  # punctuation attached to a word


def _first_site(ch: str, where: str, dynamic: bool) -> Site | None:
    for text in hosts():
        for match in re.finditer(re.escape(ch), text):
            index = match.start()
            if _fits(text, index, ch, where) and is_dynamic_line(text, index) == dynamic:
                label = f"{where} in a {'generated' if dynamic else 'plain'} line"
                return Site(label, text, index)
    return None


@cache
def fallback_hosts() -> tuple[tuple[str, str], ...]:
    """For the few ASCII characters the hosts never write in a fitting place: Django's English
    UI strings, then real source code (the evaluation's), the ASCII ones only."""
    english = (("an English UI string", text) for text in english_paragraphs() if text.isascii())
    code = (("source code", text) for text in code_paragraphs() if text.isascii())
    return (*english, *code)


@cache
def substitution_sites(ch: str) -> tuple[Site, ...]:
    """The first fitting occurrence of ``ch`` in a generated line (date, path, environment value)
    and in a plain line of the hosts, else in the fallback hosts."""
    where = "inside a word" if ch.isalpha() else "in a number" if ch.isdigit() else "between words" if ch == " " else "punctuation"
    kinds = [where, "one-letter word"] if ch in ("a", "A", "I") else [where]
    found = [site for kind in kinds for dynamic in (True, False) if (site := _first_site(ch, kind, dynamic))]
    if found:
        return tuple(found)
    for label, text in fallback_hosts():
        index = next((m.start() for m in re.finditer(re.escape(ch), text) if _fits(text, m.start(), ch, where)), -1)
        if index >= 0:
            return (Site(f"{where} in {label}", text, index),)
    return ()


def _claude_code() -> str:
    return (PROMPTS / "claude_code.txt").read_text(encoding="utf-8")


def _in_paragraph(where: str, text: str, index: int) -> Site:
    """A site in the paragraph (between blank lines) of ``text`` that holds ``text[index]``:
    invisible characters are judged by what is near them, and part b tries 4,000 of them."""
    start = text.rfind("\n\n", 0, index) + 2 if "\n\n" in text[:index] else 0
    end = text.find("\n\n", index)
    end = len(text) if end < 0 else end
    return Site(where, text[start:end], index - start)


@cache
def insertion_sites() -> tuple[Site, ...]:
    """Part b: the mark goes *before* ``text[index]``, in a paragraph of the Claude Code prompt."""
    text = _claude_code()
    prose = text.index("When you run a non-trivial bash command")
    return (
        _in_paragraph("inside a word", text, text.index("command", prose) + 4),  # comm|and
        _in_paragraph("between words", text, text.index("bash command", prose) + 4),  # bash| command
        _in_paragraph("inside a word of the path", text, text.index("/home/alice") + 8),  # /home/al|ice
        _in_paragraph("inside the date", text, text.index("2026-11-24") + 2),  # 20|26-11-24
        _in_paragraph("between words of a generated line", text, text.index("Today's date") + 7),  # Today's| date
    )


# --- candidates, from Unicode data ------------------------------------------------------------

@cache
def confusable_prototypes() -> dict[int, str]:
    """Non-ASCII code point -> the one printable ASCII character UTS #39 says it looks like."""
    found = {}
    for cp, prototype in zip(glyphguard_ucd.CONFUSABLE_SOURCES, glyphguard_ucd.CONFUSABLE_TARGETS, strict=True):
        if cp >= 0x80 and len(prototype) == 1 and 0x20 <= prototype[0] < 0x7F:
            found[cp] = chr(prototype[0])
    return found


@cache
def ascii_skeleton() -> dict[str, str]:
    """Printable ASCII character -> its own UTS #39 prototype (0 is O; 1, I and | are l; ` is ')."""
    skeleton = {ch: ch for ch in PRINTABLE_ASCII}
    for cp, prototype in zip(glyphguard_ucd.CONFUSABLE_SOURCES, glyphguard_ucd.CONFUSABLE_TARGETS, strict=True):
        if cp < 0x80 and len(prototype) == 1 and prototype[0] < 0x80:
            skeleton[chr(cp)] = chr(prototype[0])
    return skeleton


def _code_points(ranges: tuple[tuple[int, int], ...]) -> set[int]:
    return {cp for low, high in ranges for cp in range(low, high + 1)}


@cache
def invisible_candidates() -> tuple[int, ...]:
    """Default ignorables, Cf, Zs, Zl, Zp, Cc (but TAB, LF, CR, U+0020) and variation selectors."""
    separators = {cp for cp in range(0x110000) if unicodedata2.category(chr(cp)) in ("Zl", "Zp")}
    found = (
        _code_points(_tables.DEFAULT_IGNORABLE) | _code_points(_tables.FORMAT) | _code_points(_tables.SPACE_SEPARATOR)
        | _code_points(_tables.CONTROL) | _code_points(_tables.VARIATION_SELECTOR) | separators
    )
    return tuple(sorted(found - {0x09, 0x0A, 0x0D, 0x20}))


# --- the sweep ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Trial:
    """One mark: ``code_point`` in place of ``replaced`` (part a) or inserted (part b) at ``site``."""

    code_point: int
    replaced: str | None
    site: Site

    def marked(self) -> str:
        text, index = self.site.text, self.site.index
        return text[:index] + chr(self.code_point) + text[index + (self.replaced is not None):]

    def __str__(self) -> str:
        what = f"for {self.replaced!r} " if self.replaced is not None else ""
        return f"U+{self.code_point:04X} {unicodedata2.name(chr(self.code_point), '?')} {what}{self.site.where}: {self.site.context()!r}"


def substitution_trials() -> Iterator[Trial]:
    skeleton = ascii_skeleton()
    for cp, prototype in sorted(confusable_prototypes().items()):
        for ch in PRINTABLE_ASCII:
            if skeleton[ch] == prototype:
                yield from (Trial(cp, ch, site) for site in substitution_sites(ch))


def insertion_trials() -> Iterator[Trial]:
    for cp in invisible_candidates():
        yield from (Trial(cp, None, site) for site in insertion_sites())


def caught(trial: Trial) -> bool:
    """Whether a medium+ finding overlaps the mark."""
    index = trial.site.index
    return any(f.severity >= Severity.MEDIUM and f.start <= index < max(f.end, f.start + 1) for f in scan(trial.marked()))


Exceptions = dict[str, Callable[[Trial], bool]]


def sweep(trials: Iterator[Trial], exceptions: Exceptions) -> tuple[list[str], list[str], set[str]]:
    """The misses no exception explains, the exceptions that no longer miss, the exceptions used."""
    unexplained: list[str] = []
    stale: list[str] = []
    used: set[str] = set()
    for trial in trials:
        reasons = [name for name, applies in exceptions.items() if applies(trial)]
        used.update(reasons)
        hit = caught(trial)
        if not hit and not reasons:
            unexplained.append(str(trial))
        elif hit and reasons:
            stale.append(f"{trial} is caught now; narrow {reasons}")
    return unexplained, stale, used


# --- exceptions: principled, each with its reason -------------------------------------------------

def _category(cp: int) -> str:
    return unicodedata2.category(chr(cp))


def _alone(trial: Trial) -> bool:
    return trial.site.where.startswith("one-letter word")


def _between_ascii_letters(trial: Trial) -> bool:
    text, index = trial.site.text, trial.site.index
    return _is_ascii_letter(text[index - 1]) and _is_ascii_letter(text[index + 1:index + 2])


def _en_dash(trial: Trial) -> bool:
    """Typeset prose and CLDR's interval formats ("12:12\u201316:16") write ranges with the en
    dash: too ordinary to alarm, in generated lines least of all."""
    return trial.code_point == ord(TYPOGRAPHIC_RANGE_DASH)


def _emoji_for_punctuation(trial: Trial) -> bool:
    """U+2795/U+2796 HEAVY PLUS/MINUS SIGN are emoji, drawn as colour pictographs, not as + and -."""
    return in_ranges(trial.code_point, _tables.EXTENDED_PICTOGRAPHIC) and not trial.replaced.isalnum()


def _curly_apostrophe_in_prose(trial: Trial) -> bool:
    """One curly apostrophe among ASCII ones is autocorrect typography: low in prose, medium only
    in a generated line (the punctuation detector's consistency rule)."""
    return chr(trial.code_point) in TYPOGRAPHIC_QUOTES and trial.replaced == "'" and "plain line" in trial.site.where


def _apostrophe_for_a_backtick(trial: Trial) -> bool:
    """UTS #39 folds ` onto '; an apostrophe look-alike in place of a backtick opening a code span
    reads as an apostrophe opening a word ('tis, 'em), which the consistency rules leave low."""
    return trial.replaced == "`" and chr(trial.code_point) in TYPOGRAPHIC_QUOTES + MODIFIER_APOSTROPHES


def _symbol_or_numeral_alone(trial: Trial) -> bool:
    """A symbol, punctuation or number no script claims, standing alone, is a glyph of its own:
    a table's column rule (U+2502), a divider (U+2223), a tally mark; so is a Roman numeral
    (U+2160, a number NFKC spells with ASCII letters), which the normalization detector judges.
    Decimal and full-width digits are the digit and punctuation detectors' (and caught)."""
    cp, category = trial.code_point, _category(trial.code_point)
    if not _alone(trial) or category == "Nd" or in_ranges(cp, _tables.FULLWIDTH_ASCII):
        return False
    unclaimed = category[0] in "PSN" and script_extensions(chr(cp)) <= {"Common", "Inherited"}
    roman_numeral = category[0] == "N" and unicodedata2.normalize("NFKC", chr(cp)).isascii()
    return unclaimed or roman_numeral


def _greek_or_mathematical_letter_alone(trial: Trial) -> bool:
    """A Greek small letter alone is a symbol of science ("\u03b1 = 0.05"), a mathematical letter
    alone a formula variable ("\U0001d44e > 0")."""
    cp, category = trial.code_point, _category(trial.code_point)
    greek = category == "Ll" and script(chr(cp)) == "Greek"
    mathematical = category[0] == "L" and 0x1D400 <= cp <= 0x1D7FF
    return _alone(trial) and (greek or mathematical)


def _latin_letter_where_nothing_is_english(trial: Trial) -> bool:
    """Latin-script (and mathematical) look-alike letters are letters of other orthographies
    (Turkish, African languages, IPA): in a word of a plain line with no English word within 200
    characters (shell output, source code) they stay low, as the homoglyph detector has always
    judged them; in English text or a generated line they are alarms."""
    cp, index = trial.code_point, trial.site.index
    return (
        _category(cp)[0] == "L" and script_extensions(chr(cp)) <= {"Latin", "Common"}
        and not unicodedata2.normalize("NFKC", chr(cp)).isascii()
        and _between_ascii_letters(trial) and "generated" not in trial.site.where
        and not is_english_context(trial.site.text, index, index + 1, across_lines=True)
    )


SUBSTITUTION_EXCEPTIONS: Exceptions = {
    "en dash": _en_dash,
    "emoji for punctuation": _emoji_for_punctuation,
    "curly apostrophe in prose": _curly_apostrophe_in_prose,
    "apostrophe for a backtick": _apostrophe_for_a_backtick,
    "symbol or numeral standing alone": _symbol_or_numeral_alone,
    "Greek or mathematical letter standing alone": _greek_or_mathematical_letter_alone,
    "Latin-script letter where nothing is English": _latin_letter_where_nothing_is_english,
}

def _no_break_space_beside_a_space(trial: Trial) -> bool:
    """Browsers and HTML editors write a run of spaces as U+00A0 and U+0020 in turn (&nbsp;): low."""
    return trial.code_point == 0x00A0 and trial.site.where == "between words"


INSERTION_EXCEPTIONS: Exceptions = {"no-break space beside a space": _no_break_space_beside_a_space}


# --- the tests ------------------------------------------------------------------------------------

def test_every_site_exists_in_real_text() -> None:
    assert [ch for ch in PRINTABLE_ASCII if not substitution_sites(ch)] == []
    assert all(site.text[site.index - 1].isalnum() for site in insertion_sites())


def test_the_sweep_covers_every_candidate() -> None:
    assert len(confusable_prototypes()) > 1800
    assert len(invisible_candidates()) > 4000
    swept = {trial.code_point for trial in substitution_trials()}
    assert swept == set(confusable_prototypes())


def test_a_mark_is_found_by_scan() -> None:
    """The sweep can fail: a plain ASCII swap is no look-alike, a look-alike is found."""
    site = substitution_sites("o")[0]
    assert not caught(Trial(ord("0"), "o", site))
    assert caught(Trial(0x043E, "o", site))


def test_every_look_alike_substitution_is_caught() -> None:
    unexplained, stale, used = sweep(substitution_trials(), SUBSTITUTION_EXCEPTIONS)
    assert unexplained == []
    assert stale == []
    assert used == set(SUBSTITUTION_EXCEPTIONS)


def test_every_invisible_insertion_is_caught() -> None:
    unexplained, stale, used = sweep(insertion_trials(), INSERTION_EXCEPTIONS)
    assert unexplained == []
    assert stale == []
    assert used == set(INSERTION_EXCEPTIONS)
