"""Channel ``rss``: an RSS 2.0 (and optionally Atom) feed file of the items published to it.

The entries live in the channel state (key ``entries``, newest first, at most ``max_entries``), so every
worker and daemon sharing the database builds the same feed; each change rewrites the file(s) atomically.
Inline ``attachment:`` images are dropped from the feed copy (readers follow the entry link instead).

What feed validators require is kept: an author on the feed, absolute URLs in content, a distinct
``updated`` per entry (items queued in the same second are a millisecond apart, in queue order), a build
date that never goes back (a retraction keeps it), and attachments as enclosures (copied to
``attachments_output`` when given, else linked to the entry's page, which carries them).
"""

from __future__ import annotations

import contextlib
import html
import os
import re
import shutil
import tempfile
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable
from urllib.parse import quote, urljoin, urlsplit


from pydantic import Field, field_validator

from publisher.adapter import (
    Channel, ChannelServices, ChannelSettings, DeliveryContext, ItemView, Receipt, RemoteRecord,
)
from publisher.errors import PermanentError
from publisher.foundation.i18n import N_, _

if TYPE_CHECKING:  # loaded where used: read-only commands parse the settings without it
    from feedgen.feed import FeedGenerator

STATE_KEY = "entries"
BUILT_KEY = "feed_updated"  # the feed's build date: never goes back
SUMMARY_CHARS = 200
#: feedgen formats RFC-822 dates through locale.setlocale, which is process-global.
_FEEDGEN_LOCK = threading.Lock()
_INLINE_PICTURE = re.compile(r"""<img\b[^>]*\bsrc\s*=\s*["']attachment:([0-9a-fA-F]*)["'][^>]*>""", re.IGNORECASE)
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
    author: str | None = Field(default=None, description="the feed's author (default: the office's name)")
    attachments_output: Path | None = Field(default=None, description="folder the web server publishes attachments from")
    attachments_url: str | None = Field(default=None, description="public URL of that folder (default site_url/<name>)")
    catalogue_table: bool = Field(default=False, description="put the record's 信息公开目录 above each entry's text")

    @field_validator("site_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not re.match(r"https?://[^/]+", value):
            raise ValueError(_("must be an http(s) URL, e.g. https://www.example.gov.cn"))
        return value.rstrip("/")

    @field_validator("link_template")
    @classmethod
    def _known_placeholders(cls, value: str) -> str:
        try:
            value.format(**_TEMPLATE_FIELDS)
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(_("bad placeholder {exc}; use {{site_url}}, {{uid}}, {{id}} or {{category}}").format(
                                 exc=exc)) from None
        return value


class RssChannel(Channel):
    """Keep a feed file of the newest published items."""

    options = frozenset({"title"})

    Settings = RssSettings
    supports_lookup = True
    local_only = True
    supports_update = True  # the entry is replaced by its guid

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
            others = [e for e in current if e["uid"] != item.uid]
            entry["updated"] = _distinct(entry["updated"], {e["updated"] for e in others})
            return others + [entry]

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
            entries = self.entries()
            self._write(entries, self._built(entries))

    def inventory(self, since: datetime | None = None) -> list[RemoteRecord]:
        """What the feed file on disk holds now (the newest ``max_entries`` items)."""
        import feedparser

        path = self.settings.output
        if not path.is_file():
            return []
        feed = feedparser.parse(path.read_bytes())
        return [RemoteRecord(external_id=str(e.get("id")), key=str(e.get("id")), url=e.get("link"),
                             title=e.get("title", "")) for e in feed.entries]

    def removed(self, item: ItemView, ctx: DeliveryContext) -> str | None:
        """Read the feed file back: an entry missing from it (while still due there) was removed by hand.

        A file that lags behind the stored entries (restored from a backup, edited) is rewritten first.
        An item pushed out by newer ones (``max_entries``) is not a removal.
        """
        uid = ctx.external_id or item.uid
        in_file = {r.external_id for r in self.inventory()}
        if uid in in_file:
            return None
        stored = self.entries()
        if any(e["uid"] == uid for e in stored):
            self.log.warning("%s: the feed file lacks entries it should hold; rewriting it", self.name)
            self.rebuild()
            return None
        published = item.publish_at if item.publish_at.tzinfo else item.publish_at.replace(tzinfo=self.services.timezone)
        if len(stored) >= self.settings.max_entries and _iso(published) <= min(e["published"] for e in stored):
            return None  # aged out of the bounded feed
        return N_("no longer in the feed {name} (removed by hand?)").format(name=self.settings.output.name)

    def remote_key(self, item: ItemView, ctx: DeliveryContext) -> str | None:
        """The entry's guid."""
        return item.uid

    def _entry(self, item: ItemView) -> dict[str, Any]:
        link = self._link(item)
        body = _xml_safe(self._pictures(item, link))
        summary = item.summary or _excerpt(body)
        if self.settings.catalogue_table:
            body = _xml_safe(item.catalogue.table_html(self.services.office_name)) + body
        files = self._attachments(item, link)
        if files:
            links = "".join(f'<li><a href="{html.escape(f["url"])}">{html.escape(f["name"])}</a></li>' for f in files)
            body += f"<p>附件：</p><ul>{links}</ul>"
        published = item.publish_at
        if published.tzinfo is None:
            published = published.replace(tzinfo=self.services.timezone)
        return {
            "uid": item.uid,
            "title": _xml_safe(str(item.option("title", item.title))),
            "link": link,
            "summary": _xml_safe(summary),
            "html": _absolute_urls(body, link),
            "category": _xml_safe(item.category),
            "author": _xml_safe(item.author),
            "attachments": [f for f in files if f.get("length")],
            "published": _iso(published),
            "updated": _iso(published),
        }

    def _pictures(self, item: ItemView, link: str) -> str:
        """The body with its pictures: copied to ``attachments_output`` and shown from there, else a link to the
        entry's page, which shows them (a feed reader cannot fetch ``attachment:``)."""
        def picture(match: re.Match) -> str:
            image = item.inline_images.get(match.group(1))
            if image is None:
                return ""
            if self.settings.attachments_output is None:
                return f'<a href="{html.escape(link)}">［图片，见原文］</a>'
            return f'<img src="{html.escape(self._published_file(image))}" alt="">'

        return _INLINE_PICTURE.sub(picture, item.body_html)

    def _published_file(self, a) -> str:
        """The public URL of one file copied into ``attachments_output``."""
        s = self.settings
        base = (s.attachments_url or f"{s.site_url}/{s.attachments_output.name}").rstrip("/")
        target = s.attachments_output / a.sha256[:16] / a.filename
        if not target.is_file():
            try:
                _copy_atomically(Path(a.path), target)
            except OSError as exc:
                raise PermanentError(N_("{name}: cannot copy {filename} to {parent}: {exc}").format(
                                         name=self.name, filename=a.filename, parent=target.parent,
                                         exc=exc)) from exc
        return f"{base}/{a.sha256[:16]}/{quote(a.filename)}"

    def _attachments(self, item: ItemView, link: str) -> list[dict[str, Any]]:
        """Each attachment's public URL: a copy in ``attachments_output``, else the entry's page that carries it."""
        s = self.settings
        if s.attachments_output is None:
            return [{"name": a.filename, "url": link} for a in item.attachments]
        return [{"name": a.filename, "url": self._published_file(a), "type": a.mime, "length": a.size}
                for a in item.attachments]

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
            built = self._built(entries)
            self._write(entries, built)
            self.services.state.put(BUILT_KEY, _iso(built))
            return entries, None

        with self._lock:
            self.services.state.get_or_create(STATE_KEY, create, force=True)

    # --- feed files ----------------------------------------------------------------------------

    def _built(self, entries: list[dict[str, Any]]) -> datetime:
        """The feed's build date: its newest entry's, but never earlier than before (a retraction keeps it)."""
        stored = self.services.state.get(BUILT_KEY)
        times = [_parse(e["updated"]) for e in entries] + ([_parse(stored)] if stored else [])
        return max(times) if times else self.services.clock.now()

    def _write(self, entries: list[dict[str, Any]], built: datetime) -> None:
        s = self.settings
        try:
            with _FEEDGEN_LOCK:
                rss = self._feed(entries, s.feed_url or f"{s.site_url}/{s.output.name}", built, atom=False).rss_str(pretty=True)
                atom = None
                if s.atom_output is not None:
                    atom_url = s.atom_url or f"{s.site_url}/{s.atom_output.name}"
                    atom = _with_enclosures(self._feed(entries, atom_url, built, atom=True).atom_str(pretty=True), entries)
            _write_atomically(s.output, rss)
            if atom is not None and s.atom_output is not None:
                _write_atomically(s.atom_output, atom)
        except OSError as exc:
            raise PermanentError(N_("{name}: cannot write the feed file: {exc}").format(
                                     name=self.name, exc=exc)) from exc

    def _feed(self, entries: list[dict[str, Any]], self_url: str, built: datetime, *, atom: bool) -> FeedGenerator:
        s = self.settings
        title = s.title or self.display_name
        from feedgen.feed import FeedGenerator

        fg = FeedGenerator()
        fg.id(s.site_url + "/")
        fg.title(title)
        fg.description(s.description or title)
        fg.language(s.language)
        fg.link(href=self_url, rel="self")
        fg.link(href=s.site_url + "/", rel="alternate")  # last: fg.link() keeps the last href for RSS <link>
        fg.generator("publisher")
        fg.author(name=s.author or self.services.office_name or title)
        fg.updated(built)
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
            if atom and entry.get("author"):
                fe.author(name=entry["author"])
            files = entry.get("attachments") or []
            if files and not atom:  # RSS 2.0 carries one enclosure per item; Atom gets all (_with_enclosures)
                fe.enclosure(files[0]["url"], str(files[0]["length"]), files[0]["type"])
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


def _with_enclosures(atom: bytes, entries: list[dict[str, Any]]) -> bytes:
    """Add ``<link rel="enclosure">`` per attachment (feedgen 1.0 writes entry links without rel/type/length)."""
    if not any(e.get("attachments") for e in entries):
        return atom
    from lxml import etree

    ns = "http://www.w3.org/2005/Atom"
    root = etree.fromstring(atom)
    files = {f"urn:publisher:item:{e['uid']}": e["attachments"] for e in entries if e.get("attachments")}
    for element in root.iter(f"{{{ns}}}entry"):
        for f in files.get(element.findtext(f"{{{ns}}}id") or "", []):
            etree.SubElement(element, f"{{{ns}}}link", href=f["url"], rel="enclosure", type=f["type"],
                             length=str(f["length"]))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _copy_atomically(source: Path, target: Path) -> None:
    """Copy under a name of its own, then rename: two deliveries copying the same file at once do not collide."""
    import tempfile

    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    tmp = Path(name)
    try:
        shutil.copyfile(source, tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _absolute_urls(body: str, base: str) -> str:
    """Make every ``href``/``src`` absolute against ``base`` (feed readers have no page to resolve them from)."""
    if "href" not in body and "src" not in body:
        return body
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(body, "html.parser")
    changed = False
    for tag in soup.find_all(["a", "img"]):
        attr = "href" if tag.name == "a" else "src"
        value = (tag.get(attr) or "").strip()
        if value and not urlsplit(value).scheme and not value.startswith("#"):
            tag[attr] = urljoin(base, value)
            changed = True
    return str(soup) if changed else body


def _distinct(updated: str, taken: set[str]) -> str:
    """``updated``, moved a millisecond at a time past every value other entries already have."""
    if updated not in taken:
        return updated
    when = _parse(updated)
    latest = max((_parse(t) for t in taken if _parse(t) >= when), default=when)
    candidate = latest + timedelta(milliseconds=1)
    while _iso_ms(candidate) in taken:
        candidate += timedelta(milliseconds=1)
    return _iso_ms(candidate)


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


def _iso_ms(when: datetime) -> str:
    return when.astimezone(timezone.utc).isoformat(timespec="milliseconds")


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text)
