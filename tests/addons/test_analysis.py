"""`addons.analysis.analyse_captured`: a captured request takes the live add-on's path."""

from __future__ import annotations

import json

from addons.analysis import analyse_captured, analyse_request
from addons.captured import CapturedRequest
from addons.scan_cache import ScanCache
from tests.support.bodies import TAG_CODEPOINTS, anthropic_case, openai_responses_case

MAX_BODY = 64 * 1024 * 1024
CLAUDE = (("User-Agent", "claude-cli/2.0.1 (external, cli)"), ("Content-Type", "application/json"))


def test_an_http_request_gives_what_live_mode_gives() -> None:
    body = anthropic_case(marked=True).encoded()
    captured = analyse_captured(CapturedRequest("POST", "https://api.anthropic.com/v1/messages", CLAUDE, body), ScanCache(), MAX_BODY)
    live = analyse_request("POST", "/v1/messages", body, None, ScanCache(), MAX_BODY,
                           "api.anthropic.com\x00claude-cli/2.0.1 (external, cli)")
    assert captured is not None
    assert [(i.field.path, i.finding.codepoints) for i in captured.located] == [
        (i.field.path, i.finding.codepoints) for i in live.located]
    assert captured.conversation == live.conversation
    assert TAG_CODEPOINTS in [i.finding.codepoints for i in captured.located]


def test_a_responses_websocket_message_is_read_and_others_are_not() -> None:
    message = json.dumps({"type": "response.create", **openai_responses_case(marked=True).body}).encode()
    responses = CapturedRequest("GET", "wss://api.openai.com/v1/responses", body=message, websocket=True, flow_id="f1")
    realtime = CapturedRequest("GET", "wss://api.openai.com/v1/realtime", body=message, websocket=True, flow_id="f1")
    analysis = analyse_captured(responses, ScanCache(), MAX_BODY)
    assert analysis is not None and analysis.conversation == "ws:f1" and analysis.located
    assert analyse_captured(realtime, ScanCache(), MAX_BODY) is None


def test_a_bodiless_request_is_not_read() -> None:
    assert analyse_captured(CapturedRequest("GET", "https://api.anthropic.com/v1/models", CLAUDE), ScanCache(), MAX_BODY) is None
