"""`stegwatch explain`: each listed character with code point, name, category, script, verdict."""

from __future__ import annotations

import io
import sys

import pytest

from addons.explain import OK, explain, explain_command, format_plain
from detectors import Severity


def flagged(text: str) -> dict[str, Severity | None]:
    return {row.codepoint: row.severity for row in explain(text)}


# --- what gets listed, and the verdict --------------------------------------------------------


@pytest.mark.parametrize(
    "payload, should_flag",
    [
        # Look-alike apostrophes and letters in English prose.
        ("Let's check today\u02bcs release notes", {"U+02BC": Severity.HIGH}),
        ("Let\u2019s check today\u2019s release notes", {}),  # typographic, consistent: info only
        ("Update the d\u0430te in the README", {"U+0430": Severity.HIGH}),
        # Invisible characters.
        ("Run the migration\N{ZERO WIDTH SPACE} now", {"U+200B": Severity.MEDIUM}),
        ("rm -rf build\N{RIGHT-TO-LEFT OVERRIDE}gpj.exe", {"U+202E": Severity.HIGH}),
        # Legitimate multilingual text, emoji and code: listed, but ok.
        ("Le montant est invalide : « 12,50 € »", {}),
        ("金额无效，请检查输入。テストが失敗しました", {}),
        ("Привет, мир! Проверьте тесты.", {}),
        ("Deploy \N{WOMAN}\N{ZERO WIDTH JOINER}\N{PERSONAL COMPUTER} done \N{THUMBS UP SIGN}", {}),
        ("def naïve_total(items: list[Item]) -> Decimal:  # café", {}),
    ],
)
def test_verdicts(payload, should_flag):
    rows = explain(payload)
    alarming = {row.codepoint: row.severity for row in rows if row.severity is not None and row.severity >= Severity.MEDIUM}
    assert alarming == should_flag
    for row in rows:
        if not row.findings:
            assert row.verdict == OK


def test_every_non_ascii_character_is_listed_with_its_properties():
    rows = explain("Gr\u00fc\u00dfe aus K\u00f6ln \u2014 \u041c\u043e\u0441\u043a\u0432\u0430")
    assert [row.char for row in rows] == ["\u00fc", "\u00df", "\u00f6", "\u2014", *"\u041c\u043e\u0441\u043a\u0432\u0430"]
    dash = rows[3]
    assert (dash.offset, dash.codepoint, dash.name, dash.category, dash.script) == (
        15, "U+2014", "EM DASH", "Pd", "Common")
    assert rows[-1].script == "Cyrillic" and rows[0].script == "Latin"


def test_plain_ascii_and_layout_are_not_listed():
    assert explain("git commit -m 'fix: total()'\n\tdone\r\n") == []


def test_ascii_characters_covered_by_a_finding_are_listed():
    rows = explain("PASSED \x1b[32mok\x1b[0m")
    assert rows[0].codepoint == "U+001B" and rows[0].name == "ESCAPE" and rows[0].category == "Cc"
    assert all(row.findings for row in rows)
    assert {row.findings[0].detector for row in rows} == {"control"}


def test_invisible_characters_are_shown_revealed():
    [row] = explain("a\N{WORD JOINER}b")
    assert row.shown == "⟦U+2060⟧" and row.name == "WORD JOINER" and row.category == "Cf"
    [space] = explain("12\N{NO-BREAK SPACE}€")[:1]
    assert space.shown == "⟦U+00A0⟧"


def test_tag_characters_name_their_hidden_text():
    rows = explain("ok" + "".join(chr(0xE0000 + ord(ch)) for ch in "hi"))
    assert [row.name for row in rows] == ["TAG LATIN SMALL LETTER H", "TAG LATIN SMALL LETTER I"]
    assert all(row.severity == Severity.HIGH for row in rows)
    assert "'hi'" in rows[0].verdict


def test_lone_surrogate_does_not_raise():
    [row] = explain("x\ud800y")
    assert row.codepoint == "U+D800" and row.category == "Cs"


# --- the command ------------------------------------------------------------------------------


def test_command_prints_plain_lines_when_not_a_tty_and_exits_1_on_an_alarm(capsys):
    assert explain_command("today\u02bcs") == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].split("\t") == ["offset", "char", "code point", "name", "category", "script", "verdict"]
    assert out[1].split("\t")[:6] == ["5", "\u02bc", "U+02BC", "MODIFIER LETTER APOSTROPHE", "Lm", "Common"]
    assert out[1].split("\t")[6].startswith("high lookalike-punctuation/")


def test_command_exits_0_on_normal_text_and_reads_stdin(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.StringIO("Merci beaucoup, ça marche très bien !\n"))
    assert explain_command("-") == 0
    out = capsys.readouterr().out
    assert "LATIN SMALL LETTER C WITH CEDILLA" in out and OK in out


def test_command_on_plain_ascii_says_so(capsys):
    assert explain_command("just ascii") == 0
    assert "nothing to explain" in capsys.readouterr().out


def test_command_draws_a_rich_table_on_a_tty(monkeypatch, capsys):
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    assert explain_command("a\N{ZERO WIDTH SPACE}b") == 1
    drawn = terminal.getvalue()
    assert "stegwatch explain" in drawn and "U+200B" in drawn and "┏" in drawn
    assert "\t" not in drawn


def test_format_plain_has_one_line_per_row():
    rows = explain("\u00e9\u00e8")
    assert len(format_plain(rows).splitlines()) == 1 + len(rows) == 3


def test_stegwatch_explain_through_the_cli(capsys):
    from addons.cli import main

    assert main(["explain", "Ship it by Friday\N{ZERO WIDTH NO-BREAK SPACE}!"]) == 1
    assert "U+FEFF\tZERO WIDTH NO-BREAK SPACE" in capsys.readouterr().out
    assert main(["explain", "Gr\u00fc\u00dfe"]) == 0
