"""The HTML report, opened in a real headless Chromium (Debian's package, driven by Playwright).

The log is written by the real `Audit` add-on from agent-shaped bodies of every API, plus a
prompt that carries ``<script>`` and ``<img onerror>`` next to a hidden character, so the
injection reaches the page through the same path an attacker's text would. A missing
Chromium fails these tests (``make system-deps`` installs it); they are never skipped.
"""

from __future__ import annotations

import asyncio
import json
import struct
import threading
import time
import zlib
from collections import Counter
from pathlib import Path

import pytest
from mitmproxy.http import Headers
from mitmproxy.test import tflow, tutils
from playwright.sync_api import Browser, Page, sync_playwright

from addons.audit import Audit
from addons.audit_log import read_records
from addons.report import MAX_ROWS, PAGE_SIZE, build_data, build_report, embed_json, report_command
from tests.addons.test_audit import addon_context, exchange, finish
from tests.support.bodies import CASES, anthropic_case

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
# The log keeps 24 characters of context on each side of a mark, so each payload sits right
# next to a ZERO WIDTH SPACE; both would set window.__pwned if the page ever parsed them as HTML.
INJECTED = (
    "Summarise this page: <script>window.__pwned=1\N{ZERO WIDTH SPACE}</script> then "
    "<img src=x\N{ZERO WIDTH SPACE} onerror=__pwned=2> thanks"
)
PROBE = {
    "differences": [
        {"variable": "date", "classification": "unexplained", "path": "$['system'][0]['text']",
         "reference": "Today's date is 2026-11-24.", "variant": "Today\u2019s date is 2026-11-24."},
        {"variable": "cwd", "classification": "explained", "path": "$['system'][0]['text']",
         "reference": "Working directory: /home/alice/shop", "variant": "Working directory: /home/bob/shop"},
    ]
}


def request_flow(body: bytes, path: str, user_agent: str):
    headers = Headers(**{"content-type": "application/json", "user-agent": user_agent})
    request = tutils.treq(host="api.example.com", port=443, scheme=b"https", method=b"POST",
                          path=path.encode(), headers=headers, content=b"")
    request.raw_content = body
    return tflow.tflow(req=request)


@pytest.fixture(scope="module")
def audit_log(tmp_path_factory) -> Path:
    """A real audit log: marked and clean turns of every API, and the injection."""
    log = tmp_path_factory.mktemp("report") / "audit.jsonl"
    flows = []
    for api, make in sorted(CASES.items()):
        case = make(marked=True)
        flows.append(request_flow(case.encoded(), case.url_path, f"{api}-agent/1.0"))
        clean = make(marked=False)
        flows.append(request_flow(clean.encoded(), clean.url_path, f"{api}-agent/1.0"))
    injected = anthropic_case(marked=False)
    injected.body["messages"][0]["content"][0]["text"] = INJECTED
    flows.append(request_flow(json.dumps(injected.body).encode(), "/v1/messages", "claude-cli/2.0.14 (external, cli)"))
    addon = Audit()

    async def drive():
        with addon_context(addon) as tctx:
            tctx.configure(addon, stegwatch_log=str(log))
            for flow in flows:
                await exchange(addon, flow)
            await finish(addon)

    # Playwright's sync API keeps an event loop running on this thread; the hooks get their own.
    worker = threading.Thread(target=asyncio.run, args=(drive(),))
    worker.start()
    worker.join()
    return log


@pytest.fixture(scope="module")
def report_file(audit_log: Path, tmp_path_factory) -> Path:
    probe = tmp_path_factory.mktemp("probe") / "probe.json"
    probe.write_text(json.dumps(PROBE), encoding="utf-8")
    output = audit_log.with_name("report.html")
    assert report_command(audit_log, probe, output) == 0
    return output


@pytest.fixture(scope="module")
def browser() -> Browser:
    assert CHROMIUM.exists(), "the report tests need Debian's chromium: run `make system-deps`"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


class OpenPage:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.errors: list[str] = []
        self.requests: list[str] = []
        page.on("console", lambda message: self.errors.append(message.text) if message.type in ("error", "warning") else None)
        page.on("pageerror", lambda error: self.errors.append(f"pageerror: {error}"))
        page.on("request", lambda request: self.requests.append(request.url))


@pytest.fixture
def opened(browser: Browser, report_file: Path):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    view = OpenPage(page)
    page.goto(report_file.as_uri())
    page.wait_for_selector("body[data-ready=true]")
    yield view
    page.close()


def visible_rows(page: Page) -> list[str]:
    return page.eval_on_selector_all("#findings tbody tr.finding", "rows => rows.map(r => r.dataset.severity)")


# --- loading, counts, revealed code points --------------------------------------------------


def test_page_loads_with_no_console_errors_and_no_requests(opened, report_file):
    assert opened.errors == []
    assert opened.requests == [report_file.as_uri()]


def test_totals_and_summary_counts_match_the_log(opened, audit_log):
    records = read_records(audit_log)
    page = opened.page
    assert page.inner_text("[data-total=requests] b") == str(len(records))
    findings = sum(len(r.findings) for r in records)
    assert page.inner_text("[data-total=findings] b") == str(findings)
    hosts = page.inner_text("#summary-host tbody")
    assert "api.example.com" in hosts and str(len(records)) in hosts
    clients = page.inner_text("#summary-client tbody")
    for api in CASES:
        assert f"{api}-agent/1.0" in clients
    apis = page.inner_text("#summary-api tbody")
    assert {"anthropic-messages", "openai-chat", "openai-responses", "gemini"} <= set(apis.split())
    assert page.locator("#timeline svg rect").count() >= 2


def test_revealed_code_points_appear_with_their_names(opened):
    page = opened.page
    titles = page.eval_on_selector_all("#findings .context .cp", "spans => spans.map(s => s.textContent + ' ' + s.title)")
    assert any(t.startswith("⟦U+200B⟧ U+200B ZERO WIDTH SPACE") for t in titles)
    assert any(t.startswith("⟦U+202E⟧ U+202E RIGHT-TO-LEFT OVERRIDE") for t in titles)
    assert any(t.startswith("⟦U+E0049⟧ U+E0049 TAG LATIN CAPITAL LETTER I") for t in titles)
    codepoints = page.inner_text("#findings tbody")
    assert "U+E0049 TAG LATIN CAPITAL LETTER I" in codepoints
    assert "$['messages'][2]['content'][0]['content']" in codepoints
    assert "tool_result" in codepoints


# --- filter and pages -----------------------------------------------------------------------


def test_filtering_by_severity_and_kind(opened, audit_log):
    records = read_records(audit_log)
    data = build_data(records)
    by_severity = Counter(data["severities"][row[0]] for row in data["findings"])
    page = opened.page
    assert len(visible_rows(page)) == len(data["findings"])
    for severity in ("medium", "low", "info"):
        page.uncheck(f"#sev-{severity}")
    assert visible_rows(page) == ["high"] * by_severity["high"]
    assert page.inner_text("#match-count") == f"{by_severity['high']} matching findings"
    page.check("#sev-medium")
    page.uncheck("#sev-high")
    assert visible_rows(page) == ["medium"] * by_severity["medium"]
    page.check("#sev-high")
    page.select_option("#kind-filter", "bidi/bidi-control")
    kinds = page.eval_on_selector_all("#findings tbody tr.finding", "rows => rows.map(r => r.dataset.kind)")
    assert kinds and set(kinds) == {"bidi/bidi-control"}


# --- the page escapes everything from the log -----------------------------------------------


def test_an_injected_script_in_a_prompt_is_shown_as_text_and_never_runs(opened):
    page = opened.page
    assert page.evaluate("typeof window.__pwned") == "undefined"
    contexts = page.eval_on_selector_all("#findings .context", "cells => cells.map(c => c.textContent)")
    assert any("<script>window.__pwned=1⟦U+200B⟧</script>" in c for c in contexts)
    assert any("<img src=x⟦U+200B⟧ onerror=__pwned=2>" in c for c in contexts)
    assert page.locator("#findings img, #findings script, main script").count() == 0
    assert opened.errors == []


def test_embedded_data_cannot_close_its_script_element():
    payload = {"context": "</script><script>alert(1)</script><!-- & \u2028 \u2029 \ud800"}
    embedded = embed_json(payload)
    assert "<" not in embedded and ">" not in embedded and "&" not in embedded
    assert "\u2028" not in embedded and "\u2029" not in embedded
    assert json.loads(embedded) == payload


# --- probe differences ----------------------------------------------------------------------


def test_probe_differences_are_side_by_side_with_the_difference_revealed(opened):
    page = opened.page
    rows = page.locator("#probe tbody tr")
    assert rows.count() == 2
    first = rows.nth(0)
    assert "unexplained" in first.inner_text()
    variant = first.locator("td").nth(4)
    assert variant.locator("mark.diff .cp").inner_text() == "⟦U+2019⟧"
    assert "RIGHT SINGLE QUOTATION MARK" in variant.locator(".cp").get_attribute("title")
    assert first.locator("td").nth(3).locator("mark.diff").inner_text() == "'"
    assert rows.nth(1).locator("td").nth(3).locator("mark.diff").inner_text() == "alice"


# --- a screenshot that is not blank ---------------------------------------------------------


def png_pixels(png: bytes) -> tuple[int, int, bytes]:
    """Width, height and the decompressed scanlines of a PNG (stdlib only)."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    position, idat, width, height = 8, b"", 0, 0
    while position < len(png):
        (length,) = struct.unpack(">I", png[position:position + 4])
        kind = png[position + 4:position + 8]
        chunk = png[position + 8:position + 8 + length]
        if kind == b"IHDR":
            width, height = struct.unpack(">II", chunk[:8])
        elif kind == b"IDAT":
            idat += chunk
        position += 12 + length
    return width, height, zlib.decompress(idat)


def test_screenshot_is_not_blank(opened, tmp_path):
    shot = opened.page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
    width, height, pixels = png_pixels(shot)
    assert width == 1280 and height > 900
    stride = len(pixels) // height
    rows = {pixels[y * stride + 1:(y + 1) * stride] for y in range(0, height, 7)}
    assert len(rows) > 20, "the screenshot is (almost) one colour"
    assert len(set(pixels)) > 50


# --- command line behaviour -----------------------------------------------------------------


def test_report_command_fails_cleanly_on_a_missing_log(tmp_path, capsys):
    assert report_command(tmp_path / "missing.jsonl", None, tmp_path / "r.html") == 2
    assert "missing.jsonl" in capsys.readouterr().err
    assert not (tmp_path / "r.html").exists()


def test_bad_log_lines_are_counted_and_skipped(audit_log, tmp_path, capsys):
    log = tmp_path / "damaged.jsonl"
    lines = audit_log.read_text(encoding="utf-8").splitlines()
    log.write_text("\n".join([lines[0], '{"ts": "truncated', *lines[1:]]) + "\n", encoding="utf-8")
    assert report_command(log, None, tmp_path / "r.html") == 0
    assert "damaged.jsonl:2" in capsys.readouterr().err
    assert '"badLines":1' in (tmp_path / "r.html").read_text(encoding="utf-8")


# --- a large log: summary first, details paged ----------------------------------------------


def large_log(path: Path, records: int) -> None:
    """``records`` lines shaped like the add-on's: every third request carries a mark."""
    clients = ["claude-cli/2.0.14 (external, cli)", "codex_cli_rs/0.46.0", "GeminiCLI/0.9.0 (linux; x64)"]
    apis = [("anthropic-messages", "api.anthropic.com", "/v1/messages"), ("openai-responses", "api.openai.com", "/v1/responses"),
            ("gemini", "generativelanguage.googleapis.com", "/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse")]
    kinds = [("invisible", "zero-width", "medium", "U+200B"), ("apostrophe", "modifier-letter-apostrophe", "high", "U+02BC"),
             ("bidi", "bidi-control", "high", "U+202E"), ("date", "date-format", "info", "U+002F")]
    with open(path, "w", encoding="utf-8") as handle:
        for number in range(records):
            api, host, url = apis[number % 3]
            findings = []
            if number % 3 == 0:
                detector, kind, severity, cp = kinds[number % 4]
                findings.append({
                    "path": f"$['messages'][{number % 40}]['content']", "role": "tool_result", "detector": detector,
                    "kind": kind, "severity": severity, "start": 10, "end": 11, "codepoints": [cp], "replacement": "",
                    "message": f"{cp} in a tool result", "repeat": number % 2 == 0,
                    "context": f"run {number}: tests passed\u27e6{cp}\u27e7 in 3.2s",
                })
            minute, second = divmod(number // 10, 60)
            record = {
                "ts": f"2026-11-24T{9 + minute // 60:02d}:{minute % 60:02d}:{second:02d}.000Z", "flow_id": f"flow-{number}",
                "api": api, "host": host, "path": url, "client": {"user-agent": clients[number % 3]}, "mode": "audit",
                "action": "pass", "body_sha256": None, "findings": findings,
            }
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")


def test_a_100k_record_log_renders_its_summary_and_pages_its_details(browser, tmp_path):
    log = tmp_path / "large.jsonl"
    large_log(log, 100_000)
    output = tmp_path / "large.html"
    started = time.perf_counter()
    assert report_command(log, None, output) == 0
    built = time.perf_counter() - started
    size = output.stat().st_size
    print(f"\n100k-record report: built in {built:.2f}s, {size / 1e6:.1f} MB")
    assert size < 20_000_000
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    started = time.perf_counter()
    page.goto(output.as_uri())
    page.wait_for_selector("body[data-ready=true]")
    print(f"100k-record report: rendered in {time.perf_counter() - started:.2f}s")
    assert page.inner_text("[data-total=requests] b") == "100,000"
    assert page.inner_text("[data-total=findings] b") == "33,334"
    assert page.locator("#findings tbody tr.finding").count() == PAGE_SIZE
    assert page.inner_text("#page-info") == f"page 1 of {MAX_ROWS // PAGE_SIZE}"
    assert "Showing the 20,000 worst of 33,334 distinct findings" in page.inner_text("#truncated")
    page.click("#next")
    assert page.inner_text("#page-info").startswith("page 2 of")
    assert page.locator("#findings tbody tr.finding").count() == PAGE_SIZE
    assert errors == []
    page.close()


def test_build_report_accepts_records_directly(audit_log):
    page = build_report(read_records(audit_log), PROBE)
    assert page.startswith("<!DOCTYPE html>")
    assert "<script src" not in page and "http://" not in page.replace("http://www.w3.org/2000/svg", "")


def test_stegwatch_report_through_the_cli(audit_log, tmp_path, browser):
    from addons.cli import main

    probe = tmp_path / "probe.json"
    probe.write_text(json.dumps(PROBE), encoding="utf-8")
    output = tmp_path / "cli-report.html"
    assert main(["report", str(audit_log), "--probe", str(probe), "-o", str(output)]) == 0
    page = browser.new_page()
    page.goto(output.as_uri())
    page.wait_for_selector("body[data-ready=true]")
    assert page.locator("#probe tbody tr").count() == 2
    assert page.inner_text("[data-total=requests] b") == str(len(read_records(audit_log)))
    page.close()
    assert main(["report", str(tmp_path / "missing.jsonl"), "-o", str(output)]) == 2
