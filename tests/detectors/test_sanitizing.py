"""`sanitize` settles: it rescans what it wrote until a second call would change nothing.

The marks go into real agent system prompts, next to each other, as someone hiding several
bits in one word would put them; the look-alikes come from UTS #39 confusables and the
invisible characters from the Unicode tables, never from a hand-typed list.
"""

from __future__ import annotations

from functools import cache

from glyphguard._data import ucd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from detectors import SanitizeStep, Severity, _tables, replay, sanitize, scan
from detectors.sanitizing import _Offsets
from tests.support.detector_findings import PROMPTS, read_prompt


@cache
def paragraphs() -> tuple[str, ...]:
    """The paragraphs of every real agent prompt in the test data."""
    return tuple(
        paragraph for path in sorted(PROMPTS.glob("*.txt"))
        for paragraph in path.read_text(encoding="utf-8").split("\n\n") if 40 < len(paragraph) < 1500
    )


@cache
def look_alikes() -> tuple[int, ...]:
    """Code points UTS #39 says pass for one printable ASCII character."""
    return tuple(
        cp for cp, target in zip(ucd.CONFUSABLE_SOURCES, ucd.CONFUSABLE_TARGETS, strict=True)
        if cp >= 0x80 and len(target) == 1 and 0x20 <= target[0] < 0x7F
    )


@cache
def invisibles() -> tuple[int, ...]:
    return tuple(cp for low, high in [*_tables.FORMAT, *_tables.SPACE_SEPARATOR] for cp in range(low, high + 1))


def test_a_mark_its_neighbour_hid_is_rewritten_in_the_same_call() -> None:
    # A mathematical s in a word with a Cyrillic a is low: the word is not plain ASCII. Once
    # the Cyrillic a is rewritten, it is medium; a single-pass sanitize left it for the next call.
    line = "Use the pa\U0001d564sw\u0430rd field."
    assert [(f.kind, f.severity) for f in scan(line)] == [
        ("compatibility", Severity.LOW), ("homoglyph", Severity.MEDIUM),
    ]
    result = sanitize(line)
    assert result.text == "Use the passward field."
    assert sanitize(result.text).text == result.text
    assert [(step.start, step.end, step.replacement) for step in result.steps] == [(10, 11, "s"), (13, 14, "a")]
    assert [finding.start for finding in result.applied] == [13, 10]  # in the order the rounds found them


def test_a_later_rewrite_over_an_earlier_one_is_one_step_on_the_original() -> None:
    prompt = read_prompt("claude_code.txt")
    at = prompt.index("referencing") + len("referencing ")
    # A styled s and K around a tag character, then an Arabic sign: the tag character goes
    # first, and the styled word it split is only whole (and rewritten) in the next round.
    marked = prompt[:at] + "\U0001d564\U000e0075\U0001d542\u0601" + prompt[at + 2:]
    result = sanitize(marked)
    assert replay(marked, result.steps) == result.text
    merged = [step for step in result.steps if ", " in step.reason]
    assert merged and merged[0].original == marked[merged[0].start:merged[0].end]
    assert sanitize(result.text).text == result.text


def test_accept_narrows_every_round() -> None:
    line = "Use the pa\U0001d564\u0430word field."
    only_homoglyphs = sanitize(line, accept=lambda finding: finding.detector == "homoglyph")
    assert only_homoglyphs.text == "Use the pa\U0001d564aword field."
    assert [finding.detector for finding in only_homoglyphs.applied] == ["homoglyph"]


def test_text_with_nothing_to_rewrite_comes_back_as_it_was() -> None:
    prompt = read_prompt("claude_code.txt")
    result = sanitize(prompt)
    assert result.text == prompt and result.steps == [] and result.applied == []


MARK = st.tuples(
    st.integers(-6, 6),  # where, around the chosen place
    st.one_of(st.sampled_from(look_alikes()), st.sampled_from(invisibles())).map(chr),
    st.booleans(),  # in place of the character there, or before it
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(paragraphs()), st.floats(0, 1), st.lists(MARK, min_size=1, max_size=4))
def test_marks_side_by_side_in_a_real_prompt_sanitize_once_for_all(paragraph: str, where: float, marks) -> None:
    chars = list(paragraph)
    place = int(where * (len(chars) - 1))
    for shift, mark, in_place in marks:
        index = min(len(chars) - 1, max(0, place + shift))
        chars[index:index + in_place] = [mark]
    text = "".join(chars)
    result = sanitize(text)
    assert sanitize(result.text).text == result.text
    assert replay(text, result.steps) == result.text
    assert all(step.original == text[step.start:step.end] for step in result.steps)
    assert all(left.end <= right.start for left, right in zip(result.steps, result.steps[1:]))
    covered = {offset for finding in result.applied for offset in range(finding.start, finding.end)}
    assert all(offset in covered for step in result.steps for offset in range(step.start, step.end))


def test_findings_given_alone_are_applied_as_chosen() -> None:
    line = "Use the pa\U0001d564\u0430word field."
    homoglyph = [finding for finding in scan(line) if finding.detector == "homoglyph"]
    assert sanitize(line, findings=homoglyph).text == "Use the pa\U0001d564aword field."
    assert sanitize(line, findings=homoglyph, accept=lambda finding: True).text == "Use the pasaword field."


def _back_by_walking(position: int, steps: list, at_end: bool) -> int:
    """The plain walk over the steps that `_Offsets.back` bisects (the add-on's former code)."""
    shift = 0
    for step in steps:
        start_now = step.start + shift
        end_now = start_now + len(step.replacement)
        if position < start_now or (at_end and position == start_now):
            break
        if position < end_now or (at_end and position == end_now):
            return step.end if at_end else step.start
        shift += len(step.replacement) - (step.end - step.start)
    return position - shift


STEP = st.tuples(st.integers(0, 3), st.integers(1, 3), st.sampled_from(["", "'", "ab", "xyz"]))


@settings(max_examples=200, deadline=None)
@given(st.lists(STEP, max_size=8))
def test_offsets_map_back_as_the_plain_walk_does(gaps_and_steps) -> None:
    steps, cursor = [], 0
    for gap, length, replacement in gaps_and_steps:
        start = cursor + gap
        steps.append(SanitizeStep(start=start, end=start + length, original="?" * length, replacement=replacement, reason="r"))
        cursor = start + length
    offsets = _Offsets(steps)
    rewritten_length = cursor + 3 + sum(len(s.replacement) - (s.end - s.start) for s in steps)
    for position in range(rewritten_length + 1):
        for at_end in (False, True):
            assert offsets.back(position, at_end=at_end) == _back_by_walking(position, steps, at_end)
