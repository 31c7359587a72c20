"""Tests for `addons.template`: which text a client authored, and its lines with values masked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from addons.shapes import Api, Role, TextField, extract_fields
from addons.shapes import client_authored_spans
from addons.template import field_lines, fold_key, mask_line, path_pattern, template_lines

DATA = Path(__file__).resolve().parents[1] / "data"
PROMPTS = {name: (DATA / "prompts" / f"{name}.txt").read_text(encoding="utf-8") for name in ("claude_code", "codex", "gemini_cli")}


# --- masking: dynamic values go, the rest stays raw ----------------------------------------

@pytest.mark.parametrize(
    "line, template",
    [
        # Dates keep their format, not their value.
        ("Today's date: 2026-11-24", "Today's date: <DATE Y-M-D>"),
        ("Today's date is 2026/11/24.", "Today's date is <DATE Y/M/D>."),
        ("Today\u2019s date: 2026\u221211\u221224", "Today\u2019s date: <DATE Y\u2212M\u2212D>"),
        ("Today's date is Monday, November 24, 2026 (formatted according to the user's locale).",
         "Today's date is <DATE M D, Y month=full weekday=full> (formatted according to the user's locale)."),
        ("  <current_date>2026-11-24</current_date>", "  <current_date><DATE Y-M-D></current_date>"),
        ("It is 9:05 AM now", "It is <TIME H:M clock=AM> now"),
        ("It is 9:05 PM now", "It is <TIME H:M clock=AM> now"),
        ("It is 21:05 now", "It is <TIME H:M> now"),
        # Paths, hashes, UUIDs, tokens, numbers.
        ("Working directory: /home/alice/projects/billing-service", "Working directory: <PATH>"),
        ("  <cwd>/home/dev/projects/shop-api</cwd>", "  <cwd><PATH></cwd>"),
        ("3f9c2e1 Round invoice totals half-even per currency", "<HASH> Round invoice totals half-even per currency"),
        ("session 123e4567-e89b-42d3-a456-426614174000 ok", "session <UUID> ok"),
        ("OS Version: Linux 6.8.0-49-generic", "OS Version: Linux <N>.<N>.<N>-<N>-generic"),
        ("The exact model ID is claude-sonnet-4-5-20250929.", "The exact model ID is <TOKEN>."),
        # A credential pasted into a prompt never reaches a template.
        ("export ANTHROPIC_API_KEY=sk-ant-api03-AbCdEf0123456789xyzXYZ", "export ANTHROPIC_API_KEY=<TOKEN>"),
        # Template text with nothing dynamic stays as it is, marks included.
        ("- When searching for text or files, prefer using `rg`.", "- When searching for text or files, prefer using `rg`."),
        ("Don\u02bct guess URLs\N{ZERO WIDTH SPACE}.", "Don\u02bct guess URLs\N{ZERO WIDTH SPACE}."),
        ("« montant invalide » — 金额无效 🙂", "« montant invalide » — 金额无效 🙂"),
        ("lone \ud800 surrogate", "lone \ud800 surrogate"),
    ],
)
def test_mask_line(line: str, template: str) -> None:
    assert mask_line(line).template == template


# --- keys: the marked and the unmarked line share one ----------------------------------------

BASE = "Today's date is 2026-11-24; work in /home/alice/app."


@pytest.mark.parametrize(
    "variant, same_key, same_template",
    [
        # Only masked values differ: the same template.
        ("Today's date is 2026-12-01; work in /home/bob/other.", True, True),
        # Marks: the same key, another template.
        ("Today\u2019s date is 2026-11-24; work in /home/alice/app.", True, False),
        ("Today\u02bcs date is 2026-11-24; work in /home/alice/app.", True, False),
        ("Today\u02b9s date is 2026-11-24; work in /home/alice/app.", True, False),
        ("Today's date is 2026/11/24; work in /home/alice/app.", True, False),
        ("Today's date is 2026\u221211\u221224; work in /home/alice/app.", True, False),
        ("Today's\N{ZERO WIDTH SPACE} date is 2026-11-24; work in /home/alice/app.", True, False),
        ("Today's\N{NO-BREAK SPACE}date is 2026-11-24; work in /home/alice/app.", True, False),
        ("Tod\u0430y's date is 2026-11-24; work in /home/alice/app.", True, False),   # Cyrillic a
        ("Today's  date is 2026-11-24; work in /home/alice/app.", True, False),
        # Other words: another line altogether (first sight, never drift).
        ("Today's date was 2026-11-24; work in /home/alice/app.", False, False),
        ("Yesterday's date is 2026-11-23; work in /home/alice/app.", False, False),
    ],
)
def test_keys_fold_marks_and_templates_keep_them(variant: str, same_key: bool, same_template: bool) -> None:
    base, other = mask_line(BASE), mask_line(variant)
    assert (base.key == other.key, base.template == other.template) == (same_key, same_template)


def test_fold_key_drops_placeholder_formats_and_invisibles() -> None:
    assert fold_key("Today\u2019s\N{ZERO WIDTH JOINER}  date is <DATE Y/M/D> at <TIME H:M>.") == "Today's date is <DATE> at <TIME>."


# --- offsets: a template position maps back into the field's text --------------------------

@pytest.mark.parametrize("name", sorted(PROMPTS))
def test_literal_template_characters_map_to_the_same_raw_characters(name: str) -> None:
    text = PROMPTS[name]
    for line in template_lines(text):
        masked = [(start, end) for start, end, _, _ in line.masks]
        for offset, ch in enumerate(line.template):
            if not any(start <= offset < end for start, end in masked):
                assert text[line.raw_offset(offset)] == ch
        for template_start, template_end, raw_start, raw_end in line.masks:
            assert line.raw_offset(template_start) == raw_start
            assert line.raw_offset(template_end, end=True) == raw_end


@pytest.mark.parametrize("name", sorted(PROMPTS))
def test_real_prompts_give_one_template_per_non_blank_line(name: str) -> None:
    text = PROMPTS[name]
    lines = template_lines(text)
    assert len(lines) == sum(1 for line in text.split("\n") if line.strip())
    assert all(text[line.start:line.end] == text[line.start:line.end].split("\n")[0] for line in lines)


@pytest.mark.parametrize("name", sorted(PROMPTS))
def test_real_prompts_keep_their_template_when_date_and_cwd_change(name: str) -> None:
    text = PROMPTS[name]
    later = (text.replace("2026-11-24", "2026-12-09").replace("November 24", "December 9")
             .replace("Monday", "Wednesday").replace("/home/alice/", "/home/bob/").replace("/home/dev/", "/srv/"))
    assert later != text
    assert [line.template for line in template_lines(text)] == [line.template for line in template_lines(later)]


# Text made of what templates handle specially: digits, separators, look-alikes, invisibles.
_PIECES = st.sampled_from(["2026", "11", "24", "-", "/", ".", ":", " ", "\n", "'", "\u2019", "\u02bc", "\u2212",
                           "\N{ZERO WIDTH SPACE}", "/home/alice", "deadbeef1", "AM", "Nov", "date", "\ud800", "\u00a0"])


@given(st.one_of(st.text(), st.lists(_PIECES, max_size=40).map("".join)))
def test_any_text_gives_templates_that_map_back(text: str) -> None:
    for line in template_lines(text):
        masked = [(start, end) for start, end, _, _ in line.masks]
        for offset, ch in enumerate(line.template):
            if not any(start <= offset < end for start, end in masked):
                assert text[line.raw_offset(offset)] == ch
        assert line.key == fold_key(line.template)


def test_a_part_of_a_text_keeps_offsets_in_the_whole_text() -> None:
    text = "<env>\nToday's date: 2026-11-24\n</env>\nplease fix the tests"
    [first, second, third] = template_lines(text, 0, 36)
    assert second.template == "Today's date: <DATE Y-M-D>"
    assert text[second.start:second.end] == "Today's date: 2026-11-24"
    assert text[second.raw_offset(14):second.raw_offset(26, end=True)] == "2026-11-24"


# --- which text counts: the client's --------------------------------------------------------

@pytest.mark.parametrize(
    "text_field, spans",
    [
        (TextField("$['system'][0]['text']", Role.SYSTEM, "You are Claude Code."), [(0, 20)]),
        (TextField("$['tools'][0]['description']", Role.TOOL_DEFINITION, "Executes a bash command."), [(0, 24)]),
        (TextField("$['messages'][0]['content'][0]['text']", Role.CLIENT_CONTEXT, "<system-reminder>x</system-reminder>"), [(0, 36)]),
        (TextField("$['messages'][0]['content'][0]['text']", Role.USER,
                   "<system-reminder>today</system-reminder>\nfix it", ((0, 40, Role.CLIENT_CONTEXT),)), [(0, 40)]),
        (TextField("$['messages'][0]['content'][0]['text']", Role.USER, "Fix the failing test, it\u2019s red"), []),
        (TextField("$['messages'][1]['content'][0]['text']", Role.ASSISTANT, "Let me look at the files."), []),
        (TextField("$['messages'][2]['content'][0]['content']", Role.TOOL_RESULT, "total 12\n-rw-r--r-- 1 alice"), []),
        (TextField("$['model']", Role.METADATA, "claude-sonnet-4-6"), []),
    ],
)
def test_client_spans(text_field: TextField, spans: list[tuple[int, int]]) -> None:
    assert client_authored_spans(text_field) == spans


@pytest.mark.parametrize(
    "file, api",
    [
        ("claude_code_messages.json", Api.ANTHROPIC_MESSAGES),
        ("codex_responses.json", Api.OPENAI_RESPONSES),
        ("gemini_cli_generate_content.json", Api.GEMINI),
        ("openai_chat_tools.json", Api.OPENAI_CHAT),
    ],
)
def test_real_bodies_give_lines_only_from_client_roles(file: str, api: Api) -> None:
    fields = extract_fields(api, json.loads((DATA / "bodies" / file).read_text(encoding="utf-8")))
    with_lines = [text_field for text_field in fields if field_lines(text_field)]
    assert with_lines, "a real agent body has a system prompt or tools"
    for text_field in with_lines:
        assert text_field.role in {Role.SYSTEM, Role.TOOL_DEFINITION, Role.CLIENT_CONTEXT} or any(
            role == Role.CLIENT_CONTEXT for _, _, role in text_field.role_spans)
    user_text = [f.text for f in fields if f.role == Role.USER and not f.role_spans]
    learned = "\n".join(line.template for f in with_lines for line in field_lines(f))
    assert all(text not in learned for text in user_text if len(text) > 20)


@pytest.mark.parametrize(
    "path, pattern",
    [
        ("$['system'][0]['text']", "$['system'][*]['text']"),
        ("$['messages'][12]['content'][3]['text']", "$['messages'][*]['content'][*]['text']"),
        ("$['input'][2]['arguments']#json$['cmd'][0]", "$['input'][*]['arguments']#json$['cmd'][*]"),
        ("$['instructions']", "$['instructions']"),
    ],
)
def test_path_pattern(path: str, pattern: str) -> None:
    assert path_pattern(path) == pattern
