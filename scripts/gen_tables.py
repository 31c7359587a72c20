"""Generate ``detectors/_tables.py`` from pinned Unicode data packages.

Sources (all read from installed, version-pinned packages; nothing is downloaded):

- ``unicodedata2``: General_Category, decomposition and combining class of every code point,
  at the newest Unicode version (the interpreter's own ``unicodedata`` lags behind).
- ``glyphguard``: its wheel vendors generated UCD tables (Scripts, ScriptExtensions,
  PropList, DerivedCoreProperties, emoji-data, StandardizedVariants,
  emoji-variation-sequences, UTS #39 confusables) with the SHA-256 of each source file.
- ``emoji``: the RGI emoji sequences of UTS #51 with their qualification status.

Run ``python scripts/gen_tables.py`` after upgrading one of them; ``tests/detectors/test_tables.py``
fails while the committed file is out of date.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import inspect
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

import emoji
import unicodedata2
from glyphguard._data import ucd as glyphguard_ucd

OUTPUT = Path(__file__).resolve().parent.parent / "detectors" / "_tables.py"
MAX_CODE_POINT = 0x10FFFF

Ranges = list[tuple[int, int]]


def ranges_where(predicate: Callable[[int], bool]) -> Ranges:
    """Inclusive ranges of the code points for which ``predicate`` holds."""
    ranges: Ranges = []
    start = None
    for cp in range(MAX_CODE_POINT + 2):
        inside = cp <= MAX_CODE_POINT and predicate(cp)
        if inside and start is None:
            start = cp
        elif not inside and start is not None:
            ranges.append((start, cp - 1))
            start = None
    return ranges


def ranges_from_boundaries(boundaries: Iterable[int]) -> Ranges:
    """glyphguard stores binary properties as [start, end) boundary pairs."""
    items = list(boundaries)
    return [(items[k], items[k + 1] - 1) for k in range(0, len(items), 2)]


def category(cp: int) -> str:
    return unicodedata2.category(chr(cp))


def is_noncharacter(cp: int) -> bool:
    return 0xFDD0 <= cp <= 0xFDEF or (cp & 0xFFFE) == 0xFFFE


COMPATIBILITY_TAGS = ("<compat>", "<font>", "<wide>", "<narrow>", "<circle>", "<super>", "<sub>", "<square>", "<fraction>", "<small>", "<vertical>")


def compatibility_tag(cp: int) -> str:
    decomposition = unicodedata2.decomposition(chr(cp))
    return decomposition.split(" ", 1)[0] if decomposition.startswith("<") else ""


PRESENTATION_FORM_TAGS = ("<initial>", "<medial>", "<final>", "<isolated>")


def nfc_unstable() -> set[int]:
    """Code points that NFC may change or merge with a neighbour: the complement of the
    stable starters. That is a non-zero combining class, a character NFC changes on its own
    (singletons, exclusions), or the second half of a canonical composition (incl. Hangul V/T)."""
    second_halves = set()
    for cp in range(MAX_CODE_POINT + 1):
        decomposition = unicodedata2.decomposition(chr(cp))
        if decomposition and not decomposition.startswith("<"):
            parts = decomposition.split()
            if len(parts) == 2:
                second_halves.add(int(parts[1], 16))
    for cp in range(0x1100, 0x1200):
        if len(unicodedata2.normalize("NFC", "\u1100" + chr(cp))) == 1 or len(unicodedata2.normalize("NFC", "\uac00" + chr(cp))) == 1:
            second_halves.add(cp)
    return {
        cp for cp in range(MAX_CODE_POINT + 1)
        if cp in second_halves or unicodedata2.combining(chr(cp)) or unicodedata2.normalize("NFC", chr(cp)) != chr(cp)
    }


def ascii_prototype(cp: int, prototype: tuple[int, ...]) -> str | None:
    """The UTS #39 prototype of ``cp`` when it is printable ASCII and differs from ``cp``."""
    if cp < 0x80 or not all(0x21 <= p < 0x7F for p in prototype):
        return None
    return "".join(map(chr, prototype))


def build_tables() -> dict[str, object]:
    """Every table, in the order it is written out."""
    t = glyphguard_ucd
    confusable_ascii = {}
    ascii_skeleton = {}
    for cp, target in zip(t.CONFUSABLE_SOURCES, t.CONFUSABLE_TARGETS, strict=True):
        proto = ascii_prototype(cp, target)
        if proto is not None:
            confusable_ascii[cp] = proto
        elif 0x21 <= cp < 0x7F and len(target) == 1 and 0x21 <= target[0] < 0x7F:
            ascii_skeleton[cp] = chr(target[0])
    zwj_sequences = sorted(
        seq for seq, data in emoji.EMOJI_DATA.items() if "\u200d" in seq and data["status"] == emoji.STATUS["fully_qualified"]
    )
    tag_sequences = sorted(seq for seq in emoji.EMOJI_DATA if "\U000e007f" in seq)
    return {
        # General categories from unicodedata2.
        "UNASSIGNED": ranges_where(lambda cp: category(cp) == "Cn" and not is_noncharacter(cp)),
        "NONCHARACTER": ranges_where(is_noncharacter),
        "PRIVATE_USE": ranges_where(lambda cp: category(cp) == "Co"),
        "SURROGATE": ranges_where(lambda cp: category(cp) == "Cs"),
        "CONTROL": ranges_where(lambda cp: category(cp) == "Cc"),
        "FORMAT": ranges_where(lambda cp: category(cp) == "Cf"),
        "SPACE_SEPARATOR": ranges_where(lambda cp: category(cp) == "Zs"),
        "NONSPACING_MARK": ranges_where(lambda cp: category(cp) == "Mn"),
        "ENCLOSING_MARK": ranges_where(lambda cp: category(cp) == "Me"),
        "SPACING_MARK": ranges_where(lambda cp: category(cp) == "Mc"),
        "LETTER": ranges_where(lambda cp: category(cp)[0] == "L"),
        "NON_ASCII_DECIMAL_DIGIT": ranges_where(lambda cp: cp > 0x7F and category(cp) == "Nd"),
        "OVERLAY_MARK": ranges_where(lambda cp: unicodedata2.combining(chr(cp)) == 1),
        # Characters whose decomposition is a compatibility one (NFKC changes them).
        "COMPATIBILITY": ranges_where(lambda cp: compatibility_tag(cp) in COMPATIBILITY_TAGS),
        "FULLWIDTH_ASCII": ranges_where(lambda cp: compatibility_tag(cp) == "<wide>" and 0xFF01 <= cp <= 0xFF5E),
        # Arabic presentation forms (positional compatibility decompositions, not in COMPATIBILITY).
        "PRESENTATION_FORM": ranges_where(lambda cp: compatibility_tag(cp) in PRESENTATION_FORM_TAGS),
        # Code points around which NFC can change the text (see nfc_unstable()).
        "NFC_UNSTABLE": ranges_where(nfc_unstable().__contains__),
        # Properties vendored by glyphguard.
        "DEFAULT_IGNORABLE": ranges_from_boundaries(t.DEFAULT_IGNORABLE),
        "BIDI_CONTROL": ranges_from_boundaries(t.BIDI_CONTROL),
        "JOIN_CONTROL": ranges_from_boundaries(t.JOIN_CONTROL),
        "VARIATION_SELECTOR": ranges_from_boundaries(t.VARIATION_SELECTOR),
        "WHITE_SPACE": ranges_from_boundaries(t.WHITE_SPACE),
        "EXTENDED_PICTOGRAPHIC": ranges_from_boundaries(t.EXTENDED_PICTOGRAPHIC),
        "EMOJI_MODIFIER": ranges_from_boundaries(t.EMOJI_MODIFIER),
        "EMOJI_COMPONENT": ranges_from_boundaries(t.EMOJI_COMPONENT),
        # (base << 21) | selector for every sequence in StandardizedVariants.txt and
        # emoji-variation-sequences.txt.
        "VARIATION_SEQUENCES": sorted(t.VARIATION_SEQUENCES),
        # Scripts and Script_Extensions as bisect tables (see detectors/unicode.py).
        "SCRIPT_NAMES": list(t.SCRIPT_NAMES),
        "SCRIPT_STARTS": list(t.SCRIPT_STARTS),
        "SCRIPT_VALUES": list(t.SCRIPT_VALUES),
        "SCRIPT_EXTENSION_SETS": [list(s) for s in t.SCRIPT_EXTENSION_SETS],
        "SCRIPT_EXTENSION_STARTS": list(t.SCRIPT_EXTENSION_STARTS),
        "SCRIPT_EXTENSION_VALUES": list(t.SCRIPT_EXTENSION_VALUES),
        # UTS #39 confusables whose prototype is printable ASCII: code point -> prototype.
        "CONFUSABLE_ASCII": confusable_ascii,
        # The printable ASCII characters UTS #39 itself folds onto another one (0 -> O, 1 -> l):
        # a look-alike of that prototype passes for either.
        "ASCII_SKELETON": ascii_skeleton,
        # UTS #51 RGI sequences from the emoji package.
        "RGI_EMOJI_ZWJ_SEQUENCES": zwj_sequences,
        "RGI_EMOJI_TAG_SEQUENCES": tag_sequences,
    }


def sha256_of_file(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def sources() -> dict[str, str]:
    """Source name -> "version sha256" for the header and ``SOURCES``."""
    found = {
        "unicodedata2": f"{importlib.metadata.version('unicodedata2')} unicode={unicodedata2.unidata_version}",
        "glyphguard": f"{importlib.metadata.version('glyphguard')} file-sha256={sha256_of_file(inspect.getfile(glyphguard_ucd))}",
        "emoji": f"{importlib.metadata.version('emoji')} file-sha256={sha256_of_file(inspect.getfile(emoji.unicode_codes))}",
    }
    for name, digest in sorted(glyphguard_ucd.SOURCE_SHA256.items()):
        found[f"UCD {glyphguard_ucd.UNICODE_VERSION} {name}"] = f"sha256={digest}"
    return found


def render_value(value: object) -> str:
    if isinstance(value, dict):
        body = ",".join(f"{k!r}:{v!r}" for k, v in value.items())
        return "{" + body + "}"
    if isinstance(value, list) and value and isinstance(value[0], tuple):
        return "(" + ",".join(f"({a},{b})" for a, b in value) + ",)"
    if isinstance(value, list) and value and isinstance(value[0], str):
        # ascii() keeps invisible characters out of our own source file.
        return "(" + ",".join(ascii(v) for v in value) + ",)"
    if isinstance(value, list) and value and isinstance(value[0], list):
        return "(" + ",".join("(" + ",".join(map(str, v)) + ",)" for v in value) + ",)"
    if isinstance(value, list):
        return "(" + ",".join(map(str, value)) + ",)"
    return repr(value)


def render() -> str:
    if unicodedata2.unidata_version != glyphguard_ucd.UNICODE_VERSION:
        raise SystemExit(
            f"unicodedata2 has Unicode {unicodedata2.unidata_version} but glyphguard has "
            f"{glyphguard_ucd.UNICODE_VERSION}; pin versions that agree"
        )
    source_lines = [f"#   {name}: {info}" for name, info in sources().items()]
    lines = [
        "# Generated by scripts/gen_tables.py -- do not edit.",
        f"# Unicode {unicodedata2.unidata_version}. Sources:",
        *source_lines,
        "# Unicode data is covered by the Unicode License v3.",
        "# fmt: off",
        "# ruff: noqa: E501",
        "",
        f"UNICODE_VERSION = {unicodedata2.unidata_version!r}",
        f"SOURCES = {sources()!r}",
        "",
    ]
    for name, value in build_tables().items():
        lines.append(f"{name} = {render_value(value)}")
    return "\n".join(lines) + "\n"


def main() -> int:
    text = render()
    if "--check" in sys.argv:
        current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else ""
        if current != text:
            print(f"{OUTPUT} is out of date; run python scripts/gen_tables.py", file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUTPUT} ({len(text)} bytes, Unicode {unicodedata2.unidata_version})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
