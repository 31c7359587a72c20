"""Named predicates for legitimate text that looks like a covert channel.

Each predicate answers one question about a position in a text, with explicit arguments,
and says in its docstring *why* the use is legitimate. Detectors call them by name so that
a reader sees every exemption in one place, as detect-secrets' ``filters/heuristic.py`` does.
"""

from __future__ import annotations

import re

import unicodedata2

from detectors import _tables
from detectors.neighbourhood import WordList, script_ranges, window
from detectors.unicode import char_class, in_ranges, script_extensions

_ZWJ = "\N{ZERO WIDTH JOINER}"
_ZWNJ = "\N{ZERO WIDTH NON-JOINER}"
_VS16 = "\N{VARIATION SELECTOR-16}"
_BOM = "\N{ZERO WIDTH NO-BREAK SPACE}"
_RGI_TAG_SEQUENCES = frozenset(_tables.RGI_EMOJI_TAG_SEQUENCES)

# Scripts in which ZWNJ/ZWJ control shaping between letters: the cursive joining scripts of
# ArabicShaping.txt and the Brahmic scripts with conjuncts (IndicSyllabicCategory.txt), as
# listed in The Unicode Standard, section 23.2 "Layout Controls".
SHAPING_SCRIPTS = frozenset({
    # cursive joining
    "Arabic", "Syriac", "Mongolian", "Nko", "Mandaic", "Manichaean", "Psalter_Pahlavi",
    "Hanifi_Rohingya", "Sogdian", "Old_Uyghur", "Adlam", "Phags_Pa", "Chorasmian",
    # Brahmic, with viramas and conjuncts
    "Devanagari", "Bengali", "Gurmukhi", "Gujarati", "Oriya", "Tamil", "Telugu", "Kannada",
    "Malayalam", "Sinhala", "Tibetan", "Myanmar", "Khmer", "Tai_Tham", "Balinese", "Javanese",
    "Sundanese", "Batak", "Brahmi", "Kharoshthi", "Grantha", "Newa", "Tirhuta", "Sharada",
    "Takri", "Dogra", "Chakma", "Modi", "Siddham", "Khojki", "Mahajani", "Kaithi", "Limbu",
    "Meetei_Mayek", "Saurashtra", "Lepcha", "Nandinagari", "Zanabazar_Square",
    "Soyombo", "Bhaiksuki", "Masaram_Gondi", "Gunjala_Gondi", "Kawi", "Tulu_Tigalari",
})


def _emoji_element_before(text: str, index: int) -> bool:
    """Whether an emoji element (pictograph, optional modifier or VS16) ends at ``index - 1``."""
    j = index - 1
    if j >= 0 and text[j] == _VS16:
        j -= 1
    if j >= 0 and in_ranges(ord(text[j]), _tables.EMOJI_MODIFIER):
        return True
    return j >= 0 and in_ranges(ord(text[j]), _tables.EXTENDED_PICTOGRAPHIC)


def is_emoji_zwj_sequence(text: str, index: int) -> bool:
    """Whether the ZWJ at ``text[index]`` joins two emoji elements (UTS #51 ``emoji_zwj_sequence``).

    Families, professions, rainbow and pirate flags are written as pictographs joined by
    U+200D; without it they fall apart into separate emoji. The grammar is checked rather
    than the RGI list so that newer or vendor sequences stay normal text too.

    >>> is_emoji_zwj_sequence("\\U0001F469\\u200d\\U0001F4BB", 1)
    True
    >>> is_emoji_zwj_sequence("To\\u200dday", 2)
    False
    """
    if not (0 <= index < len(text) - 1) or text[index] != _ZWJ:
        return False
    return _emoji_element_before(text, index) and in_ranges(ord(text[index + 1]), _tables.EXTENDED_PICTOGRAPHIC)


def is_flag_tag_sequence(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` is an RGI emoji tag sequence (a subdivision flag).

    England, Scotland and Wales are U+1F3F4 WAVING BLACK FLAG followed by tag letters and
    U+E007F CANCEL TAG; the tags are the flag's only encoding, so they are normal text.

    >>> is_flag_tag_sequence("\\U0001F3F4\\U000E0067\\U000E0062\\U000E0065\\U000E006E\\U000E0067\\U000E007F", 0, 7)
    True
    """
    return text[start:end] in _RGI_TAG_SEQUENCES


def _in_shaping_script(ch: str) -> bool:
    return not script_extensions(ch).isdisjoint(SHAPING_SCRIPTS)


def _is_letter_or_mark(ch: str) -> bool:
    return unicodedata2.category(ch)[0] in "LM"


_LOOK_THROUGH = 8


def _visible_neighbour(text: str, index: int, step: int) -> str:
    """The nearest character before (``step`` -1) or after (+1) ``index`` that is not format (Cf)."""
    position = index + step
    for _ in range(_LOOK_THROUGH):
        if not 0 <= position < len(text):
            return ""
        if unicodedata2.category(text[position]) != "Cf":
            return text[position]
        position += step
    return "\x00"  # a long run of format characters: treat as a control, never shaping


def is_joining_script_zwnj(text: str, index: int) -> bool:
    """Whether the ZWNJ/ZWJ at ``text[index]`` shapes letters of a joining or Indic script.

    Persian writes ``mi-khaham`` with a ZWNJ after the prefix, Hindi and Bengali use ZWJ and
    ZWNJ to pick half forms and conjuncts, Sinhala spells ``Sri`` with a ZWJ. It is legitimate
    when the letter (or mark) on one side belongs to such a script and the other side is a
    letter of the same kind or no letter at all (a space, punctuation, the end of the text).
    Neighbouring format characters (an LRM, another joiner) are looked through, so that
    deleting them cannot change the verdict; next to a control, private-use or unassigned
    code point or a braille blank a joiner shapes nothing.

    >>> is_joining_script_zwnj("\\u0645\\u06cc\\u200c\\u062e\\u0648\\u0627\\u0647\\u0645", 2)
    True
    >>> is_joining_script_zwnj("Tod\\u200cay", 3)
    False
    """
    if not (0 <= index < len(text)) or text[index] not in (_ZWJ, _ZWNJ):
        return False
    before, after = _visible_neighbour(text, index, -1), _visible_neighbour(text, index, 1)
    if any(unicodedata2.category(ch)[0] == "C" or ch == "\N{BRAILLE PATTERN BLANK}" for ch in (before, after) if ch):
        return False
    shaping_before = bool(before) and _is_letter_or_mark(before) and _in_shaping_script(before)
    shaping_after = bool(after) and _is_letter_or_mark(after) and _in_shaping_script(after)
    if shaping_before and shaping_after:
        return True
    if shaping_before:
        return not after or not _is_letter_or_mark(after)
    if shaping_after:
        return not before or not _is_letter_or_mark(before)
    return False


def is_bom_at_start(text: str, index: int) -> bool:
    """Whether ``text[index]`` is a byte order mark at the very start of the text.

    Editors on Windows save UTF-8 files with a leading U+FEFF; it marks the encoding and
    carries nothing else. Anywhere later it is a zero-width no-break space.

    >>> is_bom_at_start("\\ufeffimport os", 0), is_bom_at_start("import\\ufeff os", 6)
    (True, False)
    """
    return index == 0 and text[:1] == _BOM


# Unicode assigns bidi classes R and AL only inside these blocks (DerivedBidiClass.txt's
# defaults); scanning them with unicodedata2 at import takes about 15,000 look-ups.
_RTL_BLOCKS = ((0x0590, 0x08FF), (0xFB1D, 0xFDFF), (0xFE70, 0xFEFF), (0x10800, 0x10FFF), (0x1E800, 0x1EFFF))
# The marks themselves are strong characters, but they are what is being judged.
_DIRECTIONAL_MARKS = frozenset("\u200e\u200f\u061c")


def _rtl_ranges() -> list[tuple[int, int]]:
    ranges: list[tuple[int, int]] = []
    for low, high in _RTL_BLOCKS:
        for cp in range(low, high + 1):
            if unicodedata2.bidirectional(chr(cp)) in ("R", "AL", "AN") and chr(cp) not in _DIRECTIONAL_MARKS:
                if ranges and ranges[-1][1] == cp - 1:
                    ranges[-1] = (ranges[-1][0], cp)
                else:
                    ranges.append((cp, cp))
    return ranges


RTL_CHARACTERS = char_class(_rtl_ranges())
_RTL_CHARACTER = re.compile(f"[{RTL_CHARACTERS}]")
_RTL_CONTEXT_REACH = 64
# Context ends at a line break and at a control character (which may start an escape sequence).
_CONTEXT_BREAK = "\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029"
_CONTEXT_BEFORE = re.compile(f"[^{_CONTEXT_BREAK}]*$")
_CONTEXT_AFTER = re.compile(f"[^{_CONTEXT_BREAK}]*")


def is_rtl_context(text: str, index: int) -> bool:
    """Whether right-to-left text (Hebrew, Arabic, Syriac, Thaana, N'Ko...) is near ``index``.

    LRM, RLM and ALM fix the order of punctuation, numbers, placeholders and Latin words
    inside right-to-left paragraphs; there they are needed, even when the nearest word is a
    Latin placeholder such as ``{name}``. Looks up to 64 characters either way on the same
    line, never across a control character. Arabic-Indic digits count as RTL.

    >>> is_rtl_context("\u05e9\u05dc\u05d5\u05dd\u200f (C++)", 4)
    True
    >>> is_rtl_context("Today\u200es date", 5)
    False
    """
    before = _CONTEXT_BEFORE.search(text, max(0, index - _RTL_CONTEXT_REACH), index)
    after = _CONTEXT_AFTER.match(text, index + 1, index + 1 + _RTL_CONTEXT_REACH)
    return _RTL_CHARACTER.search(text, before.start(), after.end()) is not None


# Scripts written without spaces, whose line breaking needs a dictionary: line-break class SA
# of UAX #14. Text in them carries U+200B as an explicit word-break hint.
WORD_BREAK_HINT_SCRIPTS = frozenset({
    "Thai", "Lao", "Khmer", "Myanmar", "Tai_Le", "New_Tai_Lue", "Tai_Tham", "Tai_Viet", "Ahom",
})


_WORD_BREAK_HINT_REACH = 16
_WORD_BREAK_SCRIPT_CHARACTER = re.compile(f"[{char_class(script_ranges(WORD_BREAK_HINT_SCRIPTS))}]")


def is_word_break_hint(text: str, index: int) -> bool:
    """Whether the ZERO WIDTH SPACE at ``text[index]`` is a word-break hint in Thai, Lao, Khmer...

    These scripts put no spaces between words; editors and translators insert U+200B where a
    line may break, between words, after digits and punctuation, even beside an embedded
    Latin word. It is legitimate when such a script is written within 16 characters on the
    same line.

    >>> is_word_break_hint("\u0e20\u0e32\u0e29\u0e32\u200b\u0e44\u0e17\u0e22", 4)
    True
    >>> is_word_break_hint("Today\u200bs", 5)
    False
    """
    if not (0 <= index < len(text)) or text[index] != "\u200b":
        return False
    low, high = window(text, index, _WORD_BREAK_HINT_REACH)
    return _WORD_BREAK_SCRIPT_CHARACTER.search(text, low, high) is not None


# --- Look-alike spaces and punctuation (issue 3, channels 7, 8 and 10) ---------------------

# CJK writing: the Han, Kana, Hangul and Bopomofo scripts, plus the CJK punctuation block
# (U+3001-U+303F: ideographic comma, full stop, corner brackets) whose script is Common. U+3000 and the full-width ASCII forms are
# left out on purpose: they are the characters being judged and must not vouch for themselves.
CJK_CHARACTERS = char_class(
    script_ranges(("Han", "Hiragana", "Katakana", "Hangul", "Bopomofo")), [(0x3001, 0x303F), (0x30FC, 0x30FC)]
)
_CJK_EVIDENCE = re.compile(f"[{CJK_CHARACTERS}]")
_CJK_REACH = 12

# Where French typography puts a (narrow) no-break space: before the high punctuation and the
# closing guillemet, after the opening one (Lexique des règles typographiques, Imprimerie nationale).
_FRENCH_BEFORE = frozenset(";:!?\u00bb\u203a")
_FRENCH_AFTER = frozenset("\u00ab\u2039")
_FRENCH_SPACES = frozenset("\u00a0\u202f\u2009")
_GROUP_SEPARATORS = frozenset("\u202f\u2009\u00a0\u2008\u2007")
# Signs and unit symbols written after a number; a short list of the common SI and local ones.
_UNIT_AFTER_NUMBER = re.compile(
    r"(?:[%\u2030\u00b0\u2103\u2109$\u00a2-\u00a5\u20a0-\u20c0]"
    r"|(?:[kMGTmcn\u00b5\u03bc]?(?:m|g|s|l|L|B|b|W|V|A|Hz|Pa|J|o|t|h)|min|ha|Mio|Mrd|Md|Uhr|Std|Jh"
    r"|\u043a\u043c|\u043a\u0433|\u043c|\u0441\u043c|\u043c\u043c|\u0433|\u0440\u0443\u0431|\u043c\u043b\u043d|\u0442\u044b\u0441|\u0433\u0440\u043d)(?!\w))"
)
_OGHAM_LETTERS = (0x1681, 0x169C)


def is_cjk_context(text: str, index: int) -> bool:
    """Whether a Han, Kana, Hangul or Bopomofo character (or CJK punctuation) is near ``index``.

    Chinese, Japanese and Korean text uses U+3000 IDEOGRAPHIC SPACE and the full-width forms
    U+FF01-U+FF5E (comma, colon, parentheses, exclamation mark) as its ordinary punctuation,
    and full-width digits in dates such as "\\uff12\\uff10\\uff12\\uff16\\u5e74". Looks up to 12 characters each side on the same line.

    >>> is_cjk_context("\\u5b57\\u6bb5\\u7c7b\\u578b\\uff1a%(field_type)s", 4)
    True
    >>> is_cjk_context("Working directory\\uff1a /home/alice", 17)
    False
    """
    if not 0 <= index < len(text):
        return False
    start, end = window(text, index, _CJK_REACH)
    return _CJK_EVIDENCE.search(text, start, index) is not None or _CJK_EVIDENCE.search(text, index + 1, end) is not None


def is_french_nbsp(text: str, index: int) -> bool:
    """Whether the space at ``text[index]`` is French typography's no-break space.

    French sets a no-break (or narrow no-break) space before ``; : ! ?`` and ``»``, and after
    ``«``, so that the sign never starts a line: "Bonjour\\u00a0!", "«\\u202ftexte\\u202f»".

    >>> is_french_nbsp("Bonjour\\u00a0!", 7), is_french_nbsp("\\u00ab\\u202ftexte\\u202f\\u00bb", 1)
    (True, True)
    >>> is_french_nbsp("Hello\\u00a0world", 5)
    False
    """
    if not 0 <= index < len(text) or text[index] not in _FRENCH_SPACES:
        return False
    before = text[index - 1] if index > 0 else ""
    after = text[index + 1] if index + 1 < len(text) else ""
    if before in _FRENCH_AFTER:
        return after not in ("", " ", "\n")
    return bool(after) and after in _FRENCH_BEFORE and before != " "


def is_number_group_separator(text: str, index: int) -> bool:
    """Whether the space at ``text[index]`` separates digit groups of one number.

    SI style and French, German, Russian and many other locales group thousands with a narrow
    no-break space, a thin space or a no-break space: "1\\u202f000\\u202f000", "12\\u00a0345,67".
    A digit must precede it and exactly three digits follow before the next non-digit.

    >>> is_number_group_separator("1\\u202f000\\u202f000", 1), is_number_group_separator("1\\u202f000\\u202f000", 5)
    (True, True)
    >>> is_number_group_separator("page 1\\u00a02026", 6)
    False
    """
    if not 0 < index < len(text) - 3 or text[index] not in _GROUP_SEPARATORS:
        return False
    if not (text[index - 1].isdecimal() and text[index + 1:index + 4].isdecimal()):
        return False
    return index + 4 == len(text) or not text[index + 4].isdecimal()


def is_number_unit_space(text: str, index: int) -> bool:
    """Whether the space at ``text[index]`` ties a number to its unit, sign or currency.

    French, German and SI typography keep "10\\u00a0%", "5\\u00a0km", "20\\u202f\\u00b0C" and
    "100\\u00a0\\u20ac" on one line with a no-break space between the number and a unit of at
    most three letters, a percent or degree sign, or a currency symbol.

    >>> is_number_unit_space("10\\u00a0%", 2), is_number_unit_space("5\\u00a0km", 1)
    (True, True)
    >>> is_number_unit_space("step 5\\u00a0then", 6)
    False
    """
    if not 0 < index < len(text) - 1 or text[index] not in _GROUP_SEPARATORS:
        return False
    return text[index - 1].isdecimal() and _UNIT_AFTER_NUMBER.match(text, index + 1) is not None


def is_ogham_space(text: str, index: int) -> bool:
    """Whether U+1680 OGHAM SPACE MARK at ``text[index]`` stands next to Ogham letters.

    In Ogham inscriptions U+1680 is the word separator (a visible stem line), not a space.

    >>> is_ogham_space("\\u1681\\u1682\\u1680\\u1683", 2), is_ogham_space("a\\u1680b", 1)
    (True, False)
    """
    if not 0 <= index < len(text) or text[index] != "\u1680":
        return False
    neighbours = text[max(0, index - 1):index] + text[index + 1:index + 2]
    return any(_OGHAM_LETTERS[0] <= ord(ch) <= _OGHAM_LETTERS[1] for ch in neighbours)


# Hawaiian is written with these letters only (plus the macron vowels), so a word of them with
# a U+02BB is Hawaiian, not an English contraction. Uzbek Latin writes o' and g' with U+02BB.
_HAWAIIAN_LETTERS = frozenset("aeiouhklmnpwAEIOUHKLMNPW\u0101\u0113\u012b\u014d\u016b\u0100\u0112\u012a\u014c\u016a")


def _word_around(text: str, index: int, reach: int = 32) -> str:
    """The letters (and U+02BB) touching ``index`` on both sides, at most ``reach`` each way."""
    start = index
    while start > max(0, index - reach) and (text[start - 1].isalpha() or text[start - 1] == "\u02bb"):
        start -= 1
    end = index + 1
    while end < min(len(text), index + reach) and (text[end].isalpha() or text[end] == "\u02bb"):
        end += 1
    return text[start:end]


def is_okina(text: str, index: int) -> bool:
    """Whether U+02BB at ``text[index]`` is the Hawaiian okina or the Uzbek Latin turned comma.

    The okina is a consonant letter of Hawaiian ("Hawai\\u02bbi", "O\\u02bbahu"); Uzbek Latin
    writes o' and g' with it ("O\\u02bbzbekiston"). An English word such as "Today\\u02bbs" is
    neither: Hawaiian has no ``s``, ``t`` or ``y``, and the mark does not follow ``o`` or ``g``.

    >>> is_okina("Hawai\\u02bbi", 5), is_okina("O\\u02bbzbekiston", 1), is_okina("Today\\u02bbs", 5)
    (True, True, False)
    """
    if not 0 <= index < len(text) or text[index] != "\u02bb":
        return False
    if index > 0 and text[index - 1] in "oOgG":
        return True
    word = _word_around(text, index).replace("\u02bb", "")
    return bool(word) and all(ch in _HAWAIIAN_LETTERS for ch in word)


# --- Homoglyphs, normalization and combining marks (issue 3, channels 9, 11 and 12) ----------

# Lower-case Greek letters used as symbols in science and mathematics (alpha to omega, no omicron).
_GREEK_SYMBOLS = frozenset("\u03b1\u03b2\u03b3\u03b4\u03b5\u03b6\u03b7\u03b8\u03b9\u03ba\u03bb\u03bc\u03bd\u03be\u03c0\u03c1\u03c3\u03c4\u03c5\u03c6\u03c7\u03c8\u03c9")
_SYMBOL_SUBSCRIPT_MAX = 3
# Keycap emoji: "1\ufe0f\u20e3" (fully qualified) and "1\u20e3" (unqualified), UTS #51 ED-14c.
_KEYCAP_BASES = frozenset("0123456789#*")
_KEYCAP = "\N{COMBINING ENCLOSING KEYCAP}"


def is_greek_symbol(ch: str) -> bool:
    """Whether ``ch`` is a lower-case Greek letter that science and mathematics use as a symbol.

    Alone or before a hyphen it is that symbol ("\u03b1 = 0.05", "\u03b1-helix"), not a disguised
    Latin letter; omicron, the classic stand-in for "o", is never one.

    >>> is_greek_symbol("\u03b1"), is_greek_symbol("\u03bf"), is_greek_symbol("a")
    (True, False, False)
    """
    return ch in _GREEK_SYMBOLS


def is_standalone_symbol(text: str, index: int) -> bool:
    """Whether the symbol, punctuation or number at ``text[index]`` is a glyph of its own: one
    that no script claims (Script_Extensions Common or Inherited), standing between spaces or
    at the start of a line before a space.

    There it is what it shows, not a disguised ASCII character: a breadcrumb or test-path
    separator ("CurrencyInput \u203a rejects"), a shell prompt ("\u276f npm test"), a bullet
    ("\u2043 item"), a table's column rule ("Name \u2502 Value"), an operator ("a \u2217 b"), a
    Roman numeral. A danda or a Hebrew paseq belongs to its script's text and means nothing
    alone in ASCII text.

    >>> is_standalone_symbol("CurrencyInput \u203a rejects", 14), is_standalone_symbol("\u2043 item", 0)
    (True, True)
    >>> is_standalone_symbol("<example\u203a", 8), is_standalone_symbol("a \u05d9 b", 2), is_standalone_symbol("a \u0964 b", 2)
    (False, False, False)
    """
    if not 0 <= index < len(text) or unicodedata2.category(text[index])[0] not in "PSN":
        return False
    if script_extensions(text[index]) - {"Common", "Inherited"}:
        return False
    before = text[index - 1] if index > 0 else "\n"
    after = text[index + 1] if index + 1 < len(text) else "\n"
    return (before.isspace() and after.isspace()) or (before == "\n" and after == " ")


def is_greek_symbol_prefix(word: str, index: int) -> bool:
    """Whether the Greek letter at ``word[index]`` is a symbol prefixed to a short Latin subscript.

    Science writes Greek letters glued to a few Latin ones: "\u03c3x" (standard deviation of x),
    "\u03bbmax", "\u03bdHz". Such a prefix is one of the Greek letters used as symbols (never
    omicron, the classic stand-in for "o", nor the rarer look-alikes such as U+03F8 SHO) at
    the word's start, followed by at most three letters: "\u03bdersion" is no symbol.

    >>> is_greek_symbol_prefix("\u03c3x", 0), is_greek_symbol_prefix("\u03bbmax", 0)
    (True, True)
    >>> is_greek_symbol_prefix("\u03bfpen", 0), is_greek_symbol_prefix("\u03bdersion", 0), is_greek_symbol_prefix("p\u03b1y", 1)
    (False, False, False)
    """
    return index == 0 and 1 < len(word) <= _SYMBOL_SUBSCRIPT_MAX + 1 and word[0] in _GREEK_SYMBOLS


def is_ipa_transcription(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` is a phonetic transcription between slashes or brackets.

    Dictionaries and linguistics write pronunciations as "/\\u02c8\\u0261\\u028ad/" or "[\\u0251\\u02d0]";
    IPA letters such as U+0261 SCRIPT G and U+0251 ALPHA are the right ones there. A slash
    glued to a word or another slash on its outer side makes a path ("/home/alice/pro\\u0237ects/"),
    not a transcription.

    >>> is_ipa_transcription("say /\\u0261od/ now", 5, 8), is_ipa_transcription("a \\u0261ood day", 2, 6)
    (True, False)
    >>> is_ipa_transcription("/home/alice/pro\\u0237ects/billing", 12, 20)
    False
    """
    before = text[start - 1] if start > 0 else ""
    after = text[end] if end < len(text) else ""
    if not (before in ("/", "[") and before != "" and after in ("/", "]") and after != ""):
        return False
    outside = text[start - 2:start - 1] + text[end + 1:end + 2]
    return not any(ch.isalnum() or ch in "/_-." for ch in outside)


def is_keycap_sequence(text: str, index: int) -> bool:
    """Whether U+20E3 at ``text[index]`` completes a keycap emoji such as "1\\ufe0f\\u20e3".

    Keycaps are RGI emoji: a digit, ``#`` or ``*``, optionally VS16, then the enclosing keycap.

    >>> is_keycap_sequence("1\\ufe0f\\u20e3", 2), is_keycap_sequence("#\\u20e3", 1), is_keycap_sequence("a\\u20e3", 1)
    (True, True, False)
    """
    if not 0 < index < len(text) or text[index] != _KEYCAP:
        return False
    base = index - 1
    if text[base] == _VS16:
        base -= 1
    return base >= 0 and text[base] in _KEYCAP_BASES


_FORMAT_PLACEHOLDER_BEFORE = re.compile(r"%(?:\d+\$|\([^()\n]{0,64}\))?[-#0 +]*(?:\d+|\*)?(?:\.\d+)?$")
_FORMAT_CONVERSIONS = frozenset("diouxXeEfFgGcrsa")


def is_format_conversion(text: str, index: int) -> bool:
    """Whether the ASCII letter at ``text[index]`` ends a printf-style placeholder such as ``%(name)s``.

    Translation catalogues glue placeholders to words of any script: Armenian "%s\\u0568",
    Persian "%(model)s\\u0647\\u0627\\u06cc" (Django's .po files). The conversion letter is code, not
    a letter of the word.

    >>> is_format_conversion("%(model)s\\u0647\\u0627\\u06cc", 8), is_format_conversion("%-5.2f\\u0434", 5)
    (True, True)
    >>> is_format_conversion("pas\\u0430", 2)
    False
    """
    if not 0 < index < len(text) or text[index] not in _FORMAT_CONVERSIONS:
        return False
    return _FORMAT_PLACEHOLDER_BEFORE.search(text, max(0, index - 80), index) is not None


# Frequent English function words that are not words of German, Dutch or the Romance languages
# ("in", "was", "a" are). Turkish, Azerbaijani and Esperanto, which write U+0131 or accents in
# otherwise ASCII words, do not use them either.
_ENGLISH_WORDS = WordList(
    "the and you your are had has have of to for from with this that it be not use when if or my we at by what how please".split()
)
_ENGLISH_REACH = 200


def is_english_context(text: str, start: int, end: int, across_lines: bool = False) -> bool:
    """Whether the line around ``text[start:end]`` holds English function words ("the", "you"...).

    A dotless i or a decomposed accent is normal in a Turkish or Esperanto word ("kullan\\u0131c\\u0131",
    "a\\u016dgusto", often alone in a UI string) but has no use in an English sentence, where it can
    only be a mark. Looks up to 200 characters each side on the same line; ``across_lines``
    also over line breaks, for the headings and list items of an English document.

    >>> is_english_context("Open the f\\u0131le now", 9, 13), is_english_context("Sunucu hatas\\u0131", 7, 14)
    (True, False)
    >>> is_english_context("Read the rules.\\n# Tool usage pol\\u0131cy", 32, 37, across_lines=True)
    True
    """
    if across_lines:
        low, high = max(0, start - _ENGLISH_REACH), min(len(text), end + _ENGLISH_REACH)
    else:
        low, _ = window(text, start, _ENGLISH_REACH)
        _, high = window(text, max(start, end - 1), _ENGLISH_REACH)
    return _ENGLISH_WORDS.found_in(text, low, high)
