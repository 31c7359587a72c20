"""``stegwatch probe``: the matrix, the runner, the command, and the end-to-end verdicts of the issue.

The runner tests use `env_echo_agent` (it starts in milliseconds and reports its environment
in the one request it sends) and a real capture proxy. The end-to-end tests run the real
test agent (`probe_agent`, official ``anthropic`` SDK, two covert channels) and clean agents
on every official SDK through the whole command, comparison included.
"""

from __future__ import annotations

import json
import os
import socket
import sys
from pathlib import Path

import pytest

from addons import probe
from addons.cli import main
from addons.probe import (
    BASE_URLS,
    ProbeError,
    Value,
    Variable,
    build_cells,
    child_environment,
    default_matrix,
    expand,
    load_matrix,
    run_probe,
)
from addons.probe_model import Cell
from tests.support.listener import CountingListener

SUPPORT = Path(__file__).resolve().parents[1] / "support"
ECHO_AGENT = [sys.executable, str(SUPPORT / "env_echo_agent.py")]
PROBE_AGENT = [sys.executable, str(SUPPORT / "probe_agent.py")]
CLEAN_AGENTS = str(SUPPORT / "clean_agents.py")
TZ_ONLY = [Variable("TZ", (Value("UTC", {"TZ": "UTC"}), Value("Asia/Shanghai", {"TZ": "Asia/Shanghai"})))]


def echoed(capture) -> dict:
    [request] = capture.requests
    return json.loads(request.body)


# --- the matrix -----------------------------------------------------------------------------

def test_default_matrix_changes_one_variable_at_a_time():
    cells = build_cells(expand(default_matrix(), Path("/tmp/p")))
    assert [c.name for c in cells] == [
        "reference",
        "TZ=Asia/Shanghai", "TZ=Asia/Tokyo", "TZ=America/Los_Angeles", "TZ=Europe/Berlin",
        "LANG=zh_CN.UTF-8", "LANG=ja_JP.UTF-8",
        "BASE_URL=relay.example.net", "BASE_URL=api.example.cn", "BASE_URL=dashscope.aliyuncs.com",
        "USER=zhangwei",
    ]
    reference = cells[0]
    assert reference.environment["TZ"] == "UTC"
    assert reference.environment["ANTHROPIC_BASE_URL"] == "https://api.anthropic.com"
    assert reference.environment["HOME"] == "/tmp/p/home/alex"
    groups = [{"TZ"}, {"LANG", "LC_ALL"}, {"ANTHROPIC_BASE_URL", "OPENAI_BASE_URL", "GOOGLE_GEMINI_BASE_URL"},
              {"USER", "LOGNAME", "HOME"}]
    for cell in cells[1:]:
        assert set(cell.varied) in groups, cell.name
        assert cell.environment == {**reference.environment, **cell.varied}
    # The primary variable comes first: the comparison names it.
    assert [next(iter(c.varied)) for c in cells[7:]] == ["ANTHROPIC_BASE_URL"] * 3 + ["USER"]


def test_full_matrix_is_the_product():
    cells = build_cells(expand(default_matrix(), Path("/tmp/p")), full=True)
    assert len(cells) == 5 * 3 * len(BASE_URLS) * 2
    assert len({c.name for c in cells}) == len(cells)
    assert cells[0].name == "reference" and all(c.varied for c in cells[1:])
    assert "TZ=Asia/Tokyo, LANG=ja_JP.UTF-8, BASE_URL=api.example.cn, USER=zhangwei" in {c.name for c in cells}


def test_matrix_file(tmp_path):
    path = tmp_path / "matrix.toml"
    path.write_text(
        '[TZ]\nvalues = ["Europe/Paris", "Asia/Kolkata"]\n\n'
        '[LANG]\nenv = ["LANG", "LC_ALL", "LANGUAGE"]\nvalues = ["fr_FR.UTF-8", "hi_IN.UTF-8"]\n\n'
        '[BASE_URL]\nvalues = [\n'
        '  { name = "vendor", env = { OPENAI_BASE_URL = "https://api.openai.com/v1" } },\n'
        '  { name = "gateway", env = { OPENAI_BASE_URL = "https://gw.example.org/v1" } },\n]\n\n'
        '[USER]\nvalues = [{ name = "amelie", env = { USER = "amelie", HOME = "{tmp}/home/amelie" } }]\n',
        encoding="utf-8",
    )
    variables = expand(load_matrix(path), Path("/w"))
    cells = build_cells(variables)
    assert [c.name for c in cells] == ["reference", "TZ=Asia/Kolkata", "LANG=hi_IN.UTF-8", "BASE_URL=gateway"]
    assert cells[0].environment == {
        "TZ": "Europe/Paris", "LANG": "fr_FR.UTF-8", "LC_ALL": "fr_FR.UTF-8", "LANGUAGE": "fr_FR.UTF-8",
        "OPENAI_BASE_URL": "https://api.openai.com/v1", "USER": "amelie", "HOME": "/w/home/amelie",
    }
    assert cells[2].varied == {"LANG": "hi_IN.UTF-8", "LC_ALL": "hi_IN.UTF-8", "LANGUAGE": "hi_IN.UTF-8"}


@pytest.mark.parametrize("text, message", [
    # Not a matrix at all
    ("[TZ\nvalues = 1", "not valid TOML"),
    ("", "defines no variable"),
    # A variable without usable values
    ("TZ = 'UTC'", "expected a table"),
    ("[TZ]\nvalues = []", "non-empty list"),
    ("[TZ]\nvalues = [1, 2]", "a value is a string or a table"),
    ("[TZ]\nvalues = ['UTC', { name = 'x' }]", "a value is a string or a table"),
    ("[TZ]\nvalues = ['UTC', 'UTC']", "duplicate"),
    ("[TZ]\nenv = [3]\nvalues = ['UTC']", "'env' must be a list"),
    ("[X]\nvalues = [{ env = { A = 1 } }]", "must be a string"),
])
def test_bad_matrix_files_are_refused_with_the_reason(tmp_path, text, message):
    path = tmp_path / "matrix.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ProbeError, match=message):
        load_matrix(path)


def test_missing_matrix_file():
    with pytest.raises(ProbeError, match="cannot read matrix"):
        load_matrix("/nonexistent/matrix.toml")


# --- the child's environment ----------------------------------------------------------------

class FakeProxy:
    ca_file = Path("/w/mitmproxy-conf/mitmproxy-ca-cert.pem")

    def proxy_url(self, port: int) -> str:
        return f"http://127.0.0.1:{port}"


@pytest.mark.parametrize("user_env, expected", [
    # The user's proxy settings never survive, whatever their case
    ({"HTTPS_PROXY": "http://corp:3128", "no_proxy": "api.anthropic.com", "NO_PROXY": "*", "ALL_PROXY": "socks5://x"},
     {"HTTPS_PROXY": "http://127.0.0.1:4711", "https_proxy": "http://127.0.0.1:4711",
      "HTTP_PROXY": "http://127.0.0.1:4711", "http_proxy": "http://127.0.0.1:4711",
      "no_proxy": None, "NO_PROXY": None, "ALL_PROXY": None}),
    # The CA for Node, Python, curl and Codex
    ({}, {"NODE_EXTRA_CA_CERTS": str(FakeProxy.ca_file), "SSL_CERT_FILE": str(FakeProxy.ca_file),
          "REQUESTS_CA_BUNDLE": str(FakeProxy.ca_file), "CODEX_CA_CERTIFICATE": str(FakeProxy.ca_file)}),
    # Dummy keys only where the user has none; one Gemini key at most
    ({}, {"ANTHROPIC_API_KEY": "sk-ant-stegwatch-probe", "OPENAI_API_KEY": "sk-stegwatch-probe",
          "GEMINI_API_KEY": "stegwatch-probe-gemini-key", "GOOGLE_API_KEY": None}),
    ({"ANTHROPIC_API_KEY": "sk-ant-real", "GOOGLE_API_KEY": "AIza-real"},
     {"ANTHROPIC_API_KEY": "sk-ant-real", "GOOGLE_API_KEY": "AIza-real", "GEMINI_API_KEY": None}),
    # The cell wins over the user's own values
    ({"TZ": "Europe/Paris", "PATH": "/usr/bin"}, {"TZ": "Asia/Tokyo", "PATH": "/usr/bin"}),
])
def test_child_environment(user_env, expected):
    cell = Cell(name="TZ=Asia/Tokyo", environment={"TZ": "Asia/Tokyo"}, varied={"TZ": "Asia/Tokyo"})
    env = child_environment(user_env, FakeProxy(), 4711, cell)
    assert {key: env.get(key) for key in expected} == expected


# --- the runner -----------------------------------------------------------------------------

@pytest.mark.e2e
def test_every_request_lands_in_the_run_that_sent_it(tmp_path):
    matrix = [
        Variable("TZ", (Value("UTC", {"TZ": "UTC"}), Value("Asia/Tokyo", {"TZ": "Asia/Tokyo"}))),
        Variable("LANG", (Value("en", {"LANG": "en_US.UTF-8", "LC_ALL": "en_US.UTF-8"}),
                          Value("zh", {"LANG": "zh_CN.UTF-8", "LC_ALL": "zh_CN.UTF-8"}))),
        Variable("USER", (Value("alex", {"USER": "alex", "HOME": "{tmp}/home/alex"}),
                          Value("zhangwei", {"USER": "zhangwei", "HOME": "{tmp}/home/zhangwei"}))),
    ]
    lines: list[str] = []
    captures = run_probe(ECHO_AGENT, matrix, workdir=tmp_path / "work", cwd=tmp_path, progress=lines.append,
                         base_env={**os.environ, "HTTPS_PROXY": "http://corp.example:3128"})
    assert [(c.cell.name, c.run) for c in captures] == [
        ("reference", 1), ("TZ=Asia/Tokyo", 1), ("LANG=zh", 1), ("USER=zhangwei", 1), ("reference", 2)]
    for capture in captures:
        seen = echoed(capture)
        assert {key: seen[key] for key in capture.cell.environment} == capture.cell.environment
        assert seen["home_exists"] and seen["cwd"] == str(tmp_path)
        assert seen["HTTPS_PROXY"].startswith("http://127.0.0.1:")
        assert capture.exit_status == 0 and capture.duration_s > 0
        assert capture.requests[0].url == "https://api.example.com/v1/echo"
        assert capture.requests[0].origin == f"probe cell {capture.cell.name} run {capture.run}#1"
    # One proxy port per run: that is what makes attribution exact.
    assert len({echoed(c)["HTTPS_PROXY"] for c in captures}) == len(captures)
    assert len(lines) == 5 and lines[0].startswith("[1/5] reference (run 1): exit 0")


@pytest.mark.e2e
def test_exit_status_and_timeout_are_recorded_and_the_process_group_ended(tmp_path):
    failing = run_probe([*ECHO_AGENT, "--exit", "3"], TZ_ONLY, workdir=tmp_path / "a")
    assert [c.exit_status for c in failing] == [3, 3, 3]
    work = tmp_path / "b"
    slow = run_probe([*ECHO_AGENT, "--sleep", "30"], TZ_ONLY[:1], timeout=1.0, workdir=work)
    assert [c.exit_status for c in slow] == [None, None, None]
    assert all(c.duration_s < 5 for c in slow)
    grandchildren = [int(p.read_text()) for p in (work / "logs").glob("*.out")]
    assert len(grandchildren) == 3
    assert [pid for pid in grandchildren if is_running(pid)] == []


def is_running(pid: int) -> bool:
    """Alive and not a zombie waiting for init to reap it."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


# --- the command ----------------------------------------------------------------------------

def test_command_not_found_is_a_clear_error(capsys):
    assert main(["probe", "--", "no-such-agent-4f2a"]) == 2
    assert "command not found: no-such-agent-4f2a" in capsys.readouterr().err


def test_missing_command_is_a_clear_error(capsys):
    assert main(["probe"]) == 2
    assert "no command to probe" in capsys.readouterr().err


def test_proxy_that_fails_to_start_is_a_clear_error(tmp_path, monkeypatch, capsys):
    broken = tmp_path / "mitmdump"
    broken.write_text("#!/bin/sh\necho 'Error: cannot load the add-on' >&2\nexit 1\n")
    broken.chmod(0o755)
    monkeypatch.setattr(probe, "find_mitmdump", lambda: str(broken))
    assert main(["probe", "--", *ECHO_AGENT]) == 2
    err = capsys.readouterr().err
    assert "the capture proxy failed to start" in err and "cannot load the add-on" in err


def test_bad_matrix_is_a_clear_error(tmp_path, capsys):
    (tmp_path / "m.toml").write_text("[TZ]\nvalues = []\n")
    assert main(["probe", "--matrix", str(tmp_path / "m.toml"), "--", *ECHO_AGENT]) == 2
    assert "non-empty list" in capsys.readouterr().err


def test_list_cells(capsys):
    assert main(["probe", "--list-cells", "--", "true"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 11 and out[0] == "reference\t{}"


@pytest.fixture(scope="module")
def shanghai_result():
    """One probe of the test agent over UTC and Asia/Shanghai, compared."""
    captures = run_probe(PROBE_AGENT, TZ_ONLY)
    return probe.compare_captures(captures, PROBE_AGENT)


@pytest.mark.e2e
@pytest.mark.parametrize("output_format, expected", [
    ("text", "U+002F SOLIDUS"), ("json", '"classification": "unexplained"'), ("html", "<html"),
])
def test_report_formats(tmp_path, shanghai_result, output_format, expected):
    assert len(shanghai_result.unexplained) == 1  # the Shanghai date separator
    report = tmp_path / f"report.{output_format}"
    probe.write_report(shanghai_result, output_format, str(report))
    assert expected in report.read_text(encoding="utf-8")


@pytest.mark.e2e
def test_report_to_standard_output(shanghai_result, capsys):
    probe.write_report(shanghai_result, "json", None)
    assert json.loads(capsys.readouterr().out)["differences"]


@pytest.mark.e2e
def test_text_report_to_standard_output(shanghai_result, capsys):
    probe.write_report(shanghai_result, "text", None)
    out = capsys.readouterr().out
    assert "unexplained" in out and "TZ=Asia/Shanghai" in out


@pytest.mark.e2e
def test_unwritable_report_is_a_clear_error(shanghai_result):
    with pytest.raises(ProbeError, match="cannot write /nonexistent/dir/r.json"):
        probe.write_report(shanghai_result, "json", "/nonexistent/dir/r.json")


# --- --isolate: loopback only ---------------------------------------------------------------

def direct_results(tmp_path: Path, isolate: bool) -> tuple[list[str], int]:
    listener = CountingListener()  # in the test's own network namespace
    keep = tmp_path / ("isolated" if isolate else "open")
    matrix = tmp_path / "tz.toml"
    matrix.write_text('[TZ]\nvalues = ["UTC", "Asia/Tokyo"]\n')
    argv = ["probe", "--matrix", str(matrix), "--format", "json", "-o", str(tmp_path / "r.json"), "--keep", str(keep)]
    status = main([*argv, *(["--isolate"] if isolate else []), "--", *ECHO_AGENT, "--direct", f"127.0.0.1:{listener.port}"])
    listener.close()
    assert status in (0, 1)
    from addons.capture_proxy import read_captures

    results = [json.loads(r.body)["direct"] for path in sorted((keep / "captures").glob("*.jsonl"))
               for r in read_captures(path)]
    return results, listener.connections


@pytest.mark.e2e
def test_isolate_leaves_the_agent_nothing_but_the_proxy(tmp_path):
    # This container lets root create network namespaces, so --isolate must work here.
    assert probe.isolation_problem() is None
    isolated, connections = direct_results(tmp_path, isolate=True)
    assert len(isolated) == 3 and all(result.startswith("failed") for result in isolated)
    assert connections == 0
    # The same agent without --isolate reaches the listener: the check above can fail.
    open_results, connections = direct_results(tmp_path, isolate=False)
    assert open_results == ["connected"] * 3 and connections == 3


def test_isolate_refuses_clearly_when_not_possible(monkeypatch, capsys):
    monkeypatch.setattr(probe, "isolation_problem", lambda: "--isolate needs root (it creates a network namespace with unshare -n)")
    monkeypatch.delenv(probe.ISOLATED_MARKER, raising=False)
    assert main(["probe", "--isolate", "--", *ECHO_AGENT]) == 2
    assert "--isolate needs root" in capsys.readouterr().err


# --- end to end: the verdicts -------------------------------------------------------

DATE_LINE_PREFIX = "Today"


@pytest.mark.e2e
def test_probe_agent_shows_exactly_its_two_covert_channels(tmp_path):
    report = tmp_path / "probe.json"
    status = main(["probe", "--format", "json", "-o", str(report), "--", *PROBE_AGENT])
    result = json.loads(report.read_text(encoding="utf-8"))
    assert status == 1
    unexplained = [d for d in result["differences"] if d["classification"] == "unexplained"]
    # Both channels sit on the date line of the system prompt, and nowhere else.
    assert {(d["where"], d["path"]) for d in unexplained} == {("body", "$['system'][0]['text']")}
    assert all(d["reference"].startswith(DATE_LINE_PREFIX) for d in unexplained)
    assert len(unexplained) == 4, unexplained
    # Four differences, two channels: the three base-URL hosts flip the same apostrophe.
    assert sorted((c["variable"], len(c["cells"])) for c in result["channels"]) == [("ANTHROPIC_BASE_URL", 3), ("TZ", 1)]
    by_cell = {d["cell"]: d for d in unexplained}
    assert set(by_cell) == {"TZ=Asia/Shanghai", "BASE_URL=relay.example.net", "BASE_URL=api.example.cn",
                            "BASE_URL=dashscope.aliyuncs.com"}
    # Channel 1: the date separator, toggled by TZ.
    assert by_cell["TZ=Asia/Shanghai"]["variable"] == "TZ"
    assert "U+002F" in by_cell["TZ=Asia/Shanghai"]["codepoints"]
    # Channel 2: the apostrophe, toggled by the base-URL host.
    for name in ("BASE_URL=relay.example.net", "BASE_URL=api.example.cn", "BASE_URL=dashscope.aliyuncs.com"):
        difference = by_cell[name]
        assert "ANTHROPIC_BASE_URL" in difference["variable"].split("+")
        assert "U+2019" in difference["codepoints"]
        assert "\u27e6U+2019\u27e7" in difference["reference_revealed"]
    # The honest content is explained: zone name, date in another zone, home path, greeting.
    explained = {(d["cell"], d["where"]) for d in result["differences"] if d["classification"] == "explained"}
    for cell in ("TZ=Asia/Tokyo", "TZ=America/Los_Angeles", "TZ=Europe/Berlin", "LANG=zh_CN.UTF-8",
                 "LANG=ja_JP.UTF-8", "USER=zhangwei"):
        assert (cell, "body") in explained, cell
    assert len(result["runs"]) == 12 and all(run["exit_status"] == 0 for run in result["runs"])


@pytest.mark.e2e
@pytest.mark.parametrize("sdk", ["anthropic", "openai-chat", "openai-responses", "gemini"])
def test_clean_agents_give_no_unexplained_difference(tmp_path, sdk):
    report = tmp_path / "probe.json"
    status = main(["probe", "--format", "json", "-o", str(report), "--", sys.executable, CLEAN_AGENTS, sdk])
    result = json.loads(report.read_text(encoding="utf-8"))
    assert [d for d in result["differences"] if d["classification"] == "unexplained"] == []
    assert status == 0
    assert all(run["exit_status"] == 0 and run["requests"] == 2 for run in result["runs"])


@pytest.mark.e2e
def test_an_agent_that_sends_nothing_is_an_error_not_a_clean_verdict(tmp_path, capsys):
    matrix = tmp_path / "tz.toml"
    matrix.write_text('[TZ]\nvalues = ["UTC", "Asia/Tokyo"]\n')
    silent = [sys.executable, "-c", "import sys; print('no API key configured', file=sys.stderr); sys.exit(4)"]
    assert main(["probe", "--matrix", str(matrix), "--", *silent]) == 2
    err = capsys.readouterr().err
    assert "sent no request in any run" in err
    assert "exit 4" in err and "no API key configured" in err


@pytest.mark.e2e
def test_a_port_taken_before_the_proxy_binds_it_is_retried(tmp_path, monkeypatch):
    taken = socket.create_server(("127.0.0.1", 0))
    real_free_ports = probe._free_ports
    attempts: list[int] = []

    def first_port_taken(count: int) -> list[int]:
        attempts.append(count)
        ports = real_free_ports(count)
        return [taken.getsockname()[1], *ports[1:]] if len(attempts) == 1 else ports

    monkeypatch.setattr(probe, "_free_ports", first_port_taken)
    proxy = probe.start_capture_proxy(tmp_path, 2)
    try:
        assert len(attempts) == 2 and taken.getsockname()[1] not in proxy.ports
    finally:
        proxy.stop()
        taken.close()


@pytest.mark.e2e
def test_full_product_runs_every_combination(tmp_path):
    matrix = [
        TZ_ONLY[0],
        Variable("LANG", (Value("en", {"LANG": "en_US.UTF-8"}), Value("ja", {"LANG": "ja_JP.UTF-8"}))),
    ]
    captures = run_probe(ECHO_AGENT, matrix, full=True, workdir=tmp_path)
    assert [c.cell.name for c in captures] == ["reference", "LANG=ja", "TZ=Asia/Shanghai", "TZ=Asia/Shanghai, LANG=ja",
                                               "reference"]
    both = echoed(captures[3])
    assert (both["TZ"], both["LANG"]) == ("Asia/Shanghai", "ja_JP.UTF-8")


@pytest.mark.e2e
def test_kept_runs_are_har_files_the_offline_readers_take(tmp_path):
    from addons.capture_proxy import read_captures
    from addons.captures import read_requests

    matrix = tmp_path / "tz.toml"
    matrix.write_text('[TZ]\nvalues = ["UTC", "Asia/Tokyo"]\n')
    keep = tmp_path / "kept"
    assert main(["probe", "--matrix", str(matrix), "--format", "json", "-o", str(tmp_path / "r.json"),
                 "--keep", str(keep), "--", *PROBE_AGENT]) == 0
    hars = sorted((keep / "har").glob("*.har"))
    assert [p.name for p in hars] == ["001-reference-run1.har", "002-TZ_Asia_Tokyo-run1.har", "003-reference-run2.har"]
    captured = {r.timestamp: r for path in (keep / "captures").glob("*.jsonl") for r in read_captures(path)}
    for path in hars:
        [request] = list(read_requests(path))
        original = min(captured.values(), key=lambda r: abs(r.timestamp - request.timestamp))
        assert (request.method, request.url, tuple(request.headers), request.body) == (
            original.method, original.url, tuple(original.headers), original.body)


@pytest.mark.e2e
def test_ctrl_c_ends_the_running_agent_and_its_children(tmp_path):
    import signal
    import subprocess
    import time

    keep = tmp_path / "kept"
    stegwatch = Path(sys.executable).with_name("stegwatch")
    command = [str(stegwatch), "probe", "--keep", str(keep), "--", *ECHO_AGENT, "--sleep", "60"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    pid_files: list[Path] = []
    while time.monotonic() < deadline and not any(p.read_text().strip() for p in pid_files):
        time.sleep(0.1)
        pid_files = list((keep / "logs").glob("*.out")) if (keep / "logs").exists() else []
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 2 and b"interrupted" in err
    [grandchild] = [int(p.read_text()) for p in pid_files]
    assert not is_running(grandchild)
