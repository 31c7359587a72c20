"""Keep the original body of every request the proxy changed or refused (`stegwatch_keep_originals`).

Sanitize mode erases marks from what goes upstream and block mode stops requests, so the
original bytes are the evidence a user may need later (to decode a payload, to show a vendor).
The log keeps every code point, span and path, and the body's SHA-256; with a directory set,
the body itself (as it came off the wire, still compressed if it was) is written there in a
file named by that hash, mode 0600 in a 0700 directory: a prompt can hold secrets. The same
body sent twice is written once. Requests passed unchanged are not kept: the upstream has them.
"""

from __future__ import annotations

import os
from pathlib import Path


def keep_original(directory: str | os.PathLike[str], raw: bytes, sha256: str) -> Path:
    """Write ``raw`` to ``directory/<sha256>`` (0600) unless it is there already; return the path."""
    folder = Path(directory).expanduser()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = folder / sha256
    if path.exists():
        return path
    partial = folder / f".{sha256}.{os.getpid()}.partial"
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
    try:
        view = memoryview(raw)
        while view:
            written = os.write(fd, view)
            view = view[written:]
    finally:
        os.close(fd)
    # Renamed only once complete, so a crash never leaves a truncated body under the hash name.
    os.replace(partial, path)
    return path
