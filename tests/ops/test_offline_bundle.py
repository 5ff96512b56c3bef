"""The offline release: `publisher bundle` for this machine's platform, installed by its install.sh into a fresh
virtual environment with no package index at all, runs `publisher demo`."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from conftest import run_cli


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    """One bundle for the module (building it takes half a minute): from the wheels pip can reach as .ci/run did."""
    folder = tmp_path_factory.mktemp("release") / "zwgk-publisher-offline"
    result = run_cli(None, "bundle", str(folder), "--json")
    if result.exit_code != 0:
        if os.environ.get("CI"):
            pytest.fail(f"the bundle could not be built: {result.output}")
        pytest.skip(f"the bundle could not be built here (no package index reachable?): {result.output[-300:]}")
    return folder


def test_the_bundle_holds_wheels_install_script_and_config_template(bundle):
    from publisher.ops.bundle import native_arch

    wheels = list((bundle / "wheels" / native_arch()).glob("*.whl"))
    names = {w.name.split("-")[0].lower() for w in wheels}
    assert {"zwgk_publisher", "weasyprint", "sqlalchemy", "psycopg_binary", "lxml"} <= names
    assert (bundle / "install.sh").is_file() and (bundle / "config.example.yaml").is_file()
    assert (bundle / "deploy" / "publisher-daemon.service").is_file()
    with tarfile.open(bundle.with_name(bundle.name + ".tar.gz")) as tar:
        assert f"{bundle.name}/install.sh" in tar.getnames()


def test_the_bundle_installs_without_an_index_and_runs_the_demo(bundle, tmp_path):
    env = {**os.environ, "PIP_CONFIG_FILE": os.devnull, "PIP_NO_INDEX": "1", "PYTHON": sys.executable,
           "PIP_FIND_LINKS": "", "PUBLISHER_LANG": "zh_CN"}
    env.pop("PUBLISHER_CONFIG", None)
    target = tmp_path / "srv"
    done = subprocess.run(["sh", str(bundle / "install.sh"), str(target)], capture_output=True, text=True, env=env,
                          timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    publisher = target / ".venv" / "bin" / "publisher"
    assert (target / "config.yaml").is_file()
    version = subprocess.run([str(publisher), "--version"], capture_output=True, text=True, env=env)
    from publisher import __version__
    assert version.stdout.strip() == f"publisher {__version__}"
    demo = subprocess.run([str(publisher), "demo", "--no-progress"], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=600)
    assert demo.returncode == 0, demo.stdout[-2000:] + demo.stderr[-2000:]
    assert "中国如东网站平台全年共发布部门动态信息497条" in demo.stdout


def test_install_refuses_a_python_older_than_3_11(bundle, tmp_path):
    old = next((p for p in map(Path, ("/usr/bin/python3.8", "/usr/bin/python3.9", "/usr/bin/python3.10",
                                      *sorted(Path("/root/.pyenv/versions").glob("3.[6-9]*/bin/python3"))))
                if p.is_file()), None) if Path("/root").exists() else None
    if old is None:
        pytest.skip("no Python older than 3.11 on this machine")
    done = subprocess.run(["sh", str(bundle / "install.sh"), str(tmp_path / "srv")], capture_output=True, text=True,
                          env={**os.environ, "PYTHON": str(old)})
    assert done.returncode == 2 and "Python 3.11" in done.stderr and not (tmp_path / "srv").exists()


def test_importing_publisher_on_an_old_python_says_which_python_it_needs():
    old = next(iter(sorted(Path("/root/.pyenv/versions").glob("3.8*/bin/python3"))), None) \
        if os.access("/root", os.R_OK) else None
    if old is None:
        pytest.skip("no Python 3.8 on this machine")
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([str(old), "-c", f"import sys; sys.path.insert(0, {str(root)!r}); import publisher"],
                          capture_output=True, text=True)
    assert done.returncode == 2 and "需要 Python 3.11" in done.stderr and "needs Python 3.11" in done.stderr
