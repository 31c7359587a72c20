"""What the comparison of ``stegwatch probe`` costs: ``python bench/differ_bench.py``.

Issue 7 allows at most 1 s per cell on top of the agent's own run time; the runner's share is
measured by `bench/probe_bench.py`, the comparison's (`addons.differ.compare`) here. Three
inputs, each the reference cell twice and one variant cell:

- typical: 30 Anthropic requests of ~100 KB each (a long coding conversation), differing in a
  session line (noise) and a date line (a covert separator change);
- volatile text: 10 requests whose 100 KB tool output is a single line that differs wholly on
  every run;
- volatile lines: 10 requests whose tool output is 1500 lines that differ on every run.
"""

from __future__ import annotations

import copy
import json
import random
import statistics
import string
import sys
import time
from datetime import timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from addons.captured import CapturedRequest  # noqa: E402
from addons.differ import compare  # noqa: E402
from addons.probe_model import CellCapture  # noqa: E402
from tests.support.bodies import conversation_body  # noqa: E402
from tests.support.probe_cells import INSTANT, cell_of  # noqa: E402

REPEATS = 5
TARGET_S = 1.0


def _request(body: dict, seed: int) -> CapturedRequest:
    raw = json.dumps(body, ensure_ascii=False).encode()
    headers = [("host", "api.anthropic.com"), ("content-type", "application/json"), ("content-length", str(len(raw)))]
    return CapturedRequest("POST", "https://api.anthropic.com/v1/messages", headers, raw,
                           timestamp=(INSTANT + timedelta(seconds=seed)).timestamp())


def typical(run: int, date: str) -> list[CapturedRequest]:
    base = conversation_body(100_000, marked=False)
    requests = []
    for index in range(30):
        body = copy.deepcopy(base)
        body["system"][0]["text"] += f"\nToday's date is {date}.\nsession {run:08x}-1c2a-4e2a-9c1d-{index:012x}"
        requests.append(_request(body, run))
    return requests


def volatile(run: int, lines: bool) -> list[CapturedRequest]:
    rng = random.Random(run)

    def words(count: int) -> str:
        return " ".join("".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(2, 9))) for _ in range(count))

    requests = []
    for _ in range(10):
        text = "\n".join(words(12) if k % 3 else "" for k in range(1500)) if lines else words(15000)
        body = {"system": "You are an agent.", "messages": [
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t", "content": text}]}]}
        requests.append(_request(body, run))
    return requests


def measure(name: str, runs: tuple[list[CapturedRequest], list[CapturedRequest], list[CapturedRequest]]) -> None:
    reference, variant = cell_of({}), cell_of({"TZ": "Asia/Shanghai"})
    captures = [CellCapture(cell=reference, run=1, exit_status=0, duration_s=1.0, requests=runs[0]),
                CellCapture(cell=reference, run=2, exit_status=0, duration_s=1.0, requests=runs[1]),
                CellCapture(cell=variant, run=1, exit_status=0, duration_s=1.0, requests=runs[2])]
    size = sum(len(r.body) for r in runs[0]) / len(runs[0])
    timings = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        result = compare(captures, ["bench"])
        timings.append(time.perf_counter() - started)
    median = statistics.median(timings)
    verdict = "ok" if median < TARGET_S else "OVER"
    print(f"{name}: {len(runs[0])} requests x 3 runs of {size / 1024:.0f} KB: median {median * 1000:.0f} ms "
          f"({len(result.differences)} differences, {len(result.unexplained)} unexplained) [{verdict}]")


if __name__ == "__main__":
    measure("typical", (typical(1, "2026-11-24"), typical(2, "2026-11-24"), typical(3, "2026/11/25")))
    measure("volatile text", (volatile(1, False), volatile(2, False), volatile(3, False)))
    measure("volatile lines", (volatile(1, True), volatile(2, True), volatile(3, True)))
