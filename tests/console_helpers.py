"""Shared set-up for the console, API and browser tests: an App with users of two offices."""

from __future__ import annotations

import socket
import threading
import time
from contextlib import contextmanager

PASSWORD = "Correct horse battery 9"
STAFF = (("editor1", "editor", "default"), ("rev1", "reviewer", "default"), ("rev2", "reviewer", "default"),
         ("appr1", "approver", "default"), ("admin1", "admin", "default"), ("other", "editor", "other"))


def add_staff(app) -> None:
    """Users of office ``default`` (one of each role, two reviewers) and an editor of office ``other``."""
    from publisher.accounts.users import add_user

    for name, role, office in STAFF:
        add_user(app.store, name, role, office, display_name=name.upper(), password=PASSWORD, created_by="test")


def login(client, name: str, password: str = PASSWORD, office: str | None = None):
    """Log a TestClient (or httpx client) in through the login form, in ``office`` (default: the STAFF member's, else
    the form's own); returns the final response."""
    import re

    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    office = office or {n: o for n, _role, o in STAFF}.get(name)
    data = {"name": name, "password": password, "csrf_token": token, "next": "/"}
    if office is None:
        data["office"] = re.search(r'name="office" value="([^"]*)"', page.text).group(1)
    return client.post("/login", data={**data, "office": office} if office else data, follow_redirects=False)


def csrf_of(client, path: str = "/") -> str:
    """The session's CSRF token, read from a console page."""
    import re

    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text).group(1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(web):
    """Serve an ASGI app with uvicorn on a free loopback port; yields its base URL."""
    import uvicorn

    sock = socket.socket()  # bound here, on port 0: no other test process can take the port in between
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(web, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(5)
        sock.close()


def cheap_hashing(monkeypatch) -> None:
    """Argon2id with small parameters: the tests check the flow, not the hash's cost (shared CPUs)."""
    from argon2 import PasswordHasher

    import publisher.accounts.users

    monkeypatch.setattr(publisher.accounts.users, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
