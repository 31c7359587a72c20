"""Test-only mitmproxy script: make `detectors.scan` raise on text containing `TRIGGER`.

Loaded next to the add-on (``mitmdump -s addons/stegwatch.py -s tests/support/raise_on_marker.py``)
by the end-to-end tests to prove that an internal error fails open: the request must still
reach the upstream byte-identical and the log must get one ``skipped`` record with the error.
Text without the trigger is scanned normally, so the other tests can share the same proxy.
The patch is applied when mitmproxy loads the add-on, not on import, so that pytest's doctest
collection (which imports every module under ``tests/``) leaves `detectors.scan` alone.
"""

from __future__ import annotations

import detectors

TRIGGER = "STEGWATCH-FORCE-INTERNAL-ERROR"
_real_scan = detectors.scan


def _scan_or_raise(text, detectors=None):  # noqa: ANN001, ANN202 - mirrors detectors.scan
    if TRIGGER in text:
        raise RuntimeError("internal error forced by tests/support/raise_on_marker.py")
    return _real_scan(text, detectors)


class RaiseOnMarker:
    def load(self, loader: object) -> None:
        detectors.scan = _scan_or_raise


addons = [RaiseOnMarker()]
