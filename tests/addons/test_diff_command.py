"""`stegwatch diff A B`: two captured requests, aligned and classified."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from mitmproxy import io
from mitmproxy.test import tflow, tutils

from addons import cli
from addons.diff_command import diff_command, split_selector
from tests.support.bodies import CASES

RIGHT_QUOTE = "\N{RIGHT SINGLE QUOTATION MARK}"


def _write(path: Path, body: dict) -> str:
    path.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
    return str(path)


def _system_marked(body: dict, api: str) -> dict:
    """``body`` with the apostrophe of its system prompt swapped for U+2019."""
    marked = copy.deepcopy(body)
    text = json.dumps(marked, ensure_ascii=False)
    apostrophe = {"anthropic-messages": "Anthropic's", "openai-chat": "user's", "openai-responses": "user's"}.get(api)
    if apostrophe is None:   # the Gemini CLI prompt has no apostrophe: write one in
        marked["systemInstruction"]["parts"][0]["text"] += f"\nIt{RIGHT_QUOTE}s Tuesday."
        return marked
    return json.loads(text.replace(apostrophe, apostrophe.replace("'", RIGHT_QUOTE), 1))


# --- JSON body files ---------------------------------------------------------------------


@pytest.mark.parametrize("api", sorted(CASES))
def test_identical_requests_exit_0(api: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    body = CASES[api](False).body
    assert diff_command(_write(tmp_path / "a.json", body), _write(tmp_path / "b.json", body)) == 0
    assert "no unexplained difference" in capsys.readouterr().out


@pytest.mark.parametrize("api", sorted(CASES))
def test_a_mark_in_client_authored_text_exits_1(api: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    body = CASES[api](False).body
    assert diff_command(_write(tmp_path / "a.json", body), _write(tmp_path / "b.json", _system_marked(body, api))) == 1
    out = capsys.readouterr().out
    assert "\u27e6U+2019\u27e7" in out and "U+2019 RIGHT SINGLE QUOTATION MARK" in out


@pytest.mark.parametrize(
    "change, expected_exit",
    [
        # conversation text differs between any two turns: not client-authored
        (lambda b: b["messages"][0]["content"][0].update(text="Now the README, « s’il te plaît »."), 0),
        # per-request ids are noise
        (lambda b: b.update(metadata={"user_id": "user_3f1c2a9e-0b7d-4e2a-9c1d-5a6b7c8d9e0f"}), 0),
        # a field the client added
        (lambda b: b.update(temperature=0.2), 1),
        # an invisible character in a tool definition
        (lambda b: b["tools"][0].update(description="Executes a given bash\N{ZERO WIDTH SPACE} command."), 1),
    ],
)
def test_what_counts_as_client_authored(change, expected_exit: int, tmp_path: Path, capsys) -> None:
    reference = CASES["anthropic-messages"](False).body
    reference["metadata"] = {"user_id": "user_0a9b8c7d-1111-4e2a-9c1d-000000000001"}
    variant = copy.deepcopy(reference)
    change(variant)
    assert diff_command(_write(tmp_path / "a.json", reference), _write(tmp_path / "b.json", variant)) == expected_exit


def test_json_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    body = CASES["openai-chat"](False).body
    status = diff_command(_write(tmp_path / "a.json", body), _write(tmp_path / "b.json", _system_marked(body, "openai-chat")), "json")
    document = json.loads(capsys.readouterr().out)
    assert status == 1
    assert document["summary"]["unexplained"] == 1
    (difference,) = document["differences"]
    assert (difference["path"], difference["codepoints"]) == ("$['messages'][0]['content']", ["U+0027", "U+2019"])


def test_html_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    body = CASES["gemini"](False).body
    diff_command(_write(tmp_path / "a.json", body), _write(tmp_path / "b.json", _system_marked(body, "gemini")), "html")
    page = capsys.readouterr().out
    assert page.startswith("<!DOCTYPE html>") and 'title="U+2019 RIGHT SINGLE QUOTATION MARK"' in page


def test_the_cli_runs_diff(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    body = CASES["openai-responses"](False).body
    a, b = _write(tmp_path / "a.json", body), _write(tmp_path / "b.json", _system_marked(body, "openai-responses"))
    assert cli.main(["diff", a, b, "--format", "json"]) == 1
    assert json.loads(capsys.readouterr().out)["summary"]["unexplained"] == 1
    assert cli.main(["diff", a, a]) == 0


# --- Flows in a mitmproxy dump -----------------------------------------------------------


def _flow(body: dict, api_key: str) -> tflow.HTTPFlow:
    request = tutils.treq(method=b"POST", host="api.anthropic.com", port=443, scheme=b"https", path=b"/v1/messages",
                          content=json.dumps(body, ensure_ascii=False).encode())
    request.headers["x-api-key"] = api_key
    request.headers["content-type"] = "application/json"
    return tflow.tflow(req=request)


@pytest.fixture
def dump(tmp_path: Path) -> tuple[Path, list[str]]:
    body = CASES["anthropic-messages"](False).body
    flows = [_flow(body, "sk-ant-first-secret"), _flow(_system_marked(body, "anthropic-messages"), "sk-ant-second-secret")]
    path = tmp_path / "session.mitm"
    with path.open("wb") as handle:
        writer = io.FlowWriter(handle)
        for flow in flows:
            writer.add(flow)
    return path, [flow.id for flow in flows]


def test_flows_by_index(dump: tuple[Path, list[str]], capsys: pytest.CaptureFixture[str]) -> None:
    path, _ = dump
    assert diff_command(f"{path}#1", f"{path}#2") == 1
    out = capsys.readouterr().out
    assert "$['system'][0]['text']" in out
    assert "secret" not in out          # the changed x-api-key is shown by length only
    assert diff_command(f"{path}#1", f"{path}#1") == 0


def test_flows_by_id_and_unique_prefix(dump: tuple[Path, list[str]], capsys: pytest.CaptureFixture[str]) -> None:
    path, ids = dump
    assert diff_command(f"{path}:{ids[0]}", f"{path}:{ids[1][:12]}", "json") == 1
    document = json.loads(capsys.readouterr().out)
    assert [d["path"] for d in document["differences"] if d["classification"] == "unexplained"] == [
        "x-api-key", "$['system'][0]['text']"]
    assert "secret" not in json.dumps(document)


@pytest.mark.parametrize(
    "selector, message",
    [
        ("{path}#3", "holds 2 requests; #3 is not one of them"),
        ("{path}:ffffffff", "no flow with id ffffffff"),
        ("{path}", "holds 2 requests; pick one"),
        ("{missing}", "no such file"),
    ],
)
def test_bad_selectors_exit_2(dump: tuple[Path, list[str]], selector: str, message: str, tmp_path: Path, capsys) -> None:
    path, _ = dump
    argument = selector.format(path=path, missing=tmp_path / "missing.json")
    assert diff_command(argument, f"{path}#1") == 2
    assert message in capsys.readouterr().err


def test_split_selector_prefers_an_existing_file(tmp_path: Path) -> None:
    odd = tmp_path / "body#2.json"
    odd.write_text("{}", encoding="utf-8")
    assert split_selector(str(odd)) == (odd, None, None)
    assert split_selector(f"{tmp_path}/x.mitm#2") == (tmp_path / "x.mitm", None, 2)
