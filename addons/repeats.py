"""Which findings a conversation has already reported, so a mark resent every turn is said once.

An agent resends its whole history on every turn: a mark in the system prompt reaches the
proxy again with each request. The add-on and the offline scan both report such a finding in
full the first time and as ``repeat`` afterwards. A conversation is `addons.analysis`'s
conversation key; memory is bounded, the least recently used conversation forgotten first.
"""

from __future__ import annotations

from collections import OrderedDict

# Conversations remembered; the oldest is forgotten first.
MAX_CONVERSATIONS = 4096

FindingIdentity = tuple[str, str, str, tuple[str, ...]]


class SeenFindings:
    """Per conversation, the identities of the findings reported so far."""

    def __init__(self, max_conversations: int = MAX_CONVERSATIONS) -> None:
        self.max_conversations = max_conversations
        self._seen: OrderedDict[str, set[FindingIdentity]] = OrderedDict()

    def seen_in(self, conversation: str | None) -> set[FindingIdentity]:
        """The (mutable) set for ``conversation``; a fresh throw-away set when there is none.

        >>> memory = SeenFindings(max_conversations=1)
        >>> memory.seen_in("a").add(("$", "system", "k", ("U+2019",)))
        >>> len(memory.seen_in("a")), len(memory.seen_in("b")), len(memory.seen_in("a"))
        (1, 0, 0)
        """
        if conversation is None:
            return set()
        seen = self._seen.get(conversation)
        if seen is None:
            seen = self._seen[conversation] = set()
            if len(self._seen) > self.max_conversations:
                self._seen.popitem(last=False)
        else:
            self._seen.move_to_end(conversation)
        return seen
