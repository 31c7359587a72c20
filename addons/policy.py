"""What sanitize and block modes act on: which findings get rewritten, and which stop a request.

The channel is the text a client adds on its own (system prompt, instructions, developer
messages, tool definitions, the context blocks it injects into user messages): that is where a
client hides a mark, so the default sanitize scope, ``client``, rewrites only there. Text the
user typed and the model wrote joins with ``conversation``; tool inputs and tool results (files
and command output the agent read) only with ``all``, because rewriting them would change the
agent's view of the user's own files. Fields the shapes module does not know (``metadata``,
such as ``model`` or ``metadata.user_id``) are the client's too and count as ``client``.

Member names (paths ending in ``~``) are reported and never rewritten: RFC 9535 cannot address
a name, so a splice cannot reach it, and renaming a key would change what the server reads.

Block mode looks at every role, whatever the sanitize scope: it rewrites nothing, it only
refuses to let a mark leave the machine, and a mark in a tool result leaves it as surely as one
in the system prompt.

Pure: no mitmproxy import.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from addons.analysis import Located
from addons.shapes import NAME_SUFFIX, Role, TextField
from detectors import Finding, Severity

_CLIENT = frozenset({Role.SYSTEM, Role.TOOL_DEFINITION, Role.CLIENT_CONTEXT, Role.METADATA})
_CONVERSATION = _CLIENT | {Role.USER, Role.ASSISTANT}
_ALL = _CONVERSATION | {Role.TOOL_CALL, Role.TOOL_RESULT}

SCOPES: Mapping[str, frozenset[Role]] = {"client": _CLIENT, "conversation": _CONVERSATION, "all": _ALL}
FAILURE_POLICIES = ("open", "closed")


@dataclass(frozen=True)
class Rewrite:
    """The findings to apply to one string of the body, and the policy for what a rescan of
    the rewritten string turns up (offsets of the original string)."""

    field: TextField
    findings: tuple[Finding, ...]
    min_severity: Severity = Severity.MEDIUM
    scope: str = "client"

    def accepts(self, finding: Finding) -> bool:
        return applies(Located(self.field, finding), self.min_severity, self.scope)


def in_scope(item: Located, scope: str) -> bool:
    """Whether sanitize mode may rewrite the text at ``item``'s finding.

    >>> from addons.shapes import TextField
    >>> from detectors.base import make_finding
    >>> text = "<system-reminder>x</system-reminder> hi"
    >>> reminder = TextField("$['messages'][0]['content']", Role.USER, text, ((0, 36, Role.CLIENT_CONTEXT),))
    >>> finding = make_finding("d", "k", text, 17, 18, Severity.HIGH, "m")
    >>> in_scope(Located(reminder, finding), "client"), in_scope(Located(reminder, finding.model_copy(update={"start": 37, "end": 38})), "client")
    (True, False)
    """
    if item.field.path.endswith(NAME_SUFFIX):
        return False
    return item.field.role_at(item.finding.start) in SCOPES[scope]


def applies(item: Located, min_severity: Severity, scope: str) -> bool:
    """Whether sanitize mode writes ``item``'s replacement over it."""
    finding = item.finding
    if finding.replacement is None or finding.severity < min_severity or finding.end <= finding.start:
        return False
    return in_scope(item, scope)


def rewrites(located: Iterable[Located], min_severity: Severity, scope: str) -> list[Rewrite]:
    """The strings to rewrite and, for each, the in-scope findings at or above ``min_severity``
    that have a replacement; strings with nothing to apply are left out, in body order."""
    by_path: dict[str, tuple[TextField, list[Finding]]] = {}
    for item in located:
        if not applies(item, min_severity, scope):
            continue
        finding = item.finding
        entry = by_path.setdefault(item.field.path, (item.field, []))
        entry[1].append(finding)
    return [Rewrite(text_field, tuple(findings), min_severity, scope) for text_field, findings in by_path.values()]


def blocking(located: Iterable[Located], min_severity: Severity) -> list[Located]:
    """The findings, in any role, that make block mode refuse the request."""
    return [item for item in located if item.finding.severity >= min_severity]


def describe_block(hits: Sequence[Located], min_severity: Severity, shown: int = 3) -> str:
    """A message an SDK shows its user: what was found, where, and why the request stopped.

    >>> from addons.shapes import TextField
    >>> from detectors.base import make_finding
    >>> text = "It\\u02bcs 2026"
    >>> hit = Located(TextField("$['system']", Role.SYSTEM, text), make_finding("apostrophe", "modifier-letter-apostrophe", text, 2, 3, Severity.HIGH, "m"))
    >>> print(describe_block([hit], Severity.HIGH))
    stegwatch blocked this request: 1 covert-mark finding at or above high (stegwatch_block_min_severity): apostrophe/modifier-letter-apostrophe U+02BC in system text at $['system']
    """
    count = f"{len(hits)} covert-mark finding{'s' if len(hits) != 1 else ''}"
    named = "; ".join(_describe(item) for item in hits[:shown])
    more = f"; and {len(hits) - shown} more (see the stegwatch log)" if len(hits) > shown else ""
    return f"stegwatch blocked this request: {count} at or above {min_severity} (stegwatch_block_min_severity): {named}{more}"


def _describe(item: Located) -> str:
    codepoints = " ".join(item.finding.codepoints[:8]) + (" ..." if len(item.finding.codepoints) > 8 else "")
    return f"{item.finding.detector}/{item.finding.kind} {codepoints} in {item.role} text at {item.field.path}"
