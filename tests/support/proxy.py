"""Start a real ``mitmdump`` with the stegwatch add-on on a free loopback port, for e2e tests.

The proxy gets its own ``confdir`` (so its CA is generated in the test's temporary
directory), ``connection_strategy=lazy`` (it connects upstream only for a request, and only
to the local fakes the tests name), and trusts the fake upstream's CA.
"""

from __future__ import annotations

import asyncio
import os
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import websockets

from addons.probe import stop_process

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ADDON = PROJECT_ROOT / "addons" / "stegwatch.py"
MITMDUMP = Path(sys.executable).with_name("mitmdump")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Mitmdump:
    """A running mitmdump: where to reach it, its CA, its log and its console output."""

    process: subprocess.Popen[bytes]
    port: int
    confdir: Path
    log: Path
    console: Path

    @property
    def proxy_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ca_file(self) -> Path:
        return self.confdir / "mitmproxy-ca-cert.pem"

    def client_ssl_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca_file))

    def console_text(self) -> str:
        return self.console.read_text(encoding="utf-8", errors="replace")

    def websocket_reply(self, url: str, message: str) -> str | bytes:
        """Open a WebSocket to ``url`` through this proxy, send ``message``, return the first reply."""

        async def talk() -> str | bytes:
            async with websockets.connect(url, proxy=self.proxy_url, ssl=self.client_ssl_context(),
                                          open_timeout=10) as connection:
                await connection.send(message)
                return await asyncio.wait_for(connection.recv(), 10)

        return asyncio.run(talk())

    def stop(self) -> None:
        stop_process(self.process)


def start_mitmdump(
    workdir: Path,
    upstream_ca: Path,
    extra_scripts: Sequence[Path] = (),
    options: Sequence[str] = (),
    timeout: float = 30.0,
    addon: Path | None = ADDON,
) -> Mitmdump:
    """Start mitmdump and wait until its port accepts connections and its CA exists.

    ``addon=None`` starts a plain mitmdump, the baseline of the benchmarks."""
    port = free_port()
    confdir = workdir / "mitmproxy-conf"
    confdir.mkdir(parents=True, exist_ok=True)
    log = workdir / "audit.jsonl"
    console = workdir / "mitmdump-console.txt"
    scripts = ([addon] if addon else []) + list(extra_scripts)
    argv = [
        str(MITMDUMP),
        *[item for script in scripts for item in ("-s", str(script))],
        "--listen-host", "127.0.0.1", "--listen-port", str(port),
        "--set", f"confdir={confdir}",
        "--set", "connection_strategy=lazy",
        "--set", f"ssl_verify_upstream_trusted_ca={upstream_ca}",
        *(["--set", f"stegwatch_log={log}"] if addon else []),
        *[item for option in options for item in ("--set", option)],
    ]
    env = {key: value for key, value in os.environ.items() if "proxy" not in key.lower()}
    env["PYTHONUNBUFFERED"] = "1"
    with open(console, "wb") as sink:
        process = subprocess.Popen(argv, stdout=sink, stderr=subprocess.STDOUT, env=env, cwd=workdir)
    proxy = Mitmdump(process, port, confdir, log, console)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"mitmdump exited with {process.returncode}:\n{proxy.console_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                if proxy.ca_file.exists():
                    return proxy
        except OSError:
            pass
        time.sleep(0.1)
    proxy.stop()
    raise RuntimeError(f"mitmdump did not listen on {port} within {timeout} s:\n{proxy.console_text()}")
