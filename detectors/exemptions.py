"""Named predicates for legitimate text that looks like a covert channel.

Each predicate answers one question about a position in a text, with explicit arguments,
and says in its docstring *why* the use is legitimate. Detectors call them by name so that
a reader sees every exemption in one place, as detect-secrets' ``filters/heuristic.py`` does.
"""

from __future__ import annotations
