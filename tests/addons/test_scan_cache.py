"""The per-string scan cache: one scan per distinct string, bounded in bytes, LRU."""

from __future__ import annotations

import threading

import sys

from addons.scan_cache import ScanCache
from detectors import Severity
from detectors.base import make_finding

SYSTEM_PROMPT = (
    "You are Claude Code, Anthropic's official CLI for Claude. You are an interactive CLI tool that helps "
    "users with software engineering tasks. Use the instructions below and the tools available to you. "
) * 3


def counting_scanner(calls: list[str], mark: str = "\u200b"):
    def scanner(text: str):
        calls.append(text)
        index = text.find(mark)
        return [] if index < 0 else [make_finding("invisible", "zwsp", text, index, index + 1, Severity.HIGH, "m")]

    return scanner


def test_a_long_string_is_scanned_once():
    calls: list[str] = []
    cache = ScanCache(scanner=counting_scanner(calls))
    first = cache.scan(SYSTEM_PROMPT + "\u200b")
    second = cache.scan(SYSTEM_PROMPT + "\u200b")
    assert first == second and len(first) == 1
    assert len(calls) == 1 and (cache.hits, cache.misses) == (1, 1)


def test_short_strings_are_cached_too():
    calls: list[str] = []
    cache = ScanCache(scanner=counting_scanner(calls))
    cache.scan("ls -la")
    cache.scan("ls -la")
    cache.scan("ls -l\u200ba")
    assert calls == ["ls -la", "ls -l\u200ba"] and len(cache) == 2


def test_budget_evicts_the_least_recently_used():
    calls: list[str] = []
    texts = [SYSTEM_PROMPT + str(n) for n in range(20)]
    # An entry costs its text plus a fixed overhead; a budget of five and a half entries keeps five.
    entry = sys.getsizeof(texts[0]) + 160
    cache = ScanCache(max_bytes=int(5.5 * entry), scanner=counting_scanner(calls))
    for text in texts:
        cache.scan(text)
    assert len(cache) == 5 and cache.size_bytes <= 5.5 * entry
    cache.scan(texts[-1])  # still cached
    cache.scan(texts[0])  # evicted long ago
    assert calls.count(texts[-1]) == 1 and calls.count(texts[0]) == 2


def test_lone_surrogates_are_cached_like_any_text():
    calls: list[str] = []
    cache = ScanCache(scanner=counting_scanner(calls))
    cache.scan("\ud800" * 300)
    cache.scan("\ud800" * 300)
    cache.scan("\udc00" * 300)
    assert len(calls) == 2


def test_threads_share_the_cache_safely():
    calls: list[str] = []
    cache = ScanCache(scanner=counting_scanner(calls))
    texts = [SYSTEM_PROMPT + str(n) for n in range(50)]
    threads = [threading.Thread(target=lambda: [cache.scan(t) for t in texts]) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(cache) == 50 and cache.hits + cache.misses == 200
