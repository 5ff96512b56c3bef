"""The channel adapter interface: the only thing the core knows about a channel.

An adapter is a class registered under the ``publisher.channels`` entry-point group. The core builds
one instance per configured channel and calls a handful of methods on it:

- ``check(item)``   problems that would make the channel refuse the item (run when an editor queues it);
- ``publish(item, ctx)``  put the item on the channel and return a :class:`Receipt`;
- ``lookup(item, ctx)``   did an earlier attempt arrive? (settles ``in_doubt`` deliveries);
- ``retract(item, ctx)``  take the item down;
- ``update(item, ctx)``   replace the published copy by ``ctx.external_id`` (optional; ``supports_update``);
- ``removed(item, ctx)``  has the platform itself since removed it? (optional, for ``publisher reconcile``);
- ``inventory(since)``   every record publisher made on the channel, read back (optional, for ``reconcile``);
- ``remote_key(item, ctx)`` the key a delivery's record carries there, to match ``inventory`` (optional).

Failures are signalled with the exceptions of :mod:`publisher.errors`.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Callable, ClassVar, Iterable, Protocol
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator

from publisher.foundation.clock import Clock
from publisher.errors import LookupUnsupported, PermanentError
from publisher.foundation.i18n import N_


class Registration(BaseModel):
    """An account's registration (备案) as the office filed it; ``channels.<name>.registration``."""

    model_config = ConfigDict(extra="forbid")

    number: str = Field(default="", max_length=100, description="备案号 (filing number)")
    owner: str = Field(default="", max_length=100, description="the responsible person (责任人)")
    opened_on: date | None = Field(default=None, description="the day the account was opened")


def _idle_duration(text: str | None) -> str | None:
    from publisher.foundation.durations import parse_duration

    if text is not None:
        parse_duration(text)
    return text


class ChannelSettings(BaseModel):
    """Keys every channel block accepts; adapters subclass this with their own keys."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    type: str
    display_name: str | None = None
    count_in_report: bool = True
    enabled: bool = True
    report_breakdown: bool = True
    read_back: bool = Field(default=True, description="false: the platform cannot be read back; reconcile skips it")
    concurrency: int = Field(default=4, ge=1, le=64)
    timeout: float = Field(default=30.0, gt=0, le=3600,
                           description="seconds for one HTTP request, whole: connect, headers and body")
    max_answer_bytes: int = Field(default=20 * 1024 * 1024, ge=1024,
                                  description="an answer larger than this is cut off (a named error)")
    registration: Registration | None = None
    max_idle: str | None = Field(default=None, description="the inspection limit: longest time without a "
                                 "publication, e.g. 14d (default: two weeks for new media and portals' news)")
    column_idle: dict[str, str] = Field(default_factory=dict, description="category (column) → its inspection "
                                        "limit on this channel, e.g. 通知公告: 180d")

    @field_validator("max_idle")
    @classmethod
    def _max_idle(cls, value: str | None) -> str | None:
        return _idle_duration(value)

    @field_validator("column_idle")
    @classmethod
    def _column_idle(cls, value: dict[str, str]) -> dict[str, str]:
        for key, text in value.items():
            try:
                _idle_duration(text)
            except ValueError as exc:
                raise ValueError(f"{key}: {exc}") from None
        return value
    credentials_expire_on: date | None = Field(
        default=None, description="when the channel's credentials (password, AppSecret, certificate) expire: the "
                                  "工作台 warns 30 days ahead")


@dataclass(frozen=True)
class Attachment:
    """A file attached to an item, kept in the content-addressed store."""

    path: Path
    filename: str
    mime: str
    sha256: str
    size: int


@dataclass(frozen=True)
class Catalogue:
    """The item as a government record (政府信息公开目录): the fields a portal's catalogue takes."""

    index_no: str | None = None  # 索引号
    issuer: str | None = None  # 发布机构; None: the office (ChannelServices.office_name)
    doc_no: str | None = None  # 文号
    written_on: date | None = None  # 成文日期
    subject: str | None = None  # 主题分类
    genre: str | None = None  # 体裁
    disclosure: str = "主动公开"  # 公开方式
    validity: str = "有效"  # 有效 | 失效 | 废止
    validity_on: date | None = None

    LABELS = (("index_no", "索引号"), ("issuer", "发布机构"), ("doc_no", "文号"), ("written_on", "成文日期"),
              ("subject", "主题分类"), ("genre", "体裁"), ("disclosure", "公开方式"), ("validity", "有效性"))

    def fields(self, office_name: str) -> dict[str, str]:
        """The catalogue as text (dates ``YYYY-MM-DD``), by field name; the issuer defaults to ``office_name``."""
        values = {name: getattr(self, name) for name, _label in self.LABELS}
        values["issuer"] = self.issuer or office_name
        return {k: (v.isoformat() if hasattr(v, "isoformat") else str(v)) for k, v in values.items() if v}

    def table_html(self, office_name: str) -> str:
        """The catalogue as the small table a portal shows above a record's text (for channels without fields)."""
        from html import escape

        values = self.fields(office_name)
        rows = "".join(f"<tr><th>{label}</th><td>{escape(values[name])}</td></tr>"
                       for name, label in self.LABELS if name in values)
        return f'<table class="catalogue">{rows}</table>'

    def validity_notice(self) -> str | None:
        """The notice a copy shows once the record is no longer in force, e.g. 「本文件已于2021年3月1日废止」."""
        if self.validity == "有效" or self.validity_on is None:
            return None
        day = self.validity_on
        return f"本文件已于{day.year}年{day.month}月{day.day}日{self.validity}"


@dataclass(frozen=True)
class ItemView:
    """What an adapter sees of an item: read-only, already validated and sanitised.

    Local images in ``body_html`` appear as ``<img src="attachment:SHA256">``; ``inline_images`` maps
    each SHA256 to its stored file. ``published_urls`` maps other channel names to this item's url there.
    ``channel_options`` holds the editor's overrides for the channel being called (e.g. ``title``).
    ``revision`` is the item revision this view shows (1 when queued; each edit of the text adds one).
    ``publish_at`` is the real publication time: the first channel's acceptance once there is one, else the later
    of the scheduled time and now (an item queued with a past time is never sent back-dated).
    """

    id: int
    uid: str
    title: str
    category: str
    body_html: str
    publish_at: datetime
    summary: str = ""
    author: str = ""
    department: str = ""
    attachments: tuple[Attachment, ...] = ()
    channel_options: dict[str, Any] = field(default_factory=dict)
    inline_images: dict[str, Attachment] = field(default_factory=dict)
    published_urls: dict[str, str] = field(default_factory=dict)
    revision: int = 1
    catalogue: Catalogue = field(default_factory=Catalogue)

    def option(self, key: str, default: Any = None) -> Any:
        """A channel-specific override given by the editor (e.g. ``title`` for a short title)."""
        value = self.channel_options.get(key)
        return default if value in (None, "") else value


@dataclass(frozen=True)
class Receipt:
    """Proof that the channel has the item: its id there, its public url, and when.

    ``detail`` (optional, JSON-serialisable) is kept in the ``published`` event, e.g. the platform's own status.
    """

    external_id: str
    external_url: str | None = None
    published_at: datetime | None = None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RemoteRecord:
    """One record a channel holds, as its read-back (``inventory``) lists it.

    ``key`` is what the adapter put on it to find it again (idempotency key, slug), when the platform keeps
    one; ``removed`` marks a record still listed but withdrawn or in the trash.
    """

    external_id: str
    key: str | None = None
    url: str | None = None
    title: str = ""
    removed: bool = False
    published_at: datetime | None = None


class ChannelState(Protocol):
    """Small persistent key/value store per channel, shared by every worker and daemon on a database."""

    def get(self, key: str) -> Any | None:
        """The stored JSON value, or None when missing or expired."""

    def put(self, key: str, value: Any, *, expires_at: datetime | None = None) -> None:
        """Store a JSON-serialisable value."""

    def delete(self, key: str) -> None:
        """Forget a key."""

    def get_or_create(
        self,
        key: str,
        create: Callable[[], tuple[Any, datetime | None]],
        *,
        refresh_before: timedelta = timedelta(0),
        force: bool = False,
        stale: Any = None,
    ) -> Any:
        """Return the value, calling ``create`` at most once across all workers when missing/expiring.

        ``create`` returns ``(value, expires_at)``. ``force`` replaces the current value (e.g. a token
        the platform rejected, passed as ``stale``) unless another worker has already replaced it.
        """


@dataclass
class ChannelServices:
    """What the core lends an adapter: the clock, persistent state, office facts, a logger."""

    clock: Clock
    state: ChannelState
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    office_name: str = ""
    log: logging.Logger = field(default_factory=lambda: logging.getLogger("publisher.channel"))


class DeliveryContext:
    """One delivery of one item to one channel, as the dispatcher hands it to an adapter."""

    def __init__(
        self,
        *,
        delivery_id: int,
        channel: str,
        idempotency_key: str,
        attempt: int,
        checkpoint: dict[str, Any] | None = None,
        external_id: str | None = None,
        external_url: str | None = None,
        save_checkpoint: Callable[[dict[str, Any]], None] | None = None,
    ):
        self.delivery_id = delivery_id
        self.channel = channel
        self.idempotency_key = idempotency_key
        self.attempt = attempt
        self.checkpoint: dict[str, Any] = dict(checkpoint or {})
        self.external_id = external_id
        self.external_url = external_url
        self._save = save_checkpoint

    def save(self, **values: Any) -> None:
        """Record progress (e.g. a draft id) durably before the next step, so a crash resumes here."""
        self.checkpoint.update(values)
        if self._save is not None:
            self._save(dict(self.checkpoint))


class Channel(ABC):
    """Base class of channel adapters. Subclass, set ``Settings``, implement ``publish`` (the one required method)."""

    Settings: ClassVar[type[ChannelSettings]] = ChannelSettings
    #: True when ``lookup`` can say for certain whether an earlier attempt arrived; without it the dispatcher
    #: never calls ``lookup`` and an in-doubt delivery waits for an operator.
    supports_lookup: ClassVar[bool] = False
    #: True when the channel sends no network request (e.g. a file): a worker that died left nothing in flight.
    local_only: ClassVar[bool] = False
    #: True when ``update`` replaces a published copy in place, by its external id, idempotently (sending the
    #: same update twice leaves one copy with that content). Without it an edit of an item published here is
    #: refused unless the editor leaves the old copy there (``item edit --leave``).
    supports_update: ClassVar[bool] = False
    #: The per-item option keys (``--option NAME.KEY=…``) the adapter reads; None: it does not say.
    options: ClassVar[frozenset[str] | None] = None

    def __init__(self, name: str, settings: ChannelSettings, services: ChannelServices):
        self.name = name
        self.settings = settings
        self.services = services
        self.log = services.log.getChild(name)

    @property
    def display_name(self) -> str:
        """How reports name this channel."""
        return self.settings.display_name or self.name

    @classmethod
    def validate_settings(cls, settings: ChannelSettings) -> list[tuple[str, str]]:
        """(key, problem) pairs for values that validate but cannot be used; ``check-config`` reports them.

        The default finds URLs without an http(s) scheme or with a bad port and CSS selectors that do not parse,
        by the keys' names (``*base_url``, ``site_url``, ``api_base``, ``*_url``, ``*selector``); override and
        call it to add the adapter's own checks.
        """
        from publisher.foundation.settings_check import unusable_values

        return unusable_values(settings)

    def option_keys(self) -> frozenset[str] | None:
        """The option keys an editor may give this channel, or None when any is accepted."""
        return self.options

    def check(self, item: ItemView) -> list[str]:
        """Problems that would make this channel refuse the item; empty when it fits."""
        return []

    def preview_body(self, item: ItemView) -> str:
        """The body as this channel's platform will show it, for the console's preview (nothing is sent;
        ``attachment:`` pictures stay as they are). The default: the body as it is."""
        return item.body_html

    @abstractmethod
    def publish(self, item: ItemView, ctx: DeliveryContext) -> Receipt:
        """Put the item on the channel; raise a :class:`publisher.errors.ChannelError` on failure."""

    def lookup(self, item: ItemView, ctx: DeliveryContext) -> Receipt | None:
        """Find what an earlier attempt of this delivery left on the channel, or None."""
        raise LookupUnsupported(N_("channel {name} cannot look up earlier attempts").format(name=self.name))

    def retract(self, item: ItemView, ctx: DeliveryContext) -> None:
        """Take the published item down (``ctx.external_id`` says which)."""
        raise PermanentError(N_("channel {name} cannot retract; remove the item by hand").format(name=self.name))

    def update(self, item: ItemView, ctx: DeliveryContext) -> Receipt:
        """Replace the published copy (``ctx.external_id``) with the item's content; never create a second copy.

        Called only when ``supports_update`` is set. It must be idempotent: after a timeout the dispatcher sends
        the same update again. A copy that is gone is a :class:`PermanentError`, not a reason to publish anew.
        """
        raise PermanentError(N_("channel {name} cannot update a published item").format(name=self.name))

    def waits_for(self) -> list[str]:
        """Channels whose copy of an item this one links to (阅读原文, a feed's link): publish after them."""
        return []

    def removed(self, item: ItemView, ctx: DeliveryContext) -> str | None:
        """Why a published item is no longer on the channel (deleted or banned there), or None if it is / unknown."""
        return None

    def inventory(self, since: datetime | None = None) -> Iterable[RemoteRecord] | None:
        """Read back what publisher made on the channel (since ``since``), or None when the channel cannot list.

        Called by ``publisher reconcile`` to find records the ledger does not know (e.g. a duplicate).
        """
        return None

    def remote_key(self, item: ItemView, ctx: DeliveryContext) -> str | None:
        """The ``RemoteRecord.key`` this delivery's record carries on the channel, or None (match by id only)."""
        return None

    def close(self) -> None:
        """Release connections and files."""
