"""`addons.evidence`: originals kept privately, named by their hash, written once."""

from __future__ import annotations

import hashlib
import stat

from addons.evidence import keep_original


def test_original_is_written_0600_in_a_0700_directory(tmp_path):
    raw = b'{"system": "You are Claude Code, Anthropic\\u02bcs official CLI for Claude."}'
    sha = hashlib.sha256(raw).hexdigest()
    path = keep_original(tmp_path / "originals", raw, sha)
    assert path.name == sha and path.read_bytes() == raw
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert [p.name for p in path.parent.iterdir()] == [sha]  # no partial file left behind


def test_the_same_body_is_written_once(tmp_path):
    raw = b"{}"
    sha = hashlib.sha256(raw).hexdigest()
    first = keep_original(tmp_path, raw, sha)
    mtime = first.stat().st_mtime_ns
    assert keep_original(tmp_path, raw, sha) == first and first.stat().st_mtime_ns == mtime
