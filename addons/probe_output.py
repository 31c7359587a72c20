"""What ``stegwatch probe`` and ``stegwatch diff`` print: a terminal summary, JSON and an HTML page.

Channel shown: the unexplained differences of a probe (`addons.differ`), each with the variable
that toggles it and the reference and variant text side by side, hidden and changed characters
revealed as ``⟦U+XXXX⟧``. Left in the background, not hidden: explained differences (honest
content such as the zone name or the home path) are listed briefly and disclosures flagged,
because a user should see what the agent tells a server about them; noise is only counted,
because request ids and timestamps say nothing.

Every string in the output comes from an agent's traffic and is untrusted: rich renders it as
`Text` (never markup), the HTML page escapes it and loads nothing (no script at all, and a
Content-Security-Policy that says so). The JSON is `ProbeResult` as pydantic dumps it, plus a
``summary``; ``stegwatch report LOG --probe PROBE.json`` reads its ``differences`` list.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence

from rich.console import Console
from rich.table import Table
from rich.text import Text

from addons.probe_model import Difference, ProbeResult
from addons.report import _asset, _diff_sides, _escape_html
from detectors.unicode import char_name, reveal

__all__ = ["channels", "json_text", "render_differences", "render_html", "render_json", "render_terminal", "summary"]

CLASSIFICATIONS = ("unexplained", "explained", "noise")
# Explained differences listed one line each; more are counted.
MAX_EXPLAINED_LISTED = 40
_REVEALED = re.compile(r"\u27e6(U\+[0-9A-F]{4,6})\u27e7")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_STYLE = {"unexplained": "bold red", "explained": "cyan", "noise": "dim"}


def summary(differences: Sequence[Difference]) -> dict[str, int]:
    """Counts by classification, and how many explained differences are disclosures.

    >>> summary([])
    {'unexplained': 0, 'explained': 0, 'noise': 0, 'disclosures': 0}
    """
    counts = Counter(d.classification for d in differences)
    result = {name: counts.get(name, 0) for name in CLASSIFICATIONS}
    result["disclosures"] = sum(1 for d in differences if d.disclosure)
    return result


def channels(differences: Sequence[Difference]) -> list[dict[str, object]]:
    """Unexplained differences grouped into covert channels: the same variable changing the same
    code points at the same place, however many of its cells show it (three base-URL hosts that
    flip one apostrophe are one channel).

    >>> d = dict(classification="unexplained", variable="TZ", api="anthropic-messages", request="POST /v1/messages #1",
    ...          where="body", path="$['system']", reference="a-b", variant="a/b", reference_revealed="a-b",
    ...          variant_revealed="a/b", codepoints=["U+002D", "U+002F"], reason="separator")
    >>> [(c["variable"], c["cells"]) for c in channels([Difference(cell="TZ=Asia/Shanghai", **d)])]
    [('TZ', ['TZ=Asia/Shanghai'])]
    """
    grouped: dict[tuple[object, ...], dict[str, object]] = {}
    for difference in differences:
        if difference.classification != "unexplained":
            continue
        key = (difference.variable, difference.where, difference.path, tuple(sorted(difference.codepoints)))
        channel = grouped.setdefault(key, {
            "variable": difference.variable, "where": difference.where, "path": difference.path,
            "codepoints": sorted(difference.codepoints), "reason": difference.reason, "cells": [],
        })
        if difference.cell not in channel["cells"]:  # type: ignore[operator]
            channel["cells"].append(difference.cell)  # type: ignore[union-attr]
    return list(grouped.values())


def _printable(text: str) -> str:
    return _LONE_SURROGATE.sub(lambda m: f"\u27e6U+{ord(m.group()):04X}\u27e7", text)


# --- Terminal ----------------------------------------------------------------------------


def _side(text: str | None, other: str | None) -> Text:
    """One side of a difference: the part that differs highlighted, characters revealed."""
    if text is None:
        return Text("(absent)", style="italic dim")
    left, _ = _diff_sides(text, other or "")
    shown = Text()
    for segment, differs in left:
        shown.append(_printable(segment), style="reverse yellow" if differs else "")
    return shown


def render_differences(differences: Sequence[Difference], console: Console, *, title: str = "") -> None:
    """The unexplained differences as side-by-side tables, then explained ones briefly."""
    counts = summary(differences)
    line = Text(title + (": " if title else ""), style="bold")
    for name in CLASSIFICATIONS:
        line.append(f"{counts[name]} {name}", style=_STYLE[name] if counts[name] else "dim")
        line.append(", ")
    line.append(f"{counts['disclosures']} disclosures", style="magenta" if counts["disclosures"] else "dim")
    console.print(line)
    unexplained = [d for d in differences if d.classification == "unexplained"]
    for difference in unexplained:
        header = Text()
        header.append("unexplained ", style="bold red")
        header.append(difference.variable, style="bold")
        header.append(f"  cell {difference.cell}  {difference.request}  {difference.where} ")
        header.append(_printable(difference.path), style="magenta")
        table = Table(title=header, title_justify="left", show_lines=False, expand=True)
        table.add_column("reference", ratio=1, overflow="fold")
        table.add_column("variant", ratio=1, overflow="fold")
        table.add_row(_side(difference.reference, difference.variant), _side(difference.variant, difference.reference))
        console.print(table)
        names = ", ".join(f"{cp} {_name_of(cp)}" for cp in difference.codepoints)
        console.print(Text(f"  {_printable(difference.reason)}" + (f"\n  code points: {names}" if names else ""), style="dim"))
    explained = [d for d in differences if d.classification == "explained"]
    lengths = [d for d in explained if d.where == "header" and d.path == "content-length"]
    explained = [d for d in explained if d not in lengths]
    if explained or lengths:
        console.print(Text(f"explained ({len(explained) + len(lengths)}, of which {len(lengths)} Content-Length "
                           "headers that follow the body's size):", style="bold cyan"))
        for difference in explained[:MAX_EXPLAINED_LISTED]:
            row = Text("  ")
            if difference.disclosure:
                row.append("disclosure ", style="magenta")
            row.append(f"{difference.variable}  {difference.cell}  {difference.request}  {difference.where} ")
            row.append(_printable(difference.path), style="magenta")
            row.append(f"  {_printable(difference.reason)}", style="dim")
            console.print(row)
        if len(explained) > MAX_EXPLAINED_LISTED:
            console.print(Text(f"  … and {len(explained) - MAX_EXPLAINED_LISTED} more (see --format json)", style="dim"))


def render_terminal(result: ProbeResult, console: Console | None = None) -> None:
    """Counts by classification, each unexplained difference side by side, the rest briefly."""
    console = console or Console(highlight=False)
    console.print(Text(f"stegwatch probe: {' '.join(result.command)}", style="bold"))
    failed = [run for run in result.runs if run.get("exit_status") != 0]
    requests = sum(int(run.get("requests") or 0) for run in result.runs)
    console.print(Text(f"  {len(result.runs)} runs, {requests} requests captured, "
                       f"{len(failed) or 'no'} non-zero exit statuses", style="dim"))
    for run in failed:   # a failed run may have sent less: say which
        console.print(Text(f"  {run.get('cell')} run {run.get('run')}: exit {run.get('exit_status')}, "
                           f"{run.get('requests')} requests, {run.get('duration_s')} s", style="yellow"))
    render_differences(result.differences, console, title=f"{len(result.cells)} cells against the reference")
    found = channels(result.differences)
    if found:
        console.print(Text(f"{len(found)} covert channel{'s' if len(found) != 1 else ''}:", style="bold red"))
        for channel in found:
            row = Text("  ")
            row.append(str(channel["variable"]), style="bold")
            row.append(f"  {channel['where']} ")
            row.append(_printable(str(channel["path"])), style="magenta")
            row.append(f"  {', '.join(channel['codepoints']) or '-'}  in {', '.join(channel['cells'])}")  # type: ignore[arg-type]
            console.print(row)
    verdict = "covert differences found" if result.unexplained else "no unexplained difference"
    console.print(Text(verdict, style="bold red" if result.unexplained else "bold green"))


def _name_of(cp: str) -> str:
    try:
        return char_name(chr(int(cp[2:], 16)))
    except (ValueError, OverflowError):
        return "?"


# --- JSON --------------------------------------------------------------------------------


def render_json(result: ProbeResult) -> str:
    """`ProbeResult` as JSON plus a ``summary``; lone surrogates written as ``\\uXXXX`` escapes."""
    return json_text({"summary": summary(result.differences), "channels": channels(result.differences),
                      **result.model_dump(mode="json")})


def json_text(document: object) -> str:
    r"""Indented JSON, non-ASCII as itself; lone surrogates as ``\uXXXX`` escapes (UTF-8 cannot hold them).

    >>> json_text({"a": "\u2019\ud800"})
    '{\n  "a": "\u2019\\ud800"\n}'
    """
    text = json.dumps(document, ensure_ascii=False, indent=2)
    return _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


# --- HTML --------------------------------------------------------------------------------

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<title>{title}</title>
<style>{css}
table.probe td {{ vertical-align: top; }}
tr.probe-unexplained td.class {{ color: #8a0015; font-weight: bold; }}
</style>
</head>
<body>
<header>
<h1>{title}</h1>
<p class="note">Generated by stegwatch. Hidden and look-alike characters are shown as <span class="cp">⟦U+XXXX⟧</span>; hover one for its name. The part of each line that differs is highlighted. This page loads nothing from the network.</p>
<p class="mono">{command}</p>
</header>
<main>
<section><h2>Summary</h2>{summary}</section>
<section><h2>Unexplained differences</h2>{unexplained}</section>
<section><h2>Explained differences</h2>{explained}</section>
<section><h2>Runs</h2>{runs}</section>
</main>
</body>
</html>
"""


def _html_text(text: str) -> str:
    """Escaped text with each ``⟦U+XXXX⟧`` as a span named by its title."""
    pieces, cursor = [], 0
    for match in _REVEALED.finditer(text):
        pieces.append(_escape_html(text[cursor:match.start()]))
        pieces.append(f'<span class="cp" title="{_escape_html(match.group(1) + " " + _name_of(match.group(1)))}">'
                      f"{_escape_html(match.group())}</span>")
        cursor = match.end()
    pieces.append(_escape_html(text[cursor:]))
    return _printable("".join(pieces))


def _html_plain(text: str) -> str:
    """Escaped text with its hidden characters revealed."""
    return _html_text(reveal(text))


def _html_side(text: str | None, other: str | None) -> str:
    if text is None:
        return "<em>(absent)</em>"
    left, _ = _diff_sides(text, other or "")
    return "".join(f'<mark class="diff">{_html_text(s)}</mark>' if differs else _html_text(s) for s, differs in left)


def _rows(differences: Sequence[Difference]) -> str:
    if not differences:
        return '<p class="note">None.</p>'
    rows = []
    for d in differences:
        cps = " ".join(f'<span class="cp" title="{_escape_html(_name_of(cp))}">{cp}</span>' for cp in d.codepoints)
        rows.append(
            f'<tr class="probe-{d.classification}"><td class="class">{_escape_html(d.classification)}'
            f'{" (disclosure)" if d.disclosure else ""}</td>'
            f"<td>{_html_plain(d.variable)}</td><td>{_html_plain(d.cell)}</td>"
            f'<td class="mono">{_html_plain(d.request)}<br>{_escape_html(d.where)} {_html_plain(d.path)}</td>'
            f'<td class="context">{_html_side(d.reference, d.variant)}</td>'
            f'<td class="context">{_html_side(d.variant, d.reference)}</td>'
            f"<td>{_html_plain(d.reason)}<br>{cps}</td></tr>"
        )
    return ('<table class="probe"><thead><tr><th>Class</th><th>Variable</th><th>Cell</th><th>Request, path</th>'
            "<th>Reference</th><th>Variant</th><th>Why</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>")


def render_html(result: ProbeResult, title: str = "stegwatch probe") -> str:
    """One self-contained page: counts, unexplained differences side by side, explained ones,
    noise counted; no script, no external resource."""
    counts = summary(result.differences)
    summary_html = "<table><tbody>" + "".join(
        f"<tr><th>{name}</th><td>{counts[name]}</td></tr>" for name in (*CLASSIFICATIONS, "disclosures")
    ) + "</tbody></table>"
    runs = "<table><thead><tr><th>Cell</th><th>Run</th><th>Exit</th><th>Requests</th><th>Seconds</th></tr></thead><tbody>" + "".join(
        f"<tr><td>{_html_plain(str(r.get('cell')))}</td><td>{_escape_html(str(r.get('run')))}</td>"
        f"<td>{_escape_html(str(r.get('exit_status')))}</td><td>{_escape_html(str(r.get('requests')))}</td>"
        f"<td>{_escape_html(str(r.get('duration_s')))}</td></tr>"
        for r in result.runs
    ) + "</tbody></table>"
    return _PAGE.format(
        title=_escape_html(title),
        css=_asset("report.css"),
        command=_html_plain(" ".join(result.command)),
        summary=summary_html,
        unexplained=_rows([d for d in result.differences if d.classification == "unexplained"]),
        explained=_rows([d for d in result.differences if d.classification == "explained"]),
        runs=runs,
    )
