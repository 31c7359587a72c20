"""Produce the sanitized body: the chosen findings rewritten, every other byte as the client sent it.

The channel closed here is the code points of covert marks (a look-alike apostrophe becomes
U+0027, a zero-width or tag character is deleted) in the strings `addons.policy` chose. Each
string is rewritten by `detectors.sanitize` with exactly the findings the policy passed, and
the new strings are spliced into the original bytes (`addons.splice`), so key order,
whitespace, numbers and the escaping style of the client stay, and the upstream sees no sign
of a proxy. Left alone: everything else, and a body with nothing to apply is returned as the
very same object, never re-serialised. A compressed body is compressed again with the same
Content-Encoding chain (the compressed bytes differ, the coding does not).

Pure apart from mitmproxy's codecs; runs on a worker thread for large bodies.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from mitmproxy.net import encoding

from addons.policy import Rewrite
from addons.shapes import TextField
from addons.splice import splice
from detectors import Finding, Severity, sanitize

# Rewritten strings remembered across requests (each entry holds the string and its result).
SETTLED_STRINGS = 256


@dataclass(frozen=True)
class SanitizedBody:
    """The new (decoded) body and the findings applied to it, by JSON path."""

    body: bytes
    applied: list[tuple[str, Finding]] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.applied)


def sanitize_body(decoded: bytes, plan: Sequence[Rewrite]) -> SanitizedBody:
    """``decoded`` with each planned string rewritten; the same object when nothing applies.

    >>> from addons.shapes import Role, TextField
    >>> from detectors.base import make_finding
    >>> body = b'{"system": "It\\\\u02bcs  late", "n": 1.0}'
    >>> text = "It\\u02bcs  late"
    >>> mark = make_finding("a", "k", text, 2, 3, Severity.HIGH, "m", replacement="'")
    >>> sanitize_body(body, [Rewrite(TextField("$['system']", Role.SYSTEM, text), (mark,))]).body
    b'{"system": "It\\'s  late", "n": 1.0}'
    """
    replacements: dict[str, str] = {}
    applied: list[tuple[str, Finding]] = []
    for rewrite in plan:
        text, findings = settle(rewrite)
        if text != rewrite.field.text:
            replacements[rewrite.field.path] = text
            applied.extend((rewrite.field.path, finding) for finding in findings)
    if not replacements:
        return SanitizedBody(decoded)
    return SanitizedBody(splice(decoded, replacements), applied)


@dataclass(frozen=True)
class _SettleKey:
    """What `settle`'s result depends on; the rewrite rides along uncompared."""

    text_field: TextField
    min_severity: Severity
    scope: str
    marks: tuple[tuple[int, int, str | None, str], ...]
    rewrite: Rewrite = field(compare=False, hash=False)


def settle(rewrite: Rewrite) -> tuple[str, list[Finding]]:
    """`_settle` remembered: an agent resends the same marked system prompt on every turn, and
    rescanning its rewritten text each time would cost more than the rest of sanitizing."""
    marks = tuple((f.start, f.end, f.replacement, f.kind) for f in rewrite.findings)
    text, applied = _settle_remembered(_SettleKey(rewrite.field, rewrite.min_severity, rewrite.scope, marks, rewrite))
    return text, list(applied)


@lru_cache(maxsize=SETTLED_STRINGS)
def _settle_remembered(key: _SettleKey) -> tuple[str, tuple[Finding, ...]]:
    text, applied = _settle(key.rewrite)
    return text, tuple(applied)


def _settle(rewrite: Rewrite) -> tuple[str, list[Finding]]:
    """The string with the planned findings applied, then rescanned and rewritten again until
    nothing the policy accepts is left (`detectors.sanitize`); and every finding applied, in
    the original's offsets.

    >>> from addons.shapes import Role, TextField
    >>> from detectors import scan
    >>> text = "Use the pa\U0001d564sw\u0430rd field."
    >>> alarms = tuple(f for f in scan(text) if f.severity >= Severity.MEDIUM)
    >>> [f.kind for f in alarms]
    ['homoglyph']
    >>> new, applied = settle(Rewrite(TextField("$['system']", Role.SYSTEM, text), alarms))
    >>> new, [(f.kind, f.start, f.end) for f in applied]
    ('Use the passward field.', [('homoglyph', 13, 14), ('compatibility-in-word', 10, 11)])
    """
    # The policy already applied the threshold to the planned findings; INFO lets them all
    # through, and `accepts` judges what the rescans find.
    result = sanitize(rewrite.field.text, Severity.INFO, findings=rewrite.findings, accept=rewrite.accepts)
    return result.text, result.applied


def encode_body(decoded: bytes, content_encoding: str | None) -> bytes:
    """``decoded`` compressed again with the codings of ``content_encoding``, in their order.

    >>> from addons.shapes import decode_body
    >>> decode_body(encode_body(b'{"a": 1}', "gzip, br"), "gzip, br")
    b'{"a": 1}'
    """
    data = decoded
    for coding in (content_encoding or "").split(","):
        coding = coding.strip().lower()
        if coding in ("", "identity"):
            continue
        data = encoding.encode(data, "gzip" if coding == "x-gzip" else coding)
    return data
