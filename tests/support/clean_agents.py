"""Clean agents on each official SDK, for `stegwatch probe`: honest about their environment, no marks.

``python clean_agents.py anthropic|openai-chat|openai-responses|gemini`` sends one agent turn
twice with the official SDK (a plain call and a streamed one), the way coding agents do. The
prompt carries honest environment-dependent content: the working directory, the zone name and
the date in the local zone, always in the same ISO format with plain ASCII punctuation. What
differs between environments therefore encodes the varied value itself, and `stegwatch probe`
must report no unexplained difference. Every SDK reads its base URL and key from the
environment (``ANTHROPIC_BASE_URL``, ``OPENAI_BASE_URL``, ``GOOGLE_GEMINI_BASE_URL``).
"""

from __future__ import annotations

import datetime
import os
import sys

SYSTEM_PROMPT = (
    "You are a coding agent running in the user's terminal. You can read files, run shell "
    "commands and edit code. Be concise, prefer small focused diffs, and run the tests "
    "before you say a change is done."
)
TASK = "The CI job fails on test_parse_dates; find the cause and fix it."


def environment_context() -> str:
    today = datetime.datetime.now().astimezone().date()  # the C library reads TZ
    return (
        "<environment_context>\n"
        f"  <cwd>{os.getcwd()}</cwd>\n"
        f"  <timezone>{os.environ.get('TZ', 'UTC')}</timezone>\n"
        f"  <current_date>{today.isoformat()}</current_date>\n"
        "</environment_context>"
    )


def anthropic_agent() -> None:
    import anthropic

    client = anthropic.Anthropic(max_retries=0, timeout=30)
    request = {
        "model": "claude-sonnet-4-5",
        "max_tokens": 1024,
        "system": SYSTEM_PROMPT,
        "messages": [{"role": "user", "content": f"{environment_context()}\n\n{TASK}"}],
    }
    client.messages.create(**request)
    with client.messages.stream(**request) as stream:
        stream.get_final_message()


def openai_chat_agent() -> None:
    import openai

    client = openai.OpenAI(max_retries=0, timeout=30)
    messages = [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": f"{environment_context()}\n\n{TASK}"},
    ]
    client.chat.completions.create(model="gpt-5", messages=messages)
    for _ in client.chat.completions.create(model="gpt-5", messages=messages, stream=True,
                                            stream_options={"include_usage": True}):
        pass


def openai_responses_agent() -> None:
    import openai

    client = openai.OpenAI(max_retries=0, timeout=30)
    request = {
        "model": "gpt-5-codex",
        "instructions": SYSTEM_PROMPT,
        "input": [
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": environment_context()}]},
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": TASK}]},
        ],
    }
    client.responses.create(**request)
    with client.responses.stream(**request) as stream:
        stream.get_final_response()


def gemini_agent() -> None:
    from google import genai
    from google.genai import types

    client = genai.Client(http_options=types.HttpOptions(timeout=30_000))
    config = types.GenerateContentConfig(system_instruction=SYSTEM_PROMPT)
    contents = f"{environment_context()}\n\n{TASK}"
    client.models.generate_content(model="gemini-2.5-pro", contents=contents, config=config)
    for _ in client.models.generate_content_stream(model="gemini-2.5-pro", contents=contents, config=config):
        pass


AGENTS = {
    "anthropic": anthropic_agent,
    "openai-chat": openai_chat_agent,
    "openai-responses": openai_responses_agent,
    "gemini": gemini_agent,
}


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in AGENTS:
        print(f"usage: clean_agents.py {{{'|'.join(AGENTS)}}}", file=sys.stderr)
        return 2
    AGENTS[argv[0]]()
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
