"""Throughput of addons/splice.py on a 2 MB agent request body: string_spans and splice.

Builds an Anthropic Messages body of about 2 MB from the test fixture (a long coding session:
tool results with code, CJK prose and emoji), marks 50 strings with U+2019, then times
`string_spans`, `splice` of the 50 cleaned strings and `json.loads` of the same bytes (the
yardstick: the machine is shared, so the ratio is the figure to compare across runs), for raw
UTF-8, ``ensure_ascii`` and ``indent=2`` serialisations. Prints MB/s; asserts only correctness.

    .venv/bin/python bench/splice_bench.py
"""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path

from addons.splice import splice, string_spans
from run import best_seconds  # bench/run.py, beside this script

FIXTURE = Path(__file__).parent.parent / "tests" / "data" / "splice" / "anthropic_messages.json"
TARGET_BYTES = 2_000_000
MARKS = 50
STYLES = {"raw UTF-8": {"ensure_ascii": False}, "ensure_ascii": {}, "indent=2": {"indent": 2}}


def build_body() -> dict:
    body = json.loads(FIXTURE.read_bytes())
    turns = body["messages"][1:]
    while len(json.dumps(body, ensure_ascii=False).encode()) < TARGET_BYTES:
        body["messages"].extend(copy.deepcopy(turns))
    return body


def main() -> None:
    random.seed(5)
    body = build_body()
    for label, dumps_args in STYLES.items():
        clean = json.dumps(body, **dumps_args).encode()
        chosen = random.sample([t for t in string_spans(clean) if len(t.value) > 10], MARKS)
        marked_raw = clean
        for token in sorted(chosen, key=lambda t: t.start, reverse=True):
            marked = json.dumps(
                token.value[:5] + "\u2019" + token.value[5:], ensure_ascii="ensure_ascii" not in dumps_args
            )
            marked_raw = marked_raw[: token.start] + marked.encode() + marked_raw[token.end :]
        replacements = {token.path: token.value for token in chosen}
        assert splice(marked_raw, replacements) == clean

        size = len(marked_raw) / 1e6
        loads = best_seconds(repeats=5, action=lambda body=marked_raw: json.loads(body))
        timings = {
            "string_spans": best_seconds(repeats=3, action=lambda body=marked_raw: sum(1 for _ in string_spans(body))),
            f"splice x{MARKS}": best_seconds(repeats=5, action=lambda body=marked_raw, wanted=replacements: splice(body, wanted)),
            "splice {}": best_seconds(repeats=5, action=lambda body=marked_raw: splice(body, {})),
        }
        figures = "  ".join(
            f"{name} {size / seconds:5.1f} MB/s ({seconds / loads:3.1f}x json.loads)"
            for name, seconds in timings.items()
        )
        print(f"{label:12s} {size:.2f} MB: json.loads {size / loads:5.1f} MB/s  {figures}")


if __name__ == "__main__":
    main()
