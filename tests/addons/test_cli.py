"""The `stegwatch` command line: `scan` exit codes, text and JSON reports, stdin, `run` hand-off."""

import io
import json
import subprocess
import sys
import types
from pathlib import Path

import pytest

from addons import cli, offline_scan
from detectors import Severity
from detectors.base import make_finding

STEGWATCH = Path(sys.executable).parent / "stegwatch"

# Real agent prompt fragments (Claude Code / Codex / Gemini CLI shapes), marks written as escapes.
CLAUDE_CODE_ENV = (
    "You are Claude Code, Anthropic's official CLI for Claude.\n"
    "<env>\n"
    "Working directory: /home/alice/projects/billing\n"
    "Is directory a git repo: Yes\n"
    "Platform: linux\n"
    "Today\N{MODIFIER LETTER APOSTROPHE}s date is 2026-11-24.\n"
    "</env>\n"
)
CODEX_ENV_WITH_TAGS = (
    "<environment_context>\n"
    "  <cwd>/home/alice/projects/billing</cwd>\n"
    "  <shell>zsh</shell>" + "".join(chr(0xE0000 + ord(c)) for c in "user=alice") + "\n"
    "</environment_context>\n"
)
GEMINI_SESSION_ZWSP = (
    "This is the Gemini CLI. We are setting up the context for our chat.\n"
    "Today's date is Monday, November 24, 2026.\N{ZERO WIDTH SPACE}\n"
    "My operating system is: linux\n"
)
NBSP_IN_ASCII = "Run the tests with\N{NO-BREAK SPACE}pytest -q before you commit.\n"
CLEAN_MULTILINGUAL = (
    "Ce champ est obligatoire.\n"
    "Dieses Feld ist zwingend erforderlich.\n"
    "Это поле обязательно.\n"
    "この項目は必須です。\n"
    "هذا الحقل مطلوب.\n"
    "Deploy finished \N{ROCKET} \N{THUMBS UP SIGN}\N{EMOJI MODIFIER FITZPATRICK TYPE-4}\n"
)


def run_main(argv, stdin_bytes=None, monkeypatch=None):
    if stdin_bytes is not None:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin_bytes), encoding="utf-8"))
    return cli.main(argv)


@pytest.fixture
def write(tmp_path):
    def _write(content, name="prompt.txt"):
        path = tmp_path / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
        return str(path)

    return _write


# --- exit codes -----------------------------------------------------------------------------

@pytest.mark.parametrize(
    "payload, expected_exit",
    [
        # clean real text: 0
        (CLEAN_MULTILINGUAL, 0),
        ("def main() -> int:\n    return 0\n", 0),
        ("\N{ZERO WIDTH NO-BREAK SPACE}A BOM at the very start is fine.\n", 0),
        # marked agent prompts: 1
        (CLAUDE_CODE_ENV, 1),
        (CODEX_ENV_WITH_TAGS, 1),
        (GEMINI_SESSION_ZWSP, 1),
        (NBSP_IN_ASCII, 1),
    ],
)
def test_scan_exit_code_says_whether_something_was_found(write, capsys, payload, expected_exit):
    assert cli.main(["scan", write(payload)]) == expected_exit
    out = capsys.readouterr().out
    assert ("no findings" in out) == (expected_exit == 0)


@pytest.mark.parametrize(
    "threshold, expected_exit",
    [
        ("high", 0),  # a look-alike space in ASCII text is medium
        ("medium", 1),
        ("LOW", 1),
        ("info", 1),
    ],
)
def test_min_severity_sets_the_threshold(write, capsys, threshold, expected_exit):
    assert cli.main(["scan", "--min-severity", threshold, write(NBSP_IN_ASCII)]) == expected_exit


# --- errors: exit 2 with a message on stderr -------------------------------------------------

@pytest.mark.parametrize(
    "content, offset",
    [
        (b"Today's date\n\xc3\x28 broken", 13),  # a lead byte with a bad continuation
        (b"\xff", 0),
        ("Привет".encode() + b"\x80", 12),  # a stray continuation byte after 12 bytes of Cyrillic
        (b"\xef\xbb\xbfok\xfe", 5),  # the offset counts the BOM's bytes: it is in the file
        ("日本語".encode()[:-1], 6),  # truncated in the middle of a character
    ],
)
def test_invalid_utf8_is_an_error_that_names_the_byte_offset(write, capsys, content, offset):
    path = write(content)
    assert cli.main(["scan", path]) == 2
    err = capsys.readouterr().err
    assert f"invalid UTF-8 at byte offset {offset}" in err and path in err


def test_unreadable_inputs_are_errors(tmp_path, capsys):
    assert cli.main(["scan", str(tmp_path / "missing.txt")]) == 2
    assert "cannot read" in capsys.readouterr().err
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "ok.txt").write_text("plain ASCII notes\n")
    assert cli.main(["scan", str(tmp_path), str(tmp_path / "gone.md")]) == 2  # a directory scans; the missing file is the error
    err = capsys.readouterr().err
    assert "gone.md" in err and "ok.txt" not in err


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["scan"],
        ["scan", "-", "--format", "xml"],
        ["scan", "-", "--min-severity", "critical"],
        ["frobnicate"],
    ],
)
def test_bad_arguments_exit_2(argv, capsys):
    assert cli.main(argv) == 2
    assert "usage:" in capsys.readouterr().err


def test_help_exits_0(capsys):
    assert cli.main(["--help"]) == 0
    assert "scan" in capsys.readouterr().out


# --- text report -----------------------------------------------------------------------------

def test_text_report_shows_position_code_points_names_and_revealed_line(write, capsys):
    path = write(CLAUDE_CODE_ENV)
    assert cli.main(["scan", path]) == 1
    out = capsys.readouterr().out
    header = next(line for line in out.splitlines() if line.startswith(f"{path}:6:6: "))
    assert "high" in header and "MODIFIER LETTER APOSTROPHE U+02BC" in header
    assert "Today\u27e6U+02BC\u27e7s date is 2026-11-24." in out
    assert "\x1b[" not in out, "plain text when stdout is not a terminal"
    assert "\N{MODIFIER LETTER APOSTROPHE}" not in out, "the mark itself is revealed, not echoed"


def test_columns_count_code_points_and_ignore_a_leading_bom(write, capsys):
    text = "\N{ZERO WIDTH NO-BREAK SPACE}日本語のテキスト\N{ZERO WIDTH SPACE}です\n"
    path = write(text)
    assert cli.main(["scan", path]) == 1
    assert f"{path}:1:9: " in capsys.readouterr().out


def test_payload_is_shown_for_tag_smuggling(write, capsys):
    assert cli.main(["scan", write(CODEX_ENV_WITH_TAGS)]) == 1
    out = capsys.readouterr().out
    assert "payload: 'user=alice'" in out
    assert "\u27e6U+E0075\u27e7" in out


def test_terminal_output_is_coloured(write, capsys, monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setattr(cli, "_is_terminal", lambda stream: True)
    assert cli.main(["scan", write(GEMINI_SESSION_ZWSP)]) == 1
    out = capsys.readouterr().out
    assert "\x1b[" in out and "U+200B" in out


# --- JSON report -----------------------------------------------------------------------------

def test_json_report_lists_findings_with_line_and_column(write, capsys):
    assert cli.main(["scan", "--format", "json", write(GEMINI_SESSION_ZWSP)]) == 1
    document = json.loads(capsys.readouterr().out)
    assert document["min_severity"] == "medium" and document["count"] == len(document["findings"]) >= 1
    finding = next(f for f in document["findings"] if f["codepoints"] == ["U+200B"])
    assert (finding["line"], finding["column"]) == (2, 43)
    assert finding["severity"] in ("medium", "high") and finding["text"] == "\N{ZERO WIDTH SPACE}"


def test_json_report_of_clean_text_is_empty(write, capsys):
    assert cli.main(["scan", "--format", "json", write(CLEAN_MULTILINGUAL)]) == 0
    assert json.loads(capsys.readouterr().out)["findings"] == []


def test_json_escapes_lone_surrogates_so_the_document_encodes_as_utf8():
    text = "key: a\ud800b"
    finding = make_finding("invisible", "lone-surrogate", text, 6, 7, Severity.HIGH, "<surrogate-D800> U+D800")
    hit = offline_scan.Hit("<stdin>", finding, line=1, column=7)
    results = [offline_scan.FileResult("<stdin>", "text", len(text), [hit])]
    rendered = offline_scan.render_json_document(["-"], results, offline_scan.ScanTotals(), Severity.MEDIUM)
    rendered.encode("utf-8")  # would raise on a raw surrogate
    assert json.loads(rendered)["findings"][0]["text"] == "\ud800"


# --- standard input --------------------------------------------------------------------------

def test_dash_reads_standard_input(monkeypatch, capsys):
    assert run_main(["scan", "-"], CLAUDE_CODE_ENV.encode(), monkeypatch) == 1
    assert "<stdin>:6:6: " in capsys.readouterr().out
    assert run_main(["scan", "-", "--format", "json"], CLEAN_MULTILINGUAL.encode(), monkeypatch) == 0
    assert json.loads(capsys.readouterr().out)["source"] == "<stdin>"
    assert run_main(["scan", "-"], b"ok\n\xc0\xaf", monkeypatch) == 2
    assert "standard input: invalid UTF-8 at byte offset 3" in capsys.readouterr().err


# --- the installed console script, as a real process -----------------------------------------

def test_console_script_runs_as_a_subprocess(tmp_path):
    marked = subprocess.run(
        [str(STEGWATCH), "scan", "-"], input=CLAUDE_CODE_ENV.encode(), capture_output=True, timeout=60
    )
    assert marked.returncode == 1, marked.stderr
    assert "Today\u27e6U+02BC\u27e7s" in marked.stdout.decode("utf-8")

    clean = tmp_path / "clean.txt"
    clean.write_text(CLEAN_MULTILINGUAL, encoding="utf-8")
    result = subprocess.run([str(STEGWATCH), "scan", "--format", "json", str(clean)], capture_output=True, timeout=60)
    assert result.returncode == 0 and json.loads(result.stdout)["findings"] == []

    broken = tmp_path / "broken.txt"
    broken.write_bytes(b"abc\xff")
    result = subprocess.run([str(STEGWATCH), "scan", str(broken)], capture_output=True, timeout=60)
    assert result.returncode == 2 and b"byte offset 3" in result.stderr


# --- `run` is handed to addons.run unparsed --------------------------------------------------

def test_run_passes_its_arguments_to_addons_run_verbatim(monkeypatch):
    received = []
    fake = types.ModuleType("addons.run")
    fake.run = lambda argv: received.append(argv) or 0
    monkeypatch.setitem(sys.modules, "addons.run", fake)
    assert cli.main(["run", "--listen-port", "9090", "--", "--mode", "reverse:https://api.anthropic.com"]) == 0
    assert received == [["--listen-port", "9090", "--", "--mode", "reverse:https://api.anthropic.com"]]


def test_run_reaches_the_real_addons_run(capsys):
    # --print shows the mitmdump command line instead of starting the proxy.
    assert cli.main(["run", "--print", "--listen-port", "9099", "--", "--set", "stream_large_bodies=1m"]) == 0
    command = capsys.readouterr().out
    assert "mitmdump" in command and "--listen-port 9099" in command
    assert command.rstrip().endswith("--set stream_large_bodies=1m")
