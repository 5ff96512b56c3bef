"""WeChat Official Account (微信公众号) channel: items become articles via draft/add and freepublish.

Flow: adapt the body and upload its images → draft/add → freepublish/submit → poll freepublish/get.
Each step is checkpointed (``media_id``, ``submit_started``, ``publish_id``) so a crash never makes a
second draft or a second publish; an unknown submit outcome is settled against freepublish/batchget.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Iterator

from pydantic import Field, SecretStr, field_validator

from publisher.adapter import (
    Channel, ChannelServices, ChannelSettings, DeliveryContext, ItemView, Receipt, RemoteRecord,
)
from publisher.foundation.content import strip_control_chars
from publisher.errors import (
    ChannelPaused, LookupUnsupported, OutcomeUnknown, PermanentError, RetryableError, StillProcessing,
)
from publisher.http import new_session, send
from publisher.foundation.i18n import N_, _

from channels.wechat.api import WechatApi
from channels.wechat.content import MB, adapt_body, fetch_image, is_cdn_url, listed_host, plain_cover, prepare_image

TITLE_MAX, AUTHOR_MAX, DIGEST_MAX = 32, 16, 128
CONTENT_MAX_CHARS, SOURCE_URL_MAX = 20000, 1024
_PLACEHOLDER_URL = "http://mmbiz.qpic.cn/mmbiz_png/" + "x" * 60 + "/0?wx_fmt=png"

FAILED_STATUS = {
    2: "the original-content (原创) check failed",
    3: "publishing failed (WeChat gives no reason)",
    4: "the platform review (审核) refused it",
}
LOOKUP_REFUSED = frozenset({48001, 48004})  # the API is not authorised (or banned) for this account
REMOVED_STATUS = {5: "deleted on WeChat after it was published", 6: "banned (封禁) by WeChat after it was published"}


class WechatSettings(ChannelSettings):
    """Keys of a ``type: wechat`` channel block."""

    api_base: str = "https://api.weixin.qq.com"
    appid: str = Field(min_length=1)
    secret: SecretStr = Field(description="the AppSecret; write it as ${ENV_VAR}")
    use_stable_token: bool = False
    author: str = Field(default="", max_length=AUTHOR_MAX, description="author when the item has none")
    default_cover: Path | None = Field(default=None, description="cover image when the item has no image")
    cover_color: str | None = Field(default=None, description="plain cover of this colour when there is no image at all")
    source_url_from: str | None = Field(default=None, description="website channel whose url becomes 阅读原文")
    poll_interval: float = Field(default=30.0, gt=0, description="seconds before checking a publish again")
    max_polls: int = Field(default=2, ge=1, le=10, description="freepublish/get calls within one attempt")
    lookup_settle_seconds: float = Field(default=600.0, ge=0, description="how long an unknown submit may stay unlisted")
    need_open_comment: bool = False
    only_fans_can_comment: bool = False
    image_download_max: int = Field(default=10 * MB, gt=0, description="bytes accepted for an external image")
    image_hosts: list[str] = Field(default_factory=list, description="hosts whose <img src> may be fetched (e.g. "
                                   "www.example.gov.cn, .example.gov.cn); other remote images are refused at queue "
                                   "time")

    @field_validator("cover_color")
    @classmethod
    def _known_colour(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                from PIL import ImageColor

                ImageColor.getrgb(value)
            except ValueError:
                raise ValueError(_("'{value}' is not a colour (use e.g. '#1f5fa8' or 'navy')").format(
                                     value=value)) from None
        return value


@dataclass
class _Image:
    """A picture referenced by the body: its content hash and a way to read it."""

    sha256: str
    label: str
    read: Callable[[], bytes]


class WechatChannel(Channel):
    """Publishes items as articles of a WeChat official account."""

    options = frozenset({"title", "author", "digest", "attachments"})

    Settings = WechatSettings
    supports_lookup = True

    def __init__(self, name: str, settings: WechatSettings, services: ChannelServices):
        super().__init__(name, settings, services)
        self.settings: WechatSettings = settings
        self.api = WechatApi(
            api_base=settings.api_base,
            appid=settings.appid,
            secret=settings.secret.get_secret_value(),
            services=services,
            channel=name,
            timeout=settings.timeout,
            use_stable_token=settings.use_stable_token,
        )
        self._upload_lock = threading.Lock()  # one upload per picture even when workers race

    # ------------------------------------------------------------------ check

    def preview_body(self, item: ItemView) -> str:
        """The article's body as WeChat keeps it: inline-styled tables, plain links, pictures as they are."""
        return adapt_body(item.body_html, lambda src: src, base_url=self._source_url(item))

    def check(self, item: ItemView) -> list[str]:
        """Problems WeChat would refuse, each with how to fix it."""
        problems = self._field_problems(item)
        image_problems: list[str] = []
        first_image: list[str] = []

        def placeholder(src: str) -> str | None:
            if src.startswith("attachment:"):
                attachment = item.inline_images.get(src.split(":", 1)[1])
                if attachment is None or not Path(attachment.path).is_file():
                    image_problems.append(N_("inline image {src} is missing from the item's images").format(src=src))
                    return None
            elif not src.startswith(("http://", "https://", "data:image/")):
                image_problems.append(N_("image '{src}' is neither attached nor a web address; attach it").format(
                                          src=src[:80]))
                return None
            elif (src.startswith(("http://", "https://")) and not is_cdn_url(src)
                  and not listed_host(src, self.settings.image_hosts)):
                image_problems.append(N_("image {src} is on a host not listed in channels.{name}.image_hosts: attach "
                                         "it to the item, or list its host").format(src=src[:200], name=self.name))
                return None
            first_image.append(src)
            return _PLACEHOLDER_URL

        content = adapt_body(item.body_html, placeholder, base_url=self._source_url(item))
        problems += image_problems
        if item.attachments and not self.settings.source_url_from and item.option("attachments") != "omit":
            names = ", ".join(a.filename for a in item.attachments)
            problems.append(
                N_("WeChat articles cannot carry attachments ({names}): set channels.{name}.source_url_from to the "
                  "website channel (the article then names them and links 阅读原文 to the website copy), or publish "
                  "without them with --option {name}.attachments=omit").format(names=names, name=self.name)
            )
        problems += _content_problems(content)
        if not first_image:
            if not self._has_default_cover():
                problems.append(
                    N_("WeChat needs a cover image: add an image to the body, or set "
                       "channels.{name}.default_cover").format(
                        name=self.name)
                )
            elif cover_problem(self.settings):
                problems.append(f"channels.{self.name}.{cover_problem(self.settings)}")
        return problems

    # ------------------------------------------------------------------ publish

    def publish(self, item: ItemView, ctx: DeliveryContext) -> Receipt:
        """Draft, submit and poll, resuming from the checkpoint (never a second draft or submit)."""
        cp = ctx.checkpoint
        if cp.get("article_id"):
            return self._receipt_from_checkpoint(ctx)
        publish_id = cp.get("publish_id")
        if not publish_id:
            media_id = cp.get("media_id") or self._create_draft(item, ctx)
            ctx.save(submit_started=self._now().isoformat())
            try:
                data = self.api.call("/cgi-bin/freepublish/submit", json_body={"media_id": media_id}, idempotent=False)
            except RetryableError:
                ctx.save(submit_started=None)  # a clear "not now" (busy, limit, 503): nothing was accepted
                raise
            except PermanentError as exc:
                if errcode_of(exc) == 40007 and not cp.get("resubmitted"):
                    # the draft has gone from the draft box (deleted by hand): make a new one next time
                    ctx.save(media_id=None, submit_started=None, resubmitted=True)
                    raise RetryableError(N_("{exc}; the draft disappeared, a new one will be made").format(
                                             exc=exc)) from None
                raise
            publish_id = str(data["publish_id"])
            ctx.save(publish_id=publish_id, msg_data_id=str(data.get("msg_data_id") or ""))
            self.log.info("submitted draft for publishing (publish_id %s)", publish_id)
        return self._poll(publish_id, ctx)

    def _create_draft(self, item: ItemView, ctx: DeliveryContext) -> str:
        """Adapt the body, upload its images and the cover, add the draft; checkpoint its media_id."""
        problems = self._field_problems(item)
        if problems:
            raise PermanentError("; ".join(problems))
        first: list[_Image] = []

        def upload(src: str) -> str | None:
            if is_cdn_url(src):
                return src
            image = self._image(item, src)
            first.append(image)
            return self._upload_inline(image)

        source_url = self._source_url(item)
        content = adapt_body(item.body_html, upload, base_url=source_url)
        problems = _content_problems(content)
        if problems:
            raise PermanentError("; ".join(problems))
        article = {
            "title": self._title(item),
            "author": self._author(item),
            "digest": self._digest(item),
            "content": content,
            "content_source_url": source_url if source_url and len(source_url.encode()) <= SOURCE_URL_MAX else "",
            "thumb_media_id": "",
            "need_open_comment": int(self.settings.need_open_comment),
            "only_fans_can_comment": int(self.settings.only_fans_can_comment),
        }
        note = self._attachments_note(item, source_url)
        if note:
            article["content"] = content + note
        article = without_u_escapes(article)  # before the title and digest are checkpointed: look-ups match them
        cover = first[0] if first else None
        if ctx.checkpoint.get("draft_started"):
            # an earlier draft/add went unanswered: the draft may exist; never add a second one blindly
            earlier = self._find_draft(ctx.checkpoint)
            if earlier:
                ctx.save(media_id=earlier, draft_started=None)
                self.log.info("found the draft of an unanswered draft/add for item %s", item.id)
                return earlier
        for attempt in range(2):
            article["thumb_media_id"] = self._cover_media_id(cover, refresh=attempt > 0)
            ctx.save(draft_started=self._now().isoformat(), title=article["title"], digest=article["digest"])
            try:
                data = self.api.call("/cgi-bin/draft/add", json_body={"articles": [article]}, idempotent=False)
                break
            except (RetryableError, PermanentError) as exc:
                ctx.save(draft_started=None)  # a clear answer: no draft was added
                if not isinstance(exc, PermanentError) or errcode_of(exc) != 40007 or attempt:
                    raise
                self.log.warning("cached cover media_id was refused; uploading the cover again")
        media_id = str(data["media_id"])
        ctx.save(media_id=media_id, draft_started=None, title=article["title"], digest=article["digest"], source_url=article["content_source_url"])
        self.log.info("added WeChat draft for item %s", item.id)
        return media_id

    def _poll(self, publish_id: str, ctx: DeliveryContext) -> Receipt:
        """Ask how the publish went, up to ``max_polls`` times; retry later while it is still running."""
        for _ in range(self.settings.max_polls):
            data = self.api.call("/cgi-bin/freepublish/get", json_body={"publish_id": publish_id})
            status = int(data.get("publish_status", -1))
            if status == 0:
                urls = [i.get("article_url") for i in (data.get("article_detail") or {}).get("item", [])]
                ctx.save(article_id=str(data["article_id"]), article_url=next((u for u in urls if u), None))
                return self._receipt_from_checkpoint(ctx)
            if status in FAILED_STATUS or status in REMOVED_STATUS:
                reason = FAILED_STATUS.get(status) or REMOVED_STATUS[status]
                # a later manual retry starts over from the item's current content
                ctx.save(media_id=None, publish_id=None, submit_started=None)
                raise PermanentError(N_("WeChat did not publish the article: {reason} (publish_status {status}, "
                                        "publish_id {publish_id})").format(
                                         reason=reason, status=status, publish_id=publish_id))
            if status != 1:
                raise RetryableError(N_("WeChat freepublish/get answered an unknown publish_status {status}").format(
                                         status=status))
        raise StillProcessing(
            N_("WeChat is still publishing (publish_id {publish_id}); checking again in {poll_interval:g}s").format(
                publish_id=publish_id, poll_interval=self.settings.poll_interval),
            retry_after=self.settings.poll_interval,
        )

    def _receipt_from_checkpoint(self, ctx: DeliveryContext) -> Receipt:
        cp = ctx.checkpoint
        detail = {k: cp[k] for k in ("publish_id", "media_id", "msg_data_id") if cp.get(k)}
        listed = cp.get("published_time")  # batchget's update_time, when a look-up found the article
        when = datetime.fromtimestamp(listed, timezone.utc) if listed else self._now()
        return Receipt(str(cp["article_id"]), cp.get("article_url"), when, detail)

    # ------------------------------------------------------------------ lookup, retract

    def lookup(self, item: ItemView, ctx: DeliveryContext) -> Receipt | None:
        """Did an earlier attempt publish? Polls a known publish_id, else searches freepublish/batchget."""
        cp = ctx.checkpoint
        if cp.get("article_id"):
            return self._receipt_from_checkpoint(ctx)
        if cp.get("publish_id"):
            data = self.api.call("/cgi-bin/freepublish/get", json_body={"publish_id": cp["publish_id"]})
            if int(data.get("publish_status", -1)) == 0:
                urls = [i.get("article_url") for i in (data.get("article_detail") or {}).get("item", [])]
                ctx.save(article_id=str(data["article_id"]), article_url=next((u for u in urls if u), None))
                return self._receipt_from_checkpoint(ctx)
            return None  # publish() resumes polling this publish_id; it never submits again
        if cp.get("draft_started") and not cp.get("media_id"):
            found = self._looking_up("draft/batchget", cp, lambda: self._find_draft(cp))
            if found:  # the unanswered draft/add made a draft: publish() goes on from it
                ctx.save(media_id=found, draft_started=None)
            return None
        if not cp.get("submit_started") or not cp.get("media_id"):
            return None  # nothing was ever submitted
        found = self._looking_up("freepublish/batchget", cp, lambda: self._find_published(cp))
        if found:
            article_id, url, listed_at = found
            ctx.save(article_id=article_id, article_url=url, published_time=listed_at)
            self.log.info("found the article of an unanswered submit in freepublish/batchget (%s)", article_id)
            return self._receipt_from_checkpoint(ctx)
        started = datetime.fromisoformat(cp["submit_started"])
        waited = (self._now() - started).total_seconds()
        if waited < self.settings.lookup_settle_seconds:
            raise RetryableError(
                N_("an unanswered submit is not listed by WeChat yet; looking again later"),
                retry_after=self.settings.poll_interval,
            )
        # Never submit again on a guess: the article may still appear. An operator checks 发表记录.
        raise LookupUnsupported(
            N_("WeChat never answered the submit of 《{title}》 (started {started:%Y-%m-%d %H:%M} UTC) and still does "
               "not list it; look in the WeChat admin (发表记录)").format(title=cp.get('title', ''), started=started)
        )

    def _looking_up(self, api: str, cp: dict[str, Any], find: Callable[[], Any]) -> Any:
        """Run a look-up through ``api``; an account or endpoint without that API (48001, HTTP 404/405/501) makes
        the delivery wait for a person instead of pausing the whole channel."""
        try:
            return find()
        except (ChannelPaused, RetryableError) as exc:
            if errcode_of(exc) not in LOOKUP_REFUSED and getattr(exc, "http_status", None) not in (404, 405, 501):
                raise
            code = errcode_of(exc)
            reason = f"errcode {code}" if code else f"HTTP {getattr(exc, 'http_status', '')}"
            raise LookupUnsupported(
                N_("WeChat cannot say whether the unanswered request for 《{title}》 arrived: this account or endpoint "
                   "does not offer {api} ({reason}); look for it in the WeChat admin (草稿箱 and 发表记录)").format(
                    title=cp.get("title", ""), api=api, reason=reason)) from None

    def _find_published(self, cp: dict[str, Any]) -> tuple[str, str | None, int | None] | None:
        """The newest listed article matching the checkpointed draft (title, digest, 阅读原文)."""
        since = datetime.fromisoformat(cp["submit_started"]) - timedelta(minutes=10)
        for offset in range(0, 100, 20):
            data = self.api.call("/cgi-bin/freepublish/batchget", json_body={"offset": offset, "count": 20, "no_content": 1})
            items = data.get("item") or []
            for entry in items:
                if int(entry.get("update_time") or 0) < since.timestamp():
                    return None
                for news in (entry.get("content") or {}).get("news_item", []):
                    if news.get("title") != cp.get("title"):
                        continue
                    if cp.get("digest") and news.get("digest") != cp["digest"]:
                        continue
                    if cp.get("source_url") and news.get("content_source_url") != cp["source_url"]:
                        continue
                    return str(entry["article_id"]), news.get("url"), int(entry.get("update_time") or 0) or None
            if len(items) < 20:
                return None
        return None

    def _find_draft(self, cp: dict[str, Any]) -> str | None:
        """The media_id of a draft in the draft box matching the checkpointed title and digest, added since the try."""
        since = datetime.fromisoformat(cp["draft_started"]) - timedelta(minutes=1)
        for offset in range(0, 100, 20):
            data = self.api.call("/cgi-bin/draft/batchget", json_body={"offset": offset, "count": 20, "no_content": 1})
            entries = data.get("item") or []
            for entry in entries:
                if int(entry.get("update_time") or 0) < since.timestamp():
                    return None
                for news in (entry.get("content") or {}).get("news_item", []):
                    if news.get("title") == cp.get("title") and (not cp.get("digest") or news.get("digest") == cp["digest"]):
                        return str(entry["media_id"])
            if len(entries) < 20:
                return None
        return None

    def retract(self, item: ItemView, ctx: DeliveryContext) -> None:
        """Delete the article (irreversible); unverified accounts must remove it by hand."""
        article_id = ctx.external_id or ctx.checkpoint.get("article_id")
        if not article_id:
            raise PermanentError(N_("no WeChat article id is recorded for this delivery; remove it by hand in the "
                                    "WeChat admin"))
        try:
            self.api.call("/cgi-bin/freepublish/delete", json_body={"article_id": article_id, "index": 0})
        except ChannelPaused as exc:
            if errcode_of(exc) == 48001:
                raise PermanentError(
                    N_("this WeChat account cannot delete articles via the API (48001): remove it by hand in the "
                       "WeChat admin (发表记录 → 删除)")
                ) from None
            raise
        self.log.info("deleted WeChat article %s", article_id)

    def platform_status(self, ctx: DeliveryContext) -> int | None:
        """The publish_status WeChat reports now (0 published, 5 deleted, 6 banned, ...), or None."""
        publish_id = ctx.checkpoint.get("publish_id")
        if not publish_id:
            return None
        data = self.api.call("/cgi-bin/freepublish/get", json_body={"publish_id": publish_id})
        return int(data.get("publish_status", -1))

    def waits_for(self) -> list[str]:
        """The website channel whose url becomes 阅读原文."""
        return [self.settings.source_url_from] if self.settings.source_url_from else []

    def removed(self, item: ItemView, ctx: DeliveryContext) -> str | None:
        """Deleted (publish_status 5) or banned (6) on WeChat after it was published, or None."""
        status = self.platform_status(ctx)
        if status == 5:
            return N_("deleted on the WeChat platform after publishing (publish_status 5)")
        if status == 6:
            return N_("banned by the WeChat platform after publishing (publish_status 6)")
        return None

    def inventory(self, since: datetime | None = None) -> Iterator[RemoteRecord]:
        """Every published article (freepublish/batchget), newest first, back to ``since``."""
        offset = 0
        while True:
            data = self.api.call("/cgi-bin/freepublish/batchget", json_body={"offset": offset, "count": 20, "no_content": 1})
            entries = data.get("item") or []
            for entry in entries:
                listed = int(entry.get("update_time") or 0)
                if since is not None and listed < since.timestamp():
                    return
                news = (entry.get("content") or {}).get("news_item") or [{}]
                yield RemoteRecord(external_id=str(entry["article_id"]), url=news[0].get("url"),
                                   title=str(news[0].get("title") or ""),
                                   removed=all(n.get("is_deleted") for n in news),
                                   published_at=datetime.fromtimestamp(listed, timezone.utc) if listed else None)
            offset += len(entries)
            if len(entries) < 20 or offset >= int(data.get("total_count") or 0):
                return

    def close(self) -> None:
        """Close HTTP sessions."""
        self.api.close()

    # ------------------------------------------------------------------ images

    def _image(self, item: ItemView, src: str) -> _Image:
        """The picture behind an ``<img src>``: an attached file, a data: URI, or a web image."""
        if src.startswith("attachment:"):
            sha = src.split(":", 1)[1]
            attachment = item.inline_images.get(sha)
            if attachment is None:
                raise PermanentError(N_("inline image {src} is missing from the item's images").format(src=src))
            return _Image(sha, attachment.filename, lambda: Path(attachment.path).read_bytes())
        if src.startswith("data:image/") and ";base64," in src:
            data = base64.b64decode(src.split(",", 1)[1])
            return _Image(hashlib.sha256(data).hexdigest(), "embedded image", lambda: data)
        if src.startswith(("http://", "https://")):
            data = self._download(src)
            return _Image(hashlib.sha256(data).hexdigest(), src, lambda: data)
        raise PermanentError(N_("image '{src}' is neither attached nor a web address; attach it to the item").format(
                                 src=src[:80]))

    def _download(self, url: str) -> bytes:
        """Fetch an external image (WeChat drops images that are not on its CDN) from a listed host only, never
        following a redirect to an internal address, with a size and a time limit."""
        try:
            with new_session() as session:
                return fetch_image(url, hosts=self.settings.image_hosts, limit=self.settings.image_download_max,
                                   timeout=self.settings.timeout, session=session, send=send)
        except OutcomeUnknown as exc:  # a download changes nothing: just try again later
            raise RetryableError(str(exc)) from None

    def _upload_inline(self, image: _Image) -> str:
        """Upload an inline picture once (cached by content hash) and return its CDN url."""
        key = f"uploadimg:{image.sha256}"
        url = self.services.state.get(key)
        if url:
            return url
        with self._upload_lock:
            url = self.services.state.get(key)
            if url:
                return url
            data, kind = prepare_image(image.read(), image.label)
            # not idempotent; an unanswered upload makes the delivery in doubt (no listing exists for these: a second
            # copy on the CDN is invisible to readers, so the next attempt uploads again after the look-up)
            result = self.api.call("/cgi-bin/media/uploadimg", files={"media": (f"image.{kind}", data, _mime(kind))},
                                   idempotent=False)
            url = str(result["url"])
            self.services.state.put(key, url)
            return url

    def _cover_media_id(self, image: _Image | None, *, refresh: bool = False) -> str:
        """The permanent media_id of the cover (first image, else default_cover, else a plain colour)."""
        if image is None:
            image = self._default_cover()
        key = f"cover:{image.sha256}"
        stale = self.services.state.get(key) if refresh else None

        def upload() -> tuple[str, None]:
            data, kind = prepare_image(image.read(), image.label)
            name = f"cover-{image.sha256[:16]}.{kind}"
            unsure = f"cover_unsure:{image.sha256}"
            if self.services.state.get(unsure):  # an earlier upload went unanswered: it may be in the library
                earlier = self._find_material(name)
                if earlier:
                    self.services.state.delete(unsure)
                    return earlier, None
            try:
                result = self.api.call("/cgi-bin/material/add_material", params={"type": "image"},
                                       files={"media": (name, data, _mime(kind))}, idempotent=False)
            except OutcomeUnknown:
                self.services.state.put(unsure, True)
                raise
            self.services.state.delete(unsure)
            self.log.info("uploaded cover %s as permanent material", image.label)
            return str(result["media_id"]), None

        # single-flight through the shared state: one upload for every worker and daemon
        return self.services.state.get_or_create(key, upload, force=refresh, stale=stale)

    def _find_material(self, name: str) -> str | None:
        """The media_id of the newest permanent image named ``name`` (the first 100 listed), or None."""
        for offset in range(0, 100, 20):
            data = self.api.call("/cgi-bin/material/batchget_material", json_body={"type": "image", "offset": offset, "count": 20})
            entries = data.get("item") or []
            for entry in entries:
                if entry.get("name") == name:
                    return str(entry["media_id"])
            if len(entries) < 20:
                return None
        return None

    def _attachments_note(self, item: ItemView, source_url: str | None) -> str:
        """A closing line naming the attachments, which only the website copy (阅读原文) carries."""
        if not item.attachments or not source_url or item.option("attachments") == "omit":
            return ""
        names = "、".join(html.escape(a.filename) for a in item.attachments)
        return f"<p>附件：{names}（请点击“阅读原文”查看下载）</p>"

    def _default_cover(self) -> _Image:
        path = self.settings.default_cover
        if path is not None:
            try:
                data = Path(path).read_bytes()
            except OSError as exc:
                raise ChannelPaused(
                    N_("cannot read channels.{name}.default_cover {path}: {value}").format(
                        name=self.name, path=path, value=exc.strerror or exc)
                ) from None
            return _Image(hashlib.sha256(data).hexdigest(), str(path), lambda: data)
        if self.settings.cover_color:
            data = plain_cover(self.settings.cover_color)
            return _Image(f"color-{self.settings.cover_color}", "plain cover", lambda: data)
        raise PermanentError(
            N_("WeChat needs a cover image: add an image to the body, or set channels.{name}.default_cover").format(
                name=self.name)
        )

    def _has_default_cover(self) -> bool:
        return self.settings.default_cover is not None or bool(self.settings.cover_color)

    # ------------------------------------------------------------------ fields

    def _title(self, item: ItemView) -> str:
        return strip_control_chars(str(item.option("title", item.title)).strip())

    def _author(self, item: ItemView) -> str:
        return strip_control_chars(str(item.option("author") or item.author or self.settings.author).strip())

    def _digest(self, item: ItemView) -> str:
        return strip_control_chars(str(item.option("digest", item.summary) or "").strip())

    def _source_url(self, item: ItemView) -> str | None:
        if self.settings.source_url_from:
            return item.published_urls.get(self.settings.source_url_from) or None
        return None

    def _field_problems(self, item: ItemView) -> list[str]:
        """Title, author and digest limits, each with how to fix it."""
        problems = []
        title = self._title(item)
        if len(title) > TITLE_MAX:
            problems.append(
                N_("title is {count} characters; WeChat allows {title_max} (give a short title with --option "
                  "{name}.title=...)").format(count=len(title), title_max=TITLE_MAX, name=self.name)
            )
        author = self._author(item)
        if len(author) > AUTHOR_MAX:
            problems.append(
                N_("author '{author}' is {count} characters; WeChat allows {author_max} (give a shorter one with "
                  "--option {name}.author=...)").format(
                    author=author, count=len(author), author_max=AUTHOR_MAX, name=self.name)
            )
        digest = self._digest(item)
        if len(digest) > DIGEST_MAX:
            problems.append(
                N_("summary is {count} characters; WeChat allows {digest_max} for the digest (shorten it, or give "
                  "one with --option {name}.digest=...)").format(
                    count=len(digest), digest_max=DIGEST_MAX, name=self.name)
            )
        return problems

    def _now(self) -> datetime:
        return self.services.clock.now()


def _content_problems(content: str) -> list[str]:
    problems = []
    if len(content) >= CONTENT_MAX_CHARS:
        problems.append(
            N_("body is {count:,} characters as a WeChat article; WeChat takes fewer than {content_max_chars:,} "
              "(shorten it, or publish the full text on the website and let 阅读原文 link to it)").format(
                count=len(content), content_max_chars=CONTENT_MAX_CHARS)
        )
    if len(content.encode("utf-8")) >= MB:
        problems.append(N_("body is larger than 1 MB as a WeChat article; shorten it"))
    if not content.strip():
        problems.append(N_("body is empty; WeChat needs article content"))
    return problems


_BACKSLASH_U = re.compile(r"\\(?=u[0-9a-fA-F]{4})")


def without_u_escapes(article: dict[str, Any]) -> dict[str, Any]:
    """The article with every literal backslash-u-hex (which WeChat refuses as an escape, 40033) written so that
    it reads the same: ``&#92;`` in the HTML content, a full-width ＼ in the plain-text fields."""
    fixed = dict(article)
    for key in ("title", "author", "digest", "content"):
        value = article.get(key)
        if isinstance(value, str) and _BACKSLASH_U.search(value):
            fixed[key] = _BACKSLASH_U.sub("&#92;" if key == "content" else "＼", value)
    return fixed


def errcode_of(exc: Exception) -> int | None:
    """The WeChat errcode behind an error raised by :class:`WechatApi`, if any."""
    return getattr(exc, "errcode", None)


def _size(n: int) -> str:
    return f"{n / MB:g} MB" if n >= MB else f"{n / 1024:g} KB" if n >= 1024 else f"{n} bytes"


def _mime(kind: str) -> str:
    return "image/png" if kind == "png" else "image/jpeg"


def cover_problem(settings: WechatSettings) -> str | None:
    """A configuration problem with the default cover (for check-config), or None."""
    if settings.default_cover is not None and not Path(settings.default_cover).is_file():
        return N_("default_cover: {path} is not a file").format(path=settings.default_cover)
    return None
