"""The common prefix and suffix of two texts (or two lists of lines): where a difference starts and ends.

Both the side-by-side views (`addons.report`, `addons.probe_output`) and the probe's comparison
(`addons.differ`) narrow two versions of a prompt to the part that changed. Slices are compared
in C and the lengths found by bisection, so a 100 KB system prompt costs a few dozen slice
comparisons instead of a Python loop over its characters.
"""

from __future__ import annotations

from collections.abc import Sequence


def common_affixes[S: (str, Sequence[str])](a: S, b: S) -> tuple[int, int]:
    """Lengths of the common prefix and of the common suffix that does not overlap it.

    >>> common_affixes("Today's date", "Today\\u2019s date")
    (5, 6)
    >>> common_affixes(["a", "b", "c"], ["a", "x", "c"])
    (1, 1)
    >>> common_affixes("aaa", "aa")
    (2, 0)
    """
    low, high = 0, min(len(a), len(b))
    while low < high:
        middle = (low + high + 1) // 2
        if a[:middle] == b[:middle]:
            low = middle
        else:
            high = middle - 1
    prefix = low
    low, high = 0, min(len(a), len(b)) - prefix
    while low < high:
        middle = (low + high + 1) // 2
        if a[len(a) - middle:] == b[len(b) - middle:]:
            low = middle
        else:
            high = middle - 1
    return prefix, low
