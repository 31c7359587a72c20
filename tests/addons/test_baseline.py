"""Tests for `addons.baseline`: learn a client's template, then report code-point drift from it."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path

import pytest
from mitmproxy import exceptions

import addons.baseline as baseline_module
from addons.audit import Audit
from addons.baseline import KIND, BaselineMonitor, baseline_client, learn_rows
from addons.baseline_store import BaselineStore
from addons.cli import main
from addons.shapes import Api, extract_fields
from detectors import Severity
from tests.addons.test_audit import addon_context, request_flow, run_hooks

DATA = Path(__file__).resolve().parents[1] / "data"
CLAUDE_PROMPT = (DATA / "prompts" / "claude_code.txt").read_text(encoding="utf-8")
DATE_LINE = "Today's date: 2026-11-24"
# The date line with U+02BC for the apostrophe: drift from the prompt as a store learned it.
DRIFTED_PROMPT = CLAUDE_PROMPT.replace(DATE_LINE, "Today\u02bcs date: 2026-11-24")
IDENTITY = {"user-agent": "claude-cli/2.0.14 (external, cli)", "x-stainless-package-version": "0.68.0"}
API = Api.ANTHROPIC_MESSAGES.value
USER_SECRET = "please refactor billing for ACME-Corp-internal-7731"


def claude_body(system: str = CLAUDE_PROMPT, reminder: str = "Today's date is 2026-11-24.", user: str = USER_SECRET) -> dict:
    """A Claude Code turn: the real system prompt, a tool, a reminder block in the user text."""
    return {
        "model": "claude-sonnet-4-5-20250929",
        "max_tokens": 32000,
        "system": [{"type": "text", "text": "You are Claude Code, Anthropic's official CLI for Claude."},
                   {"type": "text", "text": system}],
        "tools": [{"name": "Bash", "description": "Executes a given bash command in a persistent shell session.\n"
                   "Before executing, verify the parent directory exists: use `ls` to check.",
                   "input_schema": {"type": "object", "properties": {"command": {"type": "string"}}}}],
        "messages": [{"role": "user", "content": [
            {"type": "text", "text": f"<system-reminder>\n{reminder}\n</system-reminder>"},
            {"type": "text", "text": user},
        ]}],
    }


def fields_of(body: dict):
    return extract_fields(Api.ANTHROPIC_MESSAGES, body)


@pytest.fixture
def learned(tmp_path: Path) -> Path:
    """A store that learned one cell: the prompt with U+0027 and ISO dates."""
    path = tmp_path / "baseline.sqlite3"
    monitor = BaselineMonitor("learn", path)
    assert monitor.observe(IDENTITY, API, fields_of(claude_body())) == []
    assert monitor.flush()
    monitor.close()
    return path


def check(path: Path, body: dict, identity: dict[str, str] = IDENTITY):
    monitor = BaselineMonitor("check", path)
    try:
        return monitor.observe(identity, API, fields_of(body))
    finally:
        monitor.close()


def learn_through_another_store(path: Path) -> None:
    """What a second proxy does meanwhile: learn the clean prompt into the same store file."""
    other = BaselineStore(path)
    other.learn(baseline_client(IDENTITY), API, learn_rows(fields_of(claude_body())))
    other.close()


def count_drift_checks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Spy on `drift_findings`: the list returned grows by one item per call."""
    calls: list[int] = []
    real = baseline_module.drift_findings
    monkeypatch.setattr(baseline_module, "drift_findings", lambda *args: calls.append(1) or real(*args))
    return calls


# --- the test: learn one cell, check another ----------------------------------------

def test_drift_in_another_cell_is_reported_with_path_and_baseline_text(learned: Path) -> None:
    drifted = claude_body(CLAUDE_PROMPT.replace(DATE_LINE, "Today\u2019s date: 2026/11/24"))
    found = check(learned, drifted)
    assert [(item.field.path, item.role, item.finding.kind, item.finding.detector) for item in found] == [
        ("$['system'][1]['text']", "system", KIND, "baseline")] * 2
    apostrophe, date = (item.finding for item in found)
    assert (apostrophe.codepoints, apostrophe.severity) == (["U+2019"], Severity.MEDIUM)
    assert (date.text, date.severity) == ("2026/11/24", Severity.HIGH)
    text = found[0].field.text
    assert text[apostrophe.start:apostrophe.end] == "\u2019"
    for finding in (apostrophe, date):
        assert "Baseline 'Today\u27e6U+0027\u27e7s date: <DATE Y\u27e6U+002D\u27e7M\u27e6U+002D\u27e7D>'" in finding.message
    assert "U+0027 -> U+2019" in apostrophe.message
    assert "date format <DATE Y-M-D> -> <DATE Y/M/D>" in date.message


def test_same_template_with_another_date_and_cwd_gives_nothing(learned: Path) -> None:
    later = claude_body(
        CLAUDE_PROMPT.replace("2026-11-24", "2026-12-09").replace("/home/alice/projects/billing-service", "/srv/work/shop-api")
        .replace("3f9c2e1", "9d8e7f6"),
        reminder="Today's date is 2026-12-09.", user="now add a test for the VAT rounding",
    )
    assert check(learned, later) == []


# --- what drifts, and how badly --------------------------------------------------------------

@pytest.mark.parametrize(
    "line, severity",
    [
        # Punctuation look-alikes: medium; modifier letters (Lm): high.
        ("Today\u2019s date: 2026-11-24", Severity.MEDIUM),
        ("Today\u2018s date: 2026-11-24", Severity.MEDIUM),
        ("Today\u02bcs date: 2026-11-24", Severity.HIGH),
        ("Today\u02b9s date: 2026-11-24", Severity.HIGH),
        # Invisible and format characters: high.
        ("Today's\N{ZERO WIDTH SPACE} date: 2026-11-24", Severity.HIGH),
        ("Today's date:\N{WORD JOINER} 2026-11-24", Severity.HIGH),
        ("Today's date: 2026-11-24\N{LEFT-TO-RIGHT MARK}", Severity.HIGH),
        # Date format changes: high, whatever the date.
        ("Today's date: 2026/11/24", Severity.HIGH),
        ("Today's date: 2026\u221211\u221224", Severity.HIGH),
        ("Today's date: 24.11.2026", Severity.HIGH),   # another order too
        ("Today's date: 2026-11-30", None),
        # Spacing look-alikes: medium.
        ("Today's\N{NO-BREAK SPACE}date: 2026-11-24", Severity.MEDIUM),
        # Words changed: a new line, first sight.
        ("Today's date (local): 2026-11-24", None),
        ("Current date: 2026-11-24", None),
    ],
)
def test_drift_severity(learned: Path, line: str, severity: Severity | None) -> None:
    found = check(learned, claude_body(CLAUDE_PROMPT.replace(DATE_LINE, line)))
    assert max((item.finding.severity for item in found), default=None) == severity
    for item in found:
        assert item.field.path == "$['system'][1]['text']"
        assert item.field.text[item.finding.start:item.finding.end] == item.finding.text


@pytest.mark.parametrize(
    "reminder, tool_line, expected",
    [
        ("Today's date is 2026-11-25.", "use `ls` to check.", []),
        ("Today\u2019s date is 2026-11-24.", "use `ls` to check.", ["$['messages'][0]['content'][0]['text']"]),
        ("Today's date is 2026-11-24.", "use `ls`\N{ZERO WIDTH NON-JOINER} to check.", ["$['tools'][0]['description']"]),
    ],
)
def test_drift_in_injected_context_and_tool_definitions(learned: Path, reminder: str, tool_line: str, expected: list[str]) -> None:
    body = claude_body(reminder=reminder)
    body["tools"][0]["description"] = body["tools"][0]["description"].replace("use `ls` to check.", tool_line)
    assert [item.field.path for item in check(learned, body)] == expected


def test_user_text_never_drifts_and_is_never_learned(learned: Path, tmp_path: Path) -> None:
    assert check(learned, claude_body(user=USER_SECRET.replace("please", "pl\u0435ase\u2019"))) == []
    stored = b"".join(path.read_bytes() for path in tmp_path.glob("baseline.sqlite3*"))
    assert b"ACME-Corp" not in stored and b"refactor billing" not in stored
    assert b"/home/alice" not in stored  # paths are masked, even in client text
    assert "Today's date: <DATE Y-M-D>".encode() in stored


# --- clients ----------------------------------------------------------------------------------

def test_per_request_headers_do_not_split_a_client() -> None:
    retry = {**IDENTITY, "x-stainless-retry-count": "1", "x-stainless-timeout": "600", "anthropic-beta": "x"}
    assert baseline_client(retry) == baseline_client(IDENTITY)
    assert baseline_client({**IDENTITY, "user-agent": "claude-cli/2.0.15 (external, cli)"}) != baseline_client(IDENTITY)


def test_an_unseen_client_is_not_checked_and_said_once(learned: Path, caplog: pytest.LogCaptureFixture) -> None:
    other = {"user-agent": "codex_cli_rs/0.58.0"}
    drifted = claude_body(CLAUDE_PROMPT.replace(DATE_LINE, "Today\u02bcs date: 2026/11/24"))
    monitor = BaselineMonitor("check", learned)
    with caplog.at_level(logging.INFO, logger="stegwatch"):
        assert monitor.observe(other, API, fields_of(drifted)) == []
        assert monitor.observe(other, API, fields_of(drifted)) == []
        assert monitor.observe(IDENTITY, Api.OPENAI_CHAT.value, fields_of(drifted)) == []
        assert monitor.observe(IDENTITY, API, fields_of(drifted)) != []
    said = [record.getMessage() for record in caplog.records if "no baseline" in record.getMessage()]
    assert len(said) == 2 and "codex_cli_rs/0.58.0" in said[0] and "openai-chat" in said[1]
    monitor.close()


def test_check_sees_what_another_process_learned_meanwhile(tmp_path: Path) -> None:
    path = tmp_path / "baseline.sqlite3"
    monitor = BaselineMonitor("check", path)
    drifted = fields_of(claude_body(DRIFTED_PROMPT))
    assert monitor.observe(IDENTITY, API, drifted) == []
    learn_through_another_store(path)
    assert [item.finding.severity for item in monitor.observe(IDENTITY, API, drifted)] == [Severity.HIGH]
    monitor.close()


def test_an_unchanged_field_is_checked_once(learned: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = count_drift_checks(monkeypatch)
    monitor = BaselineMonitor("check", learned)
    drifted = claude_body(DRIFTED_PROMPT)
    first = monitor.observe(IDENTITY, API, fields_of(drifted))
    checked = len(calls)
    second = monitor.observe(IDENTITY, API, fields_of(drifted))  # new strings, same texts
    assert len(calls) == checked and [i.finding for i in first] == [i.finding for i in second] != []
    monitor.close()


# --- the add-on -----------------------------------------------------------------------------

def encoded(body: dict) -> bytes:
    return json.dumps(body, ensure_ascii=False).encode()


def test_addon_learns_then_checks_and_logs_drift(tmp_path: Path) -> None:
    db = str(tmp_path / "baseline.sqlite3")
    agent = IDENTITY["user-agent"]
    run_hooks(tmp_path, [request_flow(encoded(claude_body()), **{"user-agent": agent})],
              stegwatch_baseline="learn", stegwatch_baseline_db=db)
    drifted = claude_body(CLAUDE_PROMPT.replace(DATE_LINE, "Today\u2019s date: 2026/11/24"))
    flows = [request_flow(encoded(claude_body(CLAUDE_PROMPT.replace("2026-11-24", "2026-11-25"))), **{"user-agent": agent}),
             request_flow(encoded(drifted), **{"user-agent": agent})]
    _, records = run_hooks(tmp_path, flows, stegwatch_baseline="check", stegwatch_baseline_db=db)
    same, drift = records[-2:]  # after the learning run's record
    assert [f for f in same.findings if f.kind == KIND] == []
    logged = [f for f in drift.findings if f.kind == KIND]
    assert [(f.path, f.role, f.detector, f.severity) for f in logged] == [
        ("$['system'][1]['text']", "system", "baseline", Severity.MEDIUM),
        ("$['system'][1]['text']", "system", "baseline", Severity.HIGH),
    ]
    assert all("Baseline 'Today" in f.message for f in logged)
    assert flows[1].marked
    assert [f["kind"] for f in flows[1].metadata["stegwatch"][-1]["findings"]].count(KIND) == 2
    stored = (tmp_path / "baseline.sqlite3").read_bytes()
    assert b"sk-ant-api03-secret" not in stored  # request_flow sends an x-api-key


def test_addon_fails_open_when_the_baseline_breaks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    def broken(*args: object) -> list:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(BaselineMonitor, "observe", broken)
    raw = encoded(claude_body())
    flow = request_flow(raw)
    with caplog.at_level(logging.ERROR, logger="stegwatch"):
        _, [record] = run_hooks(tmp_path, [flow], stegwatch_baseline="check",
                                stegwatch_baseline_db=str(tmp_path / "baseline.sqlite3"))
    assert flow.request.raw_content == raw and flow.response is None
    assert record.action == "pass"
    assert any("baseline check failed: RuntimeError: disk on fire" in r.getMessage() for r in caplog.records)


def test_addon_refuses_a_store_it_cannot_open(tmp_path: Path) -> None:
    not_a_db = tmp_path / "baseline.sqlite3"
    not_a_db.write_bytes(b"plain text, not SQLite " * 100)
    addon = Audit()

    async def configure() -> None:
        with addon_context(addon) as tctx:
            with pytest.raises(exceptions.OptionsError, match="stegwatch_baseline_db"):
                tctx.configure(addon, stegwatch_baseline="check", stegwatch_baseline_db=str(not_a_db))
            addon.done()

    asyncio.run(configure())


def test_addon_default_store_is_in_the_users_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    run_hooks(tmp_path, [request_flow(encoded(claude_body()))], stegwatch_baseline="learn")
    assert BaselineStore(tmp_path / "xdg" / "stegwatch" / "baseline.sqlite3").summaries()[0].lines > 50


# --- the command line -------------------------------------------------------------------------

def har(bodies: list[dict], agent: str) -> dict:
    entries = [{"request": {"method": "POST", "url": "https://api.anthropic.com/v1/messages",
                            "headers": [{"name": "User-Agent", "value": agent}, {"name": "x-api-key", "value": "sk-ant-secret"}],
                            "postData": {"mimeType": "application/json", "text": json.dumps(body)}}}
               for body in bodies]
    return {"log": {"version": "1.2", "creator": {"name": "test", "version": "1"}, "entries": entries}}


def test_cli_learns_captures_and_shows_them(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "baseline.sqlite3"
    capture = tmp_path / "session.har"
    capture.write_text(json.dumps(har([claude_body(), claude_body(reminder="Today's date is 2026-11-25.")], IDENTITY["user-agent"])))
    bare = tmp_path / "codex.json"
    bare.write_text((DATA / "bodies" / "codex_responses.json").read_text(encoding="utf-8"), encoding="utf-8")
    assert main(["baseline", "learn", str(capture), "--db", str(db)]) == 0
    assert main(["baseline", "learn", str(bare), "--db", str(db), "--user-agent", "codex_cli_rs/0.58.0"]) == 0
    assert "learned 1 request" in capsys.readouterr().out
    assert main(["baseline", "show", "--db", str(db), "--paths"]) == 0
    shown = capsys.readouterr().out
    assert "anthropic-messages  user-agent=claude-cli/2.0.14 (external, cli)" in shown
    assert "2 requests" in shown and "$['system'][*]['text']" in shown
    assert "openai-responses  user-agent=codex_cli_rs/0.58.0" in shown
    assert b"sk-ant-secret" not in db.read_bytes()
    # What the CLI learned is what the add-on checks against.
    drifted = claude_body(DRIFTED_PROMPT)
    assert [i.finding.severity for i in check(db, drifted, {"user-agent": IDENTITY["user-agent"]})] == [Severity.HIGH]
    assert main(["baseline", "show", "--db", str(db), "--format", "json"]) == 0
    assert {entry["api"] for entry in json.loads(capsys.readouterr().out)} == {"anthropic-messages", "openai-responses"}


def test_cli_learns_what_it_can_read_from_a_damaged_capture(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capture = tmp_path / "turns.jsonl"
    capture.write_text(json.dumps(claude_body()) + "\n{\"model\": \n", encoding="utf-8")
    db = tmp_path / "baseline.sqlite3"
    assert main(["baseline", "learn", str(capture), "--db", str(db)]) == 2
    assert "learned 1 request" in capsys.readouterr().out
    assert BaselineStore(db).summaries()[0].requests == 1


def test_cli_learns_probe_captures(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``stegwatch probe --keep DIR`` leaves one JSONL capture per run (`addons.capture_proxy`)."""
    import base64

    record = {"method": "POST", "url": "https://api.anthropic.com/v1/messages", "timestamp": 1764000000.0,
              "headers": [["User-Agent", IDENTITY["user-agent"]], ["x-api-key", "sk-ant-probe-secret"]],
              "body": base64.b64encode(json.dumps(claude_body()).encode()).decode()}
    capture = tmp_path / "41234.jsonl"
    capture.write_text(json.dumps(record) + "\n", encoding="utf-8")
    db = tmp_path / "baseline.sqlite3"
    assert main(["baseline", "learn", str(capture), "--db", str(db)]) == 0
    assert "learned 1 request" in capsys.readouterr().out
    drifted = claude_body(CLAUDE_PROMPT.replace(DATE_LINE, "Today\u02b9s date: 2026-11-24"))
    assert [i.finding.codepoints for i in check(db, drifted, {"user-agent": IDENTITY["user-agent"]})] == [["U+02B9"]]
    assert b"sk-ant-probe-secret" not in db.read_bytes()


# --- odd input ---------------------------------------------------------------------------------

def test_a_removed_invisible_character_is_drift_too(tmp_path: Path) -> None:
    marked = claude_body(CLAUDE_PROMPT.replace(DATE_LINE, "Today's\N{ZERO WIDTH SPACE} date: 2026-11-24"))
    monitor = BaselineMonitor("learn", tmp_path / "b.sqlite3")
    monitor.observe(IDENTITY, API, fields_of(marked))
    monitor.close()
    [item] = check(tmp_path / "b.sqlite3", claude_body())
    assert item.finding.severity == Severity.HIGH and "U+200B -> nothing" in item.finding.message
    assert item.field.text[item.finding.start:item.finding.end] == " "  # the code point after the removed one


def test_a_long_single_line_is_reported_clipped(tmp_path: Path) -> None:
    schema_line = "Parameters: " + ", ".join(f"option_{n} (string): what option {n} does" for n in range(800))
    body = claude_body()
    body["tools"][0]["description"] = schema_line
    monitor = BaselineMonitor("learn", tmp_path / "b.sqlite3")
    monitor.observe(IDENTITY, API, fields_of(body))
    monitor.close()
    body["tools"][0]["description"] = schema_line.replace("option 400 does", "option 400 does\N{ZERO WIDTH JOINER}")
    [item] = check(tmp_path / "b.sqlite3", body)
    assert item.finding.codepoints == ["U+200D"] and item.finding.severity == Severity.HIGH
    assert len(item.finding.message) < 600 and item.finding.message.count("\u2026") == 4


@pytest.mark.parametrize("system", ["\ud800", "Today's date: 2026-11-\ud800", "\n\n \n", "", "9" * 20000, "1:" * 5000,
                                    "\ud800Today\u2019s date: 2026/11/24"])
def test_any_string_is_learned_and_checked_without_error(tmp_path: Path, system: str) -> None:
    monitor = BaselineMonitor("learn", tmp_path / "b.sqlite3")
    monitor.observe(IDENTITY, API, fields_of(claude_body(system)))
    assert monitor.flush()
    monitor.close()
    check(tmp_path / "b.sqlite3", claude_body(system))
    assert check(tmp_path / "b.sqlite3", claude_body(system)) == []


def test_relearning_the_same_lines_elsewhere_keeps_cached_verdicts(learned: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = count_drift_checks(monkeypatch)
    monitor = BaselineMonitor("check", learned)
    drifted = claude_body(DRIFTED_PROMPT)
    monitor.observe(IDENTITY, API, fields_of(drifted))
    checked = len(calls)
    learn_through_another_store(learned)
    assert [i.finding.severity for i in monitor.observe(IDENTITY, API, fields_of(drifted))] == [Severity.HIGH]
    assert len(calls) == checked
    monitor.close()


def test_memory_is_bounded_by_the_text_it_holds(learned: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(baseline_module, "MAX_CACHED_CHARS", 20_000)
    monitor = BaselineMonitor("check", learned)
    for day in range(1, 12):
        monitor.observe(IDENTITY, API, fields_of(claude_body(CLAUDE_PROMPT.replace("2026-11-24", f"2026-11-{day:02d}"))))
        assert monitor._verdict_chars <= 20_000 + len(CLAUDE_PROMPT)
    monitor.close()
