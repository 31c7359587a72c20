"""Date-format drift across requests and the disclosure-severity option, through the add-on."""

from __future__ import annotations

import json

import pytest

from addons.date_drift import client_key, is_client_authored, raise_disclosures
from addons.analysis import Located
from addons.shapes import Role, TextField
from detectors import scan
from tests.addons.test_audit import request_flow, run_hooks

# The incident: a coding agent's environment block, resent every turn.
SYSTEM = (
    "You are an interactive CLI tool that helps users with software engineering tasks.\n"
    "<env>\nWorking directory: /home/wei/project\nIs directory a git repo: Yes\nPlatform: linux\n"
    "Today{apostrophe}s date is {date}.\n</env>\n"
)


def anthropic_body(apostrophe: str, date: str, user_text: str = "Fix the failing test in tests/test_api.py") -> bytes:
    body = {
        "model": "claude-sonnet-4-5",
        "max_tokens": 1024,
        "system": [{"type": "text", "text": SYSTEM.format(apostrophe=apostrophe, date=date)}],
        "messages": [{"role": "user", "content": user_text}],
    }
    return json.dumps(body).encode()


def drift_findings(records):
    return [f for record in records for f in record.findings if f.kind == "date-template-drift"]


def test_changed_separator_on_the_same_day_is_high(tmp_path):
    flows = [request_flow(anthropic_body("'", "2026-11-24")), request_flow(anthropic_body("'", "2026/11/24"))]
    _, records = run_hooks(tmp_path, flows)
    assert drift_findings(records[:1]) == []
    [drift] = drift_findings(records[1:])
    assert drift.severity == "high"
    assert drift.role == "system"
    assert drift.path == "$['system'][0]['text']"


def test_changed_apostrophe_is_reported_with_its_code_point(tmp_path):
    flows = [request_flow(anthropic_body("'", "2026-11-24")), request_flow(anthropic_body("\u2019", "2026-11-24"))]
    _, records = run_hooks(tmp_path, flows)
    drifts = drift_findings(records[1:])
    assert drifts and any("U+2019" in f.message or "U+2019" in f.codepoints for f in drifts)


def test_the_calendar_moving_on_is_not_drift(tmp_path):
    flows = [request_flow(anthropic_body("'", "2026-11-24")), request_flow(anthropic_body("'", "2026-11-25"))]
    _, records = run_hooks(tmp_path, flows)
    assert drift_findings(records) == []


def test_other_clients_have_their_own_memory(tmp_path):
    flows = [
        request_flow(anthropic_body("'", "2026-11-24")),
        request_flow(anthropic_body("'", "2026/11/24"), **{"user-agent": "other-agent/1.0"}),
    ]
    _, records = run_hooks(tmp_path, flows)
    assert drift_findings(records) == []


def test_user_text_changing_between_turns_is_not_drift(tmp_path):
    flows = [
        request_flow(anthropic_body("'", "2026-11-24", "The release is on 2026-12-01.")),
        request_flow(anthropic_body("'", "2026-11-24", "The release is on 2026/12/01.")),
    ]
    _, records = run_hooks(tmp_path, flows)
    assert drift_findings(records) == []


@pytest.mark.parametrize("option, expected", [("info", "info"), ("medium", "medium"), ("high", "high")])
def test_disclosure_severity_option_raises_zone_disclosures(tmp_path, option, expected):
    body = json.dumps({
        "model": "gpt-5-codex",
        "instructions": "You are Codex, a coding agent.",
        "input": [{"type": "message", "role": "user", "content": [{"type": "input_text", "text":
            "<environment_context>\n  <cwd>/home/wei/project</cwd>\n  <current_date>2026-11-24</current_date>\n"
            "  <timezone>Asia/Shanghai</timezone>\n</environment_context>"}]}],
    }).encode()
    _, records = run_hooks(tmp_path, [request_flow(body, "/v1/responses", "api.openai.com")],
                           stegwatch_min_severity="info", stegwatch_disclosure_severity=option)
    disclosures = [f for r in records for f in r.findings if f.kind == "date-disclosure"]
    assert disclosures, [f.kind for r in records for f in r.findings]
    assert {f.severity for f in disclosures} == {expected}
    assert {f.role for f in disclosures} == {"client_context"}


def test_client_key_is_stable_and_ignores_header_order():
    assert client_key({"b": "2", "a": "1"}) == client_key({"a": "1", "b": "2"}) == "a=1;b=2"


def test_only_client_authored_fields_are_remembered():
    assert is_client_authored(TextField("$['system']", Role.SYSTEM, "x"))
    assert not is_client_authored(TextField("$['messages'][0]['content']", Role.USER, "x"))
    assert is_client_authored(TextField("$['messages'][0]['content']", Role.USER, "<a>x</a> hi", ((0, 8, Role.CLIENT_CONTEXT),)))


def test_raise_disclosures_leaves_other_findings_alone():
    text = "Today\u02bcs date is 2026-11-24 (Asia/Shanghai)."
    field = TextField("$['system']", Role.SYSTEM, text)
    located = [Located(field, f) for f in scan(text)]
    raised = raise_disclosures(located, "medium")
    for before, after in zip(located, raised):
        if before.finding.kind == "date-disclosure":
            assert after.finding.severity >= "medium"
        else:
            assert after.finding == before.finding
