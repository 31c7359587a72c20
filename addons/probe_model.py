"""What ``stegwatch probe`` records and concludes: cells, their captures, classified differences.

A *cell* is one environment the agent ran under: the reference environment with at most one
variable changed (or, with ``--full``, a combination). The runner (`addons.probe`) runs the
agent once per cell, twice for the reference cell, and collects what the agent sent as
`CellCapture` records. The comparison (`addons.differ`) aligns the captures of each variant
cell with the reference and classifies each difference; the outputs (terminal, JSON, HTML,
``stegwatch report --probe``) read `ProbeResult`.

A difference is **explained** when it encodes the varied value itself (the zone name, the
clock time moving with ``TZ``, the user's name in a home path), **unexplained** when the code
points differ in a way that does not encode it (a changed apostrophe or date separator, an
invisible character, a field that appears or vanishes), and **noise** when it also differs
between two runs of the reference cell (request ids, timestamps, random boundaries).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from addons.captured import CapturedRequest

Classification = Literal["explained", "unexplained", "noise"]
Where = Literal["body", "header", "request"]


class Cell(BaseModel):
    """One environment: the variables set for the agent on top of the reference environment."""

    model_config = ConfigDict(frozen=True)

    name: str                                   # "reference", "TZ=Asia/Shanghai", ...
    environment: dict[str, str]                 # every probed variable's value in this cell
    varied: dict[str, str] = Field(default_factory=dict)  # the variables that differ from the reference


class CellCapture(BaseModel):
    """What the agent sent during one run of one cell, in the order it was sent."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    cell: Cell
    run: int                                    # 1, or 2 for the reference cell's noise run
    exit_status: int | None
    duration_s: float
    requests: list[CapturedRequest]


class Difference(BaseModel):
    """One aligned difference between the reference cell and a variant cell."""

    model_config = ConfigDict(frozen=True)

    classification: Classification
    variable: str                               # the variable that toggles it ("TZ", "ANTHROPIC_BASE_URL")
    cell: str                                   # the variant cell's name
    api: str                                    # "anthropic-messages", ..., or "other" for telemetry
    request: str                                # how the request is aligned: "POST /v1/messages #1"
    where: Where
    path: str                                   # JSON path (RFC 9535, `#json` continuation) or header name
    reference: str | None                       # None: absent in the reference (it appeared)
    variant: str | None                         # None: absent in the variant (it vanished)
    reference_revealed: str | None              # hidden / look-alike characters as ⟦U+XXXX⟧
    variant_revealed: str | None
    codepoints: list[str] = Field(default_factory=list)  # the code points that changed, "U+XXXX"
    reason: str                                 # why it is explained / unexplained / noise
    disclosure: bool = False                    # explained, but it tells the server the varied value


class ProbeResult(BaseModel):
    """A whole probe: the command, the cells, every difference, and a verdict."""

    command: list[str]
    reference: Cell
    cells: list[Cell]
    differences: list[Difference]
    runs: list[dict[str, object]] = Field(default_factory=list)  # per run: cell, run, exit status, duration, request count

    @property
    def unexplained(self) -> list[Difference]:
        return [d for d in self.differences if d.classification == "unexplained"]
