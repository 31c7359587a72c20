"""The ``stegwatch`` command.

``scan PATH…`` reveals covert marks in text files, directories and saved traffic; it lives in
`addons.offline_scan` (captures are read by `addons.captures`). A text file is decoded as strict
UTF-8 (a byte order mark at the start is allowed and dropped, as editors do), and each finding
at or above ``--min-severity`` is printed with its line:column (1-based, columns in code
points), code points, names and the line around it with hidden characters revealed as
``⟦U+XXXX⟧``. Exit status: 0 nothing at or above the threshold, 1 findings, 2 error
(unreadable input, invalid UTF-8 with the byte offset, a corrupt capture, bad arguments).

``report`` writes an HTML report of an audit log (`addons.report`) and ``explain`` lists the
characters of one string with the detectors' verdict (`addons.explain`).

``run`` starts the auditing proxy; it lives in `addons.run` and is imported only when used,
so that ``scan`` of text never pays for mitmproxy's import.
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TextIO

from detectors import Finding, Severity
from detectors.unicode import describe, reveal

EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_ERROR = 2
# The add-on's default for stegwatch_max_body (`addons.audit.DEFAULT_MAX_BODY`; a test pins
# the two together): importing `addons.audit` here would import mitmproxy for every command.
DEFAULT_MAX_BODY = 64 * 1024 * 1024

SCAN_DESCRIPTION = (
    "Scan text files, directories (recursively) and saved traffic for covert marks. Captures "
    "(mitmproxy .mitm dumps, HAR, JSON and JSONL request bodies) are analysed request by request "
    "exactly as the live add-on does, so paths, roles and findings match its log. "
    "Exit 0: nothing at or above --min-severity; 1: findings; 2: an error (an unreadable or corrupt "
    "file, bad arguments). An error wins over findings: exit 2 even when marks were found, since the "
    "scan is incomplete; the other files are still scanned and reported."
)

# Characters shown on each side of a finding in the revealed line.
CONTEXT_CHARS = 40
# Distinct characters named per finding before the list is cut short (tag runs can be long).
MAX_NAMED = 6
# Code points of one finding shown in the revealed line before it is elided in the middle.
MAX_SPAN_SHOWN = 24

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class InputError(Exception):
    """The input could not be read or decoded; the message is meant for the user."""


@dataclass(frozen=True)
class Located:
    """A finding with its 1-based line and column (in code points)."""

    finding: Finding
    line: int
    column: int
    line_start: int
    line_end: int


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``stegwatch`` console script; returns the exit status."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["run"]:
        # Everything after `run` belongs to `addons.run`, options included: argparse's
        # REMAINDER would refuse a leading "--help" or "--listen-port".
        return _run_command(arguments[1:])
    parser = _build_parser()
    try:
        args = parser.parse_args(arguments)
    except SystemExit as exit_request:  # argparse exits on --help (0) and on bad arguments (2)
        return exit_request.code if isinstance(exit_request.code, int) else EXIT_ERROR
    return args.handler(args)


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="stegwatch", description="Reveal covert marks hidden in AI agent prompts."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    scan_parser = commands.add_parser(
        "scan",
        help="scan text files, directories and saved traffic (.mitm, HAR, JSON, JSONL) for covert marks",
        description=SCAN_DESCRIPTION,
    )
    scan_parser.add_argument(
        "paths", nargs="+", metavar="PATH",
        help="a file, a directory (scanned recursively) or - for standard input; captures (.mitm, .har, "
        ".json, .jsonl) are read request by request, other files as UTF-8 text",
    )
    scan_parser.add_argument(
        "--format", choices=("text", "json", "sarif"), default="text",
        help="text: grouped by file and request, marks revealed as ⟦U+XXXX⟧ (default); json; sarif: SARIF 2.1.0",
    )
    scan_parser.add_argument(
        "--min-severity",
        type=_severity_argument,
        default=Severity.MEDIUM,
        metavar="{" + ",".join(Severity) + "}",
        help="report findings at or above this severity (default: medium)",
    )
    scan_parser.add_argument(
        "--disclosure-severity", type=_severity_argument, default=Severity.INFO,
        metavar="{" + ",".join(Severity) + "}",
        help="severity of date-format and time-zone disclosures in captures, as stegwatch_disclosure_severity "
        "(default: info)",
    )
    scan_parser.add_argument(
        "--max-body", type=_non_negative_int, default=DEFAULT_MAX_BODY, metavar="BYTES",
        help=f"captured bodies larger than this are skipped, as stegwatch_max_body (default: {DEFAULT_MAX_BODY})",
    )
    scan_parser.add_argument("-o", "--output", metavar="FILE", default=None, help="write the report to FILE")
    scan_parser.add_argument(
        "-j", "--jobs", type=_non_negative_int, default=0, metavar="N",
        help="processes that scan files side by side (default 0: for scans of 64 MB or more, one per idle "
        "CPU, up to 4; else 1). Each file is scanned on its own, so the results do not depend on N.",
    )
    scan_parser.set_defaults(handler=_scan_command)

    report_parser = commands.add_parser(
        "report",
        help="write a self-contained HTML report of an audit log",
        description="Write one HTML file (no network, no external assets) summarising an audit log. "
        "Exit 0: written; 2: error.",
    )
    report_parser.add_argument("log", metavar="LOG.jsonl", help="the audit log (stegwatch_log)")
    report_parser.add_argument("--probe", metavar="PROBE.json", default=None, help="probe differences to show side by side")
    report_parser.add_argument("-o", "--output", metavar="REPORT.html", default="report.html", help="default: report.html")
    report_parser.set_defaults(handler=_report_command)

    explain_parser = commands.add_parser(
        "explain",
        help="explain every non-ASCII or suspicious character of one string",
        description="List each non-ASCII or suspicious character with its code point, name, category, "
        "script and the detectors' verdict. Exit 0: nothing reaches medium; 1: something does.",
    )
    explain_parser.add_argument("text", metavar="TEXT", help="the text, or - for standard input")
    explain_parser.set_defaults(handler=_explain_command)

    importlib.import_module("addons.probe").register(commands)
    importlib.import_module("addons.baseline").register(commands)
    importlib.import_module("addons.diff_command").register(commands)
    # Listed for --help only: `main` hands `run` and its arguments to `addons.run` unparsed.
    commands.add_parser("run", help="start the auditing proxy (mitmdump with the stegwatch add-on)")
    return parser


def _report_command(args: argparse.Namespace) -> int:
    from addons.report import report_command  # pydantic and the page assets, only when used

    return report_command(args.log, args.probe, args.output)


def _explain_command(args: argparse.Namespace) -> int:
    from addons.explain import explain_command

    return explain_command(args.text)


def _severity_argument(value: str) -> Severity:
    try:
        return Severity.parse(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _run_command(run_arguments: list[str]) -> int:
    try:
        run_module = importlib.import_module("addons.run")
    except ModuleNotFoundError as error:
        if error.name != "addons.run":
            raise
        print("stegwatch: error: 'stegwatch run' is not available: addons/run.py is not installed", file=sys.stderr)
        return EXIT_ERROR
    return int(run_module.run(run_arguments) or 0)


def _scan_command(args: argparse.Namespace) -> int:
    from addons.offline_scan import scan_command  # captures, analysis and rich only when scanning

    return scan_command(args)


def _non_negative_int(value: str) -> int:
    try:
        count = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
    if count < 0:
        raise argparse.ArgumentTypeError("must be >= 0")
    return count


def read_text(file: str) -> str:
    """The decoded contents of ``file`` (``-`` is standard input); raises `InputError`.

    >>> import tempfile, os
    >>> with tempfile.NamedTemporaryFile(delete=False) as handle:
    ...     _ = handle.write(b"ok\\n\\xff")
    >>> try:
    ...     read_text(handle.name)
    ... except InputError as error:
    ...     print(str(error).split(": ", 1)[1])
    invalid UTF-8 at byte offset 3 (invalid start byte)
    >>> os.unlink(handle.name)
    """
    name = "standard input" if file == "-" else file
    try:
        if file == "-":
            if sys.stdin is None:
                raise InputError("no standard input to read")
            data = sys.stdin.buffer.read()
        else:
            with open(file, "rb") as handle:
                data = handle.read()
    except OSError as error:
        raise InputError(f"cannot read {name}: {error.strerror or error}") from error
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InputError(f"{name}: invalid UTF-8 at byte offset {error.start} ({error.reason})") from error
    # Decoding first and stripping after keeps error offsets relative to the file's bytes.
    return text.removeprefix("\ufeff")


def locate(text: str, findings: Sequence[Finding]) -> Iterator[Located]:
    """Each finding with its line and column, counting ``\\n`` once over the text.

    >>> from detectors.base import make_finding
    >>> f = make_finding("d", "k", "ab\\ncd\\u200be", 5, 6, Severity.HIGH, "m")
    >>> [(x.line, x.column) for x in locate("ab\\ncd\\u200be", [f])]
    [(2, 3)]
    """
    line, line_start, counted_to = 1, 0, 0
    for finding in sorted(findings, key=lambda f: (f.start, f.end)):
        line += text.count("\n", counted_to, finding.start)
        counted_to = finding.start
        line_start = text.rfind("\n", 0, finding.start) + 1
        line_end = text.find("\n", finding.start)
        if line_end < 0:
            line_end = len(text)
        yield Located(finding, line, finding.start - line_start + 1, line_start, line_end)


def _names(span: str) -> str:
    distinct = list(dict.fromkeys(span))
    named = ", ".join(describe(ch) for ch in distinct[:MAX_NAMED])
    if len(distinct) > MAX_NAMED:
        named += f", … ({len(distinct) - MAX_NAMED} more distinct)"
    if len(span) > 1:
        named += f" ({len(span)} code points)"
    return named


def _marked_characters(findings: Sequence[Finding]) -> str:
    """The non-ASCII characters of every finding: revealed wherever they show in context."""
    return "".join(dict.fromkeys(ch for f in findings for ch in f.text if not ch.isascii()))


def _context(text: str, item: Located, marked: str) -> tuple[str, str, str]:
    """The revealed text before, inside and after the finding, clipped to its line."""
    finding = item.finding
    start = max(item.line_start, finding.start - CONTEXT_CHARS)
    end = min(item.line_end, finding.end + CONTEXT_CHARS)
    also = marked
    if finding.text.isascii() and len(finding.text) == 1:
        also += finding.text  # an ASCII look-alike such as a backtick apostrophe
    span_end = min(finding.end, item.line_end)
    before = reveal(text[start:finding.start], also=also)
    span = reveal(text[finding.start:span_end], also=also)
    if span_end - finding.start > MAX_SPAN_SHOWN:
        # A run of thousands of selectors would bury the line; its length is in the header.
        head, tail = text[finding.start:finding.start + MAX_SPAN_SHOWN // 2], text[span_end - 4:span_end]
        span = f"{reveal(head, also=also)}…{reveal(tail, also=also)}"
    after = reveal(text[span_end:end].removesuffix("\r"), also=also)
    if start > item.line_start:
        before = "…" + before
    if end < item.line_end:
        after += "…"
    return before, span, after


def _printable(line: str) -> str:
    return _LONE_SURROGATE.sub(lambda m: f"\u27e6U+{ord(m.group()):04X}\u27e7", line)


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _write(stream: TextIO, rendered: str) -> None:
    try:
        stream.write(rendered)
    except UnicodeEncodeError:
        # A terminal with a narrow encoding (LANG=C on old systems): keep the report readable.
        stream.write(rendered.encode(stream.encoding or "ascii", "backslashreplace").decode(stream.encoding or "ascii"))
    stream.flush()


if __name__ == "__main__":
    sys.exit(main())
