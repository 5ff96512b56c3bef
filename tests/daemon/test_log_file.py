"""`run --log-file FILE` (and `serve`) log to FILE as well, rotated by size, with secrets scrubbed; a FILE that
cannot be written is a named error, exit 2."""

from __future__ import annotations

import logging

from conftest import run_cli, write_config
from publisher.ops.logfile import log_to_file


def _config(tmp_path, sqlite_url):
    return write_config(tmp_path, sqlite_url, {"feed": {"type": "rss", "output": str(tmp_path / "rss.xml"),
                                                        "site_url": "http://127.0.0.1/"}})


def test_run_once_writes_its_log_to_the_file(tmp_path, sqlite_url):
    config = _config(tmp_path, sqlite_url)
    assert run_cli(config, "queue", "add", "--title", "公告", "--category", "公示公告", "--body", "<p>x</p>").exit_code == 0
    log = tmp_path / "logs" / "daemon.log"
    root = logging.getLogger()
    before, level = list(root.handlers), root.level
    try:
        result = run_cli(config, "-v", "run", "--once", "--log-file", str(log))
        assert result.exit_code == 0, result.output
    finally:
        for handler in set(root.handlers) - set(before):
            root.removeHandler(handler)
            handler.close()
        root.setLevel(level)
    assert log.is_file() and "publisher" in log.read_text(encoding="utf-8")


def test_the_log_file_rotates_and_keeps_credentials_in_urls_out(tmp_path):
    log = tmp_path / "console.log"
    handler = log_to_file(str(log), max_bytes=2000, backups=2)
    try:
        for n in range(100):
            logging.getLogger("publisher.test").warning("line %d for http://editor:s3cret-value-123456@cms.example/", n)
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()
    files = sorted(p.name for p in tmp_path.glob("console.log*"))
    assert files == ["console.log", "console.log.1", "console.log.2"]
    assert all(p.stat().st_size <= 2000 for p in tmp_path.glob("console.log*"))
    assert "s3cret-value-123456" not in "".join(p.read_text(encoding="utf-8") for p in tmp_path.glob("console.log*"))


def test_an_unwritable_log_file_is_a_named_error(tmp_path, sqlite_url):
    config = _config(tmp_path, sqlite_url)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    result = run_cli(config, "run", "--once", "--log-file", str(blocker / "daemon.log"))
    assert result.exit_code == 2 and "--log-file" in result.output
