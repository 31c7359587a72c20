"""The baseline check's cost on a warm 2 MB request, against issue 7's target: ``python bench/baseline_bench.py``.

Issue 7: "A baseline check on a warm 2 MB request adds <= 1 ms." The body is an Anthropic
request shaped like a long Claude Code conversation (`tests.support.bodies.conversation_body`)
with the real Claude Code system prompt and tool definitions of `tests/data/bodies` (the tools
copied until they weigh what Claude Code's 20 tools do, about 60 KB). The
store first learns it; then every timed run parses the body afresh (not timed) and times
`BaselineMonitor.observe` in check mode, which is all the add-on adds for a baseline:

- **fresh strings**: the field texts are new ``str`` objects, so the check pays for hashing
  every client-authored text itself (the conservative figure);
- **after the scan cache**: as live, `addons.analysis` has already looked every string up in
  the per-string scan cache, which leaves its hash memoized on the object.

Also printed, for information: a cold check (the first request of a new prompt, every line
masked and compared) and learn mode's own cost per request (writes go to a background thread).
Figures are medians over a few hundred runs; numbers on a shared machine are noisy.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from addons.analysis import analyse_request  # noqa: E402
from addons.baseline import BaselineMonitor  # noqa: E402
from addons.scan_cache import ScanCache  # noqa: E402
from addons.shapes import Api, extract_fields, parse_json_body  # noqa: E402
from tests.support.bodies import conversation_body  # noqa: E402

TARGET_MS = 1.0
RUNS = 300
IDENTITY = {"user-agent": "claude-cli/2.0.14 (external, cli)", "x-stainless-package-version": "0.68.0",
            "x-stainless-retry-count": "0"}
API = Api.ANTHROPIC_MESSAGES.value


def claude_code_body(size: int) -> dict:
    real = json.loads((REPO / "tests" / "data" / "bodies" / "claude_code_messages.json").read_text(encoding="utf-8"))
    body = conversation_body(size, marked=False)
    body["system"] = real["system"]
    # Claude Code sends some 20 tools (about 60 KB); the sample has 4: 16 renamed copies of each.
    body["tools"] = [
        {**tool, "name": f"{tool['name']}_{copy}", "description": f"{tool['description']}\n(Copy {copy} of this tool.)"}
        for copy in range(16) for tool in real["tools"]
    ]
    # A reminder block in the first user message, as Claude Code injects one.
    body["messages"][0]["content"].insert(0, {"type": "text", "text": "<system-reminder>\nToday's date is 2026-11-24.\n"
                                              "As you answer, use the TodoWrite tool to track tasks.\n</system-reminder>"})
    return body


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def p95_ms(samples: list[float]) -> float:
    return sorted(samples)[int(len(samples) * 0.95)] * 1000


def main() -> None:
    body = claude_code_body(2_000_000)
    raw = json.dumps(body, ensure_ascii=False).encode()
    fields = extract_fields(Api.ANTHROPIC_MESSAGES, parse_json_body(raw))
    client_chars = sum(len(f.text) for f in fields if f.role.value in ("system", "tool_definition") or f.role_spans)
    print(f"body: {len(raw) / 1e6:.2f} MB, {len(fields)} strings, {client_chars} characters of client-authored text")

    with tempfile.TemporaryDirectory() as workdir:
        db = Path(workdir) / "baseline.sqlite3"
        learner = BaselineMonitor("learn", db)
        learn_times = []
        for _ in range(50):
            fresh = extract_fields(Api.ANTHROPIC_MESSAGES, parse_json_body(raw))
            start = time.perf_counter()
            learner.observe(IDENTITY, API, fresh)
            learn_times.append(time.perf_counter() - start)
        learner.flush()
        learner.close()

        checker = BaselineMonitor("check", db)
        start = time.perf_counter()
        found = checker.observe(IDENTITY, API, fields)
        cold = time.perf_counter() - start
        assert found == [], "the learned body must check clean"

        fresh_times = []
        for _ in range(RUNS):
            fresh = extract_fields(Api.ANTHROPIC_MESSAGES, parse_json_body(raw))
            start = time.perf_counter()
            checker.observe(IDENTITY, API, fresh)
            fresh_times.append(time.perf_counter() - start)

        cache = ScanCache()
        analyse_request("POST", "/v1/messages", raw, None, cache, 64 * 1024 * 1024)  # warm the scan cache
        live_times = []
        for _ in range(RUNS // 3):
            analysis = analyse_request("POST", "/v1/messages", raw, None, cache, 64 * 1024 * 1024)
            start = time.perf_counter()
            checker.observe(IDENTITY, API, analysis.fields)
            live_times.append(time.perf_counter() - start)
        checker.close()

    print(f"\nbaseline check, warm 2 MB request ({RUNS} runs; target <= {TARGET_MS:g} ms):")
    for label, samples in (("fresh strings", fresh_times), ("after the scan cache", live_times)):
        median = median_ms(samples)
        print(f"  {label:22} median {median:6.3f} ms  min {min(samples) * 1000:6.3f} ms  p95 {p95_ms(samples):6.3f} ms  "
              f"= {median / TARGET_MS:.2f}x the target {'(ok)' if median <= TARGET_MS else '(MISSED)'}")
    print(f"  cold check (first sight of this prompt): {cold * 1000:.1f} ms")
    print(f"  learn mode, per request (queued to the writer thread): median {median_ms(learn_times):.3f} ms")


if __name__ == "__main__":
    main()
