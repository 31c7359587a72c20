"""Look-alike spaces (channel 8): medium in ASCII text, normal typography elsewhere."""

from __future__ import annotations

from functools import partial

import pytest

from detectors import sanitize
from detectors.model import Severity
from detectors.spaces import LookalikeSpaceDetector
from tests.support.catalogues import LANGUAGES, msgstrs
from tests.support.detector_findings import alarms_of, findings_of, prompt_with_marked_line

DETECTOR = LookalikeSpaceDetector()
findings = partial(findings_of, DETECTOR)
alarms = partial(alarms_of, DETECTOR)
NBSP = "\N{NO-BREAK SPACE}"
NNBSP = "\N{NARROW NO-BREAK SPACE}"
THIN = "\N{THIN SPACE}"
IDEOGRAPHIC = "\N{IDEOGRAPHIC SPACE}"


FLAG_CASES = [
    # --- a space swapped in ASCII agent text
    (f"Today's date is{NBSP}2026-11-24.", True),
    (f"Working directory:{NBSP}/home/alice/proj", True),
    (f"Is directory a git{NBSP}repo: Yes", True),
    (f"You are an interactive CLI tool that helps users{NNBSP}with software engineering tasks.", True),
    (f"Use the instructions below and the tools{THIN}available to you.", True),
    ("Run the tests\u2003before you commit.", True),
    ("Prefer rg over grep\u205fbecause it is faster.", True),
    (f"Never commit{IDEOGRAPHIC}changes unless the user asks.", True),
    ("Never commit\u1680changes unless the user asks.", True),
    ("Por favor\u00a0corrija os erros abaixo.", True),
    ("%(size)d\u2004bytes", True),
    ("    def\u202frender(self, task: \"Task\") -> Text:", True),
    ("No se puede\u2001eliminar %(name)s", True),
    # --- French typography
    (f"Bonjour{NBSP}!", False),
    (f"\u00ab{NNBSP}texte{NNBSP}\u00bb", False),
    (f"Voulez-vous vraiment supprimer ce fichier{NNBSP}? Cette action est d\u00e9finitive{NBSP}; r\u00e9fl\u00e9chissez.", False),
    (f"Le serveur r\u00e9pond{NBSP}: \u00ab{NBSP}Acc\u00e8s refus\u00e9{NBSP}\u00bb.", False),
    (f"il y a une{NBSP}seconde", False),
    # --- European no-break spaces in ASCII translations (Django's Danish, Polish, Romanian)
    (f"om en{NBSP}time", False),
    (f"za{NBSP}%(count)s sekund", False),
    (f"%(count)s{NBSP}godziny{NBSP}temu", False),
    (f"Acum{NBSP}%(count)s{NBSP}de minute", False),
    # --- numbers, units and percent
    (f"1{NNBSP}000{NNBSP}000", False),
    (f"La France compte 68{NNBSP}millions d\u2019habitants et 101{NBSP}d\u00e9partements.", False),
    (f"Die Steuer betr\u00e4gt 19{NBSP}% und die Strecke 5{NBSP}km.", False),
    (f"Das Paket wiegt 12{THIN}345 Gramm.", False),
    (f"It costs 100{NBSP}\u20ac.", False),
    (f"vor %(count)s{NBSP}Sekunden", False),
    # --- CJK and Ogham
    (f"\u65e5\u672c\u8a9e{IDEOGRAPHIC}\u30c6\u30ad\u30b9\u30c8", False),
    (f"{IDEOGRAPHIC}{IDEOGRAPHIC}\u7b2c\u4e00\u7ae0\u3000\u306f\u3058\u3081\u306b", False),
    ("\u1681\u1682\u1683\u1680\u1684\u1685", False),
    # --- non-ASCII prose with HTML-style no-break spaces, typographic English
    (f"\u041d\u0430\u0441\u0435\u043b\u0435\u043d\u0438\u0435 \u0420\u043e\u0441\u0441\u0438\u0438{NBSP}\u2014 146{NBSP}\u043c\u043b\u043d \u0447\u0435\u043b\u043e\u0432\u0435\u043a.", False),
    (f"\u0905\u0949\u0938\u094d\u091f\u094d\u0930\u0947\u0932\u093f\u092f\u093e\u0908{NBSP}\u0905\u0902\u0917\u094d\u0930\u0947\u091c\u093c\u0940", False),
    (f"\u201cIt\u2019s done,\u201d she said{NBSP}\u2014 then left.", False),
    (f"Mr.{NBSP}Smith arrived.", False),
    (f"Trailing padding.{NBSP}", False),
]


@pytest.mark.parametrize("payload, should_flag", FLAG_CASES)
def test_flags_lookalike_spaces_only_in_ascii_text(payload: str, should_flag: bool) -> None:
    assert bool(alarms(payload)) is should_flag, findings(payload)


def test_reports_code_point_severity_and_replacement() -> None:
    (finding,) = findings(f"Is directory a git{NBSP}repo: Yes")
    assert (finding.codepoints, finding.severity, finding.replacement) == (["U+00A0"], Severity.MEDIUM, " ")
    assert finding.message == "NO-BREAK SPACE U+00A0 in ASCII text, where U+0020 is used"


def test_generated_line_is_high() -> None:
    (finding,) = findings(f"Today's date is{NBSP}2026-11-24.")
    assert finding.severity == Severity.HIGH


def test_a_run_is_one_finding_replaced_space_for_space() -> None:
    (finding,) = findings(f"Use the{NBSP}{NBSP}\u2002tools available to you.")
    assert (finding.text, finding.replacement) == (f"{NBSP}{NBSP}\u2002", "   ")


def test_typographic_uses_are_not_reported() -> None:
    assert findings(f"Bonjour{NBSP}! Il y a 1{NNBSP}000{NNBSP}km jusqu\u2019\u00e0 \u00ab{NNBSP}Paris{NNBSP}\u00bb.") == []


@pytest.mark.parametrize(
    "prompt, line, marked",
    [
        ("claude_code.txt", "Is directory a git repo: Yes", f"Is directory a git{NBSP}repo: Yes"),
        ("claude_code.txt", "Today's date: 2026-11-24", f"Today's date:{NBSP}2026-11-24"),
        ("gemini_cli.txt", "Today's date is Monday", f"Today's date is{NNBSP}Monday"),
        ("codex.txt", "You are Codex, based on GPT-5.", f"You are Codex,{THIN}based on GPT-5."),
    ],
)
def test_space_injected_in_a_real_prompt_is_found_and_sanitized(prompt: str, line: str, marked: str) -> None:
    original, text = prompt_with_marked_line(prompt, line, marked)
    (finding,) = alarms(text)
    assert text[finding.start:finding.end] == finding.text and finding.replacement == " "
    assert sanitize(text, findings=findings(text)).text == original


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_alarm_on_real_translations(language: str) -> None:
    assert {s: alarms(s) for s in msgstrs(language) if alarms(s)} == {}


def test_never_raises_on_lone_surrogates() -> None:
    assert [f.codepoints for f in findings(f"\ud800{NBSP}\udfff")] == [["U+00A0"]]


# Known failures: marks that read exactly like European typography. A fix must promote them.
KNOWN_FAILURES = [
    f"Enter a{NNBSP}number.",  # "a" before a noun, as Czech or French tie short words
    f"%s{NNBSP}GB",  # a number and its unit
]


@pytest.mark.xfail(strict=True, reason="indistinguishable from no-break spaces that typography sets")
@pytest.mark.parametrize("payload", KNOWN_FAILURES)
def test_known_failures(payload: str) -> None:
    assert alarms(payload)


# --- a look-alike space beside a space between words -----------------------------------------

@pytest.mark.parametrize("space", [THIN, NNBSP, "\N{HAIR SPACE}", "\N{EM SPACE}", "\N{FIGURE SPACE}"])
def test_a_space_beside_a_space_between_words_is_medium(space: str) -> None:
    _, text = prompt_with_marked_line("codex.txt", "You are Codex, based on GPT-5.", f"You are Codex,{space} based on GPT-5.")
    (finding,) = alarms(text)
    assert finding.severity == Severity.MEDIUM and finding.text == space


def test_a_no_break_space_beside_a_space_is_low_as_html_writes_runs_of_spaces() -> None:
    assert [f.severity for f in findings(f"You are Codex,{NBSP} based on GPT-5.")] == [Severity.LOW]


def test_indentation_and_trailing_spaces_stay_padding() -> None:
    assert alarms(f"def main():\n  {NBSP}  return 0\nx = 1 {THIN} \n") == []
