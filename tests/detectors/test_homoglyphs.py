"""Homoglyph letters (channel 9): look-alike letters of another script inside a word."""

from __future__ import annotations

import re
from functools import partial

import emoji
import pytest
import unicodedata2
from hypothesis import given, settings
from hypothesis import strategies as st

from detectors import sanitize
from detectors.homoglyphs import HomoglyphDetector
from detectors.model import Severity
from detectors.neighbourhood import ASCII_LOOK_ALIKES, AsciiContextFinder, window
from tests.support.catalogues import msgstrs
from tests.support.detector_findings import alarms_of, findings_of, read_prompt

DETECTOR = HomoglyphDetector()
findings = partial(findings_of, DETECTOR)
alarms = partial(alarms_of, DETECTOR)
CLAUDE = read_prompt("claude_code.txt").splitlines()[0]
CODEX = read_prompt("codex.txt").splitlines()[0]
GEMINI = read_prompt("gemini_cli.txt").splitlines()[0]

CYRILLIC_A = "\N{CYRILLIC SMALL LETTER A}"
GREEK_OMICRON = "\N{GREEK SMALL LETTER OMICRON}"


FLAG_CASES = [
    # --- Cyrillic, Greek, Armenian, Cherokee letters inside Latin words of real agent prompts
    (CLAUDE.replace("Anthropic", "Anthrop\N{CYRILLIC SMALL LETTER BYELORUSSIAN-UKRAINIAN I}c"), True),
    (CLAUDE.replace("Anthropic", "Anthr\N{CYRILLIC SMALL LETTER O}pic"), True),
    (CLAUDE.replace("Claude Code", "Cl" + CYRILLIC_A + "ude Code"), True),
    (CLAUDE.replace("official", "\N{CYRILLIC SMALL LETTER O}fficial"), True),
    (CODEX.replace("Codex CLI", "C" + GREEK_OMICRON + "dex CLI"), True),
    (CODEX.replace("GPT-5", "G\N{GREEK CAPITAL LETTER RHO}T-5"), True),
    (GEMINI.replace("engineering", "\N{CYRILLIC SMALL LETTER IE}ngineering"), True),
    (GEMINI.replace("software", "s\N{ARMENIAN SMALL LETTER OH}ftware"), True),
    (GEMINI.replace("CLI agent", "CLI \N{CHEROKEE LETTER GO}gent"), True),
    ("curl https://\N{CYRILLIC SMALL LETTER ER}aypal.com/login", True),
    ("export API_KEY=sk-\N{CHEROKEE LETTER A}bc", True),  # CHEROKEE LETTER A looks like D
    ("git push origin m" + CYRILLIC_A + "in", True),
    ("$ node --version && npm --\N{GREEK SMALL LETTER NU}ersion", True),
    ("drwxr-xr-x  3 alice ali\N{GREEK LUNATE SIGMA SYMBOL}e 4096 Nov 20 17:45 tests", True),
    ("Este valor \N{GREEK SMALL LETTER SHO}uede contener letras.", True),
    # --- the reverse: Latin letters inside Cyrillic and Greek words
    ("\u0421\u0442\u043e\u043b\u0438\u0446\u0430 \u0420\u043e\u0441\u0441\u0438\u0438 \u2014 \u041co\u0441\u043a\u0432\u0430.", True),
    ("\u041f\u0440\u0438\u0432\u0435\u0442, \u043c\u0438\u0440! \u042d\u0442o \u0442\u0435\u0441\u0442.", True),
    ("\u039a\u03b1\u03bb\u03b7\u03bc\u03ad\u03c1\u03b1 \u03ba\u03cc\u03c3\u03bc\u03b5, \u03b1\u03c5\u03c4\u03cc \u03b5\u03af\u03bd\u03b1\u03b9 \u03ad\u03bd\u03b1 \u03c4\u03b5\u03c3\u03c4 \u03bc\u03b5 \u03bb\u03b1\u03c4\u03b9\u03bd\u03b9\u03ba\u03cc o: \u03c4\u03b5\u03c3\u03c4o.", True),
    # --- dotless i, script g, alpha inside English words of an English sentence: medium
    ("Open the f\N{LATIN SMALL LETTER DOTLESS I}le and read it.", True),
    ("Run the \N{LATIN SMALL LETTER SCRIPT G}it status command for the user.", True),
    ("You are an \N{LATIN SMALL LETTER ALPHA}ssistant for the user.", True),
    # --- genuine words in one script
    ("\u041f\u0440\u0438\u0432\u0435\u0442, \u043c\u0438\u0440! \u042d\u0442\u043e \u0442\u0435\u0441\u0442.", False),
    ("\u0414\u043e\u0431\u0440\u0438\u0439 \u0434\u0435\u043d\u044c! \u0424\u0430\u0439\u043b \u043d\u0435 \u0437\u043d\u0430\u0439\u0434\u0435\u043d\u043e.", False),
    ("\u0417\u0434\u0440\u0430\u0432\u043e \u0441\u0432\u0435\u0442\u0435, \u043e\u0432\u043e \u0458\u0435 \u0442\u0435\u0441\u0442. \u0402\u043e\u0440\u0452\u0435 \u0438 \u0409\u0438\u0459\u0430\u043d\u0430.", False),
    ("\u0421\u04d9\u043b\u0435\u043c\u0435\u0442\u0441\u0456\u0437 \u0431\u0435! \u0424\u0430\u0439\u043b \u0442\u0430\u0431\u044b\u043b\u043c\u0430\u0434\u044b.", False),
    ("\u039a\u03b1\u03bb\u03b7\u03bc\u03ad\u03c1\u03b1 \u03ba\u03cc\u03c3\u03bc\u03b5, \u03b1\u03c5\u03c4\u03cc \u03b5\u03af\u03bd\u03b1\u03b9 \u03ad\u03bd\u03b1 \u03c4\u03b5\u03c3\u03c4.", False),
    ("\u0532\u0561\u0580\u0565\u0582 \u0541\u0565\u0566, \u057d\u0561 \u0583\u0578\u0580\u0571\u0561\u0580\u056f\u0578\u0582\u0574 \u0567\u0589", False),
    ("\u10d2\u10d0\u10db\u10d0\u10e0\u10ef\u10dd\u10d1\u10d0, \u10d4\u10e1 \u10e2\u10d4\u10e1\u10e2\u10d8\u10d0.", False),
    ("Zdravo svete, ovo je test. \u0110or\u0111e i Ljiljana.", False),
    # --- CJK and Latin mixed inside one word are ordinary writing
    ("\u4f7f\u7528Python\u7f16\u7a0b\u5f88\u6709\u8da3\u3002", False),
    ("GitHub\u306e\u30ea\u30dd\u30b8\u30c8\u30ea\u3092\u30af\u30ed\u30fc\u30f3\u3057\u307e\u3059\u3002", False),
    ("React\u30b3\u30f3\u30dd\u30fc\u30cd\u30f3\u30c8\u3092\u4f5c\u6210", False),
    ("\ud55c\uad6d\uc5b4Python\ud504\ub85c\uadf8\ub798\ubc0d", False),
    # --- Turkish and Azerbaijani dotless i, IPA, Greek symbols
    ("Dosya a\u00e7\u0131lamad\u0131, l\u00fctfen tekrar deneyin.", False),
    ("Kullan\u0131c\u0131 ad\u0131", False),
    ("Bak\u0131 \u015f\u0259h\u0259ri", False),
    ("The word good is pronounced /\u0261\u028ad/ in English.", False),
    ("Compute \u03c3x and the \u03bcm scale, then \u03bbmax for the peak.", False),
    # --- printf placeholders glued to a word in real catalogues
    ("\u054d\u0565\u0572\u0574\u0565\u0584 \u0562\u0578\u056c\u0578\u0580 %s\u0568 \u0568\u0576\u057f\u0580\u0565\u056c\u0578\u0582 \u0570\u0561\u0574\u0561\u0580\u0589", False),
    ("\u0646\u0645\u0627\u06cc\u0634 %(model)s\u0647\u0627\u06cc \u0627\u0646\u062a\u062e\u0627\u0628 \u0634\u062f\u0647", False),
    # --- code and Markdown
    ("def greet(name: str) -> str:\n    return f'Hello, {name}!'\n", False),
    ("## \u0423\u0441\u0442\u0430\u043d\u043e\u0432\u043a\u0430\n\n```bash\npip install stegwatch\n```\n", False),
]


@pytest.mark.parametrize("payload, should_flag", FLAG_CASES)
def test_flags_only_look_alike_letters(payload: str, should_flag: bool) -> None:
    assert bool(alarms(payload)) is should_flag, findings(payload)


def test_cyrillic_letter_in_a_latin_word_is_high_and_names_the_letter() -> None:
    text = "p" + CYRILLIC_A + "ypal login"
    [finding] = findings(text)
    assert (finding.start, finding.end, finding.text) == (1, 2, CYRILLIC_A)
    assert finding.severity is Severity.HIGH
    assert finding.kind == "homoglyph"
    assert finding.codepoints == ["U+0430"]
    assert finding.replacement == "a"
    assert finding.message == "CYRILLIC SMALL LETTER A U+0430 looks like 'a' inside the Latin word 'p\u0430ypal'"


def test_greek_omicron_in_anthropic() -> None:
    text = CLAUDE.replace("Anthropic", "Anthr" + GREEK_OMICRON + "pic")
    [finding] = alarms(text)
    assert finding.text == GREEK_OMICRON and finding.replacement == "o"
    assert "GREEK SMALL LETTER OMICRON U+03BF looks like 'o'" in finding.message


def test_latin_letter_in_a_cyrillic_word_is_replaced_by_the_cyrillic_one() -> None:
    text = "\u0421\u0442\u043e\u043b\u0438\u0446\u0430 \u2014 \u041co\u0441\u043a\u0432\u0430."
    [finding] = findings(text)
    assert finding.text == "o" and finding.severity is Severity.HIGH
    assert finding.replacement == "\N{CYRILLIC SMALL LETTER O}"
    assert "inside the Cyrillic word" in finding.message


def test_a_whole_run_of_look_alikes_is_one_finding() -> None:
    text = "visit \N{CYRILLIC SMALL LETTER ER}\N{CYRILLIC SMALL LETTER A}\N{CYRILLIC SMALL LETTER U}pal now"
    [finding] = findings(text)
    assert finding.text == text[6:9] and finding.replacement == "pay"


def test_letter_that_looks_like_nothing_latin_is_a_low_mixed_script_word() -> None:
    [finding] = findings("Latin\u0436")
    assert finding.kind == "mixed-script-word" and finding.severity is Severity.LOW
    assert finding.replacement is None


def test_dotless_i_outside_english_context_is_low() -> None:
    assert [f.severity for f in findings("Hay\u0131r")] == [Severity.LOW]


def test_sanitize_restores_the_ascii_word_and_touches_nothing_else() -> None:
    original = CLAUDE.replace("Claude Code", "Cl" + CYRILLIC_A + "ude C" + GREEK_OMICRON + "de")
    result = sanitize(original, findings=findings(original))
    assert result.text == CLAUDE
    assert sanitize(result.text, findings=findings(result.text)).text == result.text


@pytest.mark.parametrize("text", ["", "\ud800", "p\ud800\u0430ypal", "\u0430" * 5 + "a", "a\u0430" * 1000])
def test_never_raises(text: str) -> None:
    findings(text)


def test_a_long_word_of_alternating_scripts_yields_each_letter_once() -> None:
    text = ("a" + CYRILLIC_A) * 10_000
    found = findings(text)
    assert [f.start for f in found] == list(range(1, len(text), 2))
    assert {f.replacement for f in found} == {"a"}


# --- real translations: Django's catalogues must raise nothing, except genuine homoglyphs
NEGATIVE_LANGUAGES = ("ru", "uk", "el", "sr", "sr_Latn", "vi", "hi", "th", "he", "ar", "ja", "zh_Hans", "ko", "fr", "de", "tr", "kk", "fa", "hy", "ka")
# Translators' typos: Latin letters typed inside Cyrillic words. They are real homoglyphs.
GENUINE_HOMOGLYPHS = {
    ("sr", "\u0421\u0442\u0440\u0438\u043d\u0433 (\u043d\u0435\u043e\u0433\u0440\u0430\u043d\u0438\u0447\u0435\u043do)"),
    ("be", "C\u0442\u0430\u0442\u044b\u0447\u043d\u044b\u044f \u0444\u0430\u0439\u043b\u044b"),
    ("mk", "\u0412\u043d\u0435\u0441e\u0442\u0435 \u043f\u0440\u0430\u0432\u0438\u043b\u043d\u0430 IPv4 \u0430\u0434\u0440\u0435\u0441\u0430."),
}


@pytest.mark.parametrize("language", NEGATIVE_LANGUAGES)
def test_real_translations_raise_no_alarm(language: str) -> None:
    noisy = {
        text: alarms(text) for text in msgstrs(language) if alarms(text) and (language, text) not in GENUINE_HOMOGLYPHS
    }
    assert noisy == {}


@pytest.mark.parametrize("language, text", sorted(GENUINE_HOMOGLYPHS))
def test_translators_typos_are_caught(language: str, text: str) -> None:
    assert text in msgstrs(language)
    [finding] = alarms(text)
    assert finding.severity is Severity.HIGH and finding.text.isascii()


def test_every_fully_qualified_emoji_is_quiet() -> None:
    sequences = [e for e, data in emoji.EMOJI_DATA.items() if data["status"] == emoji.STATUS["fully_qualified"]]
    assert len(sequences) > 3000
    for sequence in sequences:
        assert findings(sequence) == findings("ok" + sequence + "ok") == []


# --- every other UTS #39 look-alike of ASCII, in the real prompts' ASCII text ----------------

ENV_BLOCK = "\n".join(line for line in read_prompt("claude_code.txt").splitlines() if line.startswith(("Working", "Today")))
PROSE = next(line for line in read_prompt("claude_code.txt").splitlines() if line.startswith("When you run a non-trivial"))
TREE = read_prompt("gemini_cli.txt")


@pytest.mark.parametrize("marked, kind, replacement", [
    # a symbol or a mark inside an ASCII word
    (PROSE.replace("command", "comm\N{APL FUNCTIONAL SYMBOL ALPHA}nd", 1), "look-alike-in-word", "a"),
    (PROSE.replace("explain", "exp\N{BOX DRAWINGS LIGHT VERTICAL}ain", 1), "look-alike-in-word", "l"),
    (CLAUDE.replace("You", "Y\N{TELUGU SIGN ANUSVARA}u", 1), "look-alike-in-word", "o"),
    (CLAUDE.replace("Claude", "C\N{DEVANAGARI DANDA}aude", 1), "look-alike-in-word", "l"),
    (CLAUDE.replace("You", "Y\N{HANGUL LETTER IEUNG}u", 1), "look-alike-in-word", "o"),
    # a foreign letter as a word of its own
    (PROSE.replace(" a non-trivial", " \N{CYRILLIC SMALL LETTER A} non-trivial", 1), "look-alike-word", "a"),
    (GEMINI.replace("You are", "\N{CYRILLIC CAPITAL LETTER A} CLI agent. You are", 1), "look-alike-word", "A"),
    # a look-alike of a digit in the date, a version, a hash
    (ENV_BLOCK.replace("2026-11-24", "2\N{GREEK CAPITAL LETTER OMICRON}26-11-24"), "look-alike-digit", "0"),
    (ENV_BLOCK.replace("2026-11-24", "2026-\N{CYRILLIC LETTER PALOCHKA}1-24"), "look-alike-digit", "1"),
    (ENV_BLOCK.replace("2026-11-24", "2026-11-2\N{CHEROKEE LETTER SE}"), "look-alike-digit", "4"),
    ("Recent commits:\n\N{CYRILLIC CAPITAL LETTER ZE}f9c2e1 Round invoice totals half-even per currency", "look-alike-digit", "3"),
    # punctuation of another script
    (ENV_BLOCK.replace("Working directory:", "Working directory\N{ARMENIAN FULL STOP}"), "look-alike-punctuation", ":"),
    (CLAUDE.replace("Anthropic's", "Anthropic\N{HEBREW LETTER YOD}s"), "look-alike-punctuation", "'"),
    (ENV_BLOCK.replace("/home/alice/", "/home\N{BOX DRAWINGS LIGHT DIAGONAL UPPER RIGHT TO LOWER LEFT}alice/"), "look-alike-punctuation", "/"),
])
def test_a_look_alike_in_a_real_prompt_is_an_alarm_and_sanitize_restores_the_line(marked: str, kind: str, replacement: str) -> None:
    (alarm,) = alarms(marked)
    assert (alarm.kind, alarm.replacement) == (kind, replacement)
    if marked.startswith("Working"):  # the environment block is generated per user
        assert alarm.severity == Severity.HIGH
    assert sanitize(marked, findings=findings(marked)).text == marked[:alarm.start] + replacement + marked[alarm.end:]


def test_a_latin_look_alike_in_a_path_or_a_heading_of_an_english_prompt_is_an_alarm() -> None:
    prompt = read_prompt("claude_code.txt")
    in_path = prompt.replace("billing-service", "billing-ser\N{LATIN LETTER SMALL CAPITAL V}ice", 1)
    in_heading = prompt.replace("# Tool usage policy", "# Tool usage pol\N{LATIN SMALL LETTER DOTLESS I}cy", 1)
    assert [f.codepoints for f in alarms(in_path)] == [["U+1D20"]]
    assert [f.codepoints for f in alarms(in_heading)] == [["U+0131"]]


@pytest.mark.parametrize("text", [
    TREE,  # U+2502 BOX DRAWINGS LIGHT VERTICAL standing alone in `tree` output
    "  \N{BLACK CIRCLE} CurrencyInput \N{SINGLE RIGHT-POINTING ANGLE QUOTATION MARK} rejects more than two decimals",
    "\N{HEAVY RIGHT-POINTING ANGLE QUOTATION MARK ORNAMENT} npm test -- --watch",
    "Reject the null hypothesis when p < \N{GREEK SMALL LETTER ALPHA}, here \N{GREEK SMALL LETTER ALPHA} = 0.05.",
    "A homoglyph swaps a letter for a look-alike: a Cyrillic `\N{CYRILLIC SMALL LETTER A}` in `paypal`.",
    "See the \N{INFORMATION SOURCE}\N{VARIATION SELECTOR-16} note below.",
    "Open from 12:12\N{EN DASH}16:16, pages 10\N{EN DASH}20.",
    "Size: 1920\N{MULTIPLICATION SIGN}1080, 2\N{MULTIPLICATION SIGN} faster",
])
def test_symbols_of_their_own_in_ascii_text_are_no_alarm(text: str) -> None:
    assert alarms(text) == []


@pytest.mark.parametrize("language", ["he", "hy", "hi", "ar", "ru", "ja", "ko"])
def test_look_alikes_in_their_own_scripts_text_are_not_reported(language: str) -> None:
    """Hebrew yod (U+05D9) passes for an apostrophe, the Armenian full stop for a colon, the
    danda for an l: in their own prose they are letters and punctuation, not marks."""
    kinds = {"look-alike-in-word", "look-alike-word", "look-alike-digit", "look-alike-punctuation"}
    assert [s for s in msgstrs(language) if any(f.kind in kinds for f in findings(s))] == []


@pytest.mark.parametrize("text", [
    "Er sagte \N{SINGLE LOW-9 QUOTATION MARK}Hallo\N{LEFT SINGLE QUOTATION MARK} und ging.",  # German quotes
    "\N{BOX DRAWINGS LIGHT VERTICAL}Name\N{BOX DRAWINGS LIGHT VERTICAL}Value\N{BOX DRAWINGS LIGHT VERTICAL}",  # a table without padding
])
def test_typography_and_drawing_inside_words_is_no_alarm(text: str) -> None:
    assert alarms(text) == []


# --- the vectorised ASCII-context test agrees with the per-character definition ----------------

_CONTEXT_ALPHABET = ["a", "b", "7", " ", "\n", "\u05d9", "\u05e9", "\u2502", "\u0430", "\u0431", "\u00e9", "\u4e2d"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_CONTEXT_ALPHABET), max_size=120).map("".join))
def test_ascii_context_finder_agrees_with_the_window_definition(text: str) -> None:
    candidates = "\u05d9\u2502\u0430"
    finder = AsciiContextFinder([(ord(ch), ord(ch)) for ch in sorted(candidates)], radius=5)
    expected = []
    def ascii_context(around: str) -> bool:
        foreign = any(c.isalpha() and not c.isascii() and c not in ASCII_LOOK_ALIKES for c in around)
        return not foreign and any(c.isascii() and c.isalnum() for c in around)

    for index, ch in enumerate(text):
        low, high = window(text, index, 5)
        on_line = text[low:index] + text[index + 1:high]
        across_lines = text[max(0, index - 5):index] + text[index + 1:index + 6]
        if ch in candidates and (ascii_context(on_line) or ascii_context(across_lines)):
            expected.append(index)
    assert finder.find(text) == expected


def test_ascii_context_finder_crosses_chunk_boundaries() -> None:
    chunk = 1 << 16
    text = "a" * (chunk - 3) + "\u05e9aa\u2502" + "a" * 30 + "\u2502"
    assert AsciiContextFinder([(0x2502, 0x2502)]).find(text) == [chunk + 31]


@pytest.mark.parametrize("line, word", [
    # quoted on its own: an instruction that names a command, which must be ASCII to run
    ("- The arguments to `\N{CYRILLIC SMALL LETTER DZE}\N{CYRILLIC CAPITAL LETTER SHHA}\N{CYRILLIC SMALL LETTER ABKHASIAN CHE}\N{CYRILLIC SMALL LETTER PALOCHKA}\N{CYRILLIC SMALL LETTER PALOCHKA}` will be passed to execvp().", "shell"),
    # a tree entry: a line of its own among ASCII file names
    ("\u251c\u2500\u2500\u2500README.md\n\u251c\u2500\u2500\u2500\N{CYRILLIC SMALL LETTER DZE}\N{CYRILLIC SMALL LETTER GHE}\N{CYRILLIC SMALL LETTER ES}/\n\u2502   \u2514\u2500\u2500\u2500invoices/", "src"),
])
def test_a_look_alike_word_quoted_alone_or_on_a_line_of_its_own_is_an_alarm(line: str, word: str) -> None:
    found = alarms(line)
    assert found and {f.kind for f in found} == {"look-alike-word"}
    cleaned = sanitize(line).text
    assert re.search(rf"\b{word}\b", cleaned, re.IGNORECASE) and not any("CYRILLIC" in unicodedata2.name(ch, "") for ch in cleaned)


@pytest.mark.parametrize("word, look_alike", [
    ("code", "\N{CYRILLIC SMALL LETTER ES}\N{CYRILLIC SMALL LETTER O}\N{CYRILLIC SMALL LETTER KOMI DE}\N{CYRILLIC SMALL LETTER IE}"),
    ("you", "\N{CYRILLIC SMALL LETTER U}\N{CYRILLIC SMALL LETTER O}\N{ARMENIAN SMALL LETTER SEH}"),
])
def test_a_word_spelled_only_with_look_alikes_in_an_english_prompt_is_an_alarm(word: str, look_alike: str) -> None:
    prompt = read_prompt("claude_code.txt")
    marked = prompt.replace(word, look_alike, 1)
    at = marked.index(look_alike)
    found = [f for f in alarms(marked) if at <= f.start < at + len(look_alike)]
    assert [f.kind for f in found] == ["look-alike-word"] * len(word)
    assert sanitize(marked).text == prompt


@pytest.mark.parametrize("text", [
    # a Serbian word of look-alike letters between placeholders, in a Serbian sentence
    "Опција „future“ није доступна за „%(verbose_name_plural)s“ јер %(class_name)s.allow_future има вредност False.",
    # shown beside the word it imitates, not read
    "A whole-script look-alike such as `\N{CYRILLIC SMALL LETTER ES}\N{CYRILLIC SMALL LETTER O}\N{CYRILLIC SMALL LETTER KOMI DE}\N{CYRILLIC SMALL LETTER IE}` for `code` fools a reader.",
    "'\N{CYRILLIC SMALL LETTER ES}\N{CYRILLIC SMALL LETTER O}\N{CYRILLIC SMALL LETTER KOMI DE}\N{CYRILLIC SMALL LETTER IE}' (Cyrillic and Armenian) reads as 'Code'.",
])
def test_look_alike_words_in_their_own_text_or_quoted_are_no_alarm(text: str) -> None:
    assert alarms(text) == []


@pytest.mark.parametrize("word, look_alike", [
    # mathematical letters of three styles and a Cyrillic ghe: no ASCII letter to mix with
    ("user", "\N{MATHEMATICAL SANS-SERIF BOLD SMALL U}\N{MATHEMATICAL FRAKTUR SMALL S}"
             "\N{MATHEMATICAL ITALIC SMALL E}\N{CYRILLIC SMALL LETTER GHE}"),
    # Cherokee and Cyrillic
    ("use", "\N{MATHEMATICAL FRAKTUR SMALL U}\N{CHEROKEE SMALL LETTER DU}\N{SCRIPT SMALL E}"),
])
def test_a_word_of_look_alikes_from_several_scripts_is_an_alarm_and_sanitized_to_ascii(word: str, look_alike: str) -> None:
    prompt = read_prompt("claude_code.txt")
    marked = prompt.replace(f" {word} ", f" {look_alike} ", 1)
    assert marked != prompt and sanitize(marked).text == prompt
    at = marked.index(look_alike)
    assert any(at <= f.start < at + len(look_alike) for f in alarms(marked))
