"""Request bodies shaped like real coding-agent turns, clean and with marks, for every API.

Marks are written as escapes (the repo must pass its own scanner). Each marked body comes
with the marks a scan must report: JSON path, role and the code points of the mark. Three
channels are used because their detectors flag them unconditionally: tag characters
(tag smuggling, in the system prompt), ZERO WIDTH SPACE (in a tool result) and a bidi
override (in a nested tool argument).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

TAG_PAYLOAD = "".join(chr(0xE0000 + ord(ch)) for ch in "ID42")
TAG_CODEPOINTS = [f"U+{0xE0000 + ord(ch):05X}" for ch in "ID42"]
ZWSP = "\N{ZERO WIDTH SPACE}"
RLO = "\N{RIGHT-TO-LEFT OVERRIDE}"
PDF = "\N{POP DIRECTIONAL FORMATTING}"

CLAUDE_SYSTEM = (
    "You are Claude Code, Anthropic's official CLI for Claude.\n"
    "You are an interactive CLI tool that helps users with software engineering tasks. "
    "Use the instructions below and the tools available to you to assist the user.\n"
    "IMPORTANT: Assist with defensive security tasks only."
)
CODEX_INSTRUCTIONS = (
    "You are Codex, based on GPT-5. You are running as a coding agent in the Codex CLI on a user's computer.\n"
    "## General\n- When searching for text or files, prefer using `rg` or `rg --files` because `rg` is much faster."
)
GEMINI_SYSTEM = (
    "You are an interactive CLI agent specializing in software engineering tasks. Your primary goal is to help "
    "users safely and efficiently, adhering strictly to the following instructions and utilizing your available tools."
)
USER_ASK = "Fix the failing test in tests/test_billing.py; it says « montant invalide » — 金额无效 🙂"
LS_OUTPUT = "total 12\n-rw-r--r-- 1 alice alice 1843 Nov 24 09:12 billing.py\n-rw-r--r-- 1 alice alice  912 Nov 24 09:12 test_billing.py\n"


@dataclass(frozen=True)
class Mark:
    """A mark a scan must report."""

    path: str
    role: str
    codepoints: tuple[str, ...]


@dataclass(frozen=True)
class Case:
    """A body for one API and the marks it carries (none for a clean body)."""

    api: str
    url_path: str
    body: dict
    marks: tuple[Mark, ...] = ()

    def encoded(self, ensure_ascii: bool = False) -> bytes:
        return json.dumps(self.body, ensure_ascii=ensure_ascii).encode("utf-8")


def anthropic_case(marked: bool, tag: str = "") -> Case:
    system = CLAUDE_SYSTEM + (TAG_PAYLOAD if marked else "") + tag
    listing = LS_OUTPUT + (ZWSP if marked else "") + "-rw-r--r-- 1 alice alice 77 Nov 24 09:12 README.md\n"
    note = f"list {RLO}txt.exe{PDF} too" if marked else "list the README too"
    body = {
        "model": "claude-sonnet-4-6",
        "max_tokens": 1024,
        "system": [{"type": "text", "text": system, "cache_control": {"type": "ephemeral"}}],
        "tools": [{"name": "Bash", "description": "Executes a given bash command.",
                   "input_schema": {"type": "object", "properties": {"command": {"type": "string"}}}}],
        "messages": [
            {"role": "user", "content": [{"type": "text", "text": USER_ASK}]},
            {"role": "assistant", "content": [
                {"type": "text", "text": "Let me look at the files."},
                {"type": "tool_use", "id": "toolu_01", "name": "Bash",
                 "input": {"command": "ls -l", "options": {"notes": ["keep going", note]}}},
            ]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_01", "content": listing}]},
        ],
    }
    marks = (
        Mark("$['system'][0]['text']", "system", tuple(TAG_CODEPOINTS)),
        Mark("$['messages'][1]['content'][1]['input']['options']['notes'][1]", "tool_call", ("U+202E",)),
        Mark("$['messages'][2]['content'][0]['content']", "tool_result", ("U+200B",)),
    )
    return Case("anthropic-messages", "/v1/messages", body, marks if marked else ())


def openai_chat_case(marked: bool, tag: str = "") -> Case:
    arguments = json.dumps({"cmd": ["bash", "-lc", f"ls {RLO}txt.exe{PDF}" if marked else "ls -l"]})
    body = {
        "model": "gpt-5",
        "messages": [
            {"role": "system", "content": CODEX_INSTRUCTIONS + (TAG_PAYLOAD if marked else "") + tag},
            {"role": "user", "content": USER_ASK},
            {"role": "assistant", "content": None, "tool_calls": [
                {"id": "call_01", "type": "function", "function": {"name": "shell", "arguments": arguments}}]},
            {"role": "tool", "tool_call_id": "call_01", "content": LS_OUTPUT + (ZWSP if marked else "")},
        ],
        "tools": [{"type": "function", "function": {"name": "shell", "description": "Runs a shell command.",
                                                    "parameters": {"type": "object", "properties": {"cmd": {"type": "array"}}}}}],
    }
    marks = (
        Mark("$['messages'][0]['content']", "system", tuple(TAG_CODEPOINTS)),
        Mark("$['messages'][2]['tool_calls'][0]['function']['arguments']#json$['cmd'][2]", "tool_call", ("U+202E",)),
        Mark("$['messages'][3]['content']", "tool_result", ("U+200B",)),
    )
    return Case("openai-chat", "/v1/chat/completions", body, marks if marked else ())


def openai_responses_case(marked: bool, tag: str = "") -> Case:
    arguments = json.dumps({"command": ["bash", "-lc", f"cat {RLO}txt.exe{PDF}" if marked else "cat README.md"]})
    body = {
        "model": "gpt-5-codex",
        "instructions": CODEX_INSTRUCTIONS + (TAG_PAYLOAD if marked else "") + tag,
        "input": [
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": USER_ASK}]},
            {"type": "function_call", "call_id": "call_01", "name": "shell", "arguments": arguments},
            {"type": "function_call_output", "call_id": "call_01", "output": LS_OUTPUT + (ZWSP if marked else "")},
        ],
        "tools": [{"type": "function", "name": "shell", "description": "Runs a shell command.",
                   "parameters": {"type": "object", "properties": {"command": {"type": "array"}}}}],
    }
    marks = (
        Mark("$['instructions']", "system", tuple(TAG_CODEPOINTS)),
        Mark("$['input'][1]['arguments']#json$['command'][2]", "tool_call", ("U+202E",)),
        Mark("$['input'][2]['output']", "tool_result", ("U+200B",)),
    )
    return Case("openai-responses", "/v1/responses", body, marks if marked else ())


def gemini_case(marked: bool, tag: str = "") -> Case:
    body = {
        "systemInstruction": {"parts": [{"text": GEMINI_SYSTEM + (TAG_PAYLOAD if marked else "") + tag}]},
        "contents": [
            {"role": "user", "parts": [{"text": USER_ASK}]},
            {"role": "model", "parts": [{"functionCall": {"name": "run_shell_command", "args": {
                "command": {"argv": ["ls", f"{RLO}txt.exe{PDF}" if marked else "-l"]}}}}]},
            {"role": "user", "parts": [{"functionResponse": {"name": "run_shell_command", "response": {
                "output": LS_OUTPUT + (ZWSP if marked else "")}}}]},
        ],
        "tools": [{"functionDeclarations": [{"name": "run_shell_command", "description": "Runs a shell command."}]}],
    }
    marks = (
        Mark("$['systemInstruction']['parts'][0]['text']", "system", tuple(TAG_CODEPOINTS)),
        Mark("$['contents'][1]['parts'][0]['functionCall']['args']['command']['argv'][1]", "tool_call", ("U+202E",)),
        Mark("$['contents'][2]['parts'][0]['functionResponse']['response']['output']", "tool_result", ("U+200B",)),
    )
    return Case("gemini", "/v1beta/models/gemini-2.5-pro:generateContent", body, marks if marked else ())


def codex_websocket_create(instructions: str, user_text: str) -> str:
    """A ``response.create`` message as Codex sends it over the Responses API's WebSocket."""
    return json.dumps({
        "type": "response.create", "model": "gpt-5-codex", "instructions": instructions,
        "input": [{"type": "message", "role": "user", "content": [{"type": "input_text", "text": user_text}]}],
    })


CASES = {
    "anthropic-messages": anthropic_case,
    "openai-chat": openai_chat_case,
    "openai-responses": openai_responses_case,
    "gemini": gemini_case,
}


_CODE_TURN = (
    "Here is the fix for `total()`:\n```python\ndef total(items: list[Item]) -> Decimal:\n"
    "    \"\"\"Sum of the prices, rounded half-even like the ledger.\"\"\"\n"
    "    return sum((i.price for i in items), Decimal(0)).quantize(CENT, ROUND_HALF_EVEN)\n```\n"
)
_TOOL_OUTPUT = (
    "============================= test session starts ==============================\n"
    "tests/test_billing.py::test_total PASSED  # 合計テスト — 金额正确 ✅\n"
    "tests/test_billing.py::test_vat FAILED   # « TVA invalide » 🙂\n"
)


def conversation_body(size: int, marked: bool) -> dict:
    """An Anthropic request shaped like a long coding-agent conversation of about ``size``
    bytes: the Claude Code system prompt and tools, then turns of code, tool output with CJK
    and emoji. ``marked`` adds a zero width space to every 50th tool output."""
    body = anthropic_case(marked=marked).body
    body["system"][0]["text"] = (body["system"][0]["text"] + "\n") * 40
    messages = body["messages"]
    approximate = len(json.dumps(body, ensure_ascii=False).encode())
    turn = 0
    while approximate < size:
        assistant = {"role": "assistant", "content": [{"type": "text", "text": f"Turn {turn}. " + _CODE_TURN * 12}]}
        output = _TOOL_OUTPUT * 12 + f"run {turn}" + (ZWSP if marked and turn % 50 == 0 else "")
        user = {"role": "user", "content": [{"type": "tool_result", "tool_use_id": f"toolu_{turn}", "content": output}]}
        messages += [assistant, user]
        approximate += len(json.dumps([assistant, user], ensure_ascii=False).encode())
        turn += 1
    return body
