"""`addons.policy`: which findings sanitize rewrites (scope, threshold) and which block refuses."""

from __future__ import annotations

import pytest

from addons.analysis import Located
from addons.policy import SCOPES, blocking, describe_block, in_scope, rewrites
from addons.shapes import Role, TextField
from detectors import Severity, scan

APOSTROPHE = "\N{MODIFIER LETTER APOSTROPHE}"
REMINDER = f"<system-reminder>\nToday{APOSTROPHE}s date is 2026-11-24.\n</system-reminder>\n"
ASK = f"Why doesn{APOSTROPHE}t the billing test pass?"


def located(path: str, role: Role, text: str, spans: tuple = ()) -> list[Located]:
    text_field = TextField(path, role, text, spans)
    return [Located(text_field, finding) for finding in scan(text)]


@pytest.mark.parametrize("role, scopes", [
    # Client-authored text: every scope
    (Role.SYSTEM, {"client", "conversation", "all"}),
    (Role.TOOL_DEFINITION, {"client", "conversation", "all"}),
    (Role.CLIENT_CONTEXT, {"client", "conversation", "all"}),
    (Role.METADATA, {"client", "conversation", "all"}),
    # What the user typed and the model wrote
    (Role.USER, {"conversation", "all"}),
    (Role.ASSISTANT, {"conversation", "all"}),
    # What the agent read or ran: only `all`
    (Role.TOOL_CALL, {"all"}),
    (Role.TOOL_RESULT, {"all"}),
])
def test_scope_by_role(role, scopes):
    [item] = located("$['x']", role, f"It{APOSTROPHE}s late")
    assert {scope for scope in SCOPES if in_scope(item, scope)} == scopes


def test_role_at_the_finding_decides_inside_a_user_message():
    items = located("$['messages'][0]['content']", Role.USER, REMINDER + ASK, ((0, len(REMINDER), Role.CLIENT_CONTEXT),))
    [plan] = rewrites(items, Severity.MEDIUM, "client")
    assert [f.start for f in plan.findings] == [REMINDER.index(APOSTROPHE)]
    [plan] = rewrites(items, Severity.MEDIUM, "conversation")
    assert len(plan.findings) == 2


def test_member_names_are_never_rewritten():
    items = located("$['metadata']['user\\u200bid']~", Role.METADATA, "user\N{ZERO WIDTH SPACE}id")
    assert items and rewrites(items, Severity.INFO, "all") == []


@pytest.mark.parametrize("threshold, count", [(Severity.HIGH, 0), (Severity.MEDIUM, 1), (Severity.INFO, 1)])
def test_threshold(threshold, count):
    items = located("$['system']", Role.SYSTEM, "Run the suite\N{ZERO WIDTH SPACE} now.")  # zero width: medium
    assert sum(len(plan.findings) for plan in rewrites(items, threshold, "client")) == count


def test_findings_without_a_replacement_are_left_alone():
    items = located("$['system']", Role.SYSTEM, "Run the suite\N{ZERO WIDTH SPACE} now.")
    assert rewrites(items, Severity.INFO, "all")
    kept = [Located(item.field, item.finding.model_copy(update={"replacement": None})) for item in items]
    assert rewrites(kept, Severity.INFO, "all") == []


def test_block_ignores_the_scope_and_names_the_findings():
    items = located("$['messages'][2]['content'][0]['content']", Role.TOOL_RESULT, "total 12\N{ZERO WIDTH SPACE}" + "\U000E0049\U000E0044")
    hits = blocking(items, Severity.HIGH)
    assert [item.role for item in hits] == ["tool_result"]
    message = describe_block(hits, Severity.HIGH)
    assert "U+E0049 U+E0044" in message and "tool_result" in message and "$['messages'][2]" in message
    assert blocking(items, Severity.MEDIUM) and len(blocking(items, Severity.MEDIUM)) == 2
