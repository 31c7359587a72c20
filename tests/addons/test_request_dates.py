"""Dates across the client-authored fields of one request (addons/request_dates.py)."""

from __future__ import annotations

import json

import pytest

from addons.analysis import analyse_request
from addons.policy import rewrites
from addons.request_dates import cross_field_dates
from addons.sanitizer import sanitize_body
from addons.scan_cache import ScanCache
from addons.shapes import Role, TextField
from detectors import Severity
from tests.support.bodies import CLAUDE_SYSTEM, CODEX_INSTRUCTIONS, USER_ASK

CLAUDE_ENV = (
    "\n<env>\nWorking directory: /home/alice/billing\nIs directory a git repo: Yes\nPlatform: linux\n"
    "OS Version: Linux 6.8.0-49-generic\nToday's date: {date}\n</env>"
)
CLAUDE_REMINDER = (
    "<system-reminder>\nAs you answer the user's questions, you can use the following context:\n"
    "# currentDate\nToday's date is {date}.\n\n      IMPORTANT: this context may or may not be relevant to your tasks.\n"
    "</system-reminder>\n"
)
CODEX_ENVIRONMENT = (
    "<environment_context>\n  <cwd>/home/alice/billing</cwd>\n  <approval_policy>on-request</approval_policy>\n"
    "  <current_date>{date}</current_date>\n  <timezone>Europe/Berlin</timezone>\n</environment_context>"
)


def claude_body(system_date: str, reminder_date: str, user_text: str = USER_ASK) -> bytes:
    return json.dumps({
        "model": "claude-sonnet-4-6", "max_tokens": 1024,
        "system": [{"type": "text", "text": CLAUDE_SYSTEM + CLAUDE_ENV.format(date=system_date)}],
        "messages": [{"role": "user", "content": [
            {"type": "text", "text": CLAUDE_REMINDER.format(date=reminder_date)},
            {"type": "text", "text": user_text},
        ]}],
    }).encode()


def codex_body(instructions_date: str, context_date: str) -> bytes:
    return json.dumps({
        "model": "gpt-5-codex",
        "instructions": CODEX_INSTRUCTIONS + f"\nKnowledge cutoff: 2024-10\nCurrent date: {instructions_date}",
        "input": [
            {"type": "message", "role": "user", "content": [
                {"type": "input_text", "text": CODEX_ENVIRONMENT.format(date=context_date)}]},
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": USER_ASK}]},
        ],
    }).encode()


def cross_field(raw: bytes, path: str) -> list[tuple[str, str, str, Severity]]:
    analysis = analyse_request("POST", path, raw, None, ScanCache(), 10**8)
    return sorted({
        (item.field.path, item.role, item.finding.text, item.finding.severity)
        for item in analysis.located if "client-authored text of this request" in item.finding.message
    })


# --- the same day written two ways across the system prompt and the injected context ---------

@pytest.mark.parametrize(
    "raw, path, expected",
    [
        # Consistent: nothing.
        (claude_body("2026-11-24", "2026-11-24"), "/v1/messages", []),
        (codex_body("2026-11-24", "2026-11-24"), "/v1/responses", []),
        # The incident's separator switch, in the injected reminder only.
        (claude_body("2026-11-24", "2026/11/24"), "/v1/messages",
         [("$['messages'][0]['content'][0]['text']", "client_context", "2026/11/24", Severity.MEDIUM)]),
        (codex_body("2026-11-24", "2026/11/24"), "/v1/responses",
         [("$['input'][0]['content'][0]['text']", "client_context", "2026/11/24", Severity.MEDIUM)]),
        # A look-alike hyphen: the date detector's own high finding, and the same day drifts too.
        (claude_body("2026-11-24", "2026\u201011\u201024"), "/v1/messages",
         [("$['messages'][0]['content'][0]['text']", "client_context", "2026\u201011\u201024", Severity.MEDIUM)]),
    ],
)
def test_drift_across_client_authored_fields(raw: bytes, path: str, expected: list) -> None:
    assert cross_field(raw, path) == expected


def test_user_words_and_tool_results_are_not_client_text() -> None:
    # The user writes dates however they like; that tells nothing about the client.
    raw = claude_body("2026-11-24", "2026-11-24", "The invoice dated 2026/11/24 failed; see 11/24/2026 too.")
    assert cross_field(raw, "/v1/messages") == []


def test_findings_one_string_shows_are_not_repeated() -> None:
    system = TextField("$['system']", Role.SYSTEM, "Today's date is 2026-11-24.\nBuild of 2026/11/24 ok.")
    context = TextField("$['messages'][0]['content']", Role.CLIENT_CONTEXT, "Today's date is 2026-11-24.")
    located = analyse_request("POST", "/v1/messages", json.dumps({
        "model": "m", "max_tokens": 1, "system": system.text, "messages": [{"role": "user", "content": "hi"}],
    }).encode(), None, ScanCache(), 10**8).located
    own = {(i.finding.start, i.finding.end, i.finding.kind) for i in located}
    assert own, "the system prompt alone already shows the slash date"
    repeated = [f for field, f in cross_field_dates([system, context], located) if (f.start, f.end, f.kind) in own]
    assert repeated == []


def test_sanitize_rewrites_the_outlier_to_the_clients_other_format() -> None:
    raw = claude_body("2026-11-24", "2026/11/24")
    analysis = analyse_request("POST", "/v1/messages", raw, None, ScanCache(), 10**8)
    result = sanitize_body(analysis.decoded, rewrites(analysis.located, Severity.MEDIUM, "client"))
    assert json.loads(result.body)["messages"][0]["content"][0]["text"] == CLAUDE_REMINDER.format(date="2026-11-24")
    assert result.body.replace(b"2026-11-24.", b"2026/11/24.") == raw
