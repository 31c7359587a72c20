"""The explicit registry of detectors that `detectors.scan` runs by default.

Order is priority: when two detectors report the very same span with the same severity,
the earlier one's finding is kept. `docs/detectors.md` gives each detector one line.
"""

from __future__ import annotations

from detectors.base import Detector
from detectors.bidi import BidiDetector
from detectors.combining import CombiningMarksDetector
from detectors.control import ControlDetector
from detectors.dates import DatesDetector
from detectors.digits import LookalikeDigitDetector
from detectors.homoglyphs import HomoglyphDetector
from detectors.invisible import InvisibleDetector
from detectors.line_endings import LineEndingDetector
from detectors.normalization import NormalizationDetector
from detectors.punctuation import LookalikePunctuationDetector
from detectors.reserved import ReservedDetector
from detectors.space_runs import SpaceRunDetector
from detectors.spaces import LookalikeSpaceDetector
from detectors.tag_smuggling import TagSmugglingDetector
from detectors.trailing_whitespace import TrailingWhitespaceDetector
from detectors.variation_selectors import VariationSelectorDetector

DEFAULT_DETECTORS: tuple[Detector, ...] = (
    TagSmugglingDetector(),
    VariationSelectorDetector(),
    InvisibleDetector(),
    BidiDetector(),
    ControlDetector(),
    LineEndingDetector(),
    TrailingWhitespaceDetector(),
    SpaceRunDetector(),
    ReservedDetector(),
    LookalikePunctuationDetector(),
    LookalikeSpaceDetector(),
    LookalikeDigitDetector(),
    HomoglyphDetector(),
    NormalizationDetector(),
    CombiningMarksDetector(),
    DatesDetector(),
)
