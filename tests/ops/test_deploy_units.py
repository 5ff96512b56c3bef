"""The systemd units shipped in deploy/ are valid (systemd-analyze verify), have no end-of-line comments (systemd
takes them as part of the value), and run the commands that exist."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
UNITS = sorted(DEPLOY.glob("*.service")) + sorted(DEPLOY.glob("*.timer"))


def test_the_daemon_and_console_units_are_shipped():
    names = {p.name for p in UNITS}
    assert {"publisher-daemon.service", "publisher-console.service"} <= names


@pytest.mark.parametrize("unit", UNITS, ids=lambda p: p.name)
def test_unit_lines_have_no_trailing_comments(unit):
    for line in unit.read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.lstrip().startswith(("#", ";")):
            assert " #" not in line and " ;" not in line.split("'")[0], line


@pytest.mark.parametrize("unit", UNITS, ids=lambda p: p.name)
def test_unit_passes_systemd_analyze_verify(unit, tmp_path):
    if not shutil.which("systemd-analyze"):
        if os.environ.get("CI"):
            pytest.fail("systemd-analyze is not installed")
        pytest.skip("systemd-analyze is not installed")
    publisher = Path(sys.executable).parent / "publisher"
    copy = tmp_path / unit.name
    copy.write_text(unit.read_text(encoding="utf-8").replace("/srv/publisher/.venv/bin/publisher", str(publisher)),
                    encoding="utf-8")
    if unit.suffix == ".timer":  # a timer is verified with the service it starts
        service = unit.with_suffix(".service")
        (tmp_path / service.name).write_text(service.read_text(encoding="utf-8").replace(
            "/srv/publisher/.venv/bin/publisher", str(publisher)), encoding="utf-8")
    done = subprocess.run(["systemd-analyze", "verify", str(copy)], capture_output=True, text=True, cwd=tmp_path)
    problems = [line for line in (done.stdout + done.stderr).splitlines() if unit.stem in line]
    assert done.returncode == 0 and not problems, done.stdout + done.stderr
