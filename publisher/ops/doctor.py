"""``publisher doctor``: every precondition of a working installation, each with a verdict and what to do.

A check gives ``ok``, ``warn`` (something optional is missing: say what does not work without it) or ``fail``
(something publisher needs). The outside world is reached through the names at the top of this module
(``which``, ``find_library``, ``fonts``, ``connect``, ``can_write``, ``today``, ``utcnow``), so a test can take each check down.
"""

from __future__ import annotations

import ctypes.util
import os
import shutil
import socket
import subprocess
import sys
from dataclasses import asdict, dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

from publisher.foundation.i18n import _

OK, WARN, FAIL = "ok", "warn", "fail"
MIN_PYTHON = (3, 11)
MAX_CLOCK_SKEW = 60.0  # seconds between this machine and the database server

which = shutil.which
find_library = ctypes.util.find_library
connect = socket.create_connection


def can_write(folder: Path) -> bool:
    """Whether this account may create files in ``folder``."""
    return os.access(folder, os.W_OK | os.X_OK)


def today() -> date:
    """The local date (a function so that a test can move it)."""
    return date.today()


def utcnow() -> datetime:
    """This machine's clock (a function so that a test can set it wrong)."""
    return datetime.now(timezone.utc)


def fonts() -> str:
    """The CJK fonts fontconfig knows (empty when none or when fontconfig is missing)."""
    if not which("fc-list"):
        return ""
    done = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, timeout=30)
    return done.stdout.strip()


@dataclass
class Check:
    """One check's outcome: its name, ok/warn/fail, the verdict, and what to do when it is not ok."""

    name: str
    status: str
    verdict: str
    fix: str = ""


def run_checks(config_path: str | None) -> list[Check]:
    """Every check, in the order an installer meets them; the later ones need a configuration that loads."""
    from publisher.config.load import load_config
    from publisher.errors import ConfigError

    checks = [check_python()]
    try:
        config = load_config(config_path)
    except ConfigError as exc:
        checks.append(Check("config", FAIL, _("the configuration has problems: {problems}").format(
            problems="; ".join(exc.problems) if hasattr(exc, "problems") else str(exc)),
            _("correct them (`publisher check-config` lists every one by key path)")))
        return checks + [check_pdf(), check_libreoffice()]
    checks.append(Check("config", OK, _("{path} loads").format(path=config.path)))
    checks += [check_database(config), *check_channels(config), check_pdf(), check_libreoffice(),
               check_holidays(), *check_permissions(config), check_clock(config)]
    return checks


def check_python(version: tuple = tuple(sys.version_info)) -> Check:
    """Python 3.11 or newer."""
    shown = ".".join(map(str, version[:3]))
    if tuple(version[:2]) >= MIN_PYTHON:
        return Check("python", OK, _("Python {version}").format(version=shown))
    return Check("python", FAIL, _("Python {version} is too old").format(version=shown),
                 _("install Python 3.11 or newer and make the virtual environment with it"))


def check_database(config) -> Check:
    """The database answers and its schema is the one this release expects."""
    from publisher.db.engine import make_engine
    from publisher.db.migrations import current_revision, head

    try:
        engine = make_engine(config.database_url, migrate_schema=False)
        try:
            with engine.connect() as conn:
                revision = current_revision(conn)
        finally:
            engine.dispose()
    except Exception as exc:  # noqa: BLE001 — any driver error is the verdict
        return Check("database", FAIL, _("the database does not answer: {reason}").format(reason=_first_line(exc)),
                     _("check database.url, that the server runs and that this account may connect"))
    if revision is None:
        return Check("database", WARN, _("the database is empty"), _("the first command creates its tables"))
    if revision != head():
        return Check("database", FAIL, _("schema at revision {revision}, this release needs {head}").format(
            revision=revision, head=head()), _("stop the daemons, `publisher backup FILE`, then `publisher migrate`"))
    return Check("database", OK, _("reachable, schema at revision {revision}").format(revision=revision))


def check_channels(config) -> list[Check]:
    """Each enabled channel: its secrets set in the environment, its server reachable (or its folder writable)."""
    out = []
    for name in config.enabled_channels():
        settings, label = config.channels[name], f"channel:{name}"
        missing = config.missing_secrets.get(name, [])
        if missing:
            out.append(Check(label, FAIL, _("secrets not set: {missing}").format(missing="; ".join(missing)),
                             _("put them in the environment (the services' EnvironmentFile)")))
            continue
        url = getattr(settings, "base_url", None) or getattr(settings, "api_base", None)
        if url:
            out.append(_reach(label, str(url)))
        elif getattr(settings, "output", None):
            folder = Path(str(settings.output)).parent
            out.append(_writable(label, folder))
        else:
            out.append(Check(label, OK, _("secrets set")))
    return out


def _reach(label: str, url: str) -> Check:
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        connect((parts.hostname, port), timeout=5).close()
    except OSError as exc:
        return Check(label, FAIL, _("{host}:{port} cannot be reached: {reason}").format(
            host=parts.hostname, port=port, reason=exc.strerror or exc),
            _("check the address, the firewall and the intranet's proxy; a sandbox address needs `publisher sandbox`"))
    return Check(label, OK, _("secrets set, {host}:{port} reachable").format(host=parts.hostname, port=port))


def check_pdf() -> Check:
    """Pango and HarfBuzz's subsetter (WeasyPrint) and a Chinese font, for the report's PDF."""
    missing = [lib for lib in ("pango-1.0", "pangoft2-1.0", "harfbuzz-subset") if not find_library(lib)]
    if missing:
        return Check("pdf", FAIL, _("missing libraries: {missing}; `report -o FILE.pdf` cannot work").format(
            missing=", ".join(missing)), _("install Pango ≥ 1.44 and HarfBuzz (Debian/Ubuntu: libpango-1.0-0 "
                                           "libpangoft2-1.0-0 libharfbuzz-subset0; 麒麟/统信/CentOS: pango harfbuzz)"))
    if not fonts():
        return Check("pdf", FAIL, _("no Chinese font; the PDF's text would be empty boxes"),
                     _("install a CJK font (fonts-noto-cjk, google-noto-sans-cjk-fonts, or the 方正/思源 fonts)"))
    return Check("pdf", OK, _("Pango, HarfBuzz and a Chinese font are installed"))


def check_libreoffice() -> Check:
    """LibreOffice converts .doc/.wps/.rtf/.odt bodies; .docx, .html and .txt work without it."""
    if which("soffice") or which("libreoffice"):
        return Check("libreoffice", OK, _("LibreOffice is installed (.doc, .wps, .rtf, .odt bodies)"))
    return Check("libreoffice", WARN, _("LibreOffice is not installed: .doc, .wps, .rtf and .odt bodies are refused "
                                        "(.docx, .html and .txt work)"),
                 _("install libreoffice (or libreoffice-writer) if staff upload old Word files"))


def check_holidays() -> Check:
    """The holiday calendar knows next year (deadlines of applications count working days)."""
    import chinese_calendar

    year = today().year + 1
    try:
        chinese_calendar.is_workday(date(year, 1, 2))
    except NotImplementedError:
        return Check("holidays", FAIL, _("the holiday calendar has no data for {year}: deadlines would count "
                                         "Monday to Friday only").format(year=year),
                     _("upgrade chinese-calendar once the State Council publishes {year}'s holidays (usually in "
                       "November) — in an offline bundle, rebuild it").format(year=year))
    return Check("holidays", OK, _("the holiday calendar knows {year}").format(year=year))


def check_permissions(config) -> list[Check]:
    """The attachment store and the SQLite folder writable; the config file not writable by others."""
    out = [_writable("permissions:attachments", config.attachments_dir)]
    if config.database_url.startswith("sqlite"):
        from sqlalchemy.engine import make_url

        database = make_url(config.database_url).database
        if database and database != ":memory:":
            out.append(_writable("permissions:database", Path(database).parent))
    mode = config.path.stat().st_mode
    if mode & 0o002:
        out.append(Check("permissions:config", FAIL, _("{path} is writable by every user").format(path=config.path),
                         _("chmod 640 {path}").format(path=config.path)))
    return out


def _writable(label: str, folder: Path) -> Check:
    existing = next((p for p in (folder, *folder.parents) if p.exists()), None)
    if existing is None or not existing.is_dir() or not can_write(existing):
        return Check(label, FAIL, _("{folder} is not writable by this account").format(folder=folder),
                     _("create it and give it to the service's user (chown publisher {folder})").format(folder=folder))
    return Check(label, OK, _("{folder} writable").format(folder=folder))


def check_clock(config) -> Check:
    """A plausible system clock, the same time as the database server, and the office's time zone known."""
    now = utcnow()
    if now.year < 2024:
        return Check("clock", FAIL, _("the system clock says {now}").format(now=now.isoformat(timespec="seconds")),
                     _("set the clock and enable time synchronisation (chronyd or systemd-timesyncd)"))
    skew = _database_skew(config, now)
    if skew is not None and abs(skew) > MAX_CLOCK_SKEW:
        return Check("clock", FAIL, _("this machine and the database server differ by {seconds:.0f} s").format(
            seconds=abs(skew)), _("synchronise both with the same NTP server (chronyd)"))
    local = datetime.now().astimezone().tzname()
    return Check("clock", OK, _("clock plausible; office time zone {zone}, this machine's {local}").format(
        zone=config.office.timezone, local=local))


def _database_skew(config, now: datetime) -> float | None:
    if not config.database_url.startswith("postgresql"):
        return None
    from sqlalchemy import create_engine, text

    try:
        engine = create_engine(config.database_url)
        try:
            with engine.connect() as conn:
                server = conn.execute(text("SELECT now()")).scalar()
        finally:
            engine.dispose()
    except Exception:  # noqa: BLE001 — the database check names it
        return None
    return (server - now).total_seconds()


def _first_line(exc: Exception) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def as_dicts(checks: list[Check]) -> list[dict]:
    """The checks for ``--json``."""
    return [asdict(c) for c in checks]
