"""Date-format drift across requests: the add-on side of `addons.date_memory`.

Within one request the `dates` detector judges each date. Across requests, a client that
writes the same template line (``Today's date is <DATE>.``) with a new separator or a new
apostrophe while the calendar alone does not explain it is varying a mark. Only text the
client authors is remembered: the system prompt, tool definitions and injected context.
The user's own words and files change freely from turn to turn and prove nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from addons.analysis import Located
from addons.date_memory import DateLineMemory
from addons.shapes import CLIENT_AUTHORED, TextField
from detectors import Finding, Severity

DISCLOSURE_KIND = "date-disclosure"


def client_key(identity: Mapping[str, str]) -> str:
    """One client: its User-Agent and client-version headers, in a stable order.

    >>> client_key({"x-stainless-lang": "js", "user-agent": "claude-cli/2.0.1"})
    'user-agent=claude-cli/2.0.1;x-stainless-lang=js'
    """
    return ";".join(f"{name}={value}" for name, value in sorted(identity.items()))


def is_client_authored(field: TextField) -> bool:
    return field.role in CLIENT_AUTHORED or any(role in CLIENT_AUTHORED for _, _, role in field.role_spans)


def template_drift(memory: DateLineMemory, client: str, fields: Sequence[TextField]) -> list[Located]:
    """Findings for client-authored lines whose date format or punctuation changed."""
    located: list[Located] = []
    for field in fields:
        if not is_client_authored(field):
            continue
        for finding in memory.observe(client, field.path, field.text):
            if field.role_at(finding.start) in CLIENT_AUTHORED:
                located.append(Located(field, finding))
    return located


def raise_disclosures(located: Sequence[Located], severity: Severity) -> list[Located]:
    """Date and time-zone disclosures at the user's chosen severity (info by default)."""
    if severity == Severity.INFO:
        return list(located)
    return [
        Located(item.field, _with_severity(item.finding, severity)) if item.finding.kind == DISCLOSURE_KIND else item
        for item in located
    ]


def _with_severity(finding: Finding, severity: Severity) -> Finding:
    return finding.model_copy(update={"severity": max(finding.severity, severity)})
