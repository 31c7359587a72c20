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

import copy
import json
import statistics
import sys
import tempfile
import threading
import time
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
from tests.support.proxy import start_mitmdump  # noqa: E402

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


def through_proxies(workdir: Path) -> None:
    fake = RunningFakeApi()
    ca = Path(fake.write_ca(str(workdir / "fake-ca.pem")))
    url = fake.fake.base_url + "/v1/messages"
    body = conversation_body(2_000_000, False)
    turns = [encode(next_turn(body, n)) for n in range(15)]
    plain = start_mitmdump(workdir / "plain", ca, options=["termlog_verbosity=warn"], addon=None)
    audited = start_mitmdump(workdir / "audited", ca, options=["termlog_verbosity=warn"])
    try:
        import ssl

        direct = httpx2.Client(verify=ssl.create_default_context(cafile=str(ca)), timeout=120)
        via_plain = httpx2.Client(proxy=plain.proxy_url, verify=plain.client_ssl_context(), timeout=120)
        via_addon = httpx2.Client(proxy=audited.proxy_url, verify=audited.client_ssl_context(), timeout=120)
        for client in (direct, via_plain, via_addon):  # warm connections and the add-on's cache
            p50_latency(client, url, [encode(body)] * 2)
        paths = (("direct", direct), ("mitmdump", via_plain), ("mitmdump+stegwatch", via_addon))
        samples: dict[str, list[float]] = {name: [] for name, _ in paths}
        for turn in turns:  # interleaved, so that a burst of load elsewhere hits all three alike
            for name, client in paths:
                samples[name].append(p50_latency(client, url, [turn]))
        latency = {name: statistics.median(values) for name, values in samples.items()}
        mitmproxy_added = latency["mitmdump"] - latency["direct"]
        addon_added = latency["mitmdump+stegwatch"] - latency["mitmdump"]
        print("\nwarm 2 MB turn, p50 over 15 turns:")
        for name, value in latency.items():
            print(f"  {name:20} {value:8.1f} ms")
        print(f"  mitmproxy adds {mitmproxy_added:.1f} ms; stegwatch adds {addon_added:.1f} ms "
              f"= {100 * addon_added / max(mitmproxy_added, 1e-9):.0f}% of it (target <= 10%)")

        small = [json.dumps({"model": "m", "max_tokens": 8, "messages": [{"role": "user", "content": f"ping {n}"}]}).encode()
                 for n in range(200)]
        alone = p50_latency(via_addon, url, small[:30])
        big = encode(conversation_body(8_000_000, False) | {"metadata": {"user_id": "bench-unseen"}})
        done = threading.Event()

        def send_big() -> None:
            with httpx2.Client(proxy=audited.proxy_url, verify=audited.client_ssl_context(), timeout=300) as client:
                client.post(url, content=big, headers={"content-type": "application/json"})
            done.set()

        sender = threading.Thread(target=send_big)
        sender.start()
        time.sleep(0.3)
        during_times = []
        index = 30
        while not done.is_set() and index < len(small):
            during_times.append(p50_latency(via_addon, url, [small[index]]))
            index += 1
        sender.join()
        during = statistics.median(during_times) if during_times else float("nan")
        print(f"\nsmall request p50 alone {alone:.1f} ms, while an unseen 8 MB body is scanned {during:.1f} ms "
              f"(+{during - alone:.1f} ms over {len(during_times)} requests; target < 5 ms)")
    finally:
        plain.stop()
        audited.stop()
        fake.close()


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
        through_proxies(Path(workdir))
    return 0


if __name__ == "__main__":
    sys.exit(main())
