"""The data every detector returns: `Severity` and `Finding`."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class Severity(StrEnum):
    """How alarming a finding is. Ordered ``info < low < medium < high``; serialises lower-case.

    >>> Severity.LOW < Severity.MEDIUM <= Severity.HIGH
    True
    >>> Severity.parse("Medium")
    <Severity.MEDIUM: 'medium'>
    """

    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"

    @property
    def rank(self) -> int:
        return _RANK[self]

    @classmethod
    def parse(cls, value: str | Severity) -> Severity:
        try:
            return cls(str(value).strip().lower())
        except ValueError:
            raise ValueError(f"unknown severity {value!r}; expected one of {', '.join(cls)}") from None

    # str's own ordering would compare the names alphabetically.
    def __lt__(self, other: object) -> bool:
        return self.rank < _rank_of(other)

    def __le__(self, other: object) -> bool:
        return self.rank <= _rank_of(other)

    def __gt__(self, other: object) -> bool:
        return self.rank > _rank_of(other)

    def __ge__(self, other: object) -> bool:
        return self.rank >= _rank_of(other)

    __hash__ = StrEnum.__hash__


_RANK = {Severity.INFO: 0, Severity.LOW: 1, Severity.MEDIUM: 2, Severity.HIGH: 3}


def _rank_of(other: object) -> int:
    if isinstance(other, Severity):
        return other.rank
    if isinstance(other, str):
        return Severity.parse(other).rank
    raise TypeError(f"cannot compare Severity with {type(other).__name__}")


class Finding(BaseModel):
    """One suspicious span of a scanned string.

    Offsets are code-point offsets into the scanned ``str`` (end exclusive).
    ``replacement`` is what `sanitize` writes over the span: ``""`` deletes it, ``None``
    leaves it alone. ``payload`` is the decoded hidden message where the channel carries one.
    """

    model_config = ConfigDict(frozen=True)

    detector: str
    kind: str
    start: int
    end: int
    text: str
    codepoints: list[str]
    severity: Severity
    message: str
    replacement: str | None = None
    payload: str | None = None

    def identity(self) -> tuple[str, str, tuple[str, ...]]:
        """What stays the same when the span moves: detector, kind and code points."""
        return (self.detector, self.kind, tuple(self.codepoints))
