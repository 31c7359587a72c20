"""The JSONL audit log: schema matches the docs, 0600, whole lines, no credentials."""

from __future__ import annotations

import json
import os
import re
import stat
import threading
from pathlib import Path

import pytest

from addons import audit_log
from addons.audit_log import (
    AuditLog,
    Entry,
    LoggedFinding,
    LogRecord,
    OmittedFindings,
    client_identity,
    MAX_LOGGED_CODEPOINTS,
    encode_record,
    logged_codepoints,
    read_records,
    redact_path,
    revealed_context,
    within_cap,
)
from detectors import Severity
from detectors.base import make_finding
from tests.support.detector_findings import read_prompt

DOC = Path(__file__).resolve().parents[2] / "docs" / "log-format.md"


def record(**changes) -> LogRecord:
    finding = LoggedFinding(
        path="$['system'][0]['text']", role="system", detector="tag-smuggling", kind="tag-run",
        severity=Severity.HIGH, start=3, end=5, codepoints=["U+E0049", "U+E0044"], replacement="",
        message="tag characters", repeat=False, context="abc⟦U+E0049⟧⟦U+E0044⟧",
    )
    fields = dict(
        ts="2026-11-24T09:05:07.123Z", flow_id="f1", api="anthropic-messages", host="api.anthropic.com",
        path="/v1/messages", client={"user-agent": "claude-cli/2.0.14"}, mode="audit", action="pass",
        body_sha256="0" * 64, findings=[finding],
    )
    return LogRecord(**{**fields, **changes})


def documented_fields(section: str) -> list[str]:
    text = DOC.read_text(encoding="utf-8")
    body = text.split(f"## {section}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `([a-z_0-9]+)` \|", body, flags=re.MULTILINE)


# --- the documentation matches the model ----------------------------------------------------

@pytest.mark.parametrize("section, model", [("Record", LogRecord), ("Finding", LoggedFinding), ("Omitted", OmittedFindings)])
def test_docs_list_exactly_the_model_fields_in_order(section, model):
    assert documented_fields(section) == list(model.model_fields)


def test_docs_examples_are_valid_records():
    examples = [block.split("\n```", 1)[0] for block in DOC.read_text(encoding="utf-8").split("```json\n")[1:]]
    assert len(examples) >= 2  # audit and sanitize
    for example in examples:
        LogRecord.model_validate_json(example)


# --- the file ---------------------------------------------------------------------------------

def test_new_log_is_private_and_an_existing_one_is_made_private(tmp_path):
    fresh = AuditLog(tmp_path / "new" / "audit.jsonl")
    fresh.write(record())
    fresh.close()
    assert stat.S_IMODE(os.stat(tmp_path / "new" / "audit.jsonl").st_mode) == 0o600
    existing = tmp_path / "old.jsonl"
    existing.write_text("")
    existing.chmod(0o644)
    AuditLog(existing).close()
    assert stat.S_IMODE(os.stat(existing).st_mode) == 0o600


def test_each_record_is_one_write_of_one_whole_line(tmp_path, monkeypatch):
    writes: list[bytes] = []
    real_write = os.write

    def counting_write(fd, data):
        writes.append(bytes(data))
        return real_write(fd, data)

    monkeypatch.setattr(audit_log.os, "write", counting_write)
    log = AuditLog(tmp_path / "a.jsonl")
    log.write(record())
    log.write(record(flow_id="f2"))
    log.close()
    assert len(writes) == 2 and all(w.endswith(b"\n") and w.count(b"\n") == 1 for w in writes)


def test_concurrent_writers_leave_valid_jsonl(tmp_path):
    log = AuditLog(tmp_path / "a.jsonl")
    threads = [threading.Thread(target=lambda n=n: [log.write(record(flow_id=f"{n}-{i}")) for i in range(100)]) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    log.close()
    records = read_records(tmp_path / "a.jsonl")
    assert len({r.flow_id for r in records}) == 800


def test_lone_surrogates_are_escaped_not_lost():
    line = encode_record(record(findings=[], path="/v1/\ud800"))
    assert json.loads(line)["path"] == "/v1/\ud800"


# --- no credentials -------------------------------------------------------------------------

@pytest.mark.parametrize("headers, expected", [
    # Claude Code (Anthropic TypeScript SDK)
    ([("User-Agent", "claude-cli/2.0.14 (external, cli)"), ("x-api-key", "sk-ant-api03-AAAA"),
      ("anthropic-version", "2023-06-01"), ("X-Stainless-Package-Version", "0.60.0"),
      ("anthropic-beta", "claude-code-20250219,oauth-2025-04-20"), ("Authorization", "Bearer sk-ant-oat01-BBBB")],
     {"user-agent": "claude-cli/2.0.14 (external, cli)", "anthropic-version": "2023-06-01",
      "x-stainless-package-version": "0.60.0", "anthropic-beta": "claude-code-20250219,oauth-2025-04-20"}),
    # Codex
    ([("originator", "codex_cli_rs"), ("version", "0.46.0"), ("authorization", "Bearer eyJhbGciOi"),
      ("chatgpt-account-id", "acct-123"), ("OpenAI-Beta", "responses=experimental"), ("Cookie", "__cf_bm=xyz")],
     {"originator": "codex_cli_rs", "version": "0.46.0", "openai-beta": "responses=experimental"}),
    # Gemini CLI
    ([("User-Agent", "GeminiCLI/0.9.0 (linux; x64)"), ("x-goog-api-client", "gl-node/22.17.0"),
      ("x-goog-api-key", "AIzaSyDDDD"), ("x-goog-user-project", "my-project")],
     {"user-agent": "GeminiCLI/0.9.0 (linux; x64)", "x-goog-api-client": "gl-node/22.17.0"}),
])
def test_client_identity_keeps_only_allow_listed_headers(headers, expected):
    assert client_identity(headers) == expected


@pytest.mark.parametrize("path, expected", [
    ("/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse&key=AIzaSyA", "/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse"),
    ("/v1/chat/completions?api-key=abc&api-version=2024-10-21", "/v1/chat/completions?api-version=2024-10-21"),
    ("/v1/responses?access_token=ya29.x", "/v1/responses"),
    ("/v1/messages?beta=true", "/v1/messages?beta=true"),
    ("/v1/messages", "/v1/messages"),
])
def test_redact_path_removes_credential_parameters(path, expected):
    assert redact_path(path) == expected


# --- context ----------------------------------------------------------------------------------

@pytest.mark.parametrize("text, start, end, expected", [
    ("Today\u02bcs date is 2026-11-24.", 5, 6, "Today⟦U+02BC⟧s date is 2026-11-24."),
    ("x" * 40 + "\u200b" + "y" * 40, 40, 41, "…" + "x" * 24 + "⟦U+200B⟧" + "y" * 24 + "…"),
    ("ls \u202etxt.exe\u202c now", 3, 4, "ls ⟦U+202E⟧txt.exe⟦U+202C⟧ now"),
])
def test_revealed_context(text, start, end, expected):
    finding = make_finding("d", "k", text, start, end, Severity.HIGH, "m")
    assert revealed_context(text, finding) == expected


def test_a_long_span_shows_its_ends_and_counts_the_rest():
    """A run of a million ZWSPs after the date line must not make a megabytes-long log line."""
    line = "Today's date is 2026-11-24."
    text = line + "\u200b" * 1_000_000 + "\nIs directory a git repo: yes"
    finding = make_finding("invisible", "run", text, len(line), len(line) + 1_000_000, Severity.HIGH, "m")
    context = revealed_context(text, finding)
    assert context == ("…" + line[-24:] + "⟦U+200B⟧" * 24 + "⟦…999952 more…⟧" + "⟦U+200B⟧" * 24
                       + "⟦U+000A⟧Is directory a git repo…")
    assert len(logged_codepoints(finding)) == MAX_LOGGED_CODEPOINTS < finding.end - finding.start


def test_a_span_of_twice_the_context_is_shown_whole():
    text = "rm -rf " + "\u2062\u2064" * 24 + " /tmp/build"
    finding = make_finding("invisible", "binary", text, 7, 55, Severity.HIGH, "m")
    assert revealed_context(text, finding) == "rm -rf " + "⟦U+2062⟧⟦U+2064⟧" * 24 + " /tmp/build"
    assert logged_codepoints(finding) == finding.codepoints


# --- a crowded record lists the new and the most severe, and counts the rest -----------------

def test_past_the_cap_new_and_severe_findings_are_listed_and_the_rest_counted() -> None:
    text = read_prompt("claude_code.txt")
    zwsp = [make_finding("invisible", "zero-width", text, i, i + 1, Severity.MEDIUM, "m") for i in range(0, 50, 2)]
    tag = make_finding("tag-smuggling", "tag-run", text, 60, 64, Severity.HIGH, "tags")
    entries = [Entry("$['system']", "system", f, False, repeat=i < 10) for i, f in enumerate(zwsp)]
    entries.append(Entry("$['messages'][0]['content']", "user", tag, False, repeat=True))
    listed, omitted = within_cap(entries, cap=16)
    assert len(listed) == 16 and [e.finding.start for e in listed] == sorted(e.finding.start for e in listed)
    assert all(not e.repeat for e in listed[:-1]) and listed[-1].finding is tag  # 15 new, then the most severe repeat
    assert [(o.role, o.kind, o.count, o.first_start) for o in omitted] == [("system", "zero-width", 10, 0)]
    record_ = record(findings=[], omitted=omitted)
    assert record_.count() == 10 and record_.count(Severity.HIGH) == 0
    assert LogRecord.model_validate_json(encode_record(record_)) == record_


def test_within_the_cap_every_finding_is_listed() -> None:
    text = read_prompt("claude_code.txt")
    entries = [Entry("$['system']", "system", make_finding("d", "k", text, i, i + 1, Severity.LOW, "m"), False, False)
               for i in range(5)]
    assert within_cap(entries, cap=5) == (entries, [])
