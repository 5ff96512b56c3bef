"""Notifications reach a group robot (loopback HTTP) and people's mailboxes (loopback SMTP)."""

from __future__ import annotations

import email
import json
import socketserver
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from console_helpers import add_staff, cheap_hashing


class Robot(BaseHTTPRequestHandler):
    """A 企业微信 group robot: records each message body."""

    received: list = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append(json.loads(body))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"errcode":0,"errmsg":"ok"}')

    def log_message(self, *args):
        pass


class Smtp(socketserver.StreamRequestHandler):
    """Just enough SMTP to accept messages: records (recipients, message)."""

    received: list = []

    def handle(self):
        self.wfile.write(b"220 loopback ESMTP\r\n")
        rcpt, data = [], None
        while True:
            line = self.rfile.readline()
            if not line:
                return
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                self.wfile.write(b"250 loopback\r\n")
            elif verb == b"MAIL":
                rcpt = []
                self.wfile.write(b"250 ok\r\n")
            elif verb == b"RCPT":
                rcpt.append(line.split(b"<", 1)[1].split(b">", 1)[0].decode())
                self.wfile.write(b"250 ok\r\n")
            elif verb == b"DATA":
                self.wfile.write(b"354 go on\r\n")
                chunks = []
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    chunks.append(chunk)
                data = b"".join(chunks)
                self.received.append((rcpt, email.message_from_bytes(data)))
                self.wfile.write(b"250 queued\r\n")
            elif verb == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 ok\r\n")


@pytest.fixture
def robot():
    Robot.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Robot)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/cgi-bin/webhook/send?key=secret", Robot.received
    server.shutdown()


@pytest.fixture
def smtp():
    Smtp.received = []
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Smtp)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1], Smtp.received
    server.shutdown()


def test_reviewers_editor_and_operators_hear_of_their_events(make_app, sqlite_url, tmp_path, robot, smtp,
                                                              monkeypatch):
    from publisher.review import workflow as review
    from publisher.review.notify import Notifier, sweep
    from publisher.items.intake import ItemRequest, queue_one
    from publisher.accounts.users import actor_from_row, get_user

    cheap_hashing(monkeypatch)
    hook_url, hook_messages = robot
    smtp_port, mails = smtp
    app = make_app(sqlite_url, {"feed": {"type": "rss", "output": str(tmp_path / "feed.xml"),
                                         "site_url": "http://127.0.0.1:9"}},
                   notify={"webhooks": [{"kind": "wecom", "url": hook_url}],
                           "smtp": {"host": "127.0.0.1", "port": smtp_port, "sender": "publisher@example.org",
                                    "to": {"rev1": "rev1@example.org", "rev2": "rev2@example.org",
                                           "editor1": "editor1@example.org", "appr1": "appr1@example.org",
                                           "admin1": "admin1@example.org"}},
                           "console_url": "https://console.example.org"}, review={"enabled": True})
    add_staff(app)
    notifier = Notifier(app)
    assert sweep(app, notifier) == 0  # the first sweep marks where to start: no old news
    who = {n: actor_from_row(get_user(app.store, n)) for n in ("editor1", "rev1", "appr1")}
    item = queue_one(app, ItemRequest(title="关于住房保障资格审核结果的公示", category="公示公告", body="x"),
                     actor=who["editor1"])
    review.submit(app, who["editor1"], item)
    assert sweep(app, notifier) == 1
    assert "等待初审" in hook_messages[-1]["text"]["content"]
    assert f"https://console.example.org/items/{item}" in hook_messages[-1]["text"]["content"]
    rcpt, mail = mails[-1]
    assert sorted(rcpt) == ["appr1@example.org", "rev1@example.org", "rev2@example.org"]
    assert "等待初审" in mail.get_payload(decode=True).decode()

    review.reject(app, who["rev1"], item, comment="名单有误")
    sweep(app, notifier)
    assert mails[-1][0] == ["editor1@example.org"] and "名单有误" in mails[-1][1].get_payload(decode=True).decode()

    app.store.pause_channel("feed", "输出目录不可写", None, "daemon")
    sweep(app, notifier)
    assert "feed 已暂停" in hook_messages[-1]["text"]["content"]
    assert sorted(mails[-1][0]) == ["admin1@example.org", "appr1@example.org"]
    assert sweep(app, notifier) == 0  # nothing is told twice


def test_a_robot_that_is_down_does_not_stop_the_others(make_app, sqlite_url, tmp_path, robot, monkeypatch):
    from publisher.review.notify import Notice, Notifier

    hook_url, hook_messages = robot
    app = make_app(sqlite_url, {"feed": {"type": "rss", "output": str(tmp_path / "feed.xml"),
                                         "site_url": "http://127.0.0.1:9"}},
                   notify={"webhooks": [{"kind": "dingtalk", "url": "http://127.0.0.1:9/robot/send"},
                                        {"kind": "wecom", "url": hook_url}]})
    Notifier(app).deliver(Notice("paused", "渠道 feed 已暂停"))
    assert hook_messages[-1]["text"]["content"].startswith("渠道 feed 已暂停")
