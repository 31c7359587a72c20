"""The explicit registry of detectors that `detectors.scan` runs by default.

Order is priority: when two detectors report the very same span with the same severity,
the earlier one's finding is kept. `docs/detectors.md` gives each detector one line.
"""

from __future__ import annotations

from detectors.base import Detector

DEFAULT_DETECTORS: tuple[Detector, ...] = (
)
