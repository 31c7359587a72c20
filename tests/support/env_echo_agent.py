"""A near-instant stand-in agent for the probe runner's tests and benchmark: it reports its environment.

It posts one JSON request through the proxy the probe set (stdlib ``urllib`` honours
``HTTPS_PROXY`` and ``SSL_CERT_FILE``), carrying what the runner must have given it: the
probed variables, whether ``HOME`` exists, the working directory and the proxy settings. The
tests read the capture to prove each request landed in the run that made it. Nothing in it is
a mark; it starts in tens of milliseconds, so a probe's time over it is the probe's own cost.

``--direct HOST:PORT`` first tries a TCP connection that bypasses the proxy and reports
whether it got through (``--isolate`` must stop it). ``--exit N`` exits with status N after
the request; ``--url`` posts elsewhere (the benchmark's direct runs); ``--sleep S`` sleeps first, after starting a grandchild that sleeps too (the
runner must end both on timeout).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

REPORTED = ("TZ", "LANG", "LC_ALL", "USER", "LOGNAME", "HOME", "ANTHROPIC_BASE_URL", "HTTPS_PROXY", "NO_PROXY",
            "SSL_CERT_FILE", "ANTHROPIC_API_KEY")


def direct_connection(target: str) -> str:
    host, port = target.rsplit(":", 1)
    try:
        with socket.create_connection((host, int(port)), timeout=2):
            return "connected"
    except OSError as error:
        return f"failed: {error.__class__.__name__}"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--direct", default=None)
    parser.add_argument("--exit", type=int, default=0)
    parser.add_argument("--sleep", type=float, default=0.0)
    parser.add_argument("--url", default="https://api.example.com/v1/echo")
    args = parser.parse_args()
    if args.sleep:
        child = subprocess.Popen([sys.executable, "-c", f"import time; time.sleep({args.sleep})"])
        print(child.pid, flush=True)
        time.sleep(args.sleep)
    report = {name: os.environ.get(name) for name in REPORTED}
    report["home_exists"] = os.path.isdir(os.environ.get("HOME", ""))
    report["cwd"] = os.getcwd()
    if args.direct:
        report["direct"] = direct_connection(args.direct)
    request = urllib.request.Request(
        args.url, data=json.dumps(report).encode(), method="POST",
        headers={"content-type": "application/json", "user-agent": "env-echo-agent/1.0"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()
    return args.exit


if __name__ == "__main__":
    sys.exit(main())
