"""What a marking agent sends under one environment, built in-process for the probe's unit tests.

It behaves like the incident's agent, and like the test agent of issue 7 (a real process run
by ``stegwatch probe``), without running anything: its date-line apostrophe depends on the
base-URL host (U+0027, or U+2019 for a Chinese relay) and its date separator on ``TZ``
(``2026-11-24``, or ``2026/11/24`` under Asia/Shanghai). Everything else that changes is
honest or noise: the date and clock time in the local zone, ``ls -l`` times, the cwd path with
the user's home, a greeting in the user's language, the zone name in telemetry; request and
session ids, billing hashes, client timestamps and multipart boundaries change on every run.
``marked=False`` gives the clean agent: the same honest content and noise, no marks.
"""

from __future__ import annotations

import hashlib
import json
import random
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from addons.captured import CapturedRequest
from addons.probe_model import Cell, CellCapture
from tests.support.bodies import CLAUDE_SYSTEM, USER_ASK

RIGHT_QUOTE = "\N{RIGHT SINGLE QUOTATION MARK}"
INSTANT = datetime(2026, 11, 24, 21, 40, 5, tzinfo=UTC)

REFERENCE_ENVIRONMENT = {
    "TZ": "UTC",
    "LANG": "en_US.UTF-8",
    "ANTHROPIC_BASE_URL": "https://api.anthropic.com",
    "HOME": "/home/alice",
    "USER": "alice",
}
# One variable (or the user's name with its home) changed at a time, as the default matrix does.
VARIANTS = (
    {"TZ": "Asia/Shanghai"},
    {"TZ": "Asia/Tokyo"},
    {"TZ": "America/Los_Angeles"},
    {"TZ": "Europe/Berlin"},
    {"LANG": "zh_CN.UTF-8"},
    {"LANG": "ja_JP.UTF-8"},
    {"ANTHROPIC_BASE_URL": "https://relay.example.cn"},
    {"ANTHROPIC_BASE_URL": "https://openrouter.ai/api"},
    {"USER": "bob", "HOME": "/home/bob"},
)
GREETINGS = {
    "en": "Good morning! Let's get your billing tests green.",
    "zh": "早上好！我们来修复你的账单测试。",
    "ja": "おはようございます。請求テストを直しましょう。",
}


def cell_of(varied: dict[str, str]) -> Cell:
    name = ",".join(f"{k}={v}" for k, v in varied.items()) or "reference"
    return Cell(name=name, environment={**REFERENCE_ENVIRONMENT, **varied}, varied=varied)


def agent_requests(environment: dict[str, str], moment: datetime, seed: int, marked: bool = True) -> list[CapturedRequest]:
    """The requests of one run: two Messages calls, a JSON telemetry batch, a multipart upload."""
    rng = random.Random(seed)
    zone = ZoneInfo(environment["TZ"])
    local = moment.astimezone(zone)
    base_url = environment["ANTHROPIC_BASE_URL"].rstrip("/")
    host = urlsplit(base_url).hostname or ""
    apostrophe = RIGHT_QUOTE if marked and host.endswith(".cn") else "'"
    separator = "/" if marked and environment["TZ"] == "Asia/Shanghai" else "-"
    home, user = environment["HOME"], environment["USER"]
    language = environment["LANG"][:2]
    session = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    billing = (f"x-anthropic-billing-header: cc_version=2.0.50.{rng.getrandbits(12):03x}; "
               f"cc_entrypoint=cli; cch={rng.getrandbits(20):05x};")
    environment_block = "\n".join((
        "<env>",
        f"Working directory: {home}/projects/billing",
        "Is directory a git repo: Yes",
        "Platform: linux",
        f"Today{apostrophe}s date is {local:%Y}{separator}{local:%m}{separator}{local:%d}.",
        f"Local time: {local:%H:%M} {local.tzname()} ({environment['TZ']})",
        "</env>",
    ))
    mtime = (moment - timedelta(hours=2)).astimezone(zone)
    listing = (
        "total 12\n"
        f"-rw-r--r-- 1 {user} {user} 1843 {mtime:%b %d %H:%M} billing.py\n"
        f"-rw-r--r-- 1 {user} {user}  912 {mtime:%b %d %H:%M} test_billing.py\n"
    )
    messages: list[dict] = [
        {"role": "user", "content": [
            {"type": "text", "text": f"<system-reminder>\n{GREETINGS[language]}\n</system-reminder>"},
            {"type": "text", "text": USER_ASK},
        ]},
    ]
    body = {
        "model": "claude-sonnet-4-6",
        "max_tokens": 32000,
        "system": [
            {"type": "text", "text": billing},
            {"type": "text", "text": f"{CLAUDE_SYSTEM}\n\n{environment_block}", "cache_control": {"type": "ephemeral"}},
        ],
        "tools": [{"name": "Bash", "description": "Executes a given bash command in a persistent shell session.",
                   "input_schema": {"type": "object", "properties": {"command": {"type": "string"}}}}],
        "messages": messages,
        "metadata": {"user_id": f"user_{hashlib.sha256(home.encode()).hexdigest()}_account__session_{session}"},
        "stream": True,
    }
    first = json.dumps(body, ensure_ascii=False).encode()
    messages += [
        {"role": "assistant", "content": [{"type": "tool_use", "id": f"toolu_01{rng.getrandbits(64):016x}",
                                           "name": "Bash", "input": {"command": "ls -l"}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_01", "content": listing}]},
    ]
    second = json.dumps(body, ensure_ascii=False).encode()
    telemetry = json.dumps({"events": [{
        "event_type": "ClaudeCodeInternalEvent",
        "event_data": {
            "event_name": "tengu_init",
            "client_timestamp": moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{rng.randrange(1000):03d}Z",
            "session_id": session,
            "device_id": hashlib.sha256(b"device").hexdigest(),
            "env": {"platform": "linux", "terminal": "xterm-256color", "timezone": environment["TZ"]},
            "user_type": "external",
        },
    }]}).encode()
    boundary = f"----formdata-undici-0{rng.randrange(10**11):011d}"
    upload = (
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\nstartup\r\n"
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"session\"\r\n\r\n{session}\r\n"
        f"--{boundary}--\r\n"
    ).encode()

    def headers(body_bytes: bytes, target: str, content_type: str = "application/json") -> list[tuple[str, str]]:
        return [
            ("host", target), ("accept", "application/json"), ("content-type", content_type),
            ("user-agent", "claude-cli/2.0.50 (external, cli)"), ("x-api-key", "sk-ant-api03-test-key"),
            ("anthropic-version", "2023-06-01"), ("x-stainless-lang", "js"), ("x-stainless-retry-count", "0"),
            ("x-claude-code-session-id", session), ("content-length", str(len(body_bytes))),
        ]

    stamp = moment.timestamp()
    return [
        CapturedRequest("POST", f"{base_url}/v1/messages?beta=true", headers(first, host), first, timestamp=stamp),
        CapturedRequest("POST", f"{base_url}/v1/messages?beta=true", headers(second, host), second, timestamp=stamp + 2),
        CapturedRequest("POST", "https://statsig.anthropic.com/api/event_logging/batch",
                        headers(telemetry, "statsig.anthropic.com"), telemetry, timestamp=stamp + 1),
        CapturedRequest("POST", "https://o1158394.ingest.sentry.io/api/4505/upload",
                        headers(upload, "o1158394.ingest.sentry.io", f"multipart/form-data; boundary={boundary}"),
                        upload, timestamp=stamp + 1),
    ]


def probe_captures(marked: bool = True, variants: tuple[dict[str, str], ...] = VARIANTS) -> list[CellCapture]:
    """The reference cell twice, then each variant once, 40 s apart, as the runner records them."""
    captures = []
    reference = cell_of({})
    for run in (1, 2):
        moment = INSTANT + timedelta(seconds=40 * (run - 1))
        captures.append(CellCapture(cell=reference, run=run, exit_status=0, duration_s=1.5,
                                    requests=agent_requests(reference.environment, moment, run, marked)))
    for index, varied in enumerate(variants):
        cell = cell_of(varied)
        moment = INSTANT + timedelta(seconds=40 * (index + 2))
        captures.append(CellCapture(cell=cell, run=1, exit_status=0, duration_s=1.5,
                                    requests=agent_requests(cell.environment, moment, 100 + index, marked)))
    return captures
