"""`addons.block`: refusals in each API's own error shape, read back by the official SDKs."""

from __future__ import annotations

import json

import anthropic
import httpx2
import openai
import pytest
from google.genai import errors as genai_errors

from addons.block import error_body, error_response, websocket_error_event

MESSAGE = "stegwatch blocked this request: 1 covert-mark finding at or above high: tag-smuggling U+E0049"


def sdk_error(api: str, status: int, body: bytes) -> Exception:
    """What each SDK makes of the response (the same code path it takes for a real one)."""
    request = httpx2.Request("POST", "https://api.example/v1/x")
    response = httpx2.Response(status, content=body, headers={"content-type": "application/json"}, request=request)
    if api == "anthropic-messages":
        client = anthropic.Anthropic(api_key="k", base_url="https://api.example")
        return client._make_status_error_from_response(response)
    if api in ("openai-chat", "openai-responses", "generic"):
        client = openai.OpenAI(api_key="k", base_url="https://api.example")
        return client._make_status_error_from_response(response)
    return genai_errors.ClientError(status, json.loads(body), None)


@pytest.mark.parametrize("api, error_type", [
    ("anthropic-messages", anthropic.BadRequestError),
    ("openai-chat", openai.BadRequestError),
    ("openai-responses", openai.BadRequestError),
    ("generic", openai.BadRequestError),
    ("gemini", genai_errors.ClientError),
])
def test_each_sdk_reads_its_error_and_shows_the_message(api, error_type):
    response = error_response(api, MESSAGE)
    assert response.status_code == 400 and response.headers["content-type"] == "application/json"
    error = sdk_error(api, response.status_code, response.content)
    assert isinstance(error, error_type)
    assert MESSAGE in str(error)


def test_shapes():
    assert error_body("anthropic-messages", "m") == {"type": "error", "error": {"type": "invalid_request_error", "message": "m"}}
    assert error_body("openai-chat", "m")["error"] | {} == {"message": "m", "type": "invalid_request_error", "param": None, "code": "stegwatch_blocked"}
    assert error_body("gemini", "m") == {"error": {"code": 400, "message": "m", "status": "INVALID_ARGUMENT"}}


def test_websocket_error_event_carries_both_readings():
    event = json.loads(websocket_error_event(MESSAGE))
    assert event["type"] == "error" and event["message"] == MESSAGE and event["error"]["message"] == MESSAGE
