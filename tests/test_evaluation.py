"""Issue 3's quality bar, measured by `scripts/evaluate.py` on real multilingual text.

These tests fail until every channel is detected and no language raises false alarms; the
targets are the issue's and must not be loosened to make them pass. `make eval` prints the
same figures as tables, with the first misses and false alarms revealed.
"""

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # scripts/ is a plain folder beside the packages, not installed
    sys.path.insert(0, str(ROOT))

from scripts import eval_corpus as corpus_module  # noqa: E402
from scripts import evaluate as evaluation  # noqa: E402

REQUIRED_LANGUAGES = {"zh_Hans", "ja", "ko", "ar", "fa", "hi", "ru", "uk", "fr", "de"}


@pytest.fixture(scope="module")
def report():
    return evaluation.evaluate()


# --- the corpus is real, wide and deterministic ----------------------------------------------

def test_corpus_has_the_required_languages_and_agent_text(report):
    languages = set(report.flagged_by_source) & set(corpus_module.LANGUAGES)
    assert REQUIRED_LANGUAGES <= languages and len(languages) >= 10
    for source, tally in report.flagged_by_source.items():
        assert tally.total >= 10, f"{source} has only {tally.total} clean paragraphs"
    assert {"en", "prompts", "code", "shell"} <= set(report.flagged_by_source)


def test_every_channel_gets_its_full_share_of_cases(report):
    for channel, tally in report.recall_by_channel.items():
        assert tally.total == evaluation.CASES_PER_CHANNEL, channel


def test_injection_is_deterministic_and_puts_a_hidden_or_non_ascii_mark_in_the_span():
    corpus = corpus_module.clean_corpus()
    first = list(corpus_module.inject_cases(corpus, per_channel=6))
    assert first == list(corpus_module.inject_cases(corpus, per_channel=6))
    for case in first:
        span = case.text[case.start:case.end]
        assert span and any(not ch.isascii() or not ch.isprintable() for ch in span), case


def test_real_marks_list_has_no_stale_entries(report):
    assert report.stale_real_marks == []


# --- the targets of issue 3, section 6 -------------------------------------------------------

def test_overall_recall_is_at_least_99_percent(report):
    assert report.recall >= evaluation.TARGET_RECALL_OVERALL


def test_every_channel_has_at_least_95_percent_recall(report):
    weak = {
        channel: f"{tally.rate:.1%}; e.g. {tally.examples[:2]}"
        for channel, tally in report.recall_by_channel.items()
        if tally.rate < evaluation.TARGET_RECALL_PER_CHANNEL
    }
    assert weak == {}


def test_clean_paragraphs_raise_no_alarm_in_any_language(report):
    noisy = {
        source: f"{tally.hits}/{tally.total}; e.g. {tally.examples[:2]}"
        for source, tally in report.flagged_by_source.items()
        if tally.rate > evaluation.TARGET_CLEAN_FLAGGED_MAX
    }
    assert noisy == {}


def test_no_alarm_on_any_fully_qualified_emoji(report):
    assert report.emoji.total > 7000  # every sequence, alone and in a sentence
    assert report.emoji.hits == 0, report.emoji.examples
