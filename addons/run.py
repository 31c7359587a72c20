"""``stegwatch run``: start mitmdump with the stegwatch add-on and sane defaults.

A thin wrapper, so that what it does stays visible: `build_mitmdump_argv` returns the exact
mitmdump command line, which ``stegwatch run --print`` shows without running it. Defaults:

- the audit log goes to a per-user data directory (``$XDG_DATA_HOME/stegwatch/audit.jsonl``,
  ``~/.local/share/stegwatch/audit.jsonl`` on Linux, ``~/Library/Application Support`` on
  macOS, ``%LOCALAPPDATA%`` on Windows), created with mode 0700;
- ``text/event-stream`` responses stream (the add-on sets ``flow.response.stream`` for them);
  ``stream_large_bodies`` is left unset on purpose, because it would also stream large
  *request* bodies past the scanner;
- ``connection_strategy=lazy``, so the proxy connects upstream only when a request needs it.

Everything after ``--`` goes to mitmdump unchanged, and comes last so that it wins. On POSIX
the wrapper replaces itself with mitmdump (``exec``), so signals reach the proxy directly.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

ADDON_SCRIPT = Path(__file__).resolve().with_name("stegwatch.py")
LOG_NAME = "audit.jsonl"


def default_log_path(environ: dict[str, str] | None = None, platform: str = sys.platform) -> Path:
    """The per-user audit log path.

    >>> str(default_log_path({"XDG_DATA_HOME": "/data", "HOME": "/home/u"}, "linux"))
    '/data/stegwatch/audit.jsonl'
    >>> str(default_log_path({"HOME": "/home/u"}, "linux"))
    '/home/u/.local/share/stegwatch/audit.jsonl'
    """
    env = os.environ if environ is None else environ
    home = Path(env.get("HOME") or Path.home())
    if platform == "darwin":
        base = home / "Library" / "Application Support"
    elif platform.startswith("win"):
        base = Path(env.get("LOCALAPPDATA") or home / "AppData" / "Local")
    else:
        xdg = env.get("XDG_DATA_HOME", "")
        # The XDG spec says a relative value is invalid and must be ignored.
        base = Path(xdg) if xdg and os.path.isabs(xdg) else home / ".local" / "share"
    return base / "stegwatch" / LOG_NAME


def find_mitmdump() -> str:
    """mitmdump next to this interpreter (the venv stegwatch is installed in), else on PATH."""
    beside = Path(sys.executable).with_name("mitmdump")
    if beside.exists():
        return str(beside)
    return shutil.which("mitmdump") or "mitmdump"


def build_mitmdump_argv(
    listen_port: int = 8080,
    mode: str = "audit",
    log: str | os.PathLike[str] | None = None,
    listen_host: str | None = None,
    extra: Sequence[str] = (),
    mitmdump: str | None = None,
) -> list[str]:
    """The mitmdump command line that ``stegwatch run`` executes."""
    argv = [mitmdump or find_mitmdump(), "-s", str(ADDON_SCRIPT), "--listen-port", str(listen_port)]
    if listen_host:
        argv += ["--listen-host", listen_host]
    argv += [
        "--set", "connection_strategy=lazy",
        "--set", f"stegwatch_mode={mode}",
        "--set", f"stegwatch_log={log if log is not None else default_log_path()}",
    ]
    return argv + list(extra)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="stegwatch run",
        description="Start the auditing proxy: mitmdump with the stegwatch add-on. "
        "Arguments after -- go to mitmdump.",
    )
    parser.add_argument("--listen-port", type=int, default=8080, help="proxy port (default: 8080)")
    parser.add_argument("--listen-host", default=None, help="address to listen on (default: mitmdump's)")
    parser.add_argument("--mode", choices=("audit", "sanitize", "block"), default="audit")
    parser.add_argument("--log", default=None, help=f"audit log file (default: {default_log_path()})")
    parser.add_argument("--print", action="store_true", help="print the mitmdump command line and exit")
    return parser


def run(argv: list[str]) -> int:
    """Parse ``stegwatch run`` arguments, start mitmdump and return its exit status."""
    own, extra = (argv[: argv.index("--")], argv[argv.index("--") + 1:]) if "--" in argv else (argv, [])
    try:
        args = _parser().parse_args(own)
    except SystemExit as exit_request:
        return exit_request.code if isinstance(exit_request.code, int) else 2
    log = Path(args.log).expanduser() if args.log else default_log_path()
    command = build_mitmdump_argv(args.listen_port, args.mode, log, args.listen_host, extra)
    if args.print:
        print(shlex.join(command))
        return 0
    log.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    print(f"stegwatch: audit log {log}", file=sys.stderr)
    if os.name == "posix":
        # Become mitmdump: signals (Ctrl-C, a service manager's SIGTERM) then reach it
        # directly, and no orphaned proxy is left behind if this wrapper is killed.
        try:
            os.execvp(command[0], command)
        except OSError as error:
            print(f"stegwatch: error: cannot start {command[0]}: {error.strerror}; is mitmproxy installed?", file=sys.stderr)
            return 2
    try:
        process = subprocess.Popen(command)
    except OSError as error:
        print(f"stegwatch: error: cannot start {command[0]}: {error}; is mitmproxy installed?", file=sys.stderr)
        return 2
    while True:
        try:
            return process.wait()
        except KeyboardInterrupt:
            continue  # Ctrl-C reached mitmdump too; let it shut down cleanly
