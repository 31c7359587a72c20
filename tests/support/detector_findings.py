"""What the detector tests ask of one detector, and the real agent prompts they mark.

Each detector test module binds the two helpers to its own detector, e.g.
``alarms = partial(alarms_of, DETECTOR)``, so its tests read ``alarms(text)``.
"""

from __future__ import annotations

from pathlib import Path

from detectors.base import Detector
from detectors.model import Finding, Severity

PROMPTS = Path(__file__).resolve().parents[1] / "data" / "prompts"


def findings_of(detector: Detector, text: str) -> list[Finding]:
    return list(detector.find(text))


def alarms_of(detector: Detector, text: str) -> list[Finding]:
    """The findings that raise an alarm: those of medium severity or more."""
    return [f for f in detector.find(text) if f.severity >= Severity.MEDIUM]


def read_prompt(name: str) -> str:
    """The text of ``tests/data/prompts/<name>``, a system prompt a real agent sent."""
    return (PROMPTS / name).read_text(encoding="utf-8")


def prompt_with_marked_line(name: str, line: str, marked: str) -> tuple[str, str]:
    """The prompt ``name`` as sent, and with its first ``line`` replaced by ``marked``."""
    original = read_prompt(name)
    assert line in original
    return original, original.replace(line, marked, 1)
