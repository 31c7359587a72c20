"""Benchmark of the `dates` detector alone: MB/s on no-digit text, ASCII code, prose and logs.

Inputs are real files from the installed environment (Python sources, package METADATA and
licence prose), plus a synthetic log and CSV that are digit-heavy by construction. Run:
``.venv/bin/python bench/dates_bench.py``; `run_dates_bench()` returns the figures.
"""

from __future__ import annotations

import random
import sys
import sysconfig
import time
from pathlib import Path

from detectors.dates import DatesDetector

_TARGET = 20_000_000


def _collect(patterns: tuple[str, ...], ascii_only: bool = True) -> str:
    root = Path(sysconfig.get_paths()["purelib"])
    pieces: list[str] = []
    size = 0
    for pattern in patterns:
        for path in sorted(root.rglob(pattern)):
            try:
                text = path.read_text(encoding="utf-8")
            except (UnicodeDecodeError, OSError):
                continue
            if ascii_only:
                text = "\n".join(line for line in text.splitlines() if line.isascii())
            pieces.append(text)
            size += len(text)
            if size >= _TARGET:
                return "\n".join(pieces)
    text = "\n".join(pieces)
    return (text * (_TARGET // max(len(text), 1) + 1))[:_TARGET]


def _log(lines: int) -> str:
    rng = random.Random(6)
    levels = ("INFO", "DEBUG", "WARN", "ERROR")
    return "\n".join(
        f"2026-11-{rng.randint(1, 30):02d}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:"
        f"{rng.randint(0, 59):02d}.{rng.randint(0, 999):03d}Z {rng.choice(levels)} req={rng.randint(1, 10**6)} "
        f"GET /api/v1/items/{rng.randint(1, 9999)} status=200 bytes={rng.randint(100, 99999)} ms={rng.random():.3f}"
        for _ in range(lines)
    )


def _csv(rows: int) -> str:
    rng = random.Random(7)
    return "\n".join(
        f"{i},{rng.randint(1, 10**6)},{rng.random() * 1000:.4f},{rng.randint(-500, 500)},"
        f"{rng.randint(2000, 2026)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d},{rng.random():.6f}"
        for i in range(rows)
    )


def _zh_log(lines: int) -> str:
    """A Chinese-locale application log: CLDR long dates (2026年11月24日), Chinese messages."""
    rng = random.Random(8)
    messages = ("服务已启动，监听端口", "用户登录成功", "数据库连接超时，正在重试", "缓存已刷新", "请求处理完成")
    return "\n".join(
        f"2026年{rng.randint(1, 12)}月{rng.randint(1, 28)}日 {rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:"
        f"{rng.randint(0, 59):02d} {rng.choice(messages)} 请求编号={rng.randint(1, 10**6)} 耗时={rng.random():.3f}秒"
        for _ in range(lines)
    )


def _measure(detector: DatesDetector, text: str, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        list(detector.find(text))
        best = min(best, time.perf_counter() - started)
    return len(text.encode("utf-8")) / best / 1e6


def run_dates_bench() -> dict[str, float]:
    """MB/s of `DatesDetector.find` on each input."""
    detector = DatesDetector()
    code = _collect(("*.py",))
    prose = _collect(("METADATA", "LICENSE*", "*.md", "*.rst"))
    prose_without_numbers = "\n".join(line for line in prose.splitlines() if not any(c.isdigit() for c in line))
    no_digits = code.translate(str.maketrans("", "", "0123456789"))
    inputs = {
        "no-digit text (ASCII code, digits removed)": no_digits,
        "ASCII source code": code,
        "English prose (package docs, with changelog dates)": prose,
        "English prose lines without numbers": prose_without_numbers,
        "digit-heavy log (ISO timestamps)": _log(150_000),
        "digit-heavy CSV": _csv(300_000),
        "digit-heavy log, Chinese locale (2026年11月24日)": _zh_log(150_000),
        "multilingual prose, few numbers": (
            "Съешь же ещё этих мягких французских булок, да выпей чаю. 我们今天去公园散步吧，天气很好。"
            "La réunion est à 10 h, n’oubliez pas.\n" * 150_000),
        "non-ASCII prose, dense dates": ("Сегодня 24 ноября 2026 г., встреча в 08:41. 今天是2026年11月24日。\n" * 60_000),
    }
    return {label: _measure(detector, text) for label, text in inputs.items()}


def main() -> int:
    for label, speed in run_dates_bench().items():
        print(f"dates detector  {label:<52} {speed:10.1f} MB/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
