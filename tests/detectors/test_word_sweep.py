"""An attacker's sweep at word level: whole words of a real agent prompt spelled in look-alikes.

`test_evasion_sweep` swaps one character at a time. Someone who reads UTS #39 can spell a
whole word instead, so that no letter has a Latin neighbour to give it away: "\u0441\u043e\u0501\u0435" with
Cyrillic and Armenian letters, or a word of mathematical letters in mixed styles with another
script's digit zero for an "o". This module takes 600 words of 2 to 6 lower-case letters from
each real agent prompt in ``tests/data/prompts`` (a fixed random sample) and spells each

a. with Cyrillic look-alikes only, where every letter has one (UTS #39 whole-script confusable);
b. with any look-alike per letter, drawn at random from every code point that UTS #39 maps to
   that letter alone (mathematical alphanumerics, Greek, Cherokee, digits of other scripts...).

Each disguised word must give a medium+ finding that overlaps it, except as listed below with
the reason; the test also fails when an exception is no longer needed.
"""

from __future__ import annotations

import random
import re
from collections import defaultdict
from dataclasses import dataclass
from functools import cache

import pytest
import unicodedata2

from detectors import Severity, _tables, scan
from detectors.unicode import script
from tests.support.detector_findings import PROMPTS

WORDS_PER_PROMPT = 600
SEED = 20261125
_WORD = re.compile(r"\b[a-z]{2,6}\b")


@dataclass(frozen=True)
class Disguise:
    """``text`` with ``word`` at ``start`` spelled as ``fake``."""

    prompt: str
    start: int
    word: str
    fake: str

    def text(self, host: str) -> str:
        return host[:self.start] + self.fake + host[self.start + len(self.word):]

    def __str__(self) -> str:
        letters = ", ".join(f"U+{ord(ch):04X} {script(ch)}" for ch in self.fake)
        return f"{self.prompt}: {self.word!r} as {self.fake!r} ({letters})"


@cache
def look_alikes() -> dict[str, tuple[str, ...]]:
    """Every non-ASCII code point that UTS #39 maps to one ASCII letter, by that letter."""
    found: dict[str, list[str]] = defaultdict(list)
    for cp, prototype in sorted(_tables.CONFUSABLE_ASCII.items()):
        if len(prototype) == 1 and prototype.isalpha() and cp > 0x7F:
            found[prototype].append(chr(cp))
    return {letter: tuple(options) for letter, options in found.items()}


def disguises(cyrillic_only: bool) -> list[tuple[str, Disguise]]:
    """The sampled words of every prompt, each spelled in look-alikes where all its letters have one."""
    chosen = random.Random(SEED + cyrillic_only)
    trials = []
    for path in sorted(PROMPTS.glob("*.txt")):
        host = path.read_text(encoding="utf-8")
        words = [(m.start(), m.group()) for m in _WORD.finditer(host)]
        for start, word in chosen.sample(words, min(WORDS_PER_PROMPT, len(words))):
            options = [look_alikes().get(letter, ()) for letter in word]
            if cyrillic_only:
                options = [tuple(ch for ch in found if script(ch) == "Cyrillic") for found in options]
            if all(options):
                fake = "".join(chosen.choice(found) for found in options)
                trials.append((host, Disguise(path.name, start, word, fake)))
    return trials


def caught(host: str, disguise: Disguise) -> bool:
    end = disguise.start + len(disguise.fake)
    return any(
        f.severity >= Severity.MEDIUM and f.start < end and f.end > disguise.start for f in scan(disguise.text(host))
    )


# --- exceptions: principled, each with its reason -------------------------------------------------

def _opens_with_punctuation(disguise: Disguise) -> bool:
    """U+00A1 INVERTED EXCLAMATION MARK passes for "i" but opens a Spanish sentence ("\u00a1Hola!"):
    before a styled word it is punctuation, and one styled letter after it is a formula's variable."""
    first, letter = disguise.fake[0], disguise.fake[1:]
    return unicodedata2.category(first).startswith("P") and len(letter) == 1 and 0x1D400 <= ord(letter) <= 0x1D7FF


def _folds_to_ascii(ch: str) -> bool:
    return unicodedata2.normalize("NFKC", ch).isascii()


def _mathematical_greek_only(disguise: Disguise) -> bool:
    """No letter folds to ASCII under NFKC and none belongs to a script: mathematical Greek
    letters and letter-like symbols only ("\U0001d7ba\u213d" for "py"), which is how a formula
    writes Greek variables side by side."""
    return all(
        script(ch) == "Common" and not _folds_to_ascii(ch) for ch in disguise.fake
    )


def _quoted_beside_its_ascii_word(disguise: Disguise) -> bool:
    """Quoted, with the ASCII word it spells on the same line, the look-alike word is being
    shown, as a write-up of homoglyph attacks does ("'\u0441\u043e\u0501\u0435' for 'code'")."""
    host = (PROMPTS / disguise.prompt).read_text(encoding="utf-8")
    start, end = disguise.start, disguise.start + len(disguise.word)
    quoted = 0 < start and end < len(host) and host[start - 1] == host[end] and host[end] in "`'\""
    line_start = max(host.rfind("\n", 0, start) + 1, start - 120)
    line_end = min(host.find("\n", end) % (len(host) + 1), end + 120)
    line = host[line_start:start] + " " + host[end:line_end]
    styled = any(_folds_to_ascii(ch) for ch in disguise.fake)   # the normalization detector's own
    return quoted and not styled and re.search(rf"(?<![A-Za-z0-9]){disguise.word}(?![A-Za-z0-9])", line, re.IGNORECASE) is not None


EXCEPTIONS = {
    "opens with punctuation": _opens_with_punctuation,
    "mathematical Greek only": _mathematical_greek_only,
    "quoted beside its ASCII word": _quoted_beside_its_ascii_word,
}


@pytest.mark.parametrize("cyrillic_only", [True, False], ids=["cyrillic", "any-look-alike"])
def test_every_disguised_word_is_caught(cyrillic_only: bool) -> None:
    trials = disguises(cyrillic_only)
    assert len(trials) > 300  # the sample really spells words (most short words qualify)
    unexplained, stale = [], []
    for host, disguise in trials:
        reasons = [name for name, applies in EXCEPTIONS.items() if applies(disguise)]
        hit = caught(host, disguise)
        if not hit and not reasons:
            unexplained.append(str(disguise))
        elif hit and reasons:
            stale.append(f"{disguise} is caught now; narrow {reasons}")
    assert not unexplained, f"{len(unexplained)} of {len(trials)} missed:\n" + "\n".join(unexplained[:40])
    assert not stale, "\n".join(stale[:40])


def test_a_styled_word_of_mixed_look_alikes_is_rewritten_to_the_ascii_word() -> None:
    host = (PROMPTS / "claude_code.txt").read_text(encoding="utf-8")
    start = host.index(" this ") + 1
    fake = "\U0001d495\U0001d4f1\U0001d778\U0001d530"   # t h iota s: four mathematical styles
    text = host[:start] + fake + host[start + len("this"):]
    [finding] = [f for f in scan(text) if f.start <= start < f.end]
    assert (finding.kind, finding.severity, finding.replacement) == ("styled-word", Severity.HIGH, "this")
