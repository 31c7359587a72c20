"""Refuse a request locally, in the shape of the API's own errors, so the agent fails cleanly.

Block mode (and ``stegwatch_fail=closed``) must stop a request without breaking the client in
strange ways: an agent that gets a connection reset retries, and one that gets an HTML page
prints a stack trace. Each official SDK turns a 400 in its API's error shape into its normal
error type (``anthropic.BadRequestError``, ``openai.BadRequestError``,
``google.genai.errors.ClientError``) and shows the message, which names the finding. The
Responses WebSocket API gets an ``error`` event instead, as its server sends one.

Nothing here says "proxy" in a header: the response is only ever seen by the local client.
"""

from __future__ import annotations

import json

from mitmproxy import http

from addons.shapes import Api

STATUS = 400
ERROR_CODE = "stegwatch_blocked"
_JSON = {"content-type": "application/json"}


def error_body(api: str, message: str) -> dict:
    """The API's own error document for a refused request.

    >>> error_body("gemini", "no")
    {'error': {'code': 400, 'message': 'no', 'status': 'INVALID_ARGUMENT'}}
    """
    if api == Api.ANTHROPIC_MESSAGES:
        return {"type": "error", "error": {"type": "invalid_request_error", "message": message}}
    if api == Api.GEMINI:
        return {"error": {"code": STATUS, "message": message, "status": "INVALID_ARGUMENT"}}
    # OpenAI Chat Completions and Responses, and the generic walk: the OpenAI shape is the one
    # most gateways and compatible clients read.
    return {"error": {"message": message, "type": "invalid_request_error", "param": None, "code": ERROR_CODE}}


def error_response(api: str, message: str) -> http.Response:
    """A 400 response in ``api``'s error shape, built as mitmproxy's BlockList does."""
    return http.Response.make(STATUS, json.dumps(error_body(api, message)).encode(), _JSON)


def websocket_error_event(message: str) -> bytes:
    """An ``error`` event for the Responses WebSocket API.

    It carries the fields of a Responses stream ``error`` event (``code``, ``message``) and the
    nested ``error`` object of an API error, so that a client reading either finds the message.

    >>> json.loads(websocket_error_event("no"))["error"]["code"]
    'stegwatch_blocked'
    """
    event = {
        "type": "error",
        "status": STATUS,
        "code": ERROR_CODE,
        "message": message,
        "param": None,
        "error": {"type": "invalid_request_error", "code": ERROR_CODE, "message": message, "param": None},
    }
    return json.dumps(event).encode()
