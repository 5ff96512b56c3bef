"""The README's command blocks run as written: every ```bash block after the set-up commands, in order, in a fresh
folder holding the shipped configuration, against a sandbox of every channel (a block preceded by a
``<!-- 不在测试中运行：reason -->`` comment is skipped, and must say why)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"
BLOCK = re.compile(r"(?P<before>[^\n]*)\n```bash\n(?P<body>.*?)```", re.S)
SKIP = "<!-- 不在测试中运行："


def runnable_blocks() -> list[str]:
    """The README's bash blocks a reader runs on a working installation (the first one installs it)."""
    blocks = list(BLOCK.finditer(README.read_text(encoding="utf-8")))
    return [b["body"] for b in blocks[1:] if not b["before"].startswith(SKIP)]


def test_the_readme_starts_with_the_two_set_up_commands():
    first = BLOCK.search(README.read_text(encoding="utf-8"))["body"]
    assert ".venv/bin/publisher demo" in first and ".venv/bin/pytest -q" in first
    assert README.read_text(encoding="utf-8").index("```bash") < 200  # the very top
    ci = (README.parent / ".ci" / "run").read_text(encoding="utf-8")
    assert "python3 -m venv .venv && .venv/bin/pip install -q -e '.[test]' && .venv/bin/pytest -q" in ci


@pytest.fixture
def sandboxed_folder(tmp_path):
    from publisher.sandbox.demo import demo_config_text
    from publisher.sandbox.serve import start_all

    servers = start_all(port_base=0)
    try:
        (tmp_path / "config.yaml").write_text(demo_config_text({e.name: s.url for e, s in servers}),
                                              encoding="utf-8")
        yield tmp_path
    finally:
        for _entry, server in servers:
            server.stop()


def test_every_readme_command_block_runs_as_written(sandboxed_folder):
    blocks = runnable_blocks()
    assert len(blocks) >= 2
    env = {k: v for k, v in os.environ.items() if not k.startswith("PUBLISHER_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    for number, block in enumerate(blocks, 1):
        done = subprocess.run(["bash", "-euo", "pipefail", "-x", "-c", block], cwd=sandboxed_folder, env=env,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"README block {number} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    assert list(sandboxed_folder.glob("备份-*.tar.gz"))
