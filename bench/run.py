"""``make bench``: scan throughput, linearity and memory of `detectors.scan`, against issue 3's targets.

Every figure is UTF-8 bytes of input per second (MB = 10**6 bytes), best of a few runs timed
with ``time.perf_counter``, printed beside a naive per-character ``unicodedata.category`` loop
over the same text (the yardstick the issue names) and the target. Inputs are real text:
ASCII source code from the standard library and English prose (Django's msgids and the agent
prompts in tests/data), the clean multilingual ``.po`` corpus of `scripts/eval_corpus.py`,
CJK and emoji text taken from the same sources, and pathological runs of one invisible
character. Runs that could be quadratic are timed in a child process with a time limit, so a
regression shows up as a failed target rather than a hung benchmark. It prints the scan time
per finding of a real prompt with a mark at every word (no target). Finally it runs
`bench/dates_bench.py` when present. Deterministic inputs; about a minute on a laptop.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import sysconfig
import time
import tracemalloc
import unicodedata
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as `python bench/run.py`
    sys.path.insert(0, str(REPO))

from detectors import sanitize, scan  # noqa: E402
from scripts.eval_corpus import clean_corpus, english_paragraphs, fully_qualified_emoji, prompt_files  # noqa: E402

MB = 1_000_000
REPEATS = 3
NAIVE_SLICE = 1 * MB  # the naive loop is timed on at most this much of each input
PROBE_SIZE = 128_000  # a first timed scan on this much predicts how long the full input takes
# Seconds one timed scan may take. When detectors are slow, the input is cut (from its start) to
# fit, and the table says so: per-byte figures stay comparable and the run stays near a minute.
SCAN_BUDGET = 1.0
LINEAR_SHORT_BUDGET = 0.5
CHILD_TIME_LIMIT = 30.0  # floor of the time limit for one pathological measurement
LINEAR_RATIO_MAX = 1.5  # per-byte cost of the long input over the short one
DATES_BENCH_TIME_LIMIT = 60.0
PER_DETECTOR_SAMPLE = 250_000

# Issue 3, section 7.
TARGET_ASCII = 1000.0
TARGET_MULTILINGUAL = 100.0
TARGET_MULTILINGUAL_VS_NAIVE = 10.0
TARGET_CJK_EMOJI = 50.0
TARGET_MEMORY_RATIO = 3.0


def utf8_size(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


def fit(text: str, size: int) -> str:
    """``text`` repeated or cut (at a character) to about ``size`` UTF-8 bytes."""
    per_char = utf8_size(text) / len(text)
    chars = int(size / per_char)
    return (text * (chars // len(text) + 1))[:chars]


# --- inputs ----------------------------------------------------------------------------------

def ascii_text(size: int = 8 * MB) -> str:
    """ASCII source code from the standard library (3/4) and English prose (1/4)."""
    code: list[str] = []
    length = 0
    for path in sorted(Path(sysconfig.get_paths()["stdlib"]).glob("*.py")):
        lines = [line for line in path.read_text(encoding="utf-8", errors="replace").splitlines() if line.isascii()]
        code.append("\n".join(lines))
        length += sum(map(len, lines))
        if length >= size * 3 // 4:
            break
    prose_lines = [line for text in prompt_files().values() for line in text.splitlines() if line.isascii()]
    prose = "\n\n".join([*english_paragraphs(), *prose_lines])
    prose = "\n".join(line for line in prose.splitlines() if line.isascii())
    text = fit("\n".join(code), size * 3 // 4) + "\n" + fit(prose, size // 4)
    assert text.isascii()
    return text


def multilingual_text(size: int | None = None) -> str:
    """The clean .po paragraphs of every language, concatenated (repeated up to ``size``)."""
    corpus = clean_corpus()
    text = "\n\n".join(p for source, paragraphs in corpus.items() if source not in ("code", "shell", "prompts") for p in paragraphs)
    return text if size is None else fit(text, size)


def cjk_text(size: int = 4 * MB) -> str:
    """Chinese and Japanese catalogue text with everything ASCII taken out."""
    corpus = clean_corpus()
    text = "".join(p for source in ("zh_Hans", "zh_Hant", "ja") for p in corpus[source])
    return fit("".join(ch for ch in text if not ch.isascii()), size)


def emoji_text(size: int = 4 * MB) -> str:
    """Every fully-qualified emoji sequence, back to back."""
    return fit("".join(fully_qualified_emoji()), size)


# --- measurements ----------------------------------------------------------------------------

def best_seconds(action: Callable[[], object], repeats: int = REPEATS) -> float:
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - started)
    return best


def scan_speed(text: str) -> float:
    """MB/s of `detectors.scan` on ``text``."""
    return utf8_size(text) / best_seconds(lambda: scan(text)) / MB


def prefix(text: str, size: int) -> str:
    """The start of ``text`` up to about ``size`` UTF-8 bytes."""
    return text if utf8_size(text) <= size else text[: int(len(text) * size / utf8_size(text))]


def budgeted(text: str, seconds: float) -> str:
    """The start of ``text`` that one scan gets through in about ``seconds``."""
    probe = prefix(text, PROBE_SIZE)
    scan(prefix(text, PROBE_SIZE // 8))  # warm up: compiled patterns and per-character caches
    bytes_per_second = utf8_size(probe) / best_seconds(lambda: scan(probe), repeats=1)
    return prefix(text, max(PROBE_SIZE, int(bytes_per_second * seconds)))


def size_label(used: str, full: str) -> str:
    if len(used) == len(full):
        return f"{utf8_size(full) / MB:.1f} MB"
    return f"{utf8_size(used) / MB:.2f} of {utf8_size(full) / MB:.0f} MB"


def naive_loop(text: str) -> None:
    category = unicodedata.category
    for ch in text:
        category(ch)


def naive_speed(text: str) -> float:
    sample = text[:NAIVE_SLICE]
    return utf8_size(sample) / best_seconds(lambda: naive_loop(sample), repeats=2) / MB


def memory_ratio(text: str) -> float:
    """Peak memory traced while scanning ``text``, over its UTF-8 size."""
    tracemalloc.start()
    try:
        scan(text)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak / utf8_size(text)


def _timed_scan_child(text: str, results: multiprocessing.Queue) -> None:
    results.put(best_seconds(lambda: scan(text), repeats=2))


def guarded_seconds(text: str, limit: float = CHILD_TIME_LIMIT) -> float | None:
    """Seconds to scan ``text`` in a child process, or None past ``limit``."""
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    child = context.Process(target=_timed_scan_child, args=(text, results))
    child.start()
    child.join(limit)
    if child.is_alive():
        child.terminate()
        child.join()
        return None
    return results.get() if not results.empty() else None


# --- report ----------------------------------------------------------------------------------

class Report:
    def __init__(self) -> None:
        from rich.console import Console
        from rich.table import Table

        self.console = Console(highlight=False, width=None if sys.stdout.isatty() else 150)
        self.table = Table(title="stegwatch scan: speed and memory (MB = 10^6 UTF-8 bytes)")
        for column in ("input", "size", "scan", "naive loop", "ratio", "target", ""):
            self.table.add_column(column, justify="left" if column in ("input", "target") else "right")
        self.failed: list[str] = []

    def row(self, label: str, size: str, scan_figure: str, naive: str, ratio: str, target: str, ok: bool) -> None:
        self.table.add_row(label, size, scan_figure, naive, ratio, target, "[green]ok[/]" if ok else "[red]FAIL[/]")
        if not ok:
            self.failed.append(f"{label}: {scan_figure} (target {target})")


def throughput(report: Report, label: str, text: str, target: float, naive_target: float | None = None) -> None:
    used = budgeted(text, SCAN_BUDGET)
    speed = scan_speed(used)
    naive = naive_speed(text)
    ok = speed >= target and (naive_target is None or speed >= naive_target * naive)
    target_text = f">= {target:g} MB/s" + (f" and >= {naive_target:g}x naive" if naive_target else "")
    report.row(label, size_label(used, text), f"{speed:.1f} MB/s", f"{naive:.1f} MB/s", f"{speed / naive:.1f}x", target_text, ok)


def linearity(report: Report, label: str, text: str, short_size: int, factor: int) -> None:
    """Time to scan ``short_size`` bytes of ``text`` and ``factor`` times as much, in a child."""
    probe_seconds = guarded_seconds(prefix(text, PROBE_SIZE))
    if probe_seconds is not None:
        short_size = min(short_size, max(PROBE_SIZE, int(PROBE_SIZE / max(probe_seconds, 1e-9) * LINEAR_SHORT_BUDGET)))
    short, long = fit(text, short_size), fit(text, short_size * factor)
    short_seconds = guarded_seconds(short) if probe_seconds is not None else None
    limit = CHILD_TIME_LIMIT if short_seconds is None else max(CHILD_TIME_LIMIT, 3 * factor * short_seconds)
    long_seconds = guarded_seconds(long, limit) if short_seconds is not None else None
    target = f"time x{factor} for size x{factor} (<= {LINEAR_RATIO_MAX}x linear)"
    sizes = f"{utf8_size(short) / MB:.2g} vs {utf8_size(long) / MB:.2g} MB"
    if short_seconds is None or long_seconds is None:
        report.row(label, sizes, f"> {limit:.0f} s", "", "", target, False)
        return
    ratio = long_seconds / short_seconds
    per_byte = ratio / factor
    figure = f"{short_seconds * 1000:.0f} ms -> {long_seconds * 1000:.0f} ms"
    report.row(label, sizes, figure, "", f"x{ratio:.1f}", target, per_byte <= LINEAR_RATIO_MAX)


def per_detector(report: Report, inputs: dict[str, str]) -> None:
    """MB/s of each registered detector alone, so that a slow one is easy to spot."""
    from rich.table import Table

    from detectors.registry import DEFAULT_DETECTORS

    samples = {label: prefix(text, PER_DETECTOR_SAMPLE) for label, text in inputs.items()}
    table = Table(title=f"each detector alone on the first {PER_DETECTOR_SAMPLE / MB:.2f} MB (MB/s)")
    table.add_column("detector")
    for label in samples:
        table.add_column(label, justify="right")
    for detector in DEFAULT_DETECTORS:
        cells = []
        for sample in samples.values():
            if sample.isascii() and not detector.ascii_relevant:
                cells.append("skipped")
                continue
            seconds = best_seconds(lambda: list(detector.find(sample)), repeats=2)
            cells.append(f"{utf8_size(sample) / seconds / MB:.1f}")
        table.add_row(detector.name, *cells)
    report.console.print(table)


def per_finding(report: Report) -> None:
    """Microseconds of scan per finding, where a real prompt carries a mark at every word: the
    cost of a text with thousands of marks (a scraped page's no-break spaces, a watermark after
    every word), which no throughput row shows. No target; a slow rule shows up here."""
    from rich.table import Table

    prompt = prompt_files()["claude_code"]
    swaps = {
        "U+00A0 for every space": prompt.replace(" ", "\u00a0"),
        "U+200B after every word": prompt.replace(" ", "\u200b "),
        "Cyrillic U+043E for every o": prompt.replace("o", "\u043e"),
        "U+2019 for every '": prompt.replace("'", "\u2019"),
    }
    table = Table(title="a mark at every word of the Claude Code prompt: scan time per finding")
    for column in ("marks", "findings", "us per finding"):
        table.add_column(column, justify="right" if column != "marks" else "left")
    for label, text in swaps.items():
        findings = len(scan(text))
        seconds = best_seconds(lambda: scan(text))
        table.add_row(label, str(findings), f"{seconds / max(findings, 1) * 1e6:.0f}")
    # Sanitize's second round rewrites what the first exposed; its offsets stay linear.
    pairs = " ".join(["Use the pa\U0001d564sw\u0430rd field."] * 4000)
    steps = len(sanitize(pairs).steps)
    seconds = best_seconds(lambda: sanitize(pairs))
    table.add_row("sanitize, 4,000 marks hiding 4,000 more", f"{steps} rewrites", f"{seconds / steps * 1e6:.0f}")
    report.console.print(table)


def run_dates_bench(report: Report) -> None:
    """The dates detector's own benchmark (issue 6), as a child process with a time limit."""
    import subprocess

    path = REPO / "bench" / "dates_bench.py"
    report.console.rule("bench/dates_bench.py (issue 6: digit-heavy text >= 100 MB/s)")
    if not path.exists():
        report.console.print("bench/dates_bench.py is not there yet: dates detector not benchmarked")
        return
    try:
        result = subprocess.run(
            [sys.executable, str(path)], capture_output=True, text=True, timeout=DATES_BENCH_TIME_LIMIT,
            cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)},
        )
    except subprocess.TimeoutExpired:
        report.console.print(f"[red]did not finish within {DATES_BENCH_TIME_LIMIT:.0f} s[/]")
        report.failed.append(f"bench/dates_bench.py: over {DATES_BENCH_TIME_LIMIT:.0f} s")
        return
    report.console.print(result.stdout.rstrip() or result.stderr.rstrip(), markup=False)


def main() -> int:
    began = time.perf_counter()
    report = Report()
    ascii_input = ascii_text()
    multilingual = multilingual_text()
    multilingual_input = fit(multilingual, 4 * MB)
    cjk = cjk_text()
    emoji = emoji_text()

    throughput(report, "pure ASCII (stdlib code + English prose)", ascii_input, TARGET_ASCII)
    throughput(report, "multilingual clean prose (.po, 26 languages)", multilingual_input,
               TARGET_MULTILINGUAL, TARGET_MULTILINGUAL_VS_NAIVE)
    throughput(report, "all-CJK (zh/ja catalogues)", cjk, TARGET_CJK_EMOJI)
    throughput(report, "all-emoji (fully-qualified sequences)", emoji, TARGET_CJK_EMOJI)

    linearity(report, "linearity: one multilingual string", multilingual, 1 * MB, 8)
    linearity(report, "linearity: run of U+200B", "\u200b", 1 * MB, 4)
    linearity(report, "linearity: run of U+FE00", "\ufe00", 1 * MB, 4)

    for label, text in (("memory: pure ASCII", ascii_input), ("memory: multilingual", multilingual_input),
                        ("memory: all-CJK", cjk), ("memory: all-emoji", emoji),
                        ("memory: run of U+200B", fit("\u200b", 1 * MB))):
        # tracemalloc slows allocation-heavy code several fold: a smaller budget keeps the time.
        used = budgeted(text, SCAN_BUDGET / 3)
        ratio = memory_ratio(used)
        report.row(label, size_label(used, text), f"{ratio:.2f}x text", "", "", f"<= {TARGET_MEMORY_RATIO:g}x text size",
                   ratio <= TARGET_MEMORY_RATIO)

    report.console.print(report.table)
    per_detector(report, {"pure ASCII": ascii_input, "multilingual": multilingual_input, "all-CJK": cjk, "all-emoji": emoji})
    per_finding(report)
    run_dates_bench(report)
    report.console.rule()
    report.console.print(f"benchmarked in {time.perf_counter() - began:.0f} s")
    if report.failed:
        report.console.print(f"[red]{len(report.failed)} target(s) not met[/]")
        for failure in report.failed:
            report.console.print(f"  - {failure}", markup=False)
    else:
        report.console.print("[green]all speed and memory targets met[/]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
