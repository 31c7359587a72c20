"""`addons.probe_output`: the terminal summary, JSON and HTML page of a probe."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from rich.console import Console

from addons import report
from addons.differ import compare
from addons.probe_model import Cell, Difference, ProbeResult
from addons.probe_output import json_text, render_html, render_json, render_terminal, summary
from tests.support.probe_cells import probe_captures


@pytest.fixture(scope="module")
def result() -> ProbeResult:
    return compare(probe_captures(marked=True), ["python", "test_agent.py"])


def _hostile_result() -> ProbeResult:
    """A difference whose texts try to break out of the page and the terminal."""
    difference = Difference(
        classification="unexplained", variable="TZ", cell="TZ=<b>Asia/Shanghai</b>", api="other",
        request="POST /api/<script>", where="body", path="$['x</td>']",
        reference="</script><script>alert(1)</script> & it's", variant="</script><script>alert(2)</script> & it\u2019s\u200b",
        reference_revealed=None, variant_revealed=None, codepoints=["U+0027", "U+2019", "U+200B"],
        reason="punctuation <i>changed</i>", disclosure=False,
    )
    lone = difference.model_copy(update={"variant": "it\u2019s \ud800", "path": "$['y']"})
    reference = Cell(name="reference", environment={"TZ": "UTC"})
    return ProbeResult(command=["agent", "--flag=<x>"], reference=reference, cells=[], differences=[difference, lone])


# --- Terminal ----------------------------------------------------------------------------


def _terminal(result: ProbeResult) -> str:
    console = Console(record=True, width=140, force_terminal=False, color_system=None)
    render_terminal(result, console)
    return console.export_text()


def test_terminal_counts_then_each_unexplained_difference_side_by_side(result: ProbeResult) -> None:
    text = _terminal(result)
    counts = summary(result.differences)
    assert f"{counts['unexplained']} unexplained, {counts['explained']} explained, {counts['noise']} noise" in text
    assert "unexplained TZ  cell TZ=Asia/Shanghai  POST /v1/messages #1  body $['system'][1]['text']" in text
    assert "Today's date is 2026/11/25." in text
    assert "Today\u27e6U+2019\u27e7s date is 2026-11-24." in text
    assert "U+2019 RIGHT SINGLE QUOTATION MARK" in text
    assert "disclosure TZ  TZ=Asia/Tokyo" in text
    assert "covert differences found" in text
    assert "sk-ant-api03-test-key" not in text


def test_terminal_prints_hostile_text_as_text() -> None:
    text = _terminal(_hostile_result())
    assert "TZ=<b>Asia/Shanghai</b>" in text        # not interpreted as rich markup
    assert "\u27e6U+200B\u27e7" in text and "\u27e6U+D800\u27e7" in text


def test_terminal_for_a_clean_probe() -> None:
    text = _terminal(compare(probe_captures(marked=False), ["agent"]))
    assert "0 unexplained" in text and "no unexplained difference" in text


# --- JSON --------------------------------------------------------------------------------


def test_json_round_trips_to_the_probe_result(result: ProbeResult) -> None:
    document = json.loads(render_json(result))
    assert document["summary"] == summary(result.differences)
    assert ProbeResult.model_validate(document) == result


def test_report_accepts_the_probe_json(result: ProbeResult, tmp_path: Path) -> None:
    probe = tmp_path / "probe.json"
    probe.write_text(render_json(result), encoding="utf-8")
    log = tmp_path / "audit.jsonl"
    log.write_text("", encoding="utf-8")
    page = tmp_path / "report.html"
    assert report.report_command(log, probe, page) == 0
    data = report.build_data([], json.loads(probe.read_text(encoding="utf-8")))
    rows = [(row["variable"], row["classification"], row["path"]) for row in data["probe"]]
    assert ("ANTHROPIC_BASE_URL", "unexplained", "$['system'][1]['text']") in rows
    assert len(rows) == len(result.differences)


def test_json_writes_lone_surrogates_as_escapes() -> None:
    text = render_json(_hostile_result())
    assert "\\ud800" in text
    text.encode("utf-8")
    assert json_text({"a": "\u2019"}) == '{\n  "a": "\u2019"\n}'


# --- HTML --------------------------------------------------------------------------------


def test_html_is_self_contained_and_escapes_everything() -> None:
    page = render_html(_hostile_result())
    assert "<script" not in page.lower()
    assert "alert(1)" in page and "&lt;/script&gt;" in page
    assert "TZ=&lt;b&gt;Asia/Shanghai&lt;/b&gt;" in page
    assert not re.search(r"""(?:src|href)=["'](?!data:)""", page)
    assert "default-src 'none'" in page


def test_html_shows_hidden_characters_with_their_names(result: ProbeResult) -> None:
    page = render_html(result)
    assert '<span class="cp" title="U+2019 RIGHT SINGLE QUOTATION MARK">\u27e6U+2019\u27e7</span>' in page
    assert '<mark class="diff">' in page
    hostile = render_html(_hostile_result())
    assert 'title="U+200B ZERO WIDTH SPACE"' in hostile and "\u27e6U+D800\u27e7" in hostile
    hostile.encode("utf-8")


def test_html_lists_unexplained_before_explained(result: ProbeResult) -> None:
    page = render_html(result)
    unexplained_at = page.index("<h2>Unexplained differences</h2>")
    explained_at = page.index("<h2>Explained differences</h2>")
    assert unexplained_at < page.index("\u27e6U+2019\u27e7</span></mark>s date is", unexplained_at) < explained_at
    assert page.count('class="probe-unexplained"') == 2


def test_terminal_names_runs_that_failed(result: ProbeResult) -> None:
    runs = [dict(run) for run in result.runs]
    runs[3]["exit_status"] = 1
    text = _terminal(result.model_copy(update={"runs": runs}))
    assert "11 runs, 44 requests captured, 1 non-zero exit statuses" in text
    assert f"{runs[3]['cell']} run 1: exit 1, 4 requests" in text


def test_covert_channels_group_the_cells_one_variable_flips(result: ProbeResult) -> None:
    from addons.probe_output import channels

    found = channels(result.differences)
    assert len(found) == 2
    assert {channel["variable"] for channel in found} == {d.variable for d in result.unexplained}
    assert sum(len(channel["cells"]) for channel in found) == len(result.unexplained)
    assert json.loads(render_json(result))["channels"] == found
    assert "2 covert channels:" in _terminal(result)
