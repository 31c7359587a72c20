"""The generated Unicode tables match their pinned sources.

When this fails after upgrading unicodedata2, glyphguard or emoji, run
``make tables`` (``python scripts/gen_tables.py``) and commit the new ``detectors/_tables.py``.
"""

import importlib.util
from pathlib import Path

import unicodedata2

from detectors import _tables

ROOT = Path(__file__).resolve().parents[2]


def load_generator():
    spec = importlib.util.spec_from_file_location("gen_tables", ROOT / "scripts" / "gen_tables.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_tables_equal_a_fresh_generation():
    generator = load_generator()
    assert (ROOT / "detectors" / "_tables.py").read_text(encoding="utf-8") == generator.render()


def test_tables_record_unicode_version_and_source_hashes():
    assert _tables.UNICODE_VERSION == unicodedata2.unidata_version
    assert int(_tables.UNICODE_VERSION.split(".")[0]) >= 17
    assert all("sha256=" in info or "unicode=" in info for info in _tables.SOURCES.values())


def test_ranges_are_sorted_and_disjoint():
    for name in dir(_tables):
        value = getattr(_tables, name)
        if isinstance(value, tuple) and value and isinstance(value[0], tuple) and len(value[0]) == 2 and name.isupper():
            if not all(isinstance(x, int) for x in value[0]):
                continue
            ends = [end for _, end in value]
            starts = [start for start, _ in value]
            assert all(s <= e for s, e in value), name
            assert all(ends[i] < starts[i + 1] for i in range(len(value) - 1)), name


def test_generated_file_has_no_hidden_characters():
    # Our own source must pass our own scanner: the generator writes escapes, never raw characters.
    assert (ROOT / "detectors" / "_tables.py").read_bytes().isascii()
