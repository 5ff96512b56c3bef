"""Load and validate ``config.yaml``: every problem reported by key path, secrets read from the environment."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from publisher.config import channel_types
from publisher.config.catalogue import CatalogueConfig
from publisher.foundation import yamlsafe
from publisher.adapter import ChannelSettings
from publisher.foundation.durations import MAX_SECONDS, parse_duration
from publisher.errors import ConfigError
from publisher.foundation.i18n import _, shown
from publisher.foundation.validation_messages import validation_message
from publisher.foundation.redact import scrub

ENV_PATTERN = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
DEFAULT_PATH = "config.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


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
            raise ValueError(_("unknown IANA time zone {value!r} (e.g. Asia/Shanghai)").format(value=value)) from None
        return value


class DatabaseConfig(_Strict):
    """Where the queue and ledger live."""

    url: str = "sqlite:///publisher.db"

    @field_validator("url")
    @classmethod
    def _supported(cls, value: str) -> str:
        from publisher.db.engine import check_url

        check_url(value)
        return value


class StorageConfig(_Strict):
    """Where attachment files are kept (content-addressed)."""

    attachments: str = "attachments"


class RetryConfig(_Strict):
    """How failed deliveries are retried: exponential backoff with jitter, then ``dead``."""

    max_attempts: int = Field(default=8, ge=1, le=1000)
    base_delay: float = Field(default=30.0, gt=0, le=MAX_SECONDS, description="seconds before the first retry")
    max_delay: float = Field(default=3600.0, gt=0, le=MAX_SECONDS, description="cap on one backoff, seconds")
    jitter: float = Field(default=0.2, ge=0, le=1, description="± fraction of randomness")
    max_age: str = Field(default="3d", description="give up this long after the first attempt")
    lease: str = Field(default="5m", description="how long a claimed delivery stays claimed")
    in_doubt_delay: float = Field(default=10.0, gt=0, le=MAX_SECONDS,
                                  description="seconds before an in-doubt delivery is looked up")

    @field_validator("max_age", "lease")
    @classmethod
    def _duration(cls, value: str) -> str:
        parse_duration(value)
        return value


class DaemonConfig(_Strict):
    """The daemon's rhythm."""

    poll_interval: float = Field(default=5.0, gt=0, le=86400, description="seconds between looks for due work")
    workers: int = Field(default=8, ge=1, le=256)
    shutdown_grace: float = Field(default=30.0, ge=0, le=86400)


class LimitsConfig(_Strict):
    """Bounds on what editors may queue."""

    title_max: int = Field(default=200, ge=1, le=1000)  # items.title holds at most 1000 characters
    body_max_bytes: int = Field(default=2_000_000, ge=1, le=2**31 - 1)
    attachment_max_bytes: int = Field(default=50_000_000, ge=1, le=2**31 - 1)  # attachments.size is 32 bits


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
    step_due_days: int | dict[str, int] = Field(
        default=2, description="working days each step may take (one number for every step, or step name -> days; "
                               "0 or a missing step: no due time); the 工作台 lists what is overdue")

    @field_validator("step_due_days")
    @classmethod
    def _days_in_range(cls, days: int | dict[str, int]) -> int | dict[str, int]:
        for value in (days.values() if isinstance(days, dict) else (days,)):
            if not 0 <= value <= 60:
                raise ValueError(_("working days from 0 to 60"))
        return days

    def due_days(self, step_name: str) -> int:
        """The working days a step may take (0: no due time)."""
        days = self.step_due_days
        return days.get(step_name, 0) if isinstance(days, dict) else days

    @field_validator("steps")
    @classmethod
    def _last_is_approver(cls, steps: list[ReviewStep]) -> list[ReviewStep]:
        if steps and steps[-1].role != "approver":  # Role.APPROVER: config sits below accounts
            raise ValueError(_("the last step must be taken by an approver (终审)"))
        if len({s.name for s in steps}) != len(steps):
            raise ValueError(_("step names must differ"))
        return steps

    @model_validator(mode="after")
    def _due_steps_exist(self) -> "ReviewConfig":
        if isinstance(self.step_due_days, dict):
            unknown = sorted(set(self.step_due_days) - {s.name for s in self.steps})
            if unknown:
                raise ValueError(_("step_due_days names steps that do not exist: {names}").format(
                    names=", ".join(unknown)))
        return self


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
    address_attempts: int = Field(default=20, ge=1, description="failures per client address before its logins "
                                  "are slowed (never refused: one address may be a whole office behind NAT)")
    address_delay: float = Field(default=2.0, ge=0, le=60, description="seconds each login from a slowed address waits")
    password_min_length: int = Field(default=10, ge=8, le=128)
    password_classes: int = Field(default=3, ge=1, le=4, description="of upper, lower, digits, other characters")
    token_days: float | None = Field(default=90, gt=0, le=3650, description="API tokens expire after this many "
                                     "days (null: never)")


class ReconcileConfig(_Strict):
    """When a reconciliation run is a likely outage or misconfiguration rather than real removals."""

    max_removed: int = Field(default=20, ge=0, description="more removals of one channel in one run are refused")
    max_removed_share: float = Field(default=0.05, ge=0, le=1,
                                     description="a larger share of a channel's read-back publications is refused")


class LinksConfig(_Strict):
    """The link check (`publisher links`): which hosts are the office's own, and what may be fetched."""

    allowed_hosts: list[str] = Field(default_factory=list,
                                     description="hosts (or domains: gov.cn covers www.rudong.gov.cn) a link may "
                                                 "point to without being reported as external")
    allow_private: bool = Field(default=False, description="also check loopback and private addresses (a sandbox, "
                                                           "an intranet); otherwise they are skipped")
    timeout: float = Field(default=10.0, gt=0, le=120, description="seconds per request")
    workers: int = Field(default=4, ge=1, le=32, description="links checked at once")
    max_links: int = Field(default=20000, ge=1, description="distinct addresses checked in one run at most")


class AuditConfig(_Strict):
    """The audit chain's key and checkpoints, both kept outside the database."""

    key_env: str = Field(default="PUBLISHER_AUDIT_KEY", description="environment variable holding the chain's key")
    checkpoint_file: str | None = Field(default="audit-checkpoints.jsonl",
                                        description="file outside the database the chain's head is appended to "
                                                    "(relative to the config's folder); empty: none")


class RegistersConfig(_Strict):
    """The registers behind Tables 三 and 四."""

    holidays_file: str | None = Field(default=None, description="YAML of the working-day arrangements of years "
                                                                "the built-in calendar does not know yet")


class SearchConfig(_Strict):
    """Search over titles, bodies, 文号 and 索引号: the office's abbreviations (简称 -> 全称), used both ways."""

    abbreviations: dict[str, str | list[str]] = Field(
        default_factory=dict, description="e.g. 公租房: 公共租赁住房 (added to the built-in list)")
    builtin: bool = Field(default=True, description="false: only the office's own abbreviations")

    @field_validator("abbreviations")
    @classmethod
    def _short_terms(cls, table: dict[str, str | list[str]]) -> dict[str, str | list[str]]:
        for short, full in table.items():
            for term in [short] + ([full] if isinstance(full, str) else list(full)):
                if not 2 <= len(term.strip()) <= 50:
                    raise ValueError(_("{term!r}: a term of 2 to 50 characters").format(term=term))
        return table


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
    reposts: dict[str, Any] = Field(default_factory=dict)  # validated by publisher.reposts.settings
    notify: NotifyConfig = NotifyConfig()
    console: ConsoleConfig = ConsoleConfig()
    catalogue: CatalogueConfig = CatalogueConfig()
    reconcile: ReconcileConfig = ReconcileConfig()
    audit: AuditConfig = AuditConfig()
    registers: RegistersConfig = RegistersConfig()
    links: LinksConfig = LinksConfig()
    search: SearchConfig = SearchConfig()


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
    reposts: dict[str, Any] = field(default_factory=dict)
    notify: NotifyConfig = field(default_factory=NotifyConfig)
    console: ConsoleConfig = field(default_factory=ConsoleConfig)
    catalogue: CatalogueConfig = field(default_factory=CatalogueConfig)
    reconcile: ReconcileConfig = field(default_factory=ReconcileConfig)
    audit: AuditConfig = field(default_factory=AuditConfig)
    registers: RegistersConfig = field(default_factory=RegistersConfig)
    links: LinksConfig = field(default_factory=LinksConfig)
    search: SearchConfig = field(default_factory=SearchConfig)
    holidays: Any = None  # the holidays file, read (publisher.foundation.workdays.HolidayFile)
    # per channel, the problems of its unset ``${VAR}`` secrets: only commands that talk to it need them
    missing_secrets: dict[str, list[str]] = field(default_factory=dict)

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
        text = yamlsafe.read_bounded(path).decode("utf-8")
    except yamlsafe.YamlLimitError as exc:
        raise ConfigError([str(exc)], str(path)) from None
    except FileNotFoundError:
        raise ConfigError([_("file not found: {path} (pass --config or set PUBLISHER_CONFIG)").format(path=path)],
                          str(path)) from None
    except IsADirectoryError:
        raise ConfigError([f"{path} is a folder; give the path of the config file in it"], str(path)) from None
    except OSError as exc:
        raise ConfigError([f"cannot read {path}: {exc.strerror}"], str(path)) from None
    except UnicodeDecodeError as exc:
        raise ConfigError([f"not UTF-8 text (byte {exc.start}): save the file as UTF-8"], str(path)) from None
    try:
        raw = yamlsafe.load(text)
    except yamlsafe.YamlLimitError as exc:
        where = f"line {exc.line}: " if exc.line else ""
        raise ConfigError([f"{where}{exc}"], str(path)) from None
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
    subs = _Substitutions(env)
    raw = subs.apply(raw, ())
    problems.extend(subs.problems)
    unset = len(problems)
    try:
        doc = _Document.model_validate(raw)
    except ValidationError as exc:
        problems.extend(_pydantic_problems(exc, ()))
        _check_sections(raw, path.parent, problems, subs)
        raise ConfigError(subs.clean(_without_follow_ons(problems, unset)), str(path)) from None

    channels = _parse_channels(doc.channels, path.parent, problems, subs)
    _check_categories(doc.categories, problems)
    _check_routing(doc.routing, doc.categories, doc.channels, channels, problems)
    _check_catalogue(doc.catalogue, doc.categories, problems)
    series = _parse_series(doc, problems, path.parent)
    gate = _parse_gate(doc.gate, problems, path.parent)
    holidays = _read_holidays(doc.registers, path.parent, problems)
    if problems:
        raise ConfigError(subs.clean(_without_follow_ons(problems, unset)), str(path))
    missing = {name: subs.deferred[name] for name in channels if subs.deferred.get(name)}
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
        reposts=doc.reposts,
        notify=doc.notify,
        console=doc.console,
        catalogue=doc.catalogue,
        reconcile=doc.reconcile,
        audit=doc.audit,
        registers=doc.registers,
        links=doc.links,
        search=doc.search,
        holidays=holidays,
        missing_secrets=missing,
    )


def _read_holidays(registers: RegistersConfig, base: Path, problems: list[str]) -> Any:
    """The office's holidays file, read; a problem naming ``registers.holidays_file`` when it is wrong."""
    from publisher.foundation.workdays import read_holidays

    if not registers.holidays_file:
        return None
    path = _resolve(registers.holidays_file, base)
    try:
        return read_holidays(path)
    except OSError as exc:
        problems.append(f"registers.holidays_file: cannot read {path}: {exc.strerror}")
    except ValueError as exc:
        problems.append(f"registers.holidays_file: {exc}")
    return None


def _parse_gate(block: dict[str, Any], problems: list[str], base: Path) -> Any:
    """The gate's settings (publisher.gate.settings.GateConfig), paths relative to the config file."""
    try:
        from publisher.gate.settings import GateConfig
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


def _check_sections(raw: dict, base: Path, problems: list[str], subs: "_Substitutions") -> None:
    """After a top-level error, still check the channels, categories and routing that are well-formed."""
    blocks = raw.get("channels") if isinstance(raw.get("channels"), dict) else {}
    blocks = {k: v for k, v in blocks.items() if isinstance(k, str) and isinstance(v, dict)}
    channels = _parse_channels(blocks, base, problems, subs)
    categories = raw.get("categories")
    if not isinstance(categories, list) or not all(isinstance(c, str) for c in categories):
        return
    _check_categories(categories, problems)
    routing = raw.get("routing", {})
    if isinstance(routing, dict) and all(isinstance(v, list) and all(isinstance(t, str) for t in v)
                                         for v in routing.values()):
        _check_routing(routing, categories, blocks, channels, problems)


class _Substitutions:
    """``${VAR}`` substitution, remembering where each value came from.

    An unset variable inside a channel block is deferred: the block is validated with the ``${VAR}`` text in
    place, and the channel is unusable until it is set (only commands that talk to it need it). Values that
    came from the environment are never quoted back in a problem.
    """

    def __init__(self, env: dict[str, str]):
        self.env = env
        self.problems: list[str] = []
        self.deferred: dict[str, list[str]] = {}  # channel → problems of its unset variables
        self.deferred_keys: dict[str, str] = {}  # dotted key → its unset-variable problem
        self.values: dict[str, list[str]] = {}  # dotted key → substituted values

    def apply(self, node: Any, where: tuple) -> Any:
        if isinstance(node, dict):
            return {k: self.apply(v, where + (k,)) for k, v in node.items()}
        if isinstance(node, list):
            return [self.apply(v, where + (i,)) for i, v in enumerate(node)]
        if isinstance(node, str) and "${" in node:
            return self._string(node, where)
        return node

    def _string(self, node: str, where: tuple) -> str:
        key = _dotted(where)
        in_channel = len(where) >= 3 and where[0] == "channels" and isinstance(where[1], str)
        unset: list[str] = []

        def replace(match: re.Match[str]) -> str:
            name, default = match.group(1), match.group(2)
            if name in self.env and self.env[name] != "":
                self.values.setdefault(key, []).append(self.env[name])
                return self.env[name]
            if default is not None:
                self.values.setdefault(key, []).append(default)
                return default
            unset.append(name)
            return match.group(0) if in_channel else ""

        result = ENV_PATTERN.sub(replace, node)
        leftover = ENV_PATTERN.sub("", node)
        if "${" in leftover:
            self.problems.append(f"{key}: " + _("unclosed or malformed ${…} (write ${NAME} or ${NAME:-default})"))
        for name in unset:
            problem = f"{key}: " + _("environment variable {name} is not set").format(name=name)
            if in_channel:
                self.deferred.setdefault(where[1], []).append(problem)
                self.deferred_keys[key] = problem
            else:
                self.problems.append(problem)
        return result

    def clean(self, problems: list[str]) -> list[str]:
        """``problems`` without any substituted value in the message of the key it was substituted at."""
        out = []
        for problem in problems:
            key = re.split(r": |：", problem, maxsplit=1)[0]  # the key path, in either language
            secrets = [v for k, vs in self.values.items() if key == k or key.startswith(k + ".")
                       or key.startswith(k + "[") for v in vs]
            out.append(scrub(problem, secrets))
        return out


def _parse_channels(blocks: dict[str, dict[str, Any]], base: Path, problems: list[str],
                    subs: "_Substitutions | None" = None) -> dict[str, ChannelSettings]:
    known = sorted(channel_types.available_types())
    parsed: dict[str, ChannelSettings] = {}
    for name, block in blocks.items():
        where = ("channels", name)
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]{0,63}", name):
            problems.append(_("{dotted}: channel names use letters, digits, _ and - (got {name!r})").format(
                                dotted=_dotted(where), name=name))
            continue
        if not isinstance(block, dict):
            problems.append(_("{dotted}: must be a mapping with at least `type`").format(dotted=_dotted(where)))
            continue
        type_name = block.get("type")
        if type_name is None:
            problems.append(_("{dotted}: required (one of {names})").format(
                                dotted=_dotted(where + ('type',)), names=', '.join(known)))
            continue
        if type_name not in known:
            problems.append(_("{dotted}: unknown channel type {type_name!r} (known: {names})").format(
                                dotted=_dotted(where + ('type',)), type_name=type_name, names=', '.join(known)))
            continue
        try:
            cls = channel_types.adapter_class(type_name)
        except Exception as exc:  # a broken third-party plug-in must not hide the other problems
            problems.append(_("{dotted}: adapter {type_name!r} failed to load: {exc}").format(
                                dotted=_dotted(where + ('type',)), type_name=type_name, exc=exc))
            continue
        try:
            settings = cls.Settings.model_validate(block)
        except ValidationError as exc:
            for problem in _pydantic_problems(exc, where):  # a bad value because its variable is unset
                key = re.split(r": |：", problem, maxsplit=1)[0]  # the key path, in either language
                problems.append(subs.deferred_keys.get(key, problem) if subs else problem)
            if subs:  # the unset variables of this block are named above, once, in its first problems
                named = set(problems)
                problems.extend(p for p in subs.deferred.pop(name, []) if p not in named)
            continue
        problems.extend(_adapter_problems(cls, settings, where))
        parsed[name] = _resolve_paths(settings, base)
    return parsed


def _adapter_problems(cls, settings: ChannelSettings, where: tuple) -> list[str]:
    """What the adapter itself finds unusable in valid-looking settings (its ``validate_settings`` hook)."""
    hook = getattr(cls, "validate_settings", None)
    if hook is None:
        return []
    try:
        found = hook(settings)
    except Exception as exc:  # a broken plug-in hook must not hide the other problems
        return [_("{field}: the adapter could not check its settings: {exc}").format(field=_dotted(where), exc=exc)]
    return [_("{field}: {message}").format(field=_dotted(where + tuple(key.split("."))), message=shown(message))
            for key, message in found]


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
            problems.append(_("categories[{i}]: empty category name").format(i=i))
        elif len(name) > 200:
            problems.append(_("categories[{i}]: longer than 200 characters").format(i=i))
        elif name in seen:
            problems.append(_("categories[{i}]: duplicate category {name!r}").format(i=i, name=name))
        seen.add(name)


def _check_routing(routing, categories, blocks, channels, problems) -> None:
    for key, targets in routing.items():
        if key != "default" and key not in categories:
            problems.append(_("routing.{key}: not a configured category (add it to categories, or use "
                              "`default`)").format(
                                key=key))
        for i, target in enumerate(targets):
            if target not in blocks:
                problems.append(_("routing.{key}[{i}]: channel {target!r} is not defined under channels").format(
                                    key=key, i=i, target=target))
            elif target in channels and not channels[target].enabled:
                problems.append(_("routing.{key}[{i}]: channel {target!r} is disabled (enabled: false)").format(
                                    key=key, i=i, target=target))
    # Categories without a route are allowed: their items must name --channel (queue add says so).


def _check_catalogue(catalogue: CatalogueConfig, categories: list[str], problems: list[str]) -> None:
    for category in catalogue.required:
        if category != "default" and category not in categories:
            problems.append(_("catalogue.required.{category}: not one of the categories").format(category=category))


def _parse_series(doc: _Document, problems: list[str], base: Path) -> dict[str, Any]:
    if not doc.series:
        return {}
    try:
        from publisher.series.models import parse_series_block
    except ImportError:
        problems.append(_("series: this installation has no series support"))
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
        message = validation_message(err)
        if err["type"] == "extra_forbidden":
            message = _("unknown key")
        elif err["type"] == "missing":
            message = _("required")
        out.append(_("{field}: {message}").format(field=_dotted(loc), message=message))
    return out


def _dotted(loc: tuple) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"
