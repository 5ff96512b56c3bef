"""Channel ``rss``: an RSS 2.0 (and optionally Atom) feed file of the items published to it.

The entries live in the channel state (key ``entries``, newest first, at most ``max_entries``), so every
worker and daemon sharing the database builds the same feed; each change rewrites the file(s) atomically.
Inline ``attachment:`` images are dropped from the feed copy (readers follow the entry link instead).
"""

from __future__ import annotations

import contextlib
import html
import os
import re
import tempfile
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from feedgen.feed import FeedGenerator
from pydantic import Field, field_validator

from publisher.adapter import (
    Channel,
    ChannelServices,
    ChannelSettings,
    DeliveryContext,
    ItemView,
    Receipt,
)
from publisher.errors import PermanentError

STATE_KEY = "entries"
SUMMARY_CHARS = 200
#: feedgen formats RFC-822 dates through locale.setlocale, which is process-global.
_FEEDGEN_LOCK = threading.Lock()
_INLINE_IMG = re.compile(r"""<img\b[^>]*\bsrc\s*=\s*["']attachment:[^"']*["'][^>]*>""", re.IGNORECASE)
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_TEMPLATE_FIELDS = {"site_url": "https://example.gov.cn", "uid": "u", "id": 1, "category": "c"}


class RssSettings(ChannelSettings):
    """Keys of an ``rss`` channel block."""

    output: Path
    atom_output: Path | None = None
    site_url: str
    title: str | None = None
    description: str | None = None
    language: str = "zh-CN"
    max_entries: int = Field(default=50, ge=1, le=10000)
    link_template: str = "{site_url}/items/{uid}.html"
    link_from: str | None = None
    feed_url: str | None = Field(default=None, description="public URL of the RSS file (default site_url/<file name>)")
    atom_url: str | None = Field(default=None, description="public URL of the Atom file (default site_url/<file name>)")

    @field_validator("site_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not re.match(r"https?://[^/]+", value):
            raise ValueError("must be an http(s) URL, e.g. https://www.example.gov.cn")
        return value.rstrip("/")

    @field_validator("link_template")
    @classmethod
    def _known_placeholders(cls, value: str) -> str:
        try:
            value.format(**_TEMPLATE_FIELDS)
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(f"bad placeholder {exc}; use {{site_url}}, {{uid}}, {{id}} or {{category}}") from None
        return value


class RssChannel(Channel):
    """Keep a feed file of the newest published items."""

    Settings = RssSettings
    supports_lookup = True
    local_only = True

    def __init__(self, name: str, settings: RssSettings, services: ChannelServices):
        super().__init__(name, settings, services)
        self.settings: RssSettings = settings
        self._lock = threading.Lock()

    # --- the adapter interface -----------------------------------------------------------------

    def publish(self, item: ItemView, ctx: DeliveryContext) -> Receipt:
        """Add (or replace) the item's entry and rewrite the feed."""
        entry = self._entry(item)
        now = _iso(self.services.clock.now())

        def add(current: list[dict[str, Any]]) -> list[dict[str, Any]]:
            earlier = next((e for e in current if e["uid"] == item.uid), None)
            if earlier is not None and _content(earlier) != _content(entry):
                entry["updated"] = max(entry["published"], now)
            elif earlier is not None:
                entry["updated"] = earlier["updated"]
            return [e for e in current if e["uid"] != item.uid] + [entry]

        self._change(add)
        return Receipt(external_id=item.uid, external_url=entry["link"], published_at=self.services.clock.now())

    def update(self, item: ItemView, ctx: DeliveryContext) -> Receipt:
        """Replace the entry with the item's current content (same guid)."""
        return self.publish(item, ctx)

    def waits_for(self) -> list[str]:
        """The channel whose url becomes the entry's link."""
        return [self.settings.link_from] if self.settings.link_from else []

    def lookup(self, item: ItemView, ctx: DeliveryContext) -> Receipt | None:
        """The item's entry if the feed holds it."""
        for entry in self.entries():
            if entry["uid"] == item.uid:
                return Receipt(external_id=entry["uid"], external_url=entry["link"])
        return None

    def retract(self, item: ItemView, ctx: DeliveryContext) -> None:
        """Remove the item's entry and rewrite the feed (harmless when it is not there)."""
        uid = ctx.external_id or item.uid
        self._change(lambda current: [e for e in current if e["uid"] != uid])

    # --- entries -------------------------------------------------------------------------------

    def entries(self) -> list[dict[str, Any]]:
        """The stored entries, newest first."""
        return [dict(e) for e in self.services.state.get(STATE_KEY) or []]

    def rebuild(self) -> None:
        """Rewrite the feed file(s) from the stored entries."""
        with self._lock:
            self._write(self.entries())

    def _entry(self, item: ItemView) -> dict[str, Any]:
        body = _xml_safe(_INLINE_IMG.sub("", item.body_html))
        summary = item.summary or _excerpt(body)
        published = item.publish_at
        if published.tzinfo is None:
            published = published.replace(tzinfo=self.services.timezone)
        return {
            "uid": item.uid,
            "title": _xml_safe(str(item.option("title", item.title))),
            "link": self._link(item),
            "summary": _xml_safe(summary),
            "html": body,
            "category": _xml_safe(item.category),
            "published": _iso(published),
            "updated": _iso(published),
        }

    def _link(self, item: ItemView) -> str:
        if self.settings.link_from and item.published_urls.get(self.settings.link_from):
            return item.published_urls[self.settings.link_from]
        return self.settings.link_template.format(
            site_url=self.settings.site_url, uid=item.uid, id=item.id, category=item.category
        )

    def _change(self, edit: Callable[[list[dict[str, Any]]], list[dict[str, Any]]]) -> None:
        """Apply ``edit`` to the stored entries and rewrite the feed, one writer at a time.

        The read-modify-write runs inside the state's single-flight ``get_or_create`` (a lock shared by
        every daemon on the database), so two daemons changing the feed at once cannot drop an entry.
        """

        def create() -> tuple[list[dict[str, Any]], None]:
            entries = edit(self.entries())
            entries.sort(key=lambda e: (e["published"], e["uid"]), reverse=True)
            entries = entries[: self.settings.max_entries]
            self._write(entries)
            return entries, None

        with self._lock:
            self.services.state.get_or_create(STATE_KEY, create, force=True)

    # --- feed files ----------------------------------------------------------------------------

    def _write(self, entries: list[dict[str, Any]]) -> None:
        s = self.settings
        try:
            with _FEEDGEN_LOCK:
                rss = self._feed(entries, s.feed_url or f"{s.site_url}/{s.output.name}", atom=False).rss_str(pretty=True)
                atom = None
                if s.atom_output is not None:
                    atom_url = s.atom_url or f"{s.site_url}/{s.atom_output.name}"
                    atom = self._feed(entries, atom_url, atom=True).atom_str(pretty=True)
            _write_atomically(s.output, rss)
            if atom is not None and s.atom_output is not None:
                _write_atomically(s.atom_output, atom)
        except OSError as exc:
            raise PermanentError(f"{self.name}: cannot write the feed file: {exc}") from exc

    def _feed(self, entries: list[dict[str, Any]], self_url: str, *, atom: bool) -> FeedGenerator:
        s = self.settings
        title = s.title or self.display_name
        fg = FeedGenerator()
        fg.id(s.site_url + "/")
        fg.title(title)
        fg.description(s.description or title)
        fg.language(s.language)
        fg.link(href=self_url, rel="self")
        fg.link(href=s.site_url + "/", rel="alternate")  # last: fg.link() keeps the last href for RSS <link>
        fg.generator("publisher")
        newest = max((_parse(e["updated"]) for e in entries), default=None)
        fg.updated(newest or self.services.clock.now())
        for entry in entries:  # newest first, so append
            fe = fg.add_entry(order="append")
            if atom:  # feedgen's id() and guid() each set both; one generator per format keeps them apart
                fe.id(f"urn:publisher:item:{entry['uid']}")
            else:
                fe.guid(entry["uid"], permalink=False)
            fe.title(entry["title"])
            fe.link(href=entry["link"], rel="alternate")
            fe.summary(html.escape(entry["summary"] or entry["title"], quote=False), type="html")
            if entry["html"]:
                fe.content(entry["html"], type="html")
            if entry["category"]:
                fe.category(term=entry["category"])
            fe.published(_parse(entry["published"]))
            fe.updated(_parse(entry["updated"]))
        return fg


def _write_atomically(path: Path, data: bytes) -> None:
    """Write to a temp file in the same folder, then rename over the target."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; the web server must read the feed
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _content(entry: dict[str, Any]) -> tuple:
    return tuple(entry.get(k) for k in ("title", "link", "summary", "html", "category", "published"))


def _excerpt(body: str) -> str:
    text = " ".join(html.unescape(_TAG.sub(" ", body)).split())
    return text if len(text) <= SUMMARY_CHARS else text[: SUMMARY_CHARS - 1] + "…"


_TAG = re.compile(r"<[^>]*>")


def _xml_safe(text: str) -> str:
    return _XML_ILLEGAL.sub("", text)


def _iso(when: datetime) -> str:
    return when.astimezone(timezone.utc).isoformat(timespec="seconds")


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text)
