"""SARIF 2.1.0 output of ``stegwatch scan``, so that findings load into code-scanning dashboards.

One run, with ``tool.driver`` ``stegwatch`` and one rule per detector and kind seen
(``invisible/zero-width``), described from the detector's own docstring. Each result maps
the severity to a SARIF level (high: error, medium: warning, low and info: note) and points
at the file it was found in:

- a text file gets a region with ``startLine``/``startColumn``/``endColumn`` and
  ``charOffset``/``charLength``, all in code points (``run.columnKind`` says
  ``unicodeCodePoints``, the unit of every offset in stegwatch);
- a capture has no meaningful region in its file (a ``.mitm`` dump is binary and the string
  was decoded from JSON), so the result carries a logical location naming the request and
  the RFC 9535 JSON path, ``capture.mitm#3$['system'][0]['text']``, and the code-point
  offsets inside that string in its properties.

``partialFingerprints`` hold a digest of the finding's identity (detector, kind, JSON path,
code points; never offsets), so a dashboard recognises the same mark in the next capture.
A mark that an agent resends on every turn is one result, at its first request. Files that
could not be read become ``toolExecutionNotifications`` and ``executionSuccessful: false``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from urllib.parse import quote

from addons.offline_scan import FileResult, Hit, ScanError, dump_json, fingerprint
from detectors import Severity

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
INFORMATION_URI = "https://github.com/stegwatch/stegwatch"
FINGERPRINT_KEY = "stegwatchFindingIdentity/v1"
LEVELS = {Severity.HIGH: "error", Severity.MEDIUM: "warning", Severity.LOW: "note", Severity.INFO: "note"}
# GitHub code scanning ranks security results by this property (CVSS-like, 0.0 to 10.0).
SECURITY_SEVERITY = {Severity.HIGH: "8.0", Severity.MEDIUM: "5.0", Severity.LOW: "2.0", Severity.INFO: "0.0"}


def level(severity: Severity) -> str:
    """The SARIF level of a severity.

    >>> level(Severity.HIGH), level(Severity.MEDIUM), level(Severity.LOW), level(Severity.INFO)
    ('error', 'warning', 'note', 'note')
    """
    return LEVELS[severity]


def artifact_uri(file: str) -> str:
    """A URI reference for a path: relative paths stay relative (a dashboard resolves them
    against the checkout), absolute ones become ``file://`` URIs.

    >>> artifact_uri("captures/day 1.mitm")
    'captures/day%201.mitm'
    >>> artifact_uri("/tmp/a.har")
    'file:///tmp/a.har'
    """
    path = Path(file)
    if path.is_absolute():
        return path.as_uri()
    return quote(path.as_posix(), safe="/")


def render_sarif(results: Sequence[FileResult], errors: Sequence[ScanError], threshold: Severity) -> str:
    """The SARIF log of a scan, as JSON text."""
    return dump_json(sarif_log(results, errors, threshold))


def sarif_log(results: Sequence[FileResult], errors: Sequence[ScanError], threshold: Severity) -> dict[str, object]:
    rule_ids: dict[str, int] = {}
    rules: list[dict[str, object]] = []
    sarif_results: list[dict[str, object]] = []
    for file_result in results:
        for hit in file_result.hits:
            if hit.repeat:
                continue
            rule_id = f"{hit.finding.detector}/{hit.finding.kind}"
            if rule_id not in rule_ids:
                rule_ids[rule_id] = len(rules)
                rules.append(_rule(hit))
            sarif_results.append(_result(hit, rule_id, rule_ids[rule_id]))
    invocation: dict[str, object] = {
        "executionSuccessful": not errors,
        "properties": {"minSeverity": str(threshold)},
    }
    if errors:
        invocation["toolExecutionNotifications"] = [_notification(error) for error in errors]
    run = {
        "tool": {
            "driver": {
                "name": "stegwatch",
                "semanticVersion": _version(),
                "informationUri": INFORMATION_URI,
                "rules": rules,
            }
        },
        "invocations": [invocation],
        "columnKind": "unicodeCodePoints",
        "results": sarif_results,
    }
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


def _rule(hit: Hit) -> dict[str, object]:
    detector, kind = hit.finding.detector, hit.finding.kind
    summary = _detector_summary(detector)
    return {
        "id": f"{detector}/{kind}",
        "name": "".join(part.capitalize() for part in f"{detector}-{kind}".replace("/", "-").split("-")),
        "shortDescription": {"text": f"{detector}: {kind.replace('-', ' ')}"},
        "fullDescription": {"text": summary},
        "help": {
            "text": f"{summary} Look at the revealed context: each hidden or look-alike character is written "
            "as ⟦U+XXXX⟧. `stegwatch explain TEXT` lists every character of a string with the detectors' "
            "verdict; `stegwatch run --set stegwatch_mode=sanitize` rewrites such marks on the way out."
        },
        "defaultConfiguration": {"level": level(hit.finding.severity)},
        "properties": {"tags": ["security", "steganography", detector], "security-severity": SECURITY_SEVERITY[hit.finding.severity]},
    }


def _detector_summary(name: str) -> str:
    """The first line of the detector's own docstring (the registry is the source of truth)."""
    from detectors.registry import DEFAULT_DETECTORS

    for detector in DEFAULT_DETECTORS:
        if detector.name == name:
            doc = (type(detector).__doc__ or sys.modules[type(detector).__module__].__doc__ or "").strip()
            if doc:
                return doc.splitlines()[0]
    return f"Findings of the {name} detector."


def _result(hit: Hit, rule_id: str, rule_index: int) -> dict[str, object]:
    finding = hit.finding
    location: dict[str, object] = {"physicalLocation": {"artifactLocation": _artifact(hit.file)}}
    properties: dict[str, object] = {
        "severity": str(finding.severity),
        "detector": finding.detector,
        "codepoints": finding.codepoints,
        "context": hit.context,
    }
    where = ""
    if hit.json_path is None:
        location["physicalLocation"]["region"] = {  # type: ignore[index]
            "startLine": hit.line,
            "startColumn": hit.column,
            "endColumn": (hit.column or 1) + finding.end - finding.start,
            "charOffset": finding.start,
            "charLength": finding.end - finding.start,
        }
    else:
        location["logicalLocations"] = [
            {"name": hit.json_path, "fullyQualifiedName": f"{hit.origin}{hit.json_path}", "kind": "value"}
        ]
        properties.update(
            {"origin": hit.origin, "api": hit.api, "jsonPath": hit.json_path, "role": hit.role,
             "stringOffset": finding.start, "stringLength": finding.end - finding.start}
        )
        where = f" in the {hit.role} text at {hit.json_path} of {hit.origin}"
    if finding.payload is not None:
        properties["payload"] = finding.payload
    return {
        "ruleId": rule_id,
        "ruleIndex": rule_index,
        "level": level(finding.severity),
        "message": {"text": f"{finding.message}{where}. Context: {hit.context}"},
        "locations": [location],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint(hit)},
        "properties": properties,
    }


def _artifact(file: str) -> dict[str, object]:
    if file == "<stdin>":
        return {"description": {"text": "standard input"}}
    return {"uri": artifact_uri(file)}


def _notification(error: ScanError) -> dict[str, object]:
    notification: dict[str, object] = {"level": "error", "message": {"text": error.message}}
    if error.file != "<stdin>":
        physical: dict[str, object] = {"artifactLocation": _artifact(error.file)}
        if error.offset is not None and error.unit == "byte":
            physical["region"] = {"byteOffset": error.offset}
        notification["locations"] = [{"physicalLocation": physical}]
    return notification


def _version() -> str:
    try:
        return metadata.version("stegwatch")
    except metadata.PackageNotFoundError:
        return "0.0.0"
