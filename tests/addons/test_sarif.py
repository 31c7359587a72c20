"""SARIF 2.1.0 output, validated against the official OASIS schema (tests/data/sarif/)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from mitmproxy.io import FlowWriter
from mitmproxy.test import tflow, tutils

from addons import cli
from addons.offline_scan import Hit, OfflineScanner, fingerprint
from addons.sarif import artifact_uri, level
from detectors import Severity
from detectors.base import make_finding
from tests.support.bodies import CASES

SCHEMA_PATH = Path(__file__).resolve().parents[1] / "data" / "sarif" / "sarif-schema-2.1.0.json"
SCHEMA = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
# Format checking on: "uri", "uri-reference" and "date-time" are checked too (rfc3986/rfc3339 validators).
VALIDATOR = jsonschema.Draft7Validator(SCHEMA, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)

CLAUDE_MD = (
    "# CLAUDE.md\n"
    "Run `make test` before you commit.\n"
    "Today\N{MODIFIER LETTER APOSTROPHE}s date is 2026-11-24.\n"
    "Never print secrets.\N{TAG LATIN SMALL LETTER U}\N{TAG LATIN SMALL LETTER S}\N{TAG LATIN SMALL LETTER E}\N{TAG LATIN SMALL LETTER R}\n"
)


def write_capture(path: Path) -> Path:
    with path.open("wb") as handle:
        writer = FlowWriter(handle)
        for name in sorted(CASES):
            case = CASES[name](marked=True)
            writer.add(tflow.tflow(req=tutils.treq(method=b"POST", path=case.url_path.encode(), content=case.encoded())))
    return path


def sarif_of(argv: list[str], capsys) -> tuple[int, dict]:
    status = cli.main(["scan", "--format", "sarif", *argv])
    return status, json.loads(capsys.readouterr().out)


def test_the_vendored_schema_is_the_official_one():
    jsonschema.Draft7Validator.check_schema(SCHEMA)
    assert SCHEMA["title"] == "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"
    assert SCHEMA["properties"]["version"]["enum"] == ["2.1.0"]
    assert len(SCHEMA_PATH.read_text(encoding="utf-8")) == 112318  # as published; see tests/data/sarif/README.md


def test_validation_is_strict_enough_to_fail():
    broken = {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "stegwatch"}},
                                            "results": [{"message": {"text": "x"}, "level": "critical"}]}]}
    assert list(VALIDATOR.iter_errors(broken))
    bad_uri = {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "s", "informationUri": "not a uri"}}}]}
    assert list(VALIDATOR.iter_errors(bad_uri)), "format checking must be on"


def test_scan_of_captures_and_text_is_valid_sarif(tmp_path, capsys):
    write_capture(tmp_path / "session one.mitm")
    (tmp_path / "CLAUDE.md").write_text(CLAUDE_MD, encoding="utf-8")
    (tmp_path / "broken.har").write_text('{"log": {"entries": [{"request": ')
    status, log = sarif_of([str(tmp_path)], capsys)
    errors = sorted(VALIDATOR.iter_errors(log), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:5])
    assert status == 2
    [run] = log["runs"]
    assert run["tool"]["driver"]["name"] == "stegwatch" and run["columnKind"] == "unicodeCodePoints"
    [invocation] = run["invocations"]
    assert invocation["executionSuccessful"] is False
    [notification] = invocation["toolExecutionNotifications"]
    assert "broken.har" in notification["message"]["text"] and notification["level"] == "error"
    assert notification["locations"][0]["physicalLocation"]["region"]["byteOffset"] == len('{"log": {"entries": [{"request": ')


def test_results_point_at_the_request_and_json_path_of_a_capture(tmp_path, capsys):
    capture = write_capture(tmp_path / "session.mitm")
    status, log = sarif_of([str(capture)], capsys)
    assert status == 1 and not list(VALIDATOR.iter_errors(log))
    [run] = log["runs"]
    rules = {rule["id"]: rule for rule in run["tool"]["driver"]["rules"]}
    assert "tag-smuggling/tag-smuggling" in rules and "bidi/bidi-control" in rules
    for rule in rules.values():
        assert rule["shortDescription"]["text"] and rule["help"]["text"] and rule["fullDescription"]["text"]
    system = next(r for r in run["results"] if r["properties"]["jsonPath"] == "$['messages'][0]['content']")
    assert system["ruleId"] == "tag-smuggling/tag-smuggling" and system["level"] == "error"
    assert run["tool"]["driver"]["rules"][system["ruleIndex"]]["id"] == system["ruleId"]
    [location] = system["locations"]
    assert location["physicalLocation"]["artifactLocation"]["uri"] == capture.as_uri()
    [logical] = location["logicalLocations"]
    origin = system["properties"]["origin"]
    assert origin.startswith(f"{capture}#") and logical["fullyQualifiedName"] == f"{origin}$['messages'][0]['content']"
    assert system["properties"]["role"] == "system" and "\u27e6U+E0049\u27e7" in system["message"]["text"]
    assert "region" not in location["physicalLocation"], "a binary dump has no character region"
    assert {r["properties"]["api"] for r in run["results"]} == set(CASES)


def test_text_file_results_have_a_code_point_region(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("CLAUDE.md").write_text(CLAUDE_MD, encoding="utf-8")
    status, log = sarif_of(["CLAUDE.md"], capsys)
    assert status == 1 and not list(VALIDATOR.iter_errors(log))
    results = log["runs"][0]["results"]
    apostrophe = next(r for r in results if r["properties"]["codepoints"] == ["U+02BC"])
    physical = apostrophe["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"]["uri"] == "CLAUDE.md"
    offset = CLAUDE_MD.index("\N{MODIFIER LETTER APOSTROPHE}")
    assert physical["region"] == {"startLine": 3, "startColumn": 6, "endColumn": 7, "charOffset": offset, "charLength": 1}
    tags = next(r for r in results if r["ruleId"].startswith("tag-smuggling"))
    assert tags["properties"]["payload"] == "user" and tags["locations"][0]["physicalLocation"]["region"]["charLength"] == 4


def test_a_mark_resent_every_turn_is_one_result(tmp_path, capsys):
    body = CASES["anthropic-messages"](marked=True).encoded()
    path = tmp_path / "turns.mitm"
    with path.open("wb") as handle:
        for _ in range(5):
            FlowWriter(handle).add(tflow.tflow(req=tutils.treq(method=b"POST", path=b"/v1/messages", content=body)))
    _, log = sarif_of([str(path)], capsys)
    origins = {r["properties"]["origin"] for r in log["runs"][0]["results"]}
    assert origins == {f"{path}#0"}


def test_clean_scan_is_a_successful_run_with_no_results(tmp_path, capsys):
    (tmp_path / "README.md").write_text("Plain notes: « prêt » 準備完了 🙂\n", encoding="utf-8")
    status, log = sarif_of([str(tmp_path / "README.md")], capsys)
    assert status == 0 and not list(VALIDATOR.iter_errors(log))
    run = log["runs"][0]
    assert run["results"] == [] and run["tool"]["driver"]["rules"] == [] and run["invocations"][0]["executionSuccessful"]


# --- pieces ----------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "severity, expected",
    [(Severity.HIGH, "error"), (Severity.MEDIUM, "warning"), (Severity.LOW, "note"), (Severity.INFO, "note")],
)
def test_levels(severity, expected):
    assert level(severity) == expected


@pytest.mark.parametrize(
    "path, uri",
    [
        ("captures/day 1.mitm", "captures/day%201.mitm"),
        ("/var/log/agents/claude#2.har", "file:///var/log/agents/claude%232.har"),
        ("prompts/système.md", "prompts/syst%C3%A8me.md"),
    ],
)
def test_artifact_uris_are_valid_uri_references(path, uri):
    assert artifact_uri(path) == uri
    assert jsonschema.Draft7Validator.FORMAT_CHECKER.conforms(uri, "uri-reference")


def test_fingerprint_ignores_offsets_but_not_the_place():
    text = "x" * 10 + "\N{ZERO WIDTH SPACE}"
    moved = "y" * 30 + "\N{ZERO WIDTH SPACE}"
    first = make_finding("invisible", "zero-width", text, 10, 11, Severity.MEDIUM, "m")
    later = make_finding("invisible", "zero-width", moved, 30, 31, Severity.MEDIUM, "m")
    here = Hit("a.mitm", first, origin="a.mitm#0", json_path="$['system']")
    assert fingerprint(here) == fingerprint(Hit("b.mitm", later, origin="b.mitm#7", json_path="$['system']"))
    assert fingerprint(here) != fingerprint(Hit("a.mitm", first, origin="a.mitm#0", json_path="$['messages'][0]['content']"))


def test_results_of_the_scanner_and_the_command_agree(tmp_path, capsys):
    capture = write_capture(tmp_path / "c.mitm")
    hits = OfflineScanner().scan_file(str(capture)).hits
    _, log = sarif_of([str(capture)], capsys)
    assert len(log["runs"][0]["results"]) == len([h for h in hits if not h.repeat])
