"""``stegwatch explain TEXT|-``: every non-ASCII or suspicious character of one string, explained.

For each such character: its offset, code point, name, general category (from unicodedata2,
so the Unicode version is the one the detectors use, not the interpreter's), script, and the
verdict of the detectors, i.e. the findings that cover it (severity, detector/kind, message)
or "ok (normal text)". It is the quickest way to check one string a user was sent or is
about to send.

Plain ASCII letters, digits, punctuation and layout (tab, line feed, carriage return) are left
out unless a finding covers them, as for the final byte of an ANSI escape sequence: listing
them would bury the few characters that matter. Accented letters, CJK, emoji and other
legitimate non-ASCII text are listed too, with their "ok" verdict, so the user sees that they
were looked at and why they pass.

Exit status: 0 when nothing reaches medium (the alarm threshold), 1 when something does.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass

import unicodedata2

from detectors import Finding, Severity, scan
from detectors.unicode import char_name, codepoint, reveal, script

OK = "ok (normal text)"
ALARM = Severity.MEDIUM
# Non-ASCII characters and ASCII controls other than layout (tab, line feed, carriage return).
_LISTED = re.compile(r"[^\t\n\r\x20-\x7e]")


@dataclass(frozen=True)
class ExplainRow:
    """One character of the input and what the detectors say about it."""

    offset: int
    char: str
    codepoint: str
    name: str
    category: str
    script: str
    findings: tuple[Finding, ...]

    @property
    def severity(self) -> Severity | None:
        return max((f.severity for f in self.findings), default=None)

    @property
    def verdict(self) -> str:
        """``ok (normal text)`` or each covering finding as ``severity detector/kind: message``.

        >>> [row.verdict for row in explain("caf\\u00e9")]
        ['ok (normal text)']
        """
        if not self.findings:
            return OK
        return "; ".join(f"{f.severity} {f.detector}/{f.kind}: {f.message}" for f in self.findings)

    @property
    def shown(self) -> str:
        """The character itself when it prints, else ``⟦U+XXXX⟧``."""
        return reveal(self.char, also=self.char if _is_mark(self.char) else "")


def _is_mark(ch: str) -> bool:
    return unicodedata2.category(ch) in ("Mn", "Me", "Zs", "Zl", "Zp") or ch.isspace()


def _covers(finding: Finding, offset: int, ch: str) -> bool:
    return finding.start <= offset < finding.end and (not finding.codepoints or codepoint(ch) in finding.codepoints)


def explain(text: str) -> list[ExplainRow]:
    """The rows for ``text``: non-ASCII characters, ASCII controls, and whatever a finding covers.

    >>> [(r.codepoint, r.name, r.category, r.script, str(r.severity)) for r in explain("Today\\u02bcs")]
    [('U+02BC', 'MODIFIER LETTER APOSTROPHE', 'Lm', 'Common', 'high')]
    """
    findings = scan(text)
    covered: dict[int, list[Finding]] = {}
    for finding in findings:
        for offset in range(finding.start, min(finding.end, len(text))):
            if _covers(finding, offset, text[offset]):
                covered.setdefault(offset, []).append(finding)
    wanted = set(covered)
    wanted.update(match.start() for match in _LISTED.finditer(text))
    rows = []
    for offset in sorted(wanted):
        ch = text[offset]
        rows.append(
            ExplainRow(
                offset=offset, char=ch, codepoint=codepoint(ch), name=char_name(ch),
                category=unicodedata2.category(ch), script=script(ch), findings=tuple(covered.get(offset, ())),
            )
        )
    return rows


def format_plain(rows: list[ExplainRow]) -> str:
    """One tab-separated line per character, for pipes and logs.

    >>> format_plain(explain("a\\u200bb")).splitlines()[1].split("\\t")[:6]
    ['1', '⟦U+200B⟧', 'U+200B', 'ZERO WIDTH SPACE', 'Cf', 'Common']
    """
    lines = ["offset\tchar\tcode point\tname\tcategory\tscript\tverdict"]
    for row in rows:
        lines.append(f"{row.offset}\t{row.shown}\t{row.codepoint}\t{row.name}\t{row.category}\t{row.script}\t{row.verdict}")
    return "\n".join(lines)


_STYLE = {Severity.HIGH: "bold red", Severity.MEDIUM: "bold yellow", Severity.LOW: "yellow", Severity.INFO: "cyan"}


def _print_table(rows: list[ExplainRow]) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(title="stegwatch explain", show_lines=False)
    for column in ("offset", "char", "code point", "name", "category", "script", "verdict"):
        table.add_column(column, overflow="fold", justify="right" if column == "offset" else "left")
    for row in rows:
        style = _STYLE.get(row.severity, "green") if row.severity is not None else "green"
        table.add_row(
            str(row.offset), Text(row.shown), row.codepoint, Text(row.name), row.category, row.script,
            Text(row.verdict, style=style),
        )
    Console().print(table)


def explain_command(text_or_dash: str) -> int:
    """Print the explanation of ``text_or_dash`` (``-`` reads standard input); 1 when a
    character reaches the alarm threshold (medium), else 0."""
    text = sys.stdin.read() if text_or_dash == "-" else text_or_dash
    rows = explain(text)
    if not rows:
        print("stegwatch explain: every character is plain ASCII; nothing to explain.")
    elif sys.stdout.isatty():
        _print_table(rows)
    else:
        print(format_plain(rows))
    alarming = any(row.severity is not None and row.severity >= ALARM for row in rows)
    return 1 if alarming else 0
