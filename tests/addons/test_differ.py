"""`addons.differ`: aligning captures across probe cells and classifying each difference."""

from __future__ import annotations

import copy
import json
from datetime import timedelta

import pytest

from addons.captured import CapturedRequest
from addons.differ import compare, compare_requests, template
from addons.probe_model import Cell, CellCapture, ProbeResult
from tests.support.bodies import CASES, CLAUDE_SYSTEM
from tests.support.probe_cells import INSTANT, REFERENCE_ENVIRONMENT, RIGHT_QUOTE, VARIANTS, cell_of, probe_captures

# --- The incident at unit level: two covert channels among honest content and noise ------


@pytest.fixture(scope="module")
def marked_result() -> ProbeResult:
    return compare(probe_captures(marked=True), ["python", "test_agent.py"])


def test_exactly_the_two_covert_channels_are_unexplained(marked_result: ProbeResult) -> None:
    found = {(d.variable, d.cell, d.path, tuple(d.codepoints)) for d in marked_result.unexplained}
    assert found == {
        ("TZ", "TZ=Asia/Shanghai", "$['system'][1]['text']", ("U+002D", "U+002F")),
        ("ANTHROPIC_BASE_URL", "ANTHROPIC_BASE_URL=https://relay.example.cn", "$['system'][1]['text']",
         ("U+0027", "U+2019")),
    }


def test_each_unexplained_difference_shows_the_line_with_code_points_revealed(marked_result: ProbeResult) -> None:
    by_cell = {d.cell: d for d in marked_result.unexplained}
    apostrophe = by_cell["ANTHROPIC_BASE_URL=https://relay.example.cn"]
    assert apostrophe.reference == "Today's date is 2026-11-24."
    assert apostrophe.variant == f"Today{RIGHT_QUOTE}s date is 2026-11-24."
    assert apostrophe.variant_revealed == "Today\u27e6U+2019\u27e7s date is 2026-11-24."
    assert apostrophe.request == "POST /v1/messages #1" and apostrophe.where == "body"
    separator = by_cell["TZ=Asia/Shanghai"]
    # The day also moved with the zone; the format change is what makes it covert.
    assert (separator.reference, separator.variant) == ("Today's date is 2026-11-24.", "Today's date is 2026/11/25.")
    assert "date format" in separator.reason


@pytest.mark.parametrize(
    "cell, path, variant_contains",
    [
        # the clock time in the local zone, with the zone's abbreviation and name
        ("TZ=Asia/Shanghai", "$['system'][1]['text']", "Local time: 05:41 CST (Asia/Shanghai)"),
        # the date moves a day with the zone, in the same format
        ("TZ=Asia/Tokyo", "$['system'][1]['text']", "Today's date is 2026-11-25."),
        ("TZ=America/Los_Angeles", "$['system'][1]['text']", "Local time: 13:42 PST (America/Los_Angeles)"),
        # file times of `ls -l` shown in the local zone
        ("TZ=Europe/Berlin", "$['messages'][2]['content'][0]['content']", "Nov 24 20:43 billing.py"),
        # the cwd path holds the user's home; ls shows the user's name
        ("USER=bob,HOME=/home/bob", "$['system'][1]['text']", "Working directory: /home/bob/projects/billing"),
        ("USER=bob,HOME=/home/bob", "$['messages'][2]['content'][0]['content']", "1 bob bob 1843"),
        # a greeting in the user's language
        ("LANG=zh_CN.UTF-8", "$['messages'][0]['content'][0]['text']", "早上好！我们来修复你的账单测试。"),
        ("LANG=ja_JP.UTF-8", "$['messages'][0]['content'][0]['text']", "おはようございます。"),
        # the relay's host in the Host header
        ("ANTHROPIC_BASE_URL=https://relay.example.cn", "host", "relay.example.cn"),
    ],
)
def test_honest_content_is_explained(marked_result: ProbeResult, cell: str, path: str, variant_contains: str) -> None:
    matching = [d for d in marked_result.differences
                if d.cell == cell and d.path == path and d.variant and variant_contains in d.variant]
    assert matching, f"no difference at {path} in {cell}"
    assert {d.classification for d in matching} == {"explained"}


def test_telemetry_that_repeats_the_zone_is_a_disclosure(marked_result: ProbeResult) -> None:
    disclosures = [d for d in marked_result.differences if d.disclosure]
    assert {d.cell for d in disclosures} == {f"TZ={zone}" for zone in
                                             ("Asia/Shanghai", "Asia/Tokyo", "America/Los_Angeles", "Europe/Berlin")}
    assert all(d.classification == "explained" and d.path.endswith("['timezone']") for d in disclosures)
    assert all(d.api == "other" for d in disclosures)


@pytest.mark.parametrize(
    "path",
    [
        "$['system'][0]['text']",                               # billing header with per-run hashes
        "$['metadata']['user_id']",                             # session UUID
        "x-claude-code-session-id",                             # session header
        "$['events'][0]['event_data']['client_timestamp']",     # client timestamps
        "$['events'][0]['event_data']['session_id']",
        "content-type",                                          # multipart boundary
        "$",                                                     # the multipart body's boundary lines
    ],
)
def test_per_run_values_are_noise(marked_result: ProbeResult, path: str) -> None:
    at_path = [d for d in marked_result.differences if d.path == path]
    assert at_path
    assert {d.classification for d in at_path} == {"noise"}


def test_base_url_with_a_path_prefix_still_aligns_requests(marked_result: ProbeResult) -> None:
    openrouter = [d for d in marked_result.differences if d.cell == "ANTHROPIC_BASE_URL=https://openrouter.ai/api"]
    assert openrouter
    assert not [d for d in openrouter if d.where == "request"]


def test_a_difference_repeated_in_every_request_is_listed_once(marked_result: ProbeResult) -> None:
    # The system prompt is sent in both Messages calls; its changed lines count once per cell.
    keys = [(d.cell, d.request.rsplit(" #", 1)[0], d.where, d.path, d.reference, d.variant)
            for d in marked_result.differences]
    assert len(keys) == len(set(keys))
    assert [d.request for d in marked_result.unexplained] == ["POST /v1/messages #1"] * 2


def test_credentials_never_reach_the_result(marked_result: ProbeResult) -> None:
    assert "sk-ant-api03-test-key" not in marked_result.model_dump_json()


def test_clean_agent_has_no_unexplained_difference() -> None:
    result = compare(probe_captures(marked=False), ["python", "clean_agent.py"])
    assert result.unexplained == []
    assert {d.classification for d in result.differences} == {"explained", "noise"}


def test_result_lists_cells_and_runs(marked_result: ProbeResult) -> None:
    assert marked_result.reference.name == "reference"
    assert [c.name for c in marked_result.cells] == [cell_of(v).name for v in VARIANTS]
    assert len(marked_result.runs) == 2 + len(VARIANTS)
    assert marked_result.runs[0] == {"cell": "reference", "run": 1, "exit_status": 0, "duration_s": 1.5, "requests": 4}


def test_without_a_reference_cell_there_is_nothing_to_compare() -> None:
    with pytest.raises(ValueError, match="reference"):
        compare(probe_captures()[2:], ["agent"])


# --- Clean and marked agents on every API ------------------------------------------------

def _api_request(api: str, environment: dict[str, str], run: int, marked: bool) -> CapturedRequest:
    """A real agent-shaped body of ``api`` with an environment block in its system prompt and
    per-run ids; ``marked`` writes the date-line apostrophe by host."""
    from zoneinfo import ZoneInfo

    moment = INSTANT + timedelta(seconds=40 * run)
    local = moment.astimezone(ZoneInfo(environment["TZ"]))
    host = environment["ANTHROPIC_BASE_URL"].split("://", 1)[1].split("/", 1)[0]
    apostrophe = RIGHT_QUOTE if marked and host.endswith(".cn") else "'"
    block = (f"\n<environment_context>\n  <cwd>{environment['HOME']}/src/app</cwd>\n"
             f"  <current_date>Today{apostrophe}s date is {local:%Y-%m-%d}.</current_date>\n"
             f"  <timezone>{environment['TZ']}</timezone>\n</environment_context>")
    case = CASES[api](False, block)
    body = copy.deepcopy(case.body)
    request_id = f"{run:08x}-1c2a-4e2a-9c1d-{run * 7919:012x}"
    if api == "openai-responses":
        body["prompt_cache_key"] = request_id
    elif api == "openai-chat":
        body["user"] = f"session-{request_id}"
    elif api == "anthropic-messages":
        body["metadata"] = {"user_id": f"user_{request_id}"}
    raw = json.dumps(body, ensure_ascii=False).encode()
    base = environment["ANTHROPIC_BASE_URL"].rstrip("/")
    headers = [("host", host), ("content-type", "application/json"), ("user-agent", "agent/1.0"),
               ("authorization", "Bearer sk-test-secret"), ("x-request-id", request_id),
               ("content-length", str(len(raw)))]
    return CapturedRequest("POST", base + case.url_path, headers, raw, timestamp=moment.timestamp())


def _api_captures(api: str, marked: bool) -> list[CellCapture]:
    reference = cell_of({})
    captures = [CellCapture(cell=reference, run=run, exit_status=0, duration_s=1.0,
                            requests=[_api_request(api, reference.environment, run, marked)]) for run in (1, 2)]
    for index, varied in enumerate(VARIANTS):
        cell = cell_of(varied)
        captures.append(CellCapture(cell=cell, run=1, exit_status=0, duration_s=1.0,
                                    requests=[_api_request(api, cell.environment, 3 + index, marked)]))
    return captures


@pytest.mark.parametrize("api", sorted(CASES))
def test_clean_bodies_of_every_api_give_no_unexplained_difference(api: str) -> None:
    result = compare(_api_captures(api, marked=False), ["agent"])
    assert result.unexplained == []
    assert [d for d in result.differences if d.classification == "explained" and "cwd" in (d.variant or "")]


@pytest.mark.parametrize("api", sorted(CASES))
def test_a_host_dependent_apostrophe_is_found_on_every_api(api: str) -> None:
    result = compare(_api_captures(api, marked=True), ["agent"])
    assert [(d.variable, d.codepoints) for d in result.unexplained] == [("ANTHROPIC_BASE_URL", ["U+0027", "U+2019"])]
    assert result.unexplained[0].variant.strip() == f"<current_date>Today{RIGHT_QUOTE}s date is 2026-11-24.</current_date>"


# --- One changed line, one variable: the classification table ----------------------------


def _single_line_probe(variable: str, value: str, reference_line: str, variant_line: str) -> ProbeResult:
    reference = Cell(name="reference", environment=dict(REFERENCE_ENVIRONMENT))
    cell = Cell(name=f"{variable}={value}", environment={**REFERENCE_ENVIRONMENT, variable: value}, varied={variable: value})

    def request(line: str, moment_offset: int) -> CapturedRequest:
        body = {"model": "claude-sonnet-4-6", "max_tokens": 1024,
                "system": [{"type": "text", "text": f"{CLAUDE_SYSTEM}\n{line}\nBe concise."}],
                "messages": [{"role": "user", "content": "Fix the failing test."}]}
        return CapturedRequest("POST", "https://api.anthropic.com/v1/messages", [("content-type", "application/json")],
                               json.dumps(body, ensure_ascii=False).encode(),
                               timestamp=(INSTANT + timedelta(seconds=moment_offset)).timestamp())

    captures = [
        CellCapture(cell=reference, run=1, exit_status=0, duration_s=1.0, requests=[request(reference_line, 0)]),
        CellCapture(cell=reference, run=2, exit_status=0, duration_s=1.0, requests=[request(reference_line, 30)]),
        CellCapture(cell=cell, run=1, exit_status=0, duration_s=1.0, requests=[request(variant_line, 60)]),
    ]
    return compare(captures, ["agent"])


@pytest.mark.parametrize(
    "variable, value, reference_line, variant_line, expected",
    [
        # Dates under a zone change: same format and a zone's shift is honest
        ("TZ", "Asia/Shanghai", "Today's date is 2026-11-24.", "Today's date is 2026-11-25.", "explained"),
        ("TZ", "Asia/Shanghai", "Today's date is 2026-11-24.", "Today's date is 2026/11/25.", "unexplained"),
        ("TZ", "Asia/Shanghai", "Today's date is 2026-11-24.", "Today's date is 2026/11/24.", "unexplained"),
        ("TZ", "Asia/Shanghai", "Today's date is 2026-11-24.", "Today's date is 2026\u201311\u201325.", "unexplained"),
        ("TZ", "Asia/Shanghai", "Today's date is 2026-11-24.", "Today's date is 2026-11-27.", "unexplained"),
        ("TZ", "America/Los_Angeles", "Date: 24/11/2026", "Date: 11/24/2026", "unexplained"),
        ("TZ", "America/Los_Angeles", "Today's date is 2026-11-24.", "Today's date is 2026-11-24.\N{ZERO WIDTH SPACE}", "unexplained"),
        ("TZ", "Asia/Shanghai", "Local time: 21:40 UTC", "Local time: 05:41 CST", "explained"),
        ("TZ", "Asia/Tokyo", "Time zone: UTC", "Time zone: Asia/Tokyo", "explained"),
        ("TZ", "Asia/Tokyo", "Today is Tuesday, 2026-11-24.", "Today is Wednesday, 2026-11-25.", "explained"),
        ("TZ", "Asia/Tokyo", "Today is Tuesday, 2026-11-24.", "Today is Tuesday,\u00a02026-11-25.", "unexplained"),
        # Gemini CLI's date line, weekday included
        ("TZ", "Asia/Shanghai", "Today's date is Tuesday, November 24, 2026.", "Today's date is Wednesday, November 25, 2026.", "explained"),
        ("TZ", "Asia/Shanghai", "Today's date is Tuesday, November 24, 2026.", "Today's date is Wednesday, 25 November 2026.", "unexplained"),
        # Locale: a translated line is honest, unless it carries a mark of its own
        ("LANG", "zh_CN.UTF-8", "Good morning! Let's fix the tests.", "早上好！我们来修复测试。", "explained"),
        ("LANG", "ja_JP.UTF-8", "Reply in English.", "日本語で返答してください。", "explained"),
        ("LANG", "zh_CN.UTF-8", "Good morning, it is 2026-11-24.", "早上好，今天是 2026/11/24。", "unexplained"),
        ("LANG", "zh_CN.UTF-8", "Good morning!", "早上好\u2019", "unexplained"),
        ("LANG", "zh_CN.UTF-8", "Today's date is 2026-11-24.", "Today\u02bcs date is 2026-11-24.", "unexplained"),
        ("LANG", "zh_CN.UTF-8", "Today's date is 2026-11-24.", "Tod\u0430y's date is 2026-11-24.", "unexplained"),
        ("LANG", "ja_JP.UTF-8", "Language: en_US", "Language: ja_JP", "explained"),
        # ... within one script too: English to French or German words are a translation
        ("LANG", "fr_FR.UTF-8", "Good morning! Let's fix the tests.", "Bonjour ! R\u00e9parons les tests.", "explained"),
        ("LANG", "de_DE.UTF-8", "Your workspace is ready.", "Dein Arbeitsbereich ist bereit.", "explained"),
        ("LANG", "fr_FR.UTF-8", "Today's date is 2026-11-24.", "Today\u2019s date is 2026-11-24.", "unexplained"),
        ("LANG", "de_DE.UTF-8", "Your workspace is ready.", "Dein Arbeitsbereich ist bereit.\u200b", "unexplained"),
        # User and home directory
        ("HOME", "/home/bob", "Working directory: /home/alice/src/app", "Working directory: /home/bob/src/app", "explained"),
        ("HOME", "/home/bob", "Working directory: /home/alice/src/app", "Working directory: /home/bob/src/app\u2060", "unexplained"),
        ("USER", "bob", "You are helping alice.", "You are helping bob.", "explained"),
        ("USER", "bob", "You are helping alice.", "You are helping bob!", "unexplained"),
        # Base-URL host
        ("ANTHROPIC_BASE_URL", "https://relay.example.cn", "Endpoint: https://api.anthropic.com", "Endpoint: https://relay.example.cn", "explained"),
        ("ANTHROPIC_BASE_URL", "https://relay.example.cn", "Model: claude-sonnet-4-6", "Model: claude-sonnet-4-5", "unexplained"),
        ("ANTHROPIC_BASE_URL", "https://relay.example.cn", "Keep answers \u201cshort\u201d.", "Keep answers \"short\".", "unexplained"),
        ("ANTHROPIC_BASE_URL", "https://relay.example.cn", "Use -- to end options.", "Use \u2014 to end options.", "unexplained"),
    ],
)
def test_line_classification(variable: str, value: str, reference_line: str, variant_line: str, expected: str) -> None:
    result = _single_line_probe(variable, value, reference_line, variant_line)
    assert [(d.classification, d.variable, d.path) for d in result.differences] == [
        (expected, variable, "$['system'][0]['text']")
    ], result.differences


def test_unexplained_codepoints_name_the_changed_characters() -> None:
    result = _single_line_probe("TZ", "Asia/Shanghai", "Today is 2026-11-24.", "Today is 2026\u201311\u201325.")
    assert result.unexplained[0].codepoints == ["U+002D", "U+2013"]
    assert result.unexplained[0].variant_revealed == "Today is 2026\u27e6U+2013\u27e711\u27e6U+2013\u27e725."


def test_a_change_in_a_long_line_is_shown_around_the_change() -> None:
    prose = "Follow the repository's conventions and keep the diff small. " * 300
    result = _single_line_probe("ANTHROPIC_BASE_URL", "https://relay.example.cn", prose + "Today's date.",
                                prose + f"Today{RIGHT_QUOTE}s date.")
    (difference,) = result.unexplained
    assert len(difference.variant) < 200 and difference.variant.endswith(f"Today{RIGHT_QUOTE}s date.")
    assert difference.variant.startswith("\u2026")


# --- Noise learned from the reference runs -----------------------------------------------


def _probe_of_bodies(reference_bodies: tuple[dict, dict], variant_body: dict, varied: dict[str, str]) -> ProbeResult:
    reference = Cell(name="reference", environment=dict(REFERENCE_ENVIRONMENT))
    cell = cell_of(varied)

    def capture(captured_cell: Cell, run: int, body: dict) -> CellCapture:
        request = CapturedRequest("POST", "https://api.anthropic.com/v1/messages", [("content-type", "application/json")],
                                  json.dumps(body, ensure_ascii=False).encode())
        return CellCapture(cell=captured_cell, run=run, exit_status=0, duration_s=1.0, requests=[request])

    return compare([capture(reference, 1, reference_bodies[0]), capture(reference, 2, reference_bodies[1]),
                    capture(cell, 1, variant_body)], ["agent"])


def _body(system: str, **extra: object) -> dict:
    return {"model": "claude-sonnet-4-6", "system": system, "messages": [{"role": "user", "content": "hi"}], **extra}


def test_a_line_that_differs_between_reference_runs_is_noise() -> None:
    result = _probe_of_bodies(
        (_body(f"{CLAUDE_SYSTEM}\nrequest 1234 started"), _body(f"{CLAUDE_SYSTEM}\nrequest 1299 started")),
        _body(f"{CLAUDE_SYSTEM}\nrequest 1301 started"), {"TZ": "Asia/Tokyo"})
    assert [d.classification for d in result.differences] == ["noise"]


def test_a_mark_in_a_noisy_line_is_still_unexplained() -> None:
    result = _probe_of_bodies(
        (_body(f"{CLAUDE_SYSTEM}\nrequest 1234 started"), _body(f"{CLAUDE_SYSTEM}\nrequest 1299 started")),
        _body(f"{CLAUDE_SYSTEM}\nrequest\u00a01301 started"), {"TZ": "Asia/Tokyo"})
    assert [(d.classification, d.codepoints) for d in result.differences] == [("unexplained", ["U+0020", "U+00A0"])]


@pytest.mark.parametrize(
    "extra, expected",
    [
        ({"temperature": 0.7}, [("unexplained", "$['temperature']")]),
        ({"metadata": {"tz": "Asia/Tokyo"}}, [("explained", "$['metadata']['tz']")]),
        ({"metadata": {"tag": "ref-7"}}, [("unexplained", "$['metadata']['tag']")]),
    ],
)
def test_fields_that_appear(extra: dict, expected: list[tuple[str, str]]) -> None:
    result = _probe_of_bodies((_body(CLAUDE_SYSTEM), _body(CLAUDE_SYSTEM)), _body(CLAUDE_SYSTEM, **extra), {"TZ": "Asia/Tokyo"})
    assert [(d.classification, d.path) for d in result.differences] == expected


def test_a_field_that_comes_and_goes_between_reference_runs_is_noise() -> None:
    result = _probe_of_bodies((_body(CLAUDE_SYSTEM, retry=1), _body(CLAUDE_SYSTEM)), _body(CLAUDE_SYSTEM, retry=2),
                              {"TZ": "Asia/Tokyo"})
    assert [d.classification for d in result.differences] == ["noise"]


# --- Headers and requests ----------------------------------------------------------------


def _header_probe(variant_headers: list[tuple[str, str]], extra_request: bool = False) -> ProbeResult:
    body = json.dumps(_body(CLAUDE_SYSTEM)).encode()
    base = [("host", "api.anthropic.com"), ("content-type", "application/json"), ("x-api-key", "sk-ant-secret-1"),
            ("user-agent", "claude-cli/2.0.50 (external, cli)")]
    reference = cell_of({})
    cell = cell_of({"ANTHROPIC_BASE_URL": "https://relay.example.cn"})
    ref_request = CapturedRequest("POST", "https://api.anthropic.com/v1/messages", base, body)
    var_requests = [CapturedRequest("POST", "https://relay.example.cn/v1/messages", variant_headers, body)]
    if extra_request:
        var_requests.append(CapturedRequest("GET", "https://relay.example.cn/v1/feature_flags?client=cli"))
    return compare([
        CellCapture(cell=reference, run=1, exit_status=0, duration_s=1.0, requests=[ref_request]),
        CellCapture(cell=reference, run=2, exit_status=0, duration_s=1.0, requests=[ref_request]),
        CellCapture(cell=cell, run=1, exit_status=0, duration_s=1.0, requests=var_requests),
    ], ["agent"])


_VARIANT_BASE = [("host", "relay.example.cn"), ("content-type", "application/json"), ("x-api-key", "sk-ant-secret-1"),
                 ("user-agent", "claude-cli/2.0.50 (external, cli)")]


@pytest.mark.parametrize(
    "variant_headers, expected",
    [
        (_VARIANT_BASE, [("explained", "host")]),
        (_VARIANT_BASE + [("x-client-region", "cn")], [("explained", "host"), ("unexplained", "x-client-region")]),
        ([_VARIANT_BASE[1], _VARIANT_BASE[0], *_VARIANT_BASE[2:]], [("explained", "host"), ("unexplained", "(order)")]),
        (_VARIANT_BASE[:3] + [("user-agent", "claude-cli/2.0.50 (external,\u00a0cli)")],
         [("explained", "host"), ("unexplained", "user-agent")]),
    ],
)
def test_headers_are_compared_by_name_order_and_value(variant_headers: list[tuple[str, str]], expected: list) -> None:
    result = _header_probe(variant_headers)
    assert sorted((d.classification, d.path) for d in result.differences) == sorted(expected)
    assert all(d.where == "header" for d in result.differences)


def test_a_changed_credential_is_reported_without_its_value() -> None:
    result = _header_probe(_VARIANT_BASE[:2] + [("x-api-key", "sk-ant-secret-2\N{ZERO WIDTH SPACE}")] + _VARIANT_BASE[3:])
    (difference,) = [d for d in result.differences if d.path == "x-api-key"]
    assert difference.classification == "unexplained"
    assert "secret" not in result.model_dump_json()
    assert difference.variant == "\u27e8hidden value, 16 characters; U+200B\u27e9"


def test_a_request_that_appears_is_unexplained() -> None:
    result = _header_probe(_VARIANT_BASE, extra_request=True)
    (appeared,) = [d for d in result.differences if d.where == "request"]
    assert (appeared.classification, appeared.reference, appeared.variant) == (
        "unexplained", None, "GET /v1/feature_flags?client=cli")


# --- Templates and `stegwatch diff`'s two-request comparison -------------------------------


@pytest.mark.parametrize(
    "line, masked",
    [
        ("session 3f1c2a9e-0b7d-4e2a-9c1d-5a6b7c8d9e0f", "session \x01"),
        ("Today\u2019s date is 2026/11/24.", "Today\u2019s date is \x01/\x01/\x01."),
        ("--------------------------515890814546601021194782", "--------------------------\x01"),
        ("cc_version=2.0.50.c38; cch=1027c;", "cc_version=\x01.\x01.\x01.\x01; cch=\x01;"),
    ],
)
def test_template_masks_random_values_but_keeps_punctuation(line: str, masked: str) -> None:
    assert template(line) == masked


def test_compare_requests_without_variables() -> None:
    case = CASES["anthropic-messages"](False)
    marked = copy.deepcopy(case.body)
    marked["system"][0]["text"] = marked["system"][0]["text"].replace("Anthropic's", f"Anthropic{RIGHT_QUOTE}s")
    marked["messages"][0]["content"][0]["text"] = "Now fix the other test too."
    differences = compare_requests(CapturedRequest("POST", "", body=case.encoded()),
                                   CapturedRequest("POST", "", body=json.dumps(marked).encode()))
    assert [(d.classification, d.path) for d in differences] == [
        ("unexplained", "$['system'][0]['text']"),
        ("explained", "$['messages'][0]['content'][0]['text']"),
    ]


def test_a_group_of_base_urls_varied_together_explains_each_sdk_host() -> None:
    # The runner varies the three SDKs' base URLs in one cell, from three vendor hosts.
    environment = {"ANTHROPIC_BASE_URL": "https://api.anthropic.com", "OPENAI_BASE_URL": "https://api.openai.com/v1",
                   "GOOGLE_GEMINI_BASE_URL": "https://generativelanguage.googleapis.com"}
    relay = dict.fromkeys(environment, "https://relay.example.net")
    reference = Cell(name="reference", environment=environment)
    cell = Cell(name="BASE_URL=relay.example.net", environment=relay, varied=relay)
    body = CASES["openai-chat"](False).encoded()

    def request(host: str, prefix: str) -> CapturedRequest:
        return CapturedRequest("POST", f"https://{host}{prefix}/chat/completions", [("host", host)], body)

    result = compare([
        CellCapture(cell=reference, run=1, exit_status=0, duration_s=1.0, requests=[request("api.openai.com", "/v1")]),
        CellCapture(cell=reference, run=2, exit_status=0, duration_s=1.0, requests=[request("api.openai.com", "/v1")]),
        CellCapture(cell=cell, run=1, exit_status=0, duration_s=1.0, requests=[request("relay.example.net", "")]),
    ], ["agent"])
    assert [(d.classification, d.variable, d.path) for d in result.differences] == [
        ("explained", "OPENAI_BASE_URL", "host")]


# --- Other request shapes: telemetry forms, query strings, compressed bodies, WebSocket ------


def _cells_probe(make_requests, varied: dict[str, str]) -> ProbeResult:
    """``make_requests(environment, run)`` for the reference twice and one variant cell."""
    reference, cell = cell_of({}), cell_of(varied)
    return compare([
        CellCapture(cell=reference, run=1, exit_status=0, duration_s=1.0, requests=make_requests(reference.environment, 1)),
        CellCapture(cell=reference, run=2, exit_status=0, duration_s=1.0, requests=make_requests(reference.environment, 2)),
        CellCapture(cell=cell, run=1, exit_status=0, duration_s=1.0, requests=make_requests(cell.environment, 3)),
    ], ["agent"])


def test_form_fields_and_query_parameters_of_telemetry() -> None:
    from urllib.parse import urlencode

    def requests(environment: dict[str, str], run: int) -> list[CapturedRequest]:
        region = "cn\u200b" if environment["TZ"] == "Asia/Shanghai" else "cn"   # a mark in one field
        from zoneinfo import ZoneInfo

        offset = -int(INSTANT.astimezone(ZoneInfo(environment["TZ"])).utcoffset().total_seconds() // 60)
        form = urlencode({"event": "startup", "tz": environment["TZ"], "tz_offset": str(offset), "region": region,
                          "token": f"tok-{run}-secret"})
        return [CapturedRequest("POST", f"https://telemetry.example.com/collect?v=1&key=AIza-{run}-secret&cid={run:032x}",
                                [("content-type", "application/x-www-form-urlencoded")], form.encode())]

    result = _cells_probe(requests, {"TZ": "Asia/Shanghai"})
    by_path = {d.path: d for d in result.differences}
    assert by_path["$['tz']"].classification == "explained" and by_path["$['tz']"].disclosure
    assert by_path["$['tz_offset']"].classification == "explained" and by_path["$['tz_offset']"].disclosure
    assert (by_path["$['region']"].classification, by_path["$['region']"].codepoints) == ("unexplained", ["U+200B"])
    assert by_path["$['token']"].classification == "noise" and by_path["?key"].classification == "noise"
    assert by_path["?cid"].classification == "noise" and by_path["?cid"].where == "request"
    assert "secret" not in result.model_dump_json()


def test_compressed_bodies_are_compared_decoded() -> None:
    import gzip

    def requests(environment: dict[str, str], run: int) -> list[CapturedRequest]:
        apostrophe = RIGHT_QUOTE if environment["LANG"].startswith("ja") else "'"
        body = {"model": "m", "system": f"{CLAUDE_SYSTEM}\nIt{apostrophe}s your repository.", "messages": []}
        return [CapturedRequest("POST", "https://api.anthropic.com/v1/messages",
                                [("content-type", "application/json"), ("content-encoding", "gzip")],
                                gzip.compress(json.dumps(body).encode(), mtime=run))]

    result = _cells_probe(requests, {"LANG": "ja_JP.UTF-8"})
    assert [(d.classification, d.variable, d.variant) for d in result.unexplained] == [
        ("unexplained", "LANG", f"It{RIGHT_QUOTE}s your repository.")]


def test_websocket_messages_align_with_their_api() -> None:
    def requests(environment: dict[str, str], run: int) -> list[CapturedRequest]:
        dash = "\u2013" if environment["ANTHROPIC_BASE_URL"].endswith(".cn") else "-"
        message = {"type": "response.create", "model": "gpt-5-codex", "instructions": f"{CODEX} {dash} be brief.",
                   "input": [{"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]}]}
        return [CapturedRequest("GET", "wss://api.openai.com/v1/responses", (), json.dumps(message).encode(),
                                websocket=True)]

    CODEX = "You are Codex, based on GPT-5."
    result = _cells_probe(requests, {"ANTHROPIC_BASE_URL": "https://relay.example.cn"})
    (difference,) = result.unexplained
    assert (difference.api, difference.request, difference.path) == (
        "openai-responses-ws", "WS /v1/responses #1", "$['instructions']")
    assert difference.codepoints == ["U+002D", "U+2013"]


def test_a_field_that_vanishes_is_unexplained() -> None:
    result = _probe_of_bodies((_body(CLAUDE_SYSTEM, stream=True), _body(CLAUDE_SYSTEM, stream=True)),
                              _body(CLAUDE_SYSTEM), {"TZ": "Asia/Tokyo"})
    assert [(d.classification, d.path, d.reference, d.variant) for d in result.differences] == [
        ("unexplained", "$['stream']", "true", None)]


def test_a_field_that_differs_wholesale_between_runs_is_one_noise_difference() -> None:
    def output(seed: int) -> str:
        return "\n".join(f"PID {seed * 7919 + k} worker-{(seed * 31 + k) % 97} state=running" for k in range(300))

    result = _probe_of_bodies((_body(CLAUDE_SYSTEM, log=output(1)), _body(CLAUDE_SYSTEM, log=output(2))),
                              _body(CLAUDE_SYSTEM, log=output(3)), {"TZ": "Asia/Tokyo"})
    assert [(d.classification, d.path) for d in result.differences] == [("noise", "$['log']")]


@pytest.mark.parametrize(
    "url, telemetry, expected",
    [
        # a measured duration in telemetry: same template, new number
        ("https://statsig.anthropic.com/v1/rgstr", True, "noise"),
        # the same number in an AI request's system prompt is the client's own text
        ("https://api.anthropic.com/v1/messages", False, "unexplained"),
    ],
)
def test_numbers_that_change_only_in_the_variant(url: str, telemetry: bool, expected: str) -> None:
    def requests(environment: dict[str, str], run: int) -> list[CapturedRequest]:
        detail = f"Startup took {412 if run < 3 else 388} ms."
        body = ({"events": [{"eventName": "startup", "detail": detail}]} if telemetry
                else {"model": "m", "system": f"{CLAUDE_SYSTEM}\n{detail}", "messages": []})
        return [CapturedRequest("POST", url, [("content-type", "application/json")], json.dumps(body).encode())]

    result = _cells_probe(requests, {"TZ": "Asia/Tokyo"})
    assert [d.classification for d in result.differences] == [expected]
