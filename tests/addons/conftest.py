"""Shared fixtures for the add-on tests: the local fake API and a real mitmdump in front of it.

Both are module-scoped: one mitmdump per test module keeps the end-to-end tests fast on a
small machine. Reusable pieces live in `tests/support/`.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from tests.support.fake_api import RunningFakeApi  # noqa: E402
from tests.support.proxy import Mitmdump, start_mitmdump  # noqa: E402


@pytest.fixture(scope="module")
def fake_api() -> Iterator[RunningFakeApi]:
    running = RunningFakeApi()
    yield running
    running.close()


@pytest.fixture(scope="module")
def fake_api_ca(fake_api: RunningFakeApi, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("fake-ca") / "fake-api-ca.pem"
    fake_api.write_ca(str(path))
    return path


@pytest.fixture(scope="module")
def mitmdump(fake_api_ca: Path, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[Mitmdump]:
    """A mitmdump with the add-on; a test module can add scripts and options with
    ``MITMDUMP_EXTRA_SCRIPTS`` / ``MITMDUMP_OPTIONS`` module attributes."""
    scripts = getattr(request.module, "MITMDUMP_EXTRA_SCRIPTS", ())
    options = getattr(request.module, "MITMDUMP_OPTIONS", ())
    proxy = start_mitmdump(tmp_path_factory.mktemp("mitmdump"), fake_api_ca, scripts, options)
    yield proxy
    proxy.stop()
