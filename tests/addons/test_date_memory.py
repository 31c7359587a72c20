"""Tests for `addons.date_memory.DateLineMemory`: template lines that change between requests."""

from __future__ import annotations

import pytest

from addons.date_memory import DateLineMemory
from detectors.model import Severity

PROMPT = "You are Claude Code.\n<env>\nWorking directory: /home/dev/app\nToday{apos}s date is {date}.\n</env>"


@pytest.mark.parametrize(
    "first, second, severity",
    [
        # The calendar moving on is not a change.
        ((("'", "2026-11-24")), (("'", "2026-11-25")), None),
        ((("'", "2026-11-9")), (("'", "2026-11-10")), None),
        # Punctuation changed, same date: high.
        ((("'", "2026-11-24")), (("\u2019", "2026-11-24")), Severity.HIGH),
        # Separator changed with the day: medium.
        ((("'", "2026-11-24")), (("'", "2026/11/25")), Severity.MEDIUM),
        # Separator changed, same day: high.
        ((("'", "2026-11-24")), (("'", "2026\u221211\u221224")), Severity.HIGH),
    ],
)
def test_template_drift(first: tuple[str, str], second: tuple[str, str], severity: Severity | None) -> None:
    memory = DateLineMemory()
    assert memory.observe("claude-cli/2.0", "$['system']", PROMPT.format(apos=first[0], date=first[1])) == []
    findings = memory.observe("claude-cli/2.0", "$['system']", PROMPT.format(apos=second[0], date=second[1]))
    assert [f.severity for f in findings] == ([] if severity is None else [severity])
    if findings:
        assert findings[0].kind == "date-template-drift" and findings[0].detector == "dates"
        assert "before" in findings[0].message


def test_clients_are_separate_and_memory_is_bounded() -> None:
    memory = DateLineMemory(max_clients=2, max_lines=4)
    memory.observe("a", "$", PROMPT.format(apos="'", date="2026-11-24"))
    assert memory.observe("b", "$", PROMPT.format(apos="\u2019", date="2026-11-24")) == []
    memory.observe("c", "$", "Build at 2026-11-24")
    # "a" was evicted (LRU), so its next request starts fresh.
    assert memory.observe("a", "$", PROMPT.format(apos="\u2019", date="2026-11-24")) == []
    for day in range(1, 10):
        memory.observe("a", "$", f"line {'x' * day} on 2026-11-0{day}")
    assert len(memory._clients["a"]) <= 4


def test_revealed_message_names_the_code_point() -> None:
    memory = DateLineMemory()
    memory.observe("codex", "$['input'][0]", PROMPT.format(apos="'", date="2026-11-24"))
    [finding] = memory.observe("codex", "$['input'][0]", PROMPT.format(apos="\u02bc", date="2026-11-24"))
    assert "\u27e6U+02BC\u27e7" in finding.message
