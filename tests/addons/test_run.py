"""`stegwatch run`: the mitmdump command line it builds and the default log location."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from addons import run

STEGWATCH = Path(sys.executable).parent / "stegwatch"


def test_argv_loads_the_addon_and_sets_the_options(tmp_path):
    argv = run.build_mitmdump_argv(9090, "audit", tmp_path / "a.jsonl", extra=["--set", "stegwatch_min_severity=high"],
                                   mitmdump="/opt/mitmdump")
    assert argv[:3] == ["/opt/mitmdump", "-s", str(run.ADDON_SCRIPT)]
    assert Path(argv[2]).name == "stegwatch.py" and Path(argv[2]).exists()
    assert argv[argv.index("--listen-port") + 1] == "9090"
    assert f"stegwatch_log={tmp_path / 'a.jsonl'}" in argv and "stegwatch_mode=audit" in argv
    assert "connection_strategy=lazy" in argv
    assert not any(part.startswith("stream_large_bodies") for part in argv)
    assert argv[-2:] == ["--set", "stegwatch_min_severity=high"]  # extra arguments last, so they win


def test_default_log_goes_to_the_per_user_data_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    argv = run.build_mitmdump_argv(mitmdump="mitmdump")
    assert f"stegwatch_log={tmp_path / 'data' / 'stegwatch' / 'audit.jsonl'}" in argv


@pytest.mark.parametrize("environ, platform, expected", [
    ({"HOME": "/home/alice", "XDG_DATA_HOME": "relative/ignored"}, "linux", "/home/alice/.local/share/stegwatch/audit.jsonl"),
    ({"HOME": "/Users/alice"}, "darwin", "/Users/alice/Library/Application Support/stegwatch/audit.jsonl"),
    ({"HOME": "/home/alice", "LOCALAPPDATA": "/appdata"}, "win32", "/appdata/stegwatch/audit.jsonl"),
])
def test_default_log_path_per_platform(environ, platform, expected):
    assert str(run.default_log_path(environ, platform)) == expected


def test_run_print_shows_the_command_without_starting_it(capsys, tmp_path):
    assert run.run(["--listen-port", "8181", "--log", str(tmp_path / "x.jsonl"), "--print", "--", "--set", "termlog_verbosity=warn"]) == 0
    printed = capsys.readouterr().out
    assert "--listen-port 8181" in printed and "termlog_verbosity=warn" in printed and "stegwatch.py" in printed


def test_run_rejects_bad_arguments():
    assert run.run(["--listen-port", "not-a-port"]) == 2


def test_console_script_hands_run_to_this_module(tmp_path):
    completed = subprocess.run([str(STEGWATCH), "run", "--print", "--log", str(tmp_path / "l.jsonl")],
                               capture_output=True, text=True, timeout=60)
    assert completed.returncode == 0, completed.stderr
    assert "mitmdump" in completed.stdout and "stegwatch_mode=audit" in completed.stdout


@pytest.mark.e2e
def test_stegwatch_run_starts_an_auditing_proxy(tmp_path, fake_api, fake_api_ca):
    import hashlib
    import os
    import socket
    import ssl
    import time

    import httpx2

    from addons.audit_log import read_records
    from tests.support.bodies import anthropic_case
    from tests.support.proxy import free_port

    port, log, confdir = free_port(), tmp_path / "run-audit.jsonl", tmp_path / "conf"
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    process = subprocess.Popen(
        [str(STEGWATCH), "run", "--listen-host", "127.0.0.1", "--listen-port", str(port), "--log", str(log), "--",
         "--set", f"confdir={confdir}", "--set", f"ssl_verify_upstream_trusted_ca={fake_api_ca}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=tmp_path,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                if (confdir / "mitmproxy-ca-cert.pem").exists():
                    break
            except OSError:
                time.sleep(0.1)
        body = anthropic_case(marked=True, tag="run").encoded()
        context = ssl.create_default_context(cafile=str(confdir / "mitmproxy-ca-cert.pem"))
        with httpx2.Client(proxy=f"http://127.0.0.1:{port}", verify=context, timeout=30) as client:
            response = client.post(fake_api.fake.base_url + "/v1/messages", content=body,
                                   headers={"content-type": "application/json"})
        assert response.status_code == 200
        assert fake_api.fake.find(hashlib.sha256(body).hexdigest()).body == body
        [record] = read_records(log)
        assert record.action == "pass" and record.findings
        assert oct(log.stat().st_mode & 0o777) == "0o600"
    finally:
        process.terminate()
        process.wait(timeout=15)
