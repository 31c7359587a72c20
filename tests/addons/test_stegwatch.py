"""The script users load: ``mitmdump -s addons/stegwatch.py`` from any working directory."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from mitmproxy import contentviews
from mitmproxy.test import taddons

from addons.audit import Audit

SCRIPT = Path(__file__).resolve().parents[2] / "addons" / "stegwatch.py"


def test_loading_the_script_by_path_gives_the_audit_addon_and_the_content_view():
    with taddons.context() as tctx:
        module = tctx.script(str(SCRIPT))
        tctx.master._legacy_log_events.uninstall()
    audit, registration = module.addons
    assert type(audit).__name__ == Audit.__name__
    assert type(registration).__name__ == "ContentviewRegistration"
    assert "stegwatch" in contentviews.registry


def test_script_starts_with_its_docstring_and_ends_with_the_addons_list():
    source = SCRIPT.read_text(encoding="utf-8")
    assert source.startswith('"""')
    assert source.rstrip().splitlines()[-1].startswith("addons = [")


def test_script_imports_from_a_foreign_working_directory(tmp_path):
    # What mitmproxy does: run the file with its own directory, not the project, on sys.path.
    code = (
        "import runpy, sys; sys.path = [p for p in sys.path if p not in ('', '.')]; "
        f"namespace = runpy.run_path({str(SCRIPT)!r}); print(type(namespace['addons'][0]).__name__)"
    )
    completed = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "Audit"
