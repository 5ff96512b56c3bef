"""Load and validate ``config.yaml``: every problem reported by key path, secrets read from the environment."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from . import registry
from .adapter import ChannelSettings
from .durations import parse_duration
from .errors import ConfigError

ENV_PATTERN = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
DEFAULT_PATH = "config.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OfficeConfig(_Strict):
    """Who publishes: names used in the report, and the time zone reports are counted in."""

    name: str = "信息公开办公室"
    short_name: str = "我局"
    timezone: str = "Asia/Shanghai"
    code: str = Field(default="default", min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$",
                      description="the office's code: items and users belong to an office")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA time zone {value!r} (e.g. Asia/Shanghai)") from None
        return value


class DatabaseConfig(_Strict):
    """Where the queue and ledger live."""

    url: str = "sqlite:///publisher.db"

    @field_validator("url")
    @classmethod
    def _supported(cls, value: str) -> str:
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            backend = make_url(value).get_backend_name()
        except ArgumentError:
            backend = None
        if backend not in ("sqlite", "postgresql"):
            raise ValueError(f"not a supported database URL {value.split(':', 1)[0]!r} "
                             "(use sqlite:///path.db or postgresql+psycopg://user@host/db)")
        return value


class StorageConfig(_Strict):
    """Where attachment files are kept (content-addressed)."""

    attachments: str = "attachments"


class RetryConfig(_Strict):
    """How failed deliveries are retried: exponential backoff with jitter, then ``dead``."""

    max_attempts: int = Field(default=8, ge=1, le=1000)
    base_delay: float = Field(default=30.0, gt=0, description="seconds before the first retry")
    max_delay: float = Field(default=3600.0, gt=0, description="cap on one backoff, seconds")
    jitter: float = Field(default=0.2, ge=0, le=1, description="± fraction of randomness")
    max_age: str = Field(default="3d", description="give up this long after the first attempt")
    lease: str = Field(default="5m", description="how long a claimed delivery stays claimed")
    in_doubt_delay: float = Field(default=10.0, gt=0, description="seconds before an in-doubt delivery is looked up")

    @field_validator("max_age", "lease")
    @classmethod
    def _duration(cls, value: str) -> str:
        parse_duration(value)
        return value


class DaemonConfig(_Strict):
    """The daemon's rhythm."""

    poll_interval: float = Field(default=5.0, gt=0, description="seconds between looks for due work")
    workers: int = Field(default=8, ge=1, le=256)
    shutdown_grace: float = Field(default=30.0, ge=0)


class LimitsConfig(_Strict):
    """Bounds on what editors may queue."""

    title_max: int = Field(default=200, ge=1, le=1000)  # items.title holds at most 1000 characters
    body_max_bytes: int = Field(default=2_000_000, ge=1)
    attachment_max_bytes: int = Field(default=50_000_000, ge=1)


class ReviewStep(_Strict):
    """One step of the review (三审): its name and the role that takes it."""

    name: str = Field(min_length=1, max_length=100)
    role: Literal["reviewer", "approver"]


DEFAULT_STEPS = [ReviewStep(name="初审", role="reviewer"), ReviewStep(name="复审", role="reviewer"),
                 ReviewStep(name="终审", role="approver")]


class ReviewConfig(_Strict):
    """Review before publishing: the steps every item passes, and what happens to an item approved late."""

    enabled: bool = True
    steps: list[ReviewStep] = Field(default_factory=lambda: list(DEFAULT_STEPS), min_length=1, max_length=10)
    late: Literal["publish", "wait"] = Field(
        default="publish", description="an item approved after its time: publish at once, or wait for a new time")

    @field_validator("steps")
    @classmethod
    def _last_is_approver(cls, steps: list[ReviewStep]) -> list[ReviewStep]:
        if steps and steps[-1].role != "approver":
            raise ValueError("the last step must be taken by an approver (终审)")
        if len({s.name for s in steps}) != len(steps):
            raise ValueError("step names must differ")
        return steps


class WebhookTarget(_Strict):
    """A group robot (企业微信 or 钉钉) that hears about events; its URL usually carries a secret: use ${ENV}."""

    kind: Literal["wecom", "dingtalk"]
    url: str = Field(min_length=8)
    events: list[str] = Field(default_factory=list, description="event kinds to send; empty: all")


class SmtpTarget(_Strict):
    """E-mail through an SMTP relay; users' addresses are mapped by name in ``to``."""

    host: str
    port: int = Field(default=25, ge=1, le=65535)
    sender: str
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    to: dict[str, str] = Field(default_factory=dict, description="user name (or role) -> e-mail address")
    events: list[str] = Field(default_factory=list)


class NotifyConfig(_Strict):
    """Where notifications go besides the console's 工作台 (publisher.notify)."""

    webhooks: list[WebhookTarget] = Field(default_factory=list)
    smtp: SmtpTarget | None = None
    console_url: str = Field(default="", description="the console's address, for links in notices")
    interval: float = Field(default=30, gt=0, description="seconds between looks for new events")


class ConsoleConfig(_Strict):
    """The web console (publisher serve)."""

    secure_cookies: bool = Field(default=False, description="mark cookies Secure: set when served behind TLS")
    session_hours: float = Field(default=8, gt=0, le=24 * 30)
    login_attempts: int = Field(default=5, ge=1, le=100, description="failures before an account is locked")
    lockout_minutes: float = Field(default=15, gt=0)
    address_attempts: int = Field(default=20, ge=1, description="failures per client address before it is locked")


class _Document(_Strict):
    office: OfficeConfig = OfficeConfig()
    database: DatabaseConfig = DatabaseConfig()
    storage: StorageConfig = StorageConfig()
    categories: list[str] = Field(min_length=1)
    channels: dict[str, dict[str, Any]] = Field(min_length=1)
    routing: dict[str, list[str]] = Field(default_factory=dict)
    retry: RetryConfig = RetryConfig()
    daemon: DaemonConfig = DaemonConfig()
    limits: LimitsConfig = LimitsConfig()
    series: dict[str, dict[str, Any]] = Field(default_factory=dict)
    review: ReviewConfig = ReviewConfig()
    gate: dict[str, Any] = Field(default_factory=dict)
    report: dict[str, Any] = Field(default_factory=dict)  # validated by publisher.report.settings
    notify: NotifyConfig = NotifyConfig()
    console: ConsoleConfig = ConsoleConfig()


@dataclass
class Config:
    """The validated configuration, with channel blocks parsed by their adapters' Settings."""

    path: Path
    office: OfficeConfig
    database_url: str
    attachments_dir: Path
    categories: list[str]
    channels: dict[str, ChannelSettings]
    routing: dict[str, list[str]]
    retry: RetryConfig
    daemon: DaemonConfig
    limits: LimitsConfig
    series: dict[str, Any] = field(default_factory=dict)
    review: ReviewConfig = field(default_factory=ReviewConfig)
    gate: Any = None
    report: dict[str, Any] = field(default_factory=dict)
    notify: NotifyConfig = field(default_factory=NotifyConfig)
    console: ConsoleConfig = field(default_factory=ConsoleConfig)

    @property
    def tz(self) -> ZoneInfo:
        """The office's time zone."""
        return ZoneInfo(self.office.timezone)

    def enabled_channels(self) -> list[str]:
        """Names of enabled channels, in config order."""
        return [name for name, settings in self.channels.items() if settings.enabled]

    def default_channels(self, category: str) -> list[str]:
        """Channels an item of ``category`` goes to when the editor names none."""
        return list(self.routing.get(category, self.routing.get("default", [])))


def config_path(explicit: str | None = None) -> Path:
    """The config path: ``--config``, else ``$PUBLISHER_CONFIG``, else ``./config.yaml``."""
    return Path(explicit or os.environ.get("PUBLISHER_CONFIG") or DEFAULT_PATH)


def load_config(path: str | Path | None = None, *, env: dict[str, str] | None = None) -> Config:
    """Read, substitute ``${ENV}`` secrets, and validate; raise ConfigError listing every problem."""
    path = config_path(str(path) if path else None)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([f"file not found: {path} (pass --config or set PUBLISHER_CONFIG)"], str(path)) from None
    except IsADirectoryError:
        raise ConfigError([f"{path} is a folder; give the path of the config file in it"], str(path)) from None
    except OSError as exc:
        raise ConfigError([f"cannot read {path}: {exc.strerror}"], str(path)) from None
    except UnicodeDecodeError as exc:
        raise ConfigError([f"not UTF-8 text (byte {exc.start}): save the file as UTF-8"], str(path)) from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise ConfigError([f"{where}not valid YAML ({getattr(exc, 'problem', exc)})"], str(path)) from None
    return parse_config(raw, path=path, env=env)


def parse_config(raw: Any, *, path: Path | str = DEFAULT_PATH, env: dict[str, str] | None = None) -> Config:
    """Validate an already-parsed YAML document (see :func:`load_config`)."""
    path = Path(path)
    env = dict(os.environ if env is None else env)
    problems: list[str] = []
    if not isinstance(raw, dict):
        raise ConfigError(["the file must be a mapping with office, database, categories, channels, routing"], str(path))
    raw = _substitute_env(raw, env, (), problems)
    unset = len(problems)
    try:
        doc = _Document.model_validate(raw)
    except ValidationError as exc:
        problems.extend(_pydantic_problems(exc, ()))
        _check_sections(raw, path.parent, problems)
        raise ConfigError(_without_follow_ons(problems, unset), str(path)) from None

    channels = _parse_channels(doc.channels, path.parent, problems)
    _check_categories(doc.categories, problems)
    _check_routing(doc.routing, doc.categories, doc.channels, channels, problems)
    series = _parse_series(doc, problems, path.parent)
    gate = _parse_gate(doc.gate, problems, path.parent)
    if problems:
        raise ConfigError(_without_follow_ons(problems, unset), str(path))
    return Config(
        path=path,
        office=doc.office,
        database_url=_resolve_sqlite(doc.database.url, path.parent),
        attachments_dir=_resolve(doc.storage.attachments, path.parent),
        categories=doc.categories,
        channels=channels,
        routing=doc.routing,
        retry=doc.retry,
        daemon=doc.daemon,
        limits=doc.limits,
        series=series,
        review=doc.review,
        gate=gate,
        report=doc.report,
        notify=doc.notify,
        console=doc.console,
    )


def _parse_gate(block: dict[str, Any], problems: list[str], base: Path) -> Any:
    """The gate's settings (publisher.gate.settings.GateConfig), paths relative to the config file."""
    try:
        from .gate.settings import GateConfig
    except ImportError:  # the gate package is not installed in this build
        return None
    try:
        settings = GateConfig.model_validate(block)
    except ValidationError as exc:
        problems.extend(_pydantic_problems(exc, ("gate",)))
        return None
    terms = getattr(settings, "terms_file", None)
    if terms is not None and not Path(terms).is_absolute():
        settings = settings.model_copy(update={"terms_file": base / terms})
    return settings


def _without_follow_ons(problems: list[str], unset: int) -> list[str]:
    """Drop problems at keys whose ``${VAR}`` was unset (the first ``unset`` problems): the cause is named already."""
    keys = {p.split(": ", 1)[0] for p in problems[:unset]}
    return problems[:unset] + [p for p in problems[unset:] if p.split(": ", 1)[0] not in keys]


def _check_sections(raw: dict, base: Path, problems: list[str]) -> None:
    """After a top-level error, still check the channels, categories and routing that are well-formed."""
    blocks = raw.get("channels") if isinstance(raw.get("channels"), dict) else {}
    blocks = {k: v for k, v in blocks.items() if isinstance(k, str) and isinstance(v, dict)}
    channels = _parse_channels(blocks, base, problems)
    categories = raw.get("categories")
    if not isinstance(categories, list) or not all(isinstance(c, str) for c in categories):
        return
    _check_categories(categories, problems)
    routing = raw.get("routing", {})
    if isinstance(routing, dict) and all(isinstance(v, list) and all(isinstance(t, str) for t in v)
                                         for v in routing.values()):
        _check_routing(routing, categories, blocks, channels, problems)


def _substitute_env(node: Any, env: dict[str, str], where: tuple, problems: list[str]) -> Any:
    if isinstance(node, dict):
        return {k: _substitute_env(v, env, where + (k,), problems) for k, v in node.items()}
    if isinstance(node, list):
        return [_substitute_env(v, env, where + (i,), problems) for i, v in enumerate(node)]
    if isinstance(node, str) and "${" in node:
        def replace(match: re.Match[str]) -> str:
            name, default = match.group(1), match.group(2)
            if name in env and env[name] != "":
                return env[name]
            if default is not None:
                return default
            problems.append(f"{_dotted(where)}: environment variable {name} is not set")
            return ""

        return ENV_PATTERN.sub(replace, node)
    return node


def _parse_channels(blocks: dict[str, dict[str, Any]], base: Path, problems: list[str]) -> dict[str, ChannelSettings]:
    known = sorted(registry.available_types())
    parsed: dict[str, ChannelSettings] = {}
    for name, block in blocks.items():
        where = ("channels", name)
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]{0,63}", name):
            problems.append(f"{_dotted(where)}: channel names use letters, digits, _ and - (got {name!r})")
            continue
        if not isinstance(block, dict):
            problems.append(f"{_dotted(where)}: must be a mapping with at least `type`")
            continue
        type_name = block.get("type")
        if type_name is None:
            problems.append(f"{_dotted(where + ('type',))}: required (one of {', '.join(known)})")
            continue
        if type_name not in known:
            problems.append(f"{_dotted(where + ('type',))}: unknown channel type {type_name!r} (known: {', '.join(known)})")
            continue
        try:
            cls = registry.adapter_class(type_name)
        except Exception as exc:  # a broken third-party plug-in must not hide the other problems
            problems.append(f"{_dotted(where + ('type',))}: adapter {type_name!r} failed to load: {exc}")
            continue
        try:
            settings = cls.Settings.model_validate(block)
        except ValidationError as exc:
            problems.extend(_pydantic_problems(exc, where))
            continue
        parsed[name] = _resolve_paths(settings, base)
    return parsed


def _resolve_paths(settings: ChannelSettings, base: Path) -> ChannelSettings:
    """Make relative Path-typed settings relative to the config file's folder."""
    updates = {}
    for key in type(settings).model_fields:
        value = getattr(settings, key)
        if isinstance(value, Path) and not value.is_absolute():
            updates[key] = base / value
    return settings.model_copy(update=updates) if updates else settings


def _check_categories(categories: list[str], problems: list[str]) -> None:
    seen: set[str] = set()
    for i, name in enumerate(categories):
        if not name.strip():
            problems.append(f"categories[{i}]: empty category name")
        elif len(name) > 200:
            problems.append(f"categories[{i}]: longer than 200 characters")
        elif name in seen:
            problems.append(f"categories[{i}]: duplicate category {name!r}")
        seen.add(name)


def _check_routing(routing, categories, blocks, channels, problems) -> None:
    for key, targets in routing.items():
        if key != "default" and key not in categories:
            problems.append(f"routing.{key}: not a configured category (add it to categories, or use `default`)")
        for i, target in enumerate(targets):
            if target not in blocks:
                problems.append(f"routing.{key}[{i}]: channel {target!r} is not defined under channels")
            elif target in channels and not channels[target].enabled:
                problems.append(f"routing.{key}[{i}]: channel {target!r} is disabled (enabled: false)")
    # Categories without a route are allowed: their items must name --channel (queue add says so).


def _parse_series(doc: _Document, problems: list[str], base: Path) -> dict[str, Any]:
    if not doc.series:
        return {}
    try:
        from .series.models import parse_series_block
    except ImportError:
        problems.append("series: this installation has no series support")
        return {}
    return parse_series_block(doc.series, doc.categories, doc.channels, problems, base_dir=base)


def _resolve(value: str, base: Path) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else base / path


def _resolve_sqlite(url: str, base: Path) -> str:
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/") and ":memory:" not in url:
        return prefix + str((base / url[len(prefix):]).resolve())
    return url


def _pydantic_problems(exc: ValidationError, prefix: tuple) -> list[str]:
    out = []
    for err in exc.errors():
        loc = prefix + tuple(err["loc"])
        message = err["msg"]
        if err["type"] == "extra_forbidden":
            message = "unknown key"
        elif err["type"] == "missing":
            message = "required"
        elif message.startswith("Value error, "):
            message = message[len("Value error, "):]
        out.append(f"{_dotted(loc)}: {message}")
    return out


def _dotted(loc: tuple) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"
