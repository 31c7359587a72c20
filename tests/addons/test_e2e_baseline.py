"""End to end, baselines: the official anthropic SDK -> a real mitmdump -> the local fake API.

The issue's test: one mitmdump learns a cell (``stegwatch_baseline=learn``), a second one
checks another cell against the same store (``stegwatch_baseline=check``). The agent's system
prompt says ``Today's date is 2026-11-24.`` with U+0027 in the first cell; in the other the
apostrophe is U+2019 and the date separator ``/``. A request with the same template but
another date and cwd gives nothing.
"""

from __future__ import annotations

import time
from pathlib import Path

import anthropic
import pytest

from addons.baseline import KIND
from addons.baseline_store import BaselineStore
from tests.addons.test_e2e import Capture, http_client, records_for
from tests.support.fake_api import RunningFakeApi
from tests.support.proxy import Mitmdump, start_mitmdump

pytestmark = pytest.mark.e2e

SYSTEM = (
    "You are a coding agent running in the user's terminal.\n"
    "Today{apostrophe}s date is {date}.\n"
    "Working directory: {cwd}\n"
    "Answer in the user{apostrophe}s language; keep answers short."
)


def system_prompt(apostrophe: str = "'", date: str = "2026-11-24", cwd: str = "/home/alice/projects/billing") -> str:
    return SYSTEM.format(apostrophe=apostrophe, date=date, cwd=cwd)


def ask(proxy: Mitmdump, fake_api: RunningFakeApi, system: str, user_agent: str | None = None) -> str:
    """One Messages call through the proxy; returns the SHA-256 of the body the SDK sent."""
    capture = Capture()
    headers = {"User-Agent": user_agent} if user_agent else None
    sdk = anthropic.Anthropic(api_key="sk-ant-api03-e2e-secret", base_url=fake_api.fake.base_url,
                              http_client=http_client(proxy, capture), max_retries=0, default_headers=headers)
    sdk.messages.create(model="claude-sonnet-4-6", max_tokens=64, system=system,
                        messages=[{"role": "user", "content": "Why does test_vat fail?"}])
    return capture.last_sha()


def wait_for_learning(db: Path, requests: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if db.exists():
            store = BaselineStore(db)
            summaries = store.summaries()
            store.close()
            if summaries and summaries[0].requests >= requests:
                return
        time.sleep(0.1)
    raise AssertionError(f"the learning proxy did not commit {requests} requests to {db}")


def test_learn_one_cell_then_check_another(fake_api: RunningFakeApi, fake_api_ca: Path, tmp_path: Path) -> None:
    db = tmp_path / "store" / "baseline.sqlite3"
    learning = start_mitmdump(tmp_path / "learn", fake_api_ca,
                              options=["stegwatch_baseline=learn", f"stegwatch_baseline_db={db}"])
    try:
        ask(learning, fake_api, system_prompt())
        wait_for_learning(db, 1)
    finally:
        learning.stop()

    checking = start_mitmdump(tmp_path / "check", fake_api_ca,
                              options=["stegwatch_baseline=check", f"stegwatch_baseline_db={db}"])
    try:
        same = ask(checking, fake_api, system_prompt(date="2026-12-09", cwd="/srv/work/shop-api"))
        drifted = ask(checking, fake_api, system_prompt(apostrophe="\u2019", date="2026/11/24"))
        unseen = ask(checking, fake_api, system_prompt(apostrophe="\u02bc"), user_agent="other-agent/1.0")
        [same_record] = records_for(checking, same)
        [drift_record] = records_for(checking, drifted)
        [unseen_record] = records_for(checking, unseen)
    finally:
        checking.stop()

    assert [f for f in same_record.findings if f.kind == KIND] == []
    assert [f for f in unseen_record.findings if f.kind == KIND] == []
    drift = [f for f in drift_record.findings if f.kind == KIND]
    assert {(f.path, f.role, f.detector) for f in drift} == {("$['system']", "system", "baseline")}
    assert sorted((f.severity.value, f.codepoints[0]) for f in drift) == [
        ("high", "U+0032"), ("medium", "U+2019"), ("medium", "U+2019")]  # 2026/11/24, and both apostrophes
    date_line = "Baseline 'Today\u27e6U+0027\u27e7s date is <DATE Y\u27e6U+002D\u27e7M\u27e6U+002D\u27e7D>.'"
    assert sum(date_line in f.message for f in drift) == 2
    assert any("date format <DATE Y-M-D> -> <DATE Y/M/D>" in f.message for f in drift)
    assert any("Baseline 'Answer in the user\u27e6U+0027\u27e7s language" in f.message for f in drift)
    console = checking.console_text()
    [unseen_line] = [line for line in console.splitlines() if "no baseline for anthropic-messages" in line]
    assert "user-agent=other-agent/1.0" in unseen_line
    stored = b"".join(path.read_bytes() for path in db.parent.glob("baseline.sqlite3*"))
    assert b"sk-ant-api03-e2e-secret" not in stored and b"test_vat" not in stored
