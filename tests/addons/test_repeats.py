"""`addons.repeats`: a mark resent every turn is reported once per conversation."""

from __future__ import annotations

from addons.repeats import SeenFindings

MARK = ("$['system'][0]['text']", "system", "modifier-letter-apostrophe", ("U+02BC",))


def test_a_conversation_remembers_what_it_reported() -> None:
    memory = SeenFindings()
    memory.seen_in("claude-code session").add(MARK)
    assert MARK in memory.seen_in("claude-code session")
    assert MARK not in memory.seen_in("another session")


def test_no_conversation_key_remembers_nothing() -> None:
    memory = SeenFindings()
    memory.seen_in(None).add(MARK)
    assert memory.seen_in(None) == set()


def test_the_least_recently_used_conversation_is_forgotten_first() -> None:
    memory = SeenFindings(max_conversations=2)
    memory.seen_in("a").add(MARK)
    memory.seen_in("b").add(MARK)
    memory.seen_in("a")                     # used again: "b" is now the oldest
    memory.seen_in("c")
    assert MARK in memory.seen_in("a")
    assert MARK not in memory.seen_in("b")
