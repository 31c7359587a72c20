"""`addons.affixes`: bisection over slices agrees with walking both texts character by character."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from addons.affixes import common_affixes


def walked(a, b) -> tuple[int, int]:
    limit = min(len(a), len(b))
    prefix = 0
    while prefix < limit and a[prefix] == b[prefix]:
        prefix += 1
    suffix = 0
    while suffix < limit - prefix and a[-1 - suffix] == b[-1 - suffix]:
        suffix += 1
    return prefix, suffix


@given(st.text(alphabet="ab'\u2019-/"), st.text(alphabet="ab'\u2019-/"))
def test_texts(a: str, b: str) -> None:
    assert common_affixes(a, b) == walked(a, b)


@given(st.lists(st.sampled_from(["Today's date is 2026-11-24.", "", "cwd: /home/alice"])),
       st.lists(st.sampled_from(["Today\u2019s date is 2026/11/24.", "", "cwd: /home/alice"])))
def test_lists_of_lines(a: list[str], b: list[str]) -> None:
    assert common_affixes(a, b) == walked(a, b)
