"""Tests for `detectors.dates`: marks in dates, same-day drift, outliers, disclosure."""

from __future__ import annotations

import datetime

import pytest
from babel.dates import format_date

from detectors import sanitize, scan
from detectors.dates import DatesDetector
from detectors.model import Severity
from tests.detectors.test_date_signature import DAYS, LOCALES

DETECTOR = DatesDetector()


def _kinds(text: str, minimum: Severity = Severity.MEDIUM) -> set[str]:
    return {f.kind for f in DETECTOR.find(text) if f.severity >= minimum}


def _cldr_dates() -> list[str]:
    return sorted({format_date(day, width, locale=locale) for locale in LOCALES for day in DAYS
                   for width in ("short", "medium", "long", "full")})


# Clean CLDR dates, alone and inside English text: nothing medium+.
@pytest.mark.parametrize("formatted", _cldr_dates())
def test_clean_cldr_dates_raise_nothing(formatted: str) -> None:
    assert _kinds(formatted) == set()
    assert _kinds(f"The build finished on {formatted}.") == set()


def _inject(formatted: str) -> list[tuple[str, str]]:
    """The same date with one mark each: look-alike separator, one foreign digit, a ZWSP."""
    variants = []
    digit = next(i for i, ch in enumerate(formatted) if ch.isdigit())
    for ascii_char, lookalike in (("-", "\u2212"), ("/", "\u2215"), (":", "\u2236")):
        at = formatted.find(ascii_char, digit)
        if at >= 0:
            variants.append(("separator", formatted[:at] + lookalike + formatted[at + 1:]))
    arabic = chr(0x0660 + int(formatted[digit]))
    variants.append(("digit", formatted[:digit] + arabic + formatted[digit + 1:]))
    variants.append(("zwsp", formatted[:digit + 1] + "\N{ZERO WIDTH SPACE}" + formatted[digit + 1:]))
    return variants


@pytest.mark.parametrize("formatted", [d for d in _cldr_dates() if sum(ch.isdigit() for ch in d) >= 3])
def test_marked_cldr_dates_are_high(formatted: str) -> None:
    for label, marked in _inject(formatted):
        findings = [f for f in DETECTOR.find(marked) if f.kind == "date-lookalike"]
        assert findings and all(f.severity == Severity.HIGH for f in findings), (label, marked)
        assert sanitize(marked, findings=findings).text == formatted


# Look-alikes in the examples, with their ASCII replacement.
@pytest.mark.parametrize(
    "payload, should_flag",
    [
        ("Today's date is 2026-11-24.", False),
        ("Today's date is 2026\u201011\u201024.", True),       # HYPHEN
        ("Today's date is 2026\u201311\u201324.", True),       # EN DASH
        ("Today's date is 2026\ufe6311\ufe6324.", True),       # SMALL HYPHEN-MINUS
        ("Today's date is 2026\u204411\u204424.", True),       # FRACTION SLASH
        ("Today's date is 2026/10/13 08\uff1a41.", True),      # FULLWIDTH COLON in the time
        ("Today's date is 2026/10/13 08\ua78941.", True),      # MODIFIER LETTER COLON
        ("Today's date is 2026-\u0661\u0661-24.", True),       # Arabic-Indic digits mixed in
        ("Today's date is 2026-11-2\U0001d7d2.", True),        # MATHEMATICAL BOLD DIGIT FOUR
        ("Today's date is 2026-11\u2060-24.", True),           # WORD JOINER
        ("Today's date is 2026-11-24\ufeff.", False),          # after the date: other detectors' job
        ("\u0627\u0644\u064a\u0648\u0645 \u0662\u0660\u0662\u0666/\u0661\u0661/\u0662\u0664", False),
        ("\u4eca\u65e5\u306f\uff12\uff10\uff12\uff16\uff0f\uff11\uff11\uff0f\uff12\uff14\u3067\u3059", False),
    ],
)
def test_lookalikes(payload: str, should_flag: bool) -> None:
    assert ("date-lookalike" in _kinds(payload, Severity.HIGH)) is should_flag


def test_lookalike_span_and_replacement() -> None:
    text = "Today's date is 2026\u221211\u221224."
    findings = [f for f in DETECTOR.find(text) if f.kind == "date-lookalike"]
    assert [(f.start, f.text, f.replacement, f.codepoints) for f in findings] == [
        (20, "\u2212", "-", ["U+2212"]), (23, "\u2212", "-", ["U+2212"])]
    assert "MINUS SIGN U+2212" in findings[0].message


# Drift and outliers. Payloads are assembled from parts so that this file itself stays clean
# under `stegwatch scan` (the same day in two formats on one source line would be drift).
DAY, SLASHED, DOTTED = "2026-11-24", "2026-11-24".replace("-", "/"), ".".join(reversed("2026-11-24".split("-")))


@pytest.mark.parametrize(
    "payload, kind, severity",
    [
        (f"Released {DAY}; tagged {SLASHED}.", "date-signature-drift", Severity.LOW),
        (f"Released {DAY}; tagged {DOTTED}.", "date-signature-drift", Severity.LOW),
        (f"Today's date is {SLASHED}.\n<current_date>{DAY}</current_date>", "date-signature-drift", Severity.MEDIUM),
        (f"Today's date is {SLASHED}.\nLast commit: 2026-11-20 (a1b2c3d)\nNext release 2026-12-01",
         "date-format-outlier", Severity.MEDIUM),
        ("Changelog\n- 2026-11-20 fix parser\n- 2026-11-01 first release\n- " + "2026/10/02 prototype",
         "date-format-outlier", Severity.LOW),
    ],
)
def test_drift_and_outliers(payload: str, kind: str, severity: Severity) -> None:
    assert any(f.kind == kind and f.severity == severity for f in DETECTOR.find(payload))


def test_outlier_replacement_only_when_unambiguous() -> None:
    year_first = f"Today's date is {SLASHED}.\nLast commit: 2026-11-20\nNext release 2026-12-01"
    [outlier] = [f for f in DETECTOR.find(year_first) if f.kind == "date-format-outlier"]
    assert outlier.replacement == "2026-11-24"
    day_first = "Meeting on 11/12/2026.\nLast commit: 2026-11-20\nNext release 2026-12-01"
    [outlier] = [f for f in DETECTOR.find(day_first) if f.kind == "date-format-outlier"]
    assert outlier.replacement is None


# Agent prompts, environment blocks and logs: consistent dates raise nothing medium+.
CLAUDE_CODE_ENV = """<env>
Working directory: /home/dev/project
Is directory a git repo: Yes
Platform: linux
OS Version: Linux 6.8.0-45-generic
Today's date is 2026-11-24.
</env>
gitStatus: This is the git status at the start of the conversation.
Recent commits:
4f2a9c1 Fix flaky test (2026-11-23)
9b1d0e7 Release 1.4.2 (2026-11-20)"""
CODEX_ENV = """<environment_context>
  <cwd>/Users/dev/code/app</cwd>
  <approval_policy>on-request</approval_policy>
  <sandbox_mode>workspace-write</sandbox_mode>
  <network_access>restricted</network_access>
  <shell>zsh</shell>
  <current_date>2026-11-24</current_date>
  <timezone>Asia/Shanghai</timezone>
</environment_context>"""
GEMINI_ENV = """This is the Gemini CLI. We are setting up the context for our chat.
Today's date is Tuesday, November 24, 2026.
My operating system is: linux
I'm currently working in the directory: /home/dev/project"""
LOGS = "\n".join(
    f"2026-11-24T08:{m:02d}:{s:02d}.{m * s % 1000:03d}Z INFO request id={m * 60 + s} status=200 in {s * 3}ms"
    for m in range(41, 50) for s in range(0, 60, 7)
)
SYSLOG = "\n".join(f"Nov 24 08:41:{s:02d} build-host sshd[{1000 + s}]: Accepted publickey for dev" for s in range(60))
NGINX = "\n".join(
    f'10.0.0.{s} - - [24/Nov/2026:08:41:{s:02d} +0000] "GET /api/items/{s} HTTP/1.1" 200 512 "-" "curl/8.5.0"'
    for s in range(60)
)
GIT_LOG = "\n\n".join(
    f"commit {'%040x' % (s * 7919)}\nAuthor: Dev <dev@example.com>\nDate:   Tue Nov 24 08:{s:02d}:08 2026 +0800\n\n    fix {s}"
    for s in range(20)
)
PYTEST = """============================= test session starts ==============================
platform linux -- Python 3.12.7, pytest-8.3.3, pluggy-1.5.0
rootdir: /home/dev/project
collected 128 items

tests/test_api.py ........................................................ [ 43%]
======================== 128 passed in 3.21s (0:00:03) ========================="""


@pytest.mark.parametrize("payload", [CLAUDE_CODE_ENV, CODEX_ENV, GEMINI_ENV, LOGS, SYSLOG, NGINX, GIT_LOG, PYTEST])
def test_agent_prompts_and_logs_raise_nothing_medium(payload: str) -> None:
    assert _kinds(payload) == set()
    assert all(f.severity < Severity.MEDIUM for f in scan(payload) if f.detector == "dates")


def test_long_consistent_log_uses_examples_and_stays_quiet() -> None:
    log = "\n".join(f"2026-11-{1 + i % 28:02d} 08:{i % 60:02d}:{i % 59:02d},{i % 997:03d} INFO job={i}" for i in range(5000))
    assert _kinds(log) == set()


# Disclosure: info by default, raised by the option.
@pytest.mark.parametrize(
    "payload, should_flag",
    [
        (CODEX_ENV, True),                                      # Asia/Shanghai
        ("Date:   Tue Nov 24 08:41:08 2026 +0800", True),
        ("Today's date is 2026年11月24日.", True),
        ("Today's date is 24 ноября 2026 г.", True),
        ("2026-11-24T08:41:08.123Z INFO start", False),         # UTC tells nothing
        ("Tue, 24 Nov 2026 08:41:08 GMT", False),
        ("今天是2026年11月24日，星期二。", False),                # Chinese text: not a disclosure
    ],
)
def test_disclosure(payload: str, should_flag: bool) -> None:
    findings = [f for f in DETECTOR.find(payload) if f.kind == "date-disclosure"]
    assert bool(findings) is should_flag
    assert all(f.severity == Severity.INFO for f in findings)


def test_disclosure_severity_option() -> None:
    findings = [f for f in DatesDetector(Severity.MEDIUM).find(CODEX_ENV) if f.kind == "date-disclosure"]
    assert findings and findings[0].severity == Severity.MEDIUM and findings[0].text == "Asia/Shanghai"


# Robustness and registration.
@pytest.mark.parametrize("payload", ["", "\ud800", "2026-11-\ud800", "\ud8002026/11/24", "9" * 10000, "1:" * 5000])
def test_never_raises(payload: str) -> None:
    list(DETECTOR.find(payload))


def test_registered_by_name() -> None:
    from detectors.registry import DEFAULT_DETECTORS

    assert any(d.name == "dates" and d.ascii_relevant for d in DEFAULT_DETECTORS)
    assert datetime.date(2026, 11, 24).isoformat() in CODEX_ENV


# Long texts take the fast paths (line skeletons for logs, windows around digits): still caught.
def test_long_log_with_one_odd_line_is_still_seen() -> None:
    lines = [f"2026-11-{1 + i % 28:02d} 08:{i % 60:02d}:{i % 59:02d} INFO GET /api/items/{i} 200" for i in range(6000)]
    lines[4321] = f"Today's date is {SLASHED} (cwd /home/dev/app)"
    findings = [f for f in DETECTOR.find("\n".join(lines)) if f.kind == "date-format-outlier"]
    assert findings and findings[0].severity == Severity.MEDIUM and findings[0].text == SLASHED


def test_lookalike_far_into_multilingual_text() -> None:
    prose = "Съешь же ещё этих мягких французских булок, да выпей чаю. 我们今天去公园散步吧。\n" * 3000
    text = prose + "Today's date is 2026\u221211\u221224.\n" + prose
    findings = [f for f in DETECTOR.find(text) if f.kind == "date-lookalike"]
    assert [f.text for f in findings] == ["\u2212", "\u2212"]


# --- ranges written with an en dash are typography, not a look-alike offset sign ------------

@pytest.mark.parametrize("text", [
    "Office hours: 09:00\N{EN DASH}17:30, Monday to Friday.",
    "The maintenance window is 12:12\N{EN DASH}16:16 UTC.",
])
def test_en_dash_time_range_is_not_a_mark(text):
    assert [f for f in scan(text) if f.severity >= Severity.MEDIUM] == []


def test_minus_sign_as_offset_sign_is_still_found():
    text = "Date:   Tue Nov 24 08:41:08 2026 \N{MINUS SIGN}0800"
    findings = [f for f in scan(text) if f.severity >= Severity.MEDIUM]
    assert findings and all(f.codepoints == ["U+2212"] for f in findings)


# --- a number glued to a letter is not a date ------------------------------------------------

@pytest.mark.parametrize("text", [
    'FLAG = ("Today\\uff12\\uff10\\uff12\\uff16-11-24.", True)  # a source escape, then "16-11-24"',
    "Pinned to v2026.11.24 since the last release; today is 2026-11-24.",
])
def test_digits_glued_to_letters_are_not_dates(text):
    assert [f for f in scan(text) if f.severity >= Severity.MEDIUM] == []


# --- long non-ASCII logs take the line-skeleton path too; every marked line keeps its finding --

_ZH_MESSAGES = ("服务已启动，监听端口", "用户登录成功", "数据库连接超时，正在重试", "缓存已刷新", "请求处理完成")
_JA_MESSAGES = ("サーバーを起動しました", "ユーザーがログインしました", "接続がタイムアウトしました。再試行します")


def _locale_log(locale: str, messages: tuple[str, ...], lines: int) -> list[str]:
    """An application log whose dates are written the CLDR way for ``locale`` (Babel)."""
    return [
        f"{format_date(datetime.date(2026, 1 + i % 12, 1 + i % 28), format='long', locale=locale)} "
        f"{i % 24:02d}:{i % 60:02d}:{i % 59:02d} {messages[i % len(messages)]} \u8bf7\u6c42={i}"
        for i in range(lines)
    ]


@pytest.mark.parametrize("locale, messages", [("zh_CN", _ZH_MESSAGES), ("ja_JP", _JA_MESSAGES)])
def test_long_cjk_log_is_judged_by_skeleton_and_stays_quiet(locale: str, messages: tuple[str, ...]) -> None:
    from detectors.dates import _skeleton_examples
    from detectors.date_signature import zero_utf8_bytes

    text = "\n".join(_locale_log(locale, messages, 8000))
    assert _skeleton_examples(text, zero_utf8_bytes(text)) is not None
    assert [f for f in scan(text) if f.detector == "dates" and f.severity >= Severity.MEDIUM] == []


def test_every_marked_line_of_a_long_cjk_log_is_found_and_sanitized() -> None:
    lines = _locale_log("zh_CN", _ZH_MESSAGES, 8000)
    marked = range(100, 8000, 250)
    for index in marked:   # the time's first colon becomes its look-alike U+2236 RATIO
        lines[index] = lines[index].replace(":", "\N{RATIO}", 1)
    text = "\n".join(lines)
    found = [f for f in DETECTOR.find(text) if f.kind == "date-lookalike"]
    assert len(found) == len(marked)
    assert all(f.text == "\N{RATIO}" and f.replacement == ":" for f in found)
    # The fast path must agree with judging each marked line alone.
    assert {f.start for f in found} == {
        sum(len(line) + 1 for line in lines[:index]) + lines[index].index("\N{RATIO}") for index in marked
    }
    assert "\N{RATIO}" not in sanitize(text).text
