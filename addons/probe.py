"""``stegwatch probe -- CMD…``: run an agent under an environment matrix and collect what it sends.

A covert mark shows as a *difference*: the same agent sending other code points because of
where it runs (time zone, locale, user) or whom it talks to (the base-URL host). The probe
runs the command once per cell of a matrix, one variable changed at a time against a
reference cell (``--full``: every combination), and the reference cell twice so that the
comparison can learn per-run noise. `addons.differ` aligns and classifies the captures;
`addons.probe_output` renders the verdict.

The default matrix (`default_matrix`) varies ``TZ``, ``LANG``/``LC_ALL``, the base-URL host of
every vendor SDK at once (``ANTHROPIC_BASE_URL``, ``OPENAI_BASE_URL``,
``GOOGLE_GEMINI_BASE_URL``: the vendor's own host, a generic relay, a Chinese TLD, a Chinese
provider) and the user (``USER``/``LOGNAME`` and a fresh ``HOME``). ``--matrix FILE`` replaces
it with a TOML file, one table per variable, the first value being the reference::

    [TZ]
    values = ["UTC", "Asia/Shanghai"]

    [LANG]
    env = ["LANG", "LC_ALL"]              # every listed variable gets the value
    values = ["en_US.UTF-8", "zh_CN.UTF-8"]

    [BASE_URL]
    values = [
      { name = "vendor", env = { ANTHROPIC_BASE_URL = "https://api.anthropic.com" } },
      { name = "relay", env = { ANTHROPIC_BASE_URL = "https://relay.example.net" } },
    ]

``{tmp}`` in a value is the probe's private temporary directory, and a ``HOME`` value is
created as a directory, so users can give each cell a fresh home.

Left alone: the rest of the user's environment (``PATH``, the agent's own settings variables,
the working directory), so that the agent behaves as it normally does; only the probed
variables, the proxy and CA variables and missing API keys change. The default matrix gives
every run a fresh ``HOME``, the reference's too, so that all cells start from the same empty
home rather than the user's real one.

Every run goes through one embedded capture-only proxy (`addons.capture_proxy`, a
``mitmdump`` child started once per probe): it answers every API call locally and never
connects upstream, so the agent needs neither network nor key. Each run gets its own listen
port, which makes attributing a request to its run exact. The child gets the proxy and CA
variables of Python, Node, curl and Codex, and dummy API keys when the user has none.
``--isolate`` (root) re-runs the whole probe inside a new network namespace whose only
interface is loopback, so an agent that ignores the proxy variables cannot reach anything.
``--keep DIR`` keeps the work directory, with each run's requests as a HAR file that
``stegwatch scan`` and ``stegwatch baseline learn`` read.

Exit status: 0 no unexplained difference, 1 unexplained differences, 2 error.
"""

from __future__ import annotations

import argparse
import base64
import importlib
import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from addons.probe_model import Cell, CellCapture

if TYPE_CHECKING:
    from addons.captured import CapturedRequest
    from addons.probe_model import ProbeResult

EXIT_CLEAN = 0
EXIT_UNEXPLAINED = 1
EXIT_ERROR = 2

REFERENCE = "reference"
CAPTURE_ADDON = Path(__file__).resolve().with_name("capture_proxy.py")
PROJECT_ROOT = Path(__file__).resolve().parent.parent
# Set inside the network namespace that --isolate re-runs the probe in.
ISOLATED_MARKER = "STEGWATCH_PROBE_ISOLATED"
TMP_PLACEHOLDER = "{tmp}"
DEFAULT_TIMEOUT_S = 300.0
PROXY_START_TIMEOUT_S = 30.0

# Variables that route or refuse to route traffic: removed from the child's environment
# before the probe's own are set, whatever their case.
_PROXY_VARIABLES = frozenset({"http_proxy", "https_proxy", "all_proxy", "no_proxy", "ws_proxy", "wss_proxy"})
DUMMY_KEYS = {
    "ANTHROPIC_API_KEY": "sk-ant-stegwatch-probe",
    "OPENAI_API_KEY": "sk-stegwatch-probe",
}
DUMMY_GEMINI_KEY = "stegwatch-probe-gemini-key"


class ProbeError(Exception):
    """The probe cannot run; the message is meant for the user."""


# --- the matrix ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Value:
    """One value of a variable: a label for messages and the environment variables it sets."""

    label: str
    env: Mapping[str, str]


@dataclass(frozen=True)
class Variable:
    """One dimension of the matrix; ``values[0]`` is the reference."""

    name: str
    values: tuple[Value, ...]


def _same_value(name: str, values: Sequence[str], env: Sequence[str] | None = None) -> Variable:
    names = tuple(env or (name,))
    return Variable(name, tuple(Value(value, {key: value for key in names}) for value in values))


TIME_ZONES = ("UTC", "Asia/Shanghai", "Asia/Tokyo", "America/Los_Angeles", "Europe/Berlin")
LOCALES = ("en_US.UTF-8", "zh_CN.UTF-8", "ja_JP.UTF-8")
# label -> (Anthropic, OpenAI, Gemini) base URLs; the vendors' own hosts first, as the reference.
# The others follow real deployments: an AI gateway with a path per vendor, a Chinese host in the
# style of Moonshot's (/anthropic beside /v1), and Alibaba DashScope's compatible endpoints.
BASE_URLS = {
    "vendor": ("https://api.anthropic.com", "https://api.openai.com/v1", "https://generativelanguage.googleapis.com"),
    "relay.example.net": (
        "https://relay.example.net/anthropic", "https://relay.example.net/openai/v1", "https://relay.example.net/gemini",
    ),
    "api.example.cn": ("https://api.example.cn/anthropic", "https://api.example.cn/v1", "https://api.example.cn/gemini"),
    "dashscope.aliyuncs.com": (
        "https://dashscope.aliyuncs.com/apps/anthropic",
        "https://dashscope.aliyuncs.com/compatible-mode/v1",
        "https://dashscope.aliyuncs.com",
    ),
}
USER_NAMES = ("alex", "zhangwei")


def default_matrix() -> list[Variable]:
    """The matrix of the issue: time zone, locale, base-URL host, user name and home."""
    base_url = Variable("BASE_URL", tuple(
        Value(label, {"ANTHROPIC_BASE_URL": anthropic, "OPENAI_BASE_URL": openai, "GOOGLE_GEMINI_BASE_URL": gemini})
        for label, (anthropic, openai, gemini) in BASE_URLS.items()
    ))
    user = Variable("USER", tuple(
        Value(name, {"USER": name, "LOGNAME": name, "HOME": f"{TMP_PLACEHOLDER}/home/{name}"}) for name in USER_NAMES
    ))
    return [_same_value("TZ", TIME_ZONES), _same_value("LANG", LOCALES, ("LANG", "LC_ALL")), base_url, user]


def load_matrix(path: str | os.PathLike[str]) -> list[Variable]:
    """The variables of a ``--matrix`` TOML file; raises `ProbeError` with the reason."""
    try:
        with open(path, "rb") as handle:
            document = tomllib.load(handle)
    except OSError as error:
        raise ProbeError(f"cannot read matrix {path}: {error.strerror or error}") from error
    except tomllib.TOMLDecodeError as error:
        raise ProbeError(f"matrix {path} is not valid TOML: {error}") from error
    variables = [_variable(name, table, path) for name, table in document.items()]
    if not variables:
        raise ProbeError(f"matrix {path} defines no variable")
    return variables


def _variable(name: str, table: object, path: object) -> Variable:
    where = f"matrix {path}, [{name}]"
    if not isinstance(table, dict):
        raise ProbeError(f"{where}: expected a table with 'values'")
    raw_values = table.get("values")
    if not isinstance(raw_values, list) or not raw_values:
        raise ProbeError(f"{where}: 'values' must be a non-empty list (the first is the reference)")
    env_names = table.get("env", [name])
    if isinstance(env_names, str):
        env_names = [env_names]
    if not isinstance(env_names, list) or not all(isinstance(item, str) and item for item in env_names):
        raise ProbeError(f"{where}: 'env' must be a list of environment variable names")
    values = []
    for raw in raw_values:
        if isinstance(raw, str):
            values.append(Value(raw, {key: raw for key in env_names}))
        elif isinstance(raw, dict) and isinstance(raw.get("env"), dict) and raw["env"]:
            env = raw["env"]
            if not all(isinstance(value, str) for value in env.values()):
                raise ProbeError(f"{where}: every value in 'env' must be a string")
            label = raw.get("name") or ",".join(f"{key}={value}" for key, value in env.items())
            values.append(Value(str(label), dict(env)))
        else:
            raise ProbeError(f"{where}: a value is a string or a table {{ name = ..., env = {{ VAR = ... }} }}")
    labels = [value.label for value in values]
    if len(set(labels)) != len(labels):
        raise ProbeError(f"{where}: duplicate value names {labels}")
    return Variable(name, tuple(values))


def expand(variables: Sequence[Variable], tmp: Path) -> list[Variable]:
    """The variables with ``{tmp}`` replaced by the probe's temporary directory."""
    def one(value: str) -> str:
        return value.replace(TMP_PLACEHOLDER, str(tmp))

    return [
        Variable(variable.name, tuple(Value(v.label, {k: one(x) for k, x in v.env.items()}) for v in variable.values))
        for variable in variables
    ]


def build_cells(variables: Sequence[Variable], full: bool = False) -> list[Cell]:
    """The reference cell first, then one cell per non-reference value (``full``: per combination).

    >>> cells = build_cells([_same_value("TZ", ["UTC", "Asia/Tokyo"]), _same_value("LANG", ["en", "ja"], ["LANG", "LC_ALL"])])
    >>> [(c.name, c.varied) for c in cells]
    [('reference', {}), ('TZ=Asia/Tokyo', {'TZ': 'Asia/Tokyo'}), ('LANG=ja', {'LANG': 'ja', 'LC_ALL': 'ja'})]
    >>> [c.name for c in build_cells([_same_value("A", "xy"), _same_value("B", "uv")], full=True)]
    ['reference', 'B=v', 'A=y', 'A=y, B=v']
    """
    reference_env: dict[str, str] = {}
    for variable in variables:
        reference_env.update(variable.values[0].env)
    cells = [Cell(name=REFERENCE, environment=dict(reference_env), varied={})]
    if full:
        choices = [[(variable, value) for value in variable.values] for variable in variables]
        combinations = sorted(itertools.product(*choices), key=lambda combo: sum(v is not var.values[0] for var, v in combo))
        picks = [[(var, v) for var, v in combo if v is not var.values[0]] for combo in combinations]
    else:
        picks = [[(variable, value)] for variable in variables for value in variable.values[1:]]
    seen = {REFERENCE}
    for pick in picks:
        if not pick:
            continue
        environment = dict(reference_env)
        for _, value in pick:
            environment.update(value.env)
        varied = {key: value for key, value in environment.items() if reference_env.get(key) != value}
        name = ", ".join(f"{variable.name}={value.label}" for variable, value in pick)
        if not varied or name in seen:
            continue
        seen.add(name)
        cells.append(Cell(name=name, environment=environment, varied=varied))
    return cells


# --- the embedded capture proxy ------------------------------------------------------------

@dataclass
class CaptureProxy:
    """The running capture-only mitmdump: one listen port per run, its CA, its captures."""

    process: subprocess.Popen[bytes]
    ports: list[int]
    confdir: Path
    capture_dir: Path
    console: Path

    @property
    def ca_file(self) -> Path:
        return self.confdir / "mitmproxy-ca-cert.pem"

    def proxy_url(self, port: int) -> str:
        return f"http://127.0.0.1:{port}"

    def captures(self, port: int, origin: str) -> list[CapturedRequest]:
        from addons.capture_proxy import capture_file, read_captures

        return read_captures(capture_file(self.capture_dir, port), origin)

    def console_text(self) -> str:
        try:
            return self.console.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    def stop(self) -> None:
        stop_process(self.process)


def stop_process(process: subprocess.Popen[bytes], grace_s: float = 10) -> None:
    """End ``process``: politely (SIGTERM) and, after ``grace_s`` seconds, for sure (SIGKILL)."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def find_mitmdump() -> str | None:
    """mitmdump beside this interpreter (the environment stegwatch lives in), else on PATH."""
    beside = Path(sys.executable).with_name("mitmdump")
    return str(beside) if beside.exists() else shutil.which("mitmdump")


def _free_ports(count: int) -> list[int]:
    sockets = []
    try:
        for _ in range(count):
            holder = socket.socket()
            holder.bind(("127.0.0.1", 0))
            sockets.append(holder)
        return [holder.getsockname()[1] for holder in sockets]
    finally:
        for holder in sockets:
            holder.close()


def start_capture_proxy(workdir: Path, port_count: int, timeout: float = PROXY_START_TIMEOUT_S) -> CaptureProxy:
    """Start the capture-only mitmdump on ``port_count`` loopback ports; raises `ProbeError`.

    The ports are picked free just before the start; if another process takes one in
    between, the start is retried with fresh ports."""
    mitmdump = find_mitmdump()
    if mitmdump is None:
        raise ProbeError("cannot start the capture proxy: mitmdump not found (is mitmproxy installed?)")
    confdir = workdir / "mitmproxy-conf"
    capture_dir = workdir / "captures"
    confdir.mkdir(parents=True, exist_ok=True)
    capture_dir.mkdir(parents=True, exist_ok=True)
    last_console = ""
    for attempt in range(3):
        ports = _free_ports(port_count)
        console = workdir / f"mitmdump-console-{attempt}.txt"
        ready = capture_dir / "ready.json"
        ready.unlink(missing_ok=True)
        argv = [
            mitmdump, "-q", "-s", str(CAPTURE_ADDON),
            *[item for port in ports for item in ("--mode", f"regular@{port}")],
            "--listen-host", "127.0.0.1",
            "--set", f"confdir={confdir}",
            "--set", "connection_strategy=lazy",
            "--set", "upstream_cert=false",
            "--set", f"stegwatch_capture_dir={capture_dir}",
        ]
        env = {key: value for key, value in os.environ.items() if key.lower() not in _PROXY_VARIABLES}
        with open(console, "wb") as sink:
            try:
                process = subprocess.Popen(argv, stdout=sink, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                           env=env, cwd=workdir)
            except OSError as error:
                raise ProbeError(f"cannot start the capture proxy ({mitmdump}): {error.strerror or error}") from error
        proxy = CaptureProxy(process, ports, confdir, capture_dir, console)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                break
            if ready.exists() and proxy.ca_file.exists():
                listening = json.loads(ready.read_text()).get("ports", [])
                if sorted(listening) == sorted(ports):
                    return proxy
            time.sleep(0.02)
        proxy.stop()
        last_console = proxy.console_text().strip()
        if "address already in use" not in last_console.lower() and "cannot spawn" not in last_console.lower():
            break
    raise ProbeError(f"the capture proxy failed to start:\n{last_console or '(no output)'}")


# --- running the command -------------------------------------------------------------------

def child_environment(base: Mapping[str, str], proxy: CaptureProxy, port: int, cell: Cell) -> dict[str, str]:
    """The environment of one run: the user's, minus their proxy settings, plus the probe's
    proxy, CA and dummy keys, plus the cell's variables (which win)."""
    env = {key: value for key, value in base.items() if key.lower() not in _PROXY_VARIABLES and key != ISOLATED_MARKER}
    url = proxy.proxy_url(port)
    ca = str(proxy.ca_file)
    env.update({
        "HTTPS_PROXY": url, "HTTP_PROXY": url, "https_proxy": url, "http_proxy": url,
        "NODE_USE_ENV_PROXY": "1",  # Node >= 24's built-in fetch reads the variables only then
        "NODE_EXTRA_CA_CERTS": ca, "SSL_CERT_FILE": ca, "REQUESTS_CA_BUNDLE": ca, "CURL_CA_BUNDLE": ca,
        "CODEX_CA_CERTIFICATE": ca,
    })
    for key, dummy in DUMMY_KEYS.items():
        env.setdefault(key, dummy)
    if not env.get("GEMINI_API_KEY") and not env.get("GOOGLE_API_KEY"):
        # One of the two only: google-genai warns when both are set.
        env["GEMINI_API_KEY"] = DUMMY_GEMINI_KEY
    env.update(cell.environment)
    return env


def resolve_command(command: Sequence[str], env: Mapping[str, str]) -> str:
    """The executable the command names; raises `ProbeError` when there is none."""
    if not command:
        raise ProbeError("no command to probe: give it after --, e.g. stegwatch probe -- claude -p 'hi'")
    program = command[0]
    if os.sep in program:
        if os.path.isfile(program) and os.access(program, os.X_OK):
            return program
        raise ProbeError(f"command not found or not executable: {program}")
    found = shutil.which(program, path=env.get("PATH"))
    if found is None:
        raise ProbeError(f"command not found: {program}")
    return found


@dataclass
class Run:
    """One run to do: a cell, its run number, and the proxy port reserved for it."""

    cell: Cell
    run: int
    port: int

    @property
    def label(self) -> str:
        return f"probe cell {self.cell.name} run {self.run}"


@dataclass
class ProbeRun:
    """The whole probe's inputs; `execute` runs it."""

    command: list[str]
    cells: list[Cell]
    workdir: Path
    timeout: float = DEFAULT_TIMEOUT_S
    cwd: Path = field(default_factory=Path.cwd)
    base_env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    progress: Callable[[str], None] = lambda line: None

    def plan(self, ports: Sequence[int]) -> list[Run]:
        """Reference first, the variants, the reference again last: the two reference runs
        span the probe, so noise that moves with the clock shows between them."""
        reference, variants = self.cells[0], self.cells[1:]
        order = [(reference, 1), *[(cell, 1) for cell in variants], (reference, 2)]
        return [Run(cell, number, port) for (cell, number), port in zip(order, ports, strict=True)]

    def execute(self) -> list[CellCapture]:
        """Start the proxy, run every cell in turn, return the captures; raises `ProbeError`."""
        resolve_command(self.command, {**self.base_env, **self.cells[0].environment})
        proxy = start_capture_proxy(self.workdir, len(self.cells) + 1)
        try:
            runs = self.plan(proxy.ports)
            logs = self.workdir / "logs"
            logs.mkdir(exist_ok=True)
            captures = []
            for index, run in enumerate(runs, 1):
                capture = self._run_one(proxy, run, logs)
                captures.append(capture)
                status = f"timeout after {self.timeout:g} s" if capture.exit_status is None else f"exit {capture.exit_status}"
                line = (f"[{index}/{len(runs)}] {run.cell.name} (run {run.run}): {status}, "
                        f"{capture.duration_s:.2f} s, {len(capture.requests)} requests")
                if capture.exit_status != 0:
                    line += _error_tail(logs / f"{run.port}-{run.run}.err")
                self.progress(line)
            return captures
        finally:
            proxy.stop()

    def _run_one(self, proxy: CaptureProxy, run: Run, logs: Path) -> CellCapture:
        env = child_environment(self.base_env, proxy, run.port, run.cell)
        home = env.get("HOME")
        if home and run.cell.environment.get("HOME") == home:
            Path(home).mkdir(parents=True, exist_ok=True)
        stem = f"{run.port}-{run.run}"
        with open(logs / f"{stem}.out", "wb") as out, open(logs / f"{stem}.err", "wb") as err:
            started = time.monotonic()
            try:
                process = subprocess.Popen(self.command, env=env, cwd=self.cwd, stdin=subprocess.DEVNULL,
                                           stdout=out, stderr=err, start_new_session=True)
            except OSError as error:
                raise ProbeError(f"cannot run {self.command[0]}: {error.strerror or error}") from error
            try:
                exit_status: int | None = process.wait(timeout=self.timeout)
            except subprocess.TimeoutExpired:
                exit_status = None
            except BaseException:
                # Ctrl-C reaches only our process group: the agent runs in its own session.
                _end_group(process)
                raise
            duration = time.monotonic() - started
            # The agent's helpers (a language server, a telemetry flusher) go with it, so
            # nothing of this cell still runs during the next one.
            _end_group(process)
        return CellCapture(cell=run.cell, run=run.run, exit_status=exit_status, duration_s=round(duration, 4),
                           requests=proxy.captures(run.port, run.label))


def _error_tail(path: Path, lines: int = 3) -> str:
    """The last lines of a run's error output, indented, for the progress line of a failed run."""
    try:
        tail = path.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-lines:]
    except OSError:
        return ""
    return "".join(f"\n    {line}" for line in tail)


def _end_group(process: subprocess.Popen[bytes]) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except (ProcessLookupError, PermissionError):
            break
        if sig == signal.SIGTERM:
            try:
                process.wait(timeout=2)
            except subprocess.TimeoutExpired:
                continue
            # The leader is gone; members of its group may still be exiting.
            time.sleep(0.01)
            try:
                os.killpg(process.pid, 0)
            except (ProcessLookupError, PermissionError):
                break
    if process.poll() is None:
        process.wait()


def run_probe(
    command: Sequence[str],
    variables: Sequence[Variable] | None = None,
    *,
    full: bool = False,
    timeout: float = DEFAULT_TIMEOUT_S,
    workdir: Path | None = None,
    cwd: Path | None = None,
    base_env: Mapping[str, str] | None = None,
    progress: Callable[[str], None] = lambda line: None,
) -> list[CellCapture]:
    """Run ``command`` under every cell and return the captures (reference run 1 first).

    ``workdir`` (default: a new private temporary directory, removed afterwards) holds the
    proxy's CA, the captures, the homes and the agent's output."""
    own_workdir = workdir is None
    directory = Path(tempfile.mkdtemp(prefix="stegwatch-probe-")) if workdir is None else workdir
    try:
        expanded = expand(default_matrix() if variables is None else variables, directory)
        probe = ProbeRun(
            command=list(command), cells=build_cells(expanded, full), workdir=directory, timeout=timeout,
            cwd=cwd or Path.cwd(), base_env=dict(os.environ if base_env is None else base_env), progress=progress,
        )
        return probe.execute()
    finally:
        if own_workdir:
            shutil.rmtree(directory, ignore_errors=True)


# --- --isolate: a network namespace with loopback only ------------------------------------

def isolation_problem() -> str | None:
    """Why ``--isolate`` cannot work here, or None when it can."""
    if os.name != "posix" or not sys.platform.startswith("linux"):
        return "--isolate needs Linux network namespaces"
    if os.geteuid() != 0:
        return "--isolate needs root (it creates a network namespace with unshare -n)"
    if shutil.which("unshare") is None:
        return "--isolate needs the unshare command (util-linux)"
    check = subprocess.run(["unshare", "--net", "true"], capture_output=True, text=True)
    if check.returncode != 0:
        return f"--isolate: this system refuses a new network namespace (unshare -n: {check.stderr.strip() or check.returncode})"
    return None


def bring_loopback_up() -> None:
    """Set ``lo`` up in this (new) network namespace, with the SIOCSIFFLAGS ioctl (no iproute2)."""
    import fcntl
    import struct

    siocgifflags, siocsifflags, iff_up = 0x8913, 0x8914, 0x1
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as handle:
        request = struct.pack("16sH14x", b"lo", 0)
        flags = struct.unpack("16sH14x", fcntl.ioctl(handle.fileno(), siocgifflags, request))[1]
        fcntl.ioctl(handle.fileno(), siocsifflags, struct.pack("16sH14x", b"lo", flags | iff_up))


def enter_loopback_only() -> None:
    """Inside the namespace: bring ``lo`` up and check that it is the only interface."""
    try:
        bring_loopback_up()
    except OSError as error:
        raise ProbeError(f"--isolate: cannot bring up the loopback interface: {error}") from error
    others = sorted(name for _, name in socket.if_nameindex() if name != "lo")
    if others:
        raise ProbeError(f"--isolate: the network namespace is not isolated (interfaces: {', '.join(others)})")


def run_isolated(probe_argv: Sequence[str]) -> int:
    """Re-run ``stegwatch probe PROBE_ARGV`` in a new network namespace; its exit status."""
    problem = isolation_problem()
    if problem:
        raise ProbeError(problem)
    bootstrap = (
        "import sys; sys.path.insert(0, sys.argv.pop(1)); from addons.cli import main; sys.exit(main(sys.argv[1:]))"
    )
    argv = ["unshare", "--net", "--", sys.executable, "-c", bootstrap, str(PROJECT_ROOT), "probe", *probe_argv]
    process = subprocess.Popen(argv, env={**os.environ, ISOLATED_MARKER: "1"})
    while True:
        try:
            return process.wait()
        except KeyboardInterrupt:
            continue  # the probe inside got the same Ctrl-C: let it end its agent and proxy


# --- the command ---------------------------------------------------------------------------

def register(commands: argparse._SubParsersAction) -> None:
    """Add ``stegwatch probe`` to the ``stegwatch`` command's subcommands."""
    parser = commands.add_parser(
        "probe",
        help="run an agent under an environment matrix and name the covert differences",
        description="Run CMD once per cell of an environment matrix (TZ, locale, base-URL host, user) "
        "through a local capture-only proxy and report the differences in what it sends. "
        "Exit 0: no unexplained difference; 1: unexplained differences; 2: error.",
        usage="stegwatch probe [options] -- CMD [ARG ...]",
    )
    parser.add_argument("--matrix", metavar="FILE", default=None, help="TOML matrix replacing the default one")
    parser.add_argument("--full", action="store_true", help="run every combination, not one variable at a time")
    parser.add_argument("--isolate", action="store_true",
                        help="run in a new network namespace with loopback only (root, Linux)")
    parser.add_argument("--format", choices=("text", "json", "html"), default="text")
    parser.add_argument("-o", "--output", metavar="FILE", default=None, help="write the report here (default: stdout)")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S, metavar="SECONDS",
                        help=f"per-run time limit (default: {DEFAULT_TIMEOUT_S:g})")
    parser.add_argument("--keep", metavar="DIR", default=None,
                        help="keep the work directory in DIR: each run's requests as HAR (har/), "
                        "the agent's output (logs/), the raw captures and the proxy's CA")
    parser.add_argument("--list-cells", action="store_true", help="print the cells and exit")
    parser.add_argument("agent", nargs=argparse.REMAINDER, metavar="CMD", help="the agent command, after --")
    parser.set_defaults(handler=probe_command)


def _probe_argv(args: argparse.Namespace) -> list[str]:
    """The options of ``args`` as a command line again (to re-run inside the namespace)."""
    argv = ["--format", args.format, "--timeout", repr(args.timeout)]
    for flag, value in (("--matrix", args.matrix), ("--output", args.output), ("--keep", args.keep)):
        if value is not None:
            argv += [flag, str(Path(value).resolve())]
    argv += [flag for flag, on in (("--full", args.full), ("--isolate", args.isolate)) if on]
    return [*argv, "--", *_agent_command(args)]


def _agent_command(args: argparse.Namespace) -> list[str]:
    command = list(args.agent)
    return command[1:] if command[:1] == ["--"] else command


def probe_command(args: argparse.Namespace) -> int:
    """Handler of ``stegwatch probe``."""
    try:
        return _probe(args)
    except ProbeError as error:
        print(f"stegwatch: error: {error}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("stegwatch: probe interrupted", file=sys.stderr)
        return EXIT_ERROR


def _probe(args: argparse.Namespace) -> int:
    command = _agent_command(args)
    variables = load_matrix(args.matrix) if args.matrix else default_matrix()
    if args.list_cells:
        for cell in build_cells(expand(variables, Path("{tmp}")), args.full):
            print(f"{cell.name}\t{json.dumps(cell.varied, ensure_ascii=False)}")
        return EXIT_CLEAN
    resolve_command(command, os.environ)
    if args.isolate:
        if os.environ.get(ISOLATED_MARKER) != "1":
            return run_isolated(_probe_argv(args))
        enter_loopback_only()

    workdir = Path(args.keep).resolve() if args.keep else Path(tempfile.mkdtemp(prefix="stegwatch-probe-"))
    workdir.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        def progress(line: str) -> None:
            print(f"stegwatch probe: {line}", file=sys.stderr, flush=True)

        captures = run_probe(command, variables, full=args.full, timeout=args.timeout, workdir=workdir,
                             progress=progress)
        if not any(capture.requests for capture in captures):
            # A clean verdict over nothing would be a lie: the agent never reached the proxy.
            raise ProbeError("the agent sent no request in any run, so there is nothing to compare "
                             "(does it honour HTTPS_PROXY? see the runs above; --keep DIR keeps its output)")
        if args.keep:
            write_har(captures, workdir / "har")
        result = compare_captures(captures, command)
        write_report(result, args.format, args.output)
        return EXIT_UNEXPLAINED if result.unexplained else EXIT_CLEAN
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"stegwatch probe: work directory kept in {workdir}", file=sys.stderr)


def write_har(captures: Sequence[CellCapture], directory: Path) -> list[Path]:
    """Each run's requests as a HAR file in ``directory`` (for ``stegwatch scan`` and
    ``stegwatch baseline learn``); bodies are base64, byte for byte as captured."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for index, capture in enumerate(captures, 1):
        slug = "".join(ch if ch.isascii() and ch.isalnum() else "_" for ch in capture.cell.name)
        entries = [{
            "startedDateTime": datetime.fromtimestamp(request.timestamp or 0, UTC).isoformat(),
            "time": 0,
            "request": {
                "method": request.method, "url": request.url, "httpVersion": "HTTP/1.1",
                "headers": [{"name": name, "value": value} for name, value in request.headers],
                "queryString": [], "cookies": [], "headersSize": -1, "bodySize": len(request.body),
                **({"postData": {"mimeType": request.header("content-type") or "", "encoding": "base64",
                                 "text": base64.b64encode(request.body).decode("ascii")}} if request.body else {}),
            },
            "response": {"status": 0, "statusText": "", "httpVersion": "HTTP/1.1", "headers": [], "cookies": [],
                         "content": {"size": 0, "mimeType": ""}, "redirectURL": "", "headersSize": -1, "bodySize": -1},
            "cache": {}, "timings": {"send": 0, "wait": 0, "receive": 0},
        } for request in capture.requests]
        document = {"log": {"version": "1.2", "creator": {"name": "stegwatch probe", "version": "1"},
                            "comment": f"cell {capture.cell.name}, run {capture.run}", "entries": entries}}
        path = directory / f"{index:03d}-{slug}-run{capture.run}.har"
        path.write_text(json.dumps(document, indent=1), encoding="utf-8")
        written.append(path)
    return written


def compare_captures(captures: list[CellCapture], command: list[str]) -> ProbeResult:
    """`addons.differ.compare`, with the per-run summary filled in; raises `ProbeError`."""
    try:
        from addons.differ import compare
    except ModuleNotFoundError as error:
        if error.name != "addons.differ":
            raise
        raise ProbeError("the comparison is not available (addons/differ.py is missing); "
                         "use --keep DIR to keep the captures") from None
    result = compare(captures, command)
    if not result.runs:
        result.runs = run_summary(captures)
    return result


def run_summary(captures: Sequence[CellCapture]) -> list[dict[str, Any]]:
    return [
        {"cell": capture.cell.name, "run": capture.run, "exit_status": capture.exit_status,
         "duration_s": capture.duration_s, "requests": len(capture.requests)}
        for capture in captures
    ]


def write_report(result: ProbeResult, output_format: str, output: str | None) -> None:
    """Render ``result`` as text (rich), JSON or HTML to ``output`` or standard output."""
    try:
        probe_output = importlib.import_module("addons.probe_output")
    except ModuleNotFoundError as error:
        if error.name != "addons.probe_output":
            raise
        probe_output = None
    try:
        if output_format == "text" and probe_output is not None:
            if output is None:
                probe_output.render_terminal(result)
                return
            from rich.console import Console

            with open(output, "w", encoding="utf-8") as handle:
                probe_output.render_terminal(result, Console(file=handle, width=120, highlight=False, soft_wrap=True))
            return
        if output_format == "json":
            rendered = probe_output.render_json(result) if probe_output else result.model_dump_json(indent=2)
        elif output_format == "html":
            if probe_output is None:
                raise ProbeError("HTML output is not available (addons/probe_output.py is missing)")
            rendered = probe_output.render_html(result)
        else:
            rendered = _plain_text(result)
        if output is None:
            sys.stdout.write(rendered if rendered.endswith("\n") else rendered + "\n")
            sys.stdout.flush()
        else:
            Path(output).write_text(rendered, encoding="utf-8")
    except OSError as error:
        raise ProbeError(f"cannot write {output or 'the report'}: {error.strerror or error}") from error


def _plain_text(result: ProbeResult) -> str:
    lines = [f"{d.classification}: {d.variable} [{d.cell}] {d.request} {d.where} {d.path}: "
             f"{d.reference_revealed!r} -> {d.variant_revealed!r}" for d in result.differences]
    lines.append(f"{len(result.unexplained)} unexplained difference(s) over {len(result.cells)} cells")
    return "\n".join(lines) + "\n"
