"""Offline scan speed on a directory of captures, against issue 8's target: ``python bench/capture_bench.py``.

It writes (into a temporary directory) about ``--size-mb`` MB (default 1024) of clean
``.mitm`` flow dumps with mitmproxy's own `FlowWriter`: multi-turn coding-agent
conversations as agents send them, each request resending the system prompt, the tools and
every earlier turn. They start from the real agent bodies of ``tests/data/bodies`` (Claude
Code, Codex, Gemini CLI, an OpenAI chat client) and add turns of assistant text, tool calls
and file reads of 2-24 KB (Python's own standard library sources, those that scan clean),
each flow with a short streamed answer. Then it runs the real ``stegwatch scan DIR`` in a
child process (the same code a user runs; the report goes to /dev/null) and prints:

- MB/s over the bytes of the capture files, and the ratio to the 100 MB/s target, with the
  default ``--jobs`` (one worker process per idle CPU) and with ``--jobs 1``;
- MB/s over the request bodies alone (what the analysis reads);
- the peak RSS of a ``--jobs 1`` scan (VmHWM of the scanning process), next to that of a scan
  of an empty directory (the interpreter and imports), the largest single request body and
  the string cache's budget: memory must follow those, not the size of the directory.

The machine is shared and has two cores, so each scan runs ``--repeat`` times (default 2) and
the best run counts; the files are written first and read back once so that the page cache,
not the disk, serves every run. Figures on a busy machine are noisy: run it twice.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from mitmproxy.io import FlowWriter  # noqa: E402
from mitmproxy.test import tflow, tutils  # noqa: E402

from addons.offline_scan import CACHE_BYTES  # noqa: E402

TARGET_MB_S = 100.0
FILE_BYTES = 48 * 1024 * 1024
TURNS_PER_CONVERSATION = 40
BODIES = REPO / "tests" / "data" / "bodies"
# Real agent request bodies (tests/data/bodies) and the API path each is sent to.
AGENTS = (
    ("claude_code_messages.json", "/v1/messages?beta=true", "claude-cli/2.0.1 (external, cli)"),
    ("codex_responses.json", "/v1/responses", "codex_cli_rs/0.40.0"),
    ("gemini_cli_generate_content.json", "/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse", "GeminiCLI/0.9.0"),
    ("openai_chat_tools.json", "/v1/chat/completions", "OpenAI/Python 1.109.1"),
)
# The streamed answer each flow keeps, as a capture of a real session holds it.
ANSWER = (
    b'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_01","role":"assistant"}}\n\n'
    + b'event: content_block_delta\ndata: {"type":"content_block_delta","delta":{"type":"text_delta","text":"Done."}}\n\n' * 8
    + b'event: message_stop\ndata: {"type":"message_stop"}\n\n'
)


def source_files() -> list[str]:
    """What an agent reads with its tools: Python's own standard library sources, the ones
    that carry nothing at or above medium (the traffic must be clean)."""
    from detectors import Severity, scan

    stdlib = Path(sysconfig.get_paths()["stdlib"])
    texts = []
    for package in ("json", "email", "http", "urllib", "logging", "asyncio", "importlib", "concurrent/futures"):
        for path in sorted((stdlib / package).glob("*.py")):
            text = path.read_text(encoding="utf-8", errors="replace")
            if 2000 < len(text) and not any(f.severity >= Severity.MEDIUM for f in scan(text)):
                texts.append(text)
    return texts


def conversation_requests(number: int, files: list[str]) -> list[tuple[str, str, bytes]]:
    """(path, user agent, body) of each turn of one conversation; every request resends the
    system prompt, the tools and all earlier turns, as agents do."""
    name, path, agent = AGENTS[number % len(AGENTS)]
    body = json.loads((BODIES / name).read_text(encoding="utf-8"))
    requests: list[tuple[str, str, bytes]] = []
    for turn in range(TURNS_PER_CONVERSATION):
        read = files[(number * 7 + turn) % len(files)]
        # A file read of 2-24 KB, as coding agents' read tools return (line-numbered in reality).
        length = 2000 + (number * 131 + turn * 389) % 22000
        start = (turn * 997) % max(1, len(read) - length)
        output = read[start:start + length]
        said = f"Step {turn} of conversation {number}: the output shows what to change next; I will edit it."
        _add_turn(body, name, said, output, f"{number}_{turn}")
        requests.append((path, agent, json.dumps(body, ensure_ascii=False).encode()))
    return requests


def _add_turn(body: dict, name: str, said: str, output: str, call: str) -> None:
    if name.startswith("claude"):
        body["messages"] += [
            {"role": "assistant", "content": [{"type": "text", "text": said},
                                              {"type": "tool_use", "id": f"toolu_{call}", "name": "Bash", "input": {"command": "sed -n 1,120p f.py"}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": f"toolu_{call}", "content": output}]},
        ]
    elif name.startswith("codex"):
        body["input"] += [
            {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": said}]},
            {"type": "function_call", "call_id": f"call_{call}", "name": "shell", "arguments": json.dumps({"command": ["bash", "-lc", "sed -n 1,120p f.py"]})},
            {"type": "function_call_output", "call_id": f"call_{call}", "output": output},
        ]
    elif name.startswith("gemini"):
        body["contents"] += [
            {"role": "model", "parts": [{"text": said}, {"functionCall": {"name": "run_shell_command", "args": {"command": "sed -n 1,120p f.py"}}}]},
            {"role": "user", "parts": [{"functionResponse": {"name": "run_shell_command", "response": {"output": output}}}]},
        ]
    else:
        body["messages"] += [{"role": "assistant", "content": said}, {"role": "user", "content": output}]


def write_captures(directory: Path, size: int) -> tuple[int, int, int]:
    """Write about ``size`` bytes of .mitm files; return (file bytes, request bytes, largest body)."""
    written = requests_bytes = largest = 0
    files = source_files()
    number = 0
    file_index = 0
    while written < size:
        path = directory / f"session-{file_index:04d}.mitm"
        with path.open("wb") as handle:
            writer = FlowWriter(handle)
            while handle.tell() < FILE_BYTES and written + handle.tell() < size:
                for request_path, agent, raw in conversation_requests(number, files):
                    flow = tflow.tflow(
                        req=tutils.treq(method=b"POST", host="api.example.com", port=443, path=request_path.encode(), content=raw),
                        resp=tutils.tresp(content=ANSWER),
                    )
                    flow.request.scheme = "https"
                    flow.request.headers["user-agent"] = agent
                    flow.request.headers["content-type"] = "application/json"
                    flow.response.headers["content-type"] = "text/event-stream"
                    writer.add(flow)
                    requests_bytes += len(raw)
                    largest = max(largest, len(raw))
                number += 1
            written += handle.tell()
        file_index += 1
    return written, requests_bytes, largest


def read_back(directory: Path) -> None:
    for path in directory.iterdir():
        with path.open("rb") as handle:
            while handle.read(16 * 1024 * 1024):
                pass


# Runs ``stegwatch scan`` and reports the process's own peak RSS. VmHWM is per process image,
# reset by exec; ru_maxrss of a child would also count the parent's pages at fork time.
_CHILD = """
import sys
from addons.cli import main
status = main(sys.argv[1:])
try:
    with open("/proc/self/status") as status_file:
        peak = next(line.split()[1] for line in status_file if line.startswith("VmHWM:"))
except OSError:  # not Linux: ru_maxrss (kB on Linux and BSD; bytes on macOS, close enough here)
    import resource
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(f"peak-kib {peak}", file=sys.stderr)
sys.exit(status)
"""


def scan_in_child(directory: Path, jobs: int = 0) -> tuple[float, int, int]:
    """Run ``stegwatch scan DIR`` in a child; return (seconds, exit status, peak RSS of the
    main process in bytes; with jobs > 1 the workers come on top, one cache budget each)."""
    command = [sys.executable, "-c", _CHILD, "scan", str(directory), "-o", os.devnull, "--jobs", str(jobs)]
    started = time.perf_counter()
    child = subprocess.run(command, cwd=REPO, stdin=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seconds = time.perf_counter() - started
    peak = next((int(line.split()[1]) * 1024 for line in child.stderr.splitlines() if line.startswith("peak-kib ")), 0)
    sys.stderr.write("".join(line + "\n" for line in child.stderr.splitlines() if not line.startswith("peak-kib ")))
    return seconds, child.returncode, peak


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=1024, help="size of the capture directory (default: 1024)")
    parser.add_argument("--repeat", type=int, default=2, help="scans to run; the best counts (default: 2)")
    parser.add_argument("--keep", metavar="DIR", default=None, help="write the captures here and keep them")
    parser.add_argument("--jobs", type=int, default=0, help="stegwatch scan --jobs for the speed runs (default 0: auto); "
                        "a --jobs 1 run always follows, for the single-process speed and the memory figure")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="stegwatch-capture-bench-") as temporary:
        directory = Path(args.keep) if args.keep else Path(temporary)
        directory.mkdir(parents=True, exist_ok=True)
        empty = Path(temporary) / "empty"
        empty.mkdir()
        capture = directory / "captures"
        capture.mkdir(exist_ok=True)
        started = time.perf_counter()
        file_bytes, request_bytes, largest = write_captures(capture, args.size_mb * 1024 * 1024)
        print(f"wrote {file_bytes / 1e6:.0f} MB of .mitm ({request_bytes / 1e6:.0f} MB of request bodies, "
              f"largest body {largest / 1e6:.2f} MB) in {time.perf_counter() - started:.1f} s")
        read_back(capture)
        baseline_seconds, _, baseline_rss = scan_in_child(empty, jobs=1)
        timings: dict[int, float] = {}
        peak = 0
        for jobs in (args.jobs, 1) if args.jobs != 1 else (1,):
            for run in range(args.repeat):
                seconds, status, rss = scan_in_child(capture, jobs)
                label = "auto" if jobs == 0 else str(jobs)
                print(f"  --jobs {label} run {run + 1}: {seconds:.2f} s, exit {status}, peak RSS {rss / 1e6:.0f} MB")
                if status != 0:
                    print("the scan of clean captures did not exit 0", file=sys.stderr)
                    return 1
                timings[jobs] = min(seconds, timings.get(jobs, seconds))
                if jobs == 1:
                    peak = max(peak, rss)
        for jobs, seconds in timings.items():
            rate = file_bytes / 1e6 / seconds
            label = "auto (one per idle CPU)" if jobs == 0 else str(jobs)
            print(f"scan, --jobs {label}: {rate:.0f} MB/s of capture files ({rate / TARGET_MB_S:.2f}x the "
                  f"{TARGET_MB_S:.0f} MB/s target), {request_bytes / 1e6 / seconds:.0f} MB/s of request bodies; "
                  f"best of {args.repeat}: {seconds:.2f} s, of which {baseline_seconds:.2f} s start the command")
        print(f"memory (--jobs 1, one process): peak RSS {peak / 1e6:.0f} MB for {file_bytes / 1e6:.0f} MB scanned; "
              f"an empty scan peaks at {baseline_rss / 1e6:.0f} MB; largest body {largest / 1e6:.2f} MB; "
              f"cache budget {CACHE_BYTES / 1e6:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
