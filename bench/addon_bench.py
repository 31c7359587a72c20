"""The live add-on's performance, against issue 4's targets: ``python bench/addon_bench.py``.

Bodies are Anthropic requests shaped like a coding-agent conversation (a large system prompt,
tools, turns of code and of test output with CJK and emoji; `tests.support.bodies`), clean
and with marks, at 50 KB, 500 KB, 2 MB and 8 MB. Figures:

- the add-on's own work (decode, parse, recognise, scan, in process): unseen body in MB/s,
  and a warm turn (the same conversation plus one new turn, earlier strings cached) in ms;
- through real proxies on loopback: p50 latency of a warm 2 MB turn sent directly to the
  local fake API, through a plain mitmdump, and through mitmdump with the add-on. The
  add-on's added latency is compared with mitmproxy's own;
- head-of-line blocking: p50 of small requests through the add-on while an unseen 8 MB body
  is being scanned, against the same requests alone;
- sanitize mode (issue 5): the add-on's own work to sanitize a 2 MB body with 50 marks against
  auditing the same body (target <= 2x), and a clean 2 MB body in sanitize mode against audit
  mode (about 1x: nothing is re-serialised). Unseen (empty cache) and warm (cached strings).

Numbers on a shared or busy machine are noisy; the targets are ratios in one run.
"""

from __future__ import annotations

import contextlib
import copy
import json
import ssl
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import httpx2  # noqa: E402

from addons.analysis import analyse_request  # noqa: E402
from addons.policy import rewrites  # noqa: E402
from addons.sanitizer import encode_body, sanitize_body  # noqa: E402
from detectors import Severity  # noqa: E402
from addons.scan_cache import ScanCache  # noqa: E402
from tests.support.bodies import conversation_body  # noqa: E402
from tests.support.fake_api import RunningFakeApi  # noqa: E402
from tests.support.proxy import Mitmdump, start_mitmdump  # noqa: E402

SIZES = (50_000, 500_000, 2_000_000, 8_000_000)
MAX_BODY = 64 * 1024 * 1024


def encode(body: dict) -> bytes:
    return json.dumps(body, ensure_ascii=False).encode()


def next_turn(body: dict, n: int) -> dict:
    later = copy.deepcopy(body)
    later["messages"] += [
        {"role": "assistant", "content": [{"type": "text", "text": f"Done with step {n}."}]},
        {"role": "user", "content": [{"type": "text", "text": f"Now step {n + 1}, please."}]},
    ]
    return later


def own_work() -> list[tuple[str, float, float, float]]:
    rows = []
    for size in SIZES:
        for marked in (False, True):
            body = conversation_body(size, marked)
            raw, warm_raw = encode(body), encode(next_turn(body, 1))
            cache = ScanCache()
            start = time.perf_counter()
            analyse_request("POST", "/v1/messages", raw, None, cache, MAX_BODY)
            cold = time.perf_counter() - start
            warm_times = []
            for _ in range(5):
                start = time.perf_counter()
                analyse_request("POST", "/v1/messages", warm_raw, None, cache, MAX_BODY)
                warm_times.append(time.perf_counter() - start)
            label = f"{size / 1e6:g} MB {'marked' if marked else 'clean'}"
            rows.append((label, len(raw) / cold / 1e6, cold * 1000, statistics.median(warm_times) * 1000))
    return rows


def p50_latency(client: httpx2.Client, url: str, bodies: list[bytes]) -> float:
    times = []
    for body in bodies:
        start = time.perf_counter()
        client.post(url, content=body, headers={"content-type": "application/json"}).raise_for_status()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


@contextlib.contextmanager
def proxies(workdir: Path, thinking_time: float) -> Iterator[tuple[str, dict[str, httpx2.Client], Mitmdump]]:
    """A fake API that waits ``thinking_time`` before each answer, a plain mitmdump and one with
    the add-on in front of it: the fake's URL and a client per path (direct, plain, add-on)."""
    workdir.mkdir(parents=True, exist_ok=True)
    fake = RunningFakeApi(thinking_time=thinking_time)
    ca = Path(fake.write_ca(str(workdir / "fake-ca.pem")))
    plain = start_mitmdump(workdir / "plain", ca, options=["termlog_verbosity=warn"], addon=None)
    audited = start_mitmdump(workdir / "audited", ca, options=["termlog_verbosity=warn"])
    clients = {
        "direct": httpx2.Client(verify=ssl.create_default_context(cafile=str(ca)), timeout=300),
        "mitmdump": httpx2.Client(proxy=plain.proxy_url, verify=plain.client_ssl_context(), timeout=300),
        "mitmdump+stegwatch": httpx2.Client(proxy=audited.proxy_url, verify=audited.client_ssl_context(), timeout=300),
    }
    try:
        yield fake.fake.base_url + "/v1/messages", clients, audited
    finally:
        for client in clients.values():
            client.close()
        plain.stop()
        audited.stop()
        fake.close()


def warm_turn_latency(workdir: Path, thinking_time: float) -> None:
    """p50 of warm 2 MB turns on each path, interleaved so that load elsewhere hits all alike."""
    body = conversation_body(2_000_000, False)
    turns = [encode(next_turn(body, n)) for n in range(25)]
    with proxies(workdir, thinking_time) as (url, clients, _):
        for client in clients.values():  # warm connections and the add-on's cache
            p50_latency(client, url, [encode(body)] * 2)
        samples: dict[str, list[float]] = {name: [] for name in clients}
        for turn in turns:
            for name, client in clients.items():
                samples[name].append(p50_latency(client, url, [turn]))
    latency = {name: statistics.median(values) for name, values in samples.items()}
    mitmproxy_added = latency["mitmdump"] - latency["direct"]
    addon_added = latency["mitmdump+stegwatch"] - latency["mitmdump"]
    print(f"\nwarm 2 MB turn, p50 over {len(turns)} turns, the API answering after {thinking_time * 1000:.0f} ms:")
    for name, value in latency.items():
        print(f"  {name:20} {value:8.1f} ms")
    print(f"  mitmproxy adds {mitmproxy_added:.1f} ms; stegwatch adds {addon_added:.1f} ms "
          f"= {100 * addon_added / max(mitmproxy_added, 1e-9):.0f}% of it (target <= 10%)")


def head_of_line(workdir: Path) -> None:
    """Small requests through the add-on alone, then while an unseen 8 MB body is in flight
    (sent, scanned, answered: in audit mode its response waits for its record)."""
    small = [json.dumps({"model": "m", "max_tokens": 8, "messages": [{"role": "user", "content": f"ping {n}"}]}).encode()
             for n in range(400)]
    big = encode(conversation_body(8_000_000, False) | {"metadata": {"user_id": "bench-unseen"}})
    with proxies(workdir, 0.0) as (url, clients, audited):
        via_addon = clients["mitmdump+stegwatch"]
        alone = p50_latency(via_addon, url, small[:30])
        started, finished = threading.Event(), threading.Event()

        def send_big() -> None:
            with httpx2.Client(proxy=audited.proxy_url, verify=audited.client_ssl_context(), timeout=300) as client:
                started.set()
                client.post(url, content=big, headers={"content-type": "application/json"})
            finished.set()

        sender = threading.Thread(target=send_big)
        sender.start()
        started.wait()
        during_times = []
        for body in small[30:]:
            if finished.is_set():
                break
            during_times.append(p50_latency(via_addon, url, [body]))
        sender.join()
    during = statistics.median(during_times) if during_times else float("nan")
    print(f"\nsmall request p50 alone {alone:.1f} ms, while an unseen 8 MB body is sent and scanned {during:.1f} ms "
          f"(+{during - alone:.1f} ms over {len(during_times)} requests; target < 5 ms)")


def with_marks(body: dict, count: int) -> dict:
    """``body`` with ``count`` marks: modifier-letter apostrophes in the system prompt and zero
    width spaces in tool outputs, spread over the conversation."""
    marked = copy.deepcopy(body)
    system = marked["system"][0]
    in_system = count * 3 // 5
    system["text"] = system["text"].replace("Anthropic's", "Anthropic\N{MODIFIER LETTER APOSTROPHE}s", in_system)
    outputs = [m["content"][0] for m in marked["messages"][3:] if m["role"] == "user"]
    step = max(1, len(outputs) // (count - in_system))
    for block in outputs[::step][: count - in_system]:
        block["content"] = block["content"].replace("PASSED", "PASS\N{ZERO WIDTH SPACE}ED", 1)
    return marked


def audit_work(raw: bytes, cache: ScanCache) -> object:
    return analyse_request("POST", "/v1/messages", raw, None, cache, MAX_BODY)


def sanitize_work(raw: bytes, cache: ScanCache) -> bytes:
    analysis = analyse_request("POST", "/v1/messages", raw, None, cache, MAX_BODY)
    plan = rewrites(analysis.located, Severity.MEDIUM, "all")
    result = sanitize_body(analysis.decoded, plan)
    return encode_body(result.body, None) if result.changed else raw


def best_of(function, raw: bytes, warm: bool, repeats: int = 5) -> float:
    times = []
    cache = ScanCache()
    if warm:
        function(raw, cache)
    for _ in range(repeats):
        if not warm:
            cache = ScanCache()
        start = time.perf_counter()
        function(raw, cache)
        times.append(time.perf_counter() - start)
    return min(times)


def sanitize_vs_audit() -> None:
    clean = conversation_body(2_000_000, False)
    raw_clean, raw_marked = encode(clean), encode(with_marks(clean, 50))
    cache = ScanCache()
    analysis = analyse_request("POST", "/v1/messages", raw_marked, None, cache, MAX_BODY)
    marks = len([item for item in analysis.located if item.finding.severity >= Severity.MEDIUM])
    applied = len(sanitize_body(analysis.decoded, rewrites(analysis.located, Severity.MEDIUM, "all")).applied)
    print(f"\nsanitize mode, 2 MB body ({len(raw_marked) / 1e6:.2f} MB, {marks} marks found, {applied} rewritten; "
          "scope all), best of 5:")
    print(f"  {'body':22} {'audit ms':>9} {'sanitize ms':>12} {'ratio':>6}")
    for label, raw in (("50 marks", raw_marked), ("clean", raw_clean)):
        for warm in (False, True):
            audit = best_of(audit_work, raw, warm)
            sanitize = best_of(sanitize_work, raw, warm)
            name = f"{label}, {'warm' if warm else 'unseen'}"
            print(f"  {name:22} {audit * 1000:9.1f} {sanitize * 1000:12.1f} {sanitize / audit:6.2f}x")
    print("  targets: 50 marks <= 2x; clean about 1x")


def main() -> int:
    print("add-on's own work (in process)")
    print(f"  {'body':18} {'unseen MB/s':>12} {'unseen ms':>10} {'warm turn ms':>13}")
    for label, rate, cold_ms, warm_ms in own_work():
        print(f"  {label:18} {rate:12.1f} {cold_ms:10.1f} {warm_ms:13.1f}")
    print("  targets: unseen clean >= 200 MB/s, marked >= 130 MB/s, 8 MB no worse than linear")
    sanitize_vs_audit()
    with tempfile.TemporaryDirectory() as workdir:
        # An instant fake API, then one that takes a fast model's time to its first token: in
        # audit mode the scan overlaps that wait.
        for thinking_time in (0.0, 0.3):
            warm_turn_latency(Path(workdir) / f"thinking-{thinking_time}", thinking_time)
        head_of_line(Path(workdir) / "head-of-line")
    return 0


if __name__ == "__main__":
    sys.exit(main())
