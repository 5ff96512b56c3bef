"""``publisher sandbox`` serves every emulator registered through the ``publisher.emulators`` entry points, on the
ports the default configuration points at; nothing in the core lists them by hand."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from importlib import resources

import requests

from publisher.sandbox.registry import registered

PUBLISHER = [sys.executable, "-m", "publisher"]


def test_every_registered_emulator_is_served_and_answers():
    proc = subprocess.Popen([*PUBLISHER, "sandbox", "--port-base", "0"], stdout=subprocess.PIPE, text=True)
    try:
        lines = []
        for line in proc.stdout:
            if line.startswith("sandbox running"):
                break
            lines.append(line)
        urls = dict(line.rsplit(None, 1) for line in lines)
        assert set(urls) == {entry.label or entry.name for entry in registered()}
        r = requests.get(f"{urls['cms']}/api/articles", timeout=5, headers={"Authorization": "Bearer sandbox-cms-token"})
        assert r.status_code == 200
        r = requests.get(f"{urls['wechat']}/cgi-bin/token", timeout=5,
                         params={"grant_type": "client_credential", "appid": "wxsandbox0000000001",
                                 "secret": "sandbox-wechat-secret"})
        assert "access_token" in r.json()
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:  # never leave a server behind a failed test
            proc.kill()
            proc.wait()


def test_the_default_configuration_points_only_at_registered_emulators():
    text = resources.files("publisher").joinpath("default_config.yaml").read_text(encoding="utf-8")
    ports = {int(port) for port in re.findall(r"http://127\.0\.0\.1:(\d+)", text)}
    assert ports and ports <= {entry.port for entry in registered()}


def test_the_built_in_emulators_register_like_any_other():
    names = {entry.name for entry in registered()}
    assert {"cms", "cms-domestic", "wechat", "resource_site", "wordpress", "water-quality"} <= names
    assert len({entry.port for entry in registered()}) == len(registered())  # no two on one port
