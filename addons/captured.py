"""One captured client request, however it was captured: the shared currency of offline work.

Live traffic reaches the add-on as mitmproxy flows. Offline scans (`stegwatch scan` on
``.mitm``/HAR/JSON files), baselines and ``stegwatch probe`` see the same requests from
files or from an embedded capture proxy. They all hand on a `CapturedRequest`, so that one
analysis path (`addons.analysis`) serves them all and gives the same paths, roles and
findings as live mode.

A capture holds credentials (``Authorization``, ``x-api-key``): `CapturedRequest` keeps the
headers as captured because recognition and comparison need them, and every writer of logs
or stores filters them through `addons.audit_log.client_identity`'s allow-list.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass(frozen=True)
class CapturedRequest:
    """An HTTP request, or one client->server WebSocket message, as it went on the wire.

    ``body`` is the raw request body (still compressed if ``Content-Encoding`` says so).
    For a WebSocket message ``websocket`` is true, ``method``/``url`` are those of the
    upgrade request and ``body`` is the message content (text messages UTF-8 encoded).
    ``origin`` names where it came from for messages to the user: ``capture.mitm#12``,
    ``session.har#3``, ``body.json``, ``probe cell TZ=Asia/Shanghai run 1``.
    """

    method: str
    url: str
    headers: Sequence[tuple[str, str]] = ()
    body: bytes = b""
    origin: str = ""
    websocket: bool = False
    timestamp: float | None = None
    flow_id: str | None = field(default=None, compare=False)
    # The capture kept no body although one was sent (mitmproxy's stream_large_bodies).
    body_not_kept: bool = False

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or ""

    @property
    def path(self) -> str:
        """Path and query, as mitmproxy's ``flow.request.path`` gives it."""
        parts = urlsplit(self.url)
        return parts.path + (f"?{parts.query}" if parts.query else "") or "/"

    def header(self, name: str) -> str | None:
        """Every value of header ``name`` (case-insensitive) joined with ", ", as mitmproxy's
        ``Headers.get`` gives them live (a repeated Content-Encoding is one coding chain); None
        when absent.

        >>> CapturedRequest("POST", "", (("Content-Encoding", "gzip"), ("content-encoding", "br"))).header("content-encoding")
        'gzip, br'
        """
        wanted = name.lower()
        values = [value for key, value in self.headers if key.lower() == wanted]
        return ", ".join(values) if values else None
