"""What ``stegwatch probe`` costs per cell beyond the agent's own run time: ``python bench/probe_bench.py``.

Issue 7's target: a probe over the default one-at-a-time matrix costs the agent's own run
time plus at most 1 s per cell. Two agents:

- the test agent (`tests/support/probe_agent.py`, official ``anthropic`` SDK, one streamed
  turn), whose own run time is measured by running it directly against the local fake API
  (`tests.support.fake_api`, its stream pause off) with no proxy at all, after a warm-up run;
- `tests/support/env_echo_agent.py` (stdlib only, a few tens of ms), where nearly all the
  time is the probe's own.

For each: the agent's own median run time over several direct runs (before and after the
probe, averaged, since a shared machine's load drifts), the probe's wall time
over the default matrix (12 runs: 10 variant cells and the reference twice, proxy start
included), the median run time inside the probe (through the proxy), and the overhead per run = (probe wall time - runs x own median) / runs. The
comparison (`addons.differ`) is not part of the runner's cost and is not timed here.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from addons.probe import run_probe  # noqa: E402
from tests.support import fake_api  # noqa: E402
from tests.support.fake_api import RunningFakeApi  # noqa: E402

TARGET_S = 1.0
DIRECT_RUNS = 5
AGENTS = {
    "probe_agent (anthropic SDK)": [sys.executable, str(REPO / "tests" / "support" / "probe_agent.py")],
    "env_echo_agent (stdlib)": [sys.executable, str(REPO / "tests" / "support" / "env_echo_agent.py")],
}


def own_run_time(command: list[str], fake: RunningFakeApi, ca: str) -> float:
    """Median wall time of the agent run directly against the local fake API, no proxy."""
    env = {key: value for key, value in os.environ.items() if "proxy" not in key.lower()}
    env.update({"SSL_CERT_FILE": ca, "ANTHROPIC_API_KEY": "sk-ant-bench", "TZ": "UTC", "LANG": "en_US.UTF-8",
                "ANTHROPIC_BASE_URL": fake.fake.base_url})
    if "env_echo_agent" in command[-1]:
        command = [*command, "--url", f"{fake.fake.base_url}/v1/echo"]
    times = []
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # warm-up
    for _ in range(DIRECT_RUNS):
        started = time.perf_counter()
        subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> int:
    # The fake holds a stream's last event back (for the streaming tests); the capture proxy
    # does not, so neither may the baseline.
    fake_api.STREAM_PAUSE = 0.0
    fake = RunningFakeApi()
    failures = 0
    try:
        with tempfile.TemporaryDirectory() as scratch:
            ca = fake.write_ca(str(Path(scratch) / "fake-ca.pem"))
            print(f"stegwatch probe, default matrix, per-run overhead target <= {TARGET_S:.1f} s")
            print(f"  {'agent':30} {'own s':>7} {'in probe s':>11} {'runs':>5} {'probe s':>8} {'overhead/run s':>15}")
            for label, command in AGENTS.items():
                # Measured before and after the probe: a shared machine's load drifts.
                before = own_run_time(command, fake, ca)
                started = time.perf_counter()
                captures = run_probe(command)
                wall = time.perf_counter() - started
                own = statistics.mean([before, own_run_time(command, fake, ca)])
                runs = len(captures)
                if any(c.exit_status != 0 or not c.requests for c in captures):
                    print(f"  {label}: a run failed or sent nothing", file=sys.stderr)
                    failures += 1
                overhead = (wall - runs * own) / runs
                failures += overhead > TARGET_S
                in_probe = statistics.median(c.duration_s for c in captures)
                print(f"  {label:30} {own:7.2f} {in_probe:11.2f} {runs:5d} {wall:8.2f} {overhead:15.2f}")
    finally:
        fake.close()
    print("  target met" if not failures else "  TARGET MISSED")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
