"""The ``wordpress`` channel: posts through the WordPress REST API with an application password.

The REST root is discovered from the ``Link: <...>; rel="https://api.w.org/"`` header of the site's home page,
so a fresh install with plain permalinks (``/?rest_route=``) needs no setting. Cached category and media ids
are checked against the site: a category or file deleted in wp-admin is recreated or uploaded again.
"""

from __future__ import annotations

import hashlib
import html
import re
import threading
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Callable, Iterator, Literal

from pydantic import Field, SecretStr, field_validator

from publisher.adapter import (
    Attachment, Channel, ChannelServices, ChannelSettings, DeliveryContext, ItemView, Receipt, RemoteRecord,
)
from publisher.foundation.content import strip_control_chars
from publisher.errors import ChannelPaused, OutcomeUnknown, PermanentError, RetryableError
from publisher.http import ThreadSessions, retry_after_seconds, send
from publisher.foundation.i18n import N_, _

if TYPE_CHECKING:  # loaded where used: read-only commands parse the settings without it
    import requests

_API_LINK = re.compile(r'<([^>]+)>\s*;\s*rel="?https://api\.w\.org/"?')
_INLINE = re.compile(r"""(\bsrc\s*=\s*["']?)attachment:([0-9a-fA-F]{64})""", re.IGNORECASE)


class WordpressSettings(ChannelSettings):
    """Configuration of one WordPress site."""

    base_url: str
    username: str
    app_password: SecretStr = Field(description="an application password (Users → Profile), spaces optional")
    api_prefix: str = Field(default="/wp-json", description="REST prefix; default: discovered from the home page")
    use_rest_route: bool = Field(default=False, description="use /?rest_route= (default: discovered)")
    status: Literal["publish", "draft", "pending", "private"] = "publish"
    delete_mode: Literal["trash", "delete"] = "trash"
    category_map: dict[str, str] = Field(default_factory=dict, description="publisher category -> WP category name")
    slug_prefix: str = "pub"
    attachments_heading: str = "附件："
    catalogue: Literal["none", "table", "meta"] = Field(
        default="none", description="the record's 信息公开目录: a table above the text, or post meta (registered on "
                                    "the site with show_in_rest), or nothing")

    @field_validator("slug_prefix")
    @classmethod
    def _slug_safe(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,30}", value):
            raise ValueError(_("use 1-31 lower-case letters, digits and hyphens"))
        return value


class WordpressError(PermanentError):
    """WordPress refused a request for good; ``status`` and ``code`` say how."""

    def __init__(self, message: str, *, status: int, code: str, data: dict[str, Any]):
        self.status = status
        self.code = code
        self.data = data
        super().__init__(message)


class WordpressChannel(Channel):
    """Publish items as WordPress posts (categories, media and slugs handled)."""

    options = frozenset({"title", "category"})

    Settings = WordpressSettings
    supports_lookup = True
    supports_update = True  # POST posts/<id>: sending it twice leaves one post with that content
    settings: WordpressSettings

    def __init__(self, name: str, settings: ChannelSettings, services: ChannelServices):
        super().__init__(name, settings, services)
        self._sessions = ThreadSessions(self._configure_session)
        self._site = settings.base_url.rstrip("/")
        explicit = {"api_prefix", "use_rest_route"} & settings.model_fields_set
        self._rest_root: str | None = None if not explicit else self._configured_root()
        self._root_lock = threading.Lock()

    # -- the Channel interface --------------------------------------------------------------------

    def check(self, item: ItemView) -> list[str]:
        """Problems WordPress would refuse: an empty title, inline images without their file."""
        problems = []
        if not self._title(item):
            problems.append(N_("the title is empty"))
        missing = sorted({sha for _, sha in _INLINE.findall(item.body_html) if sha.lower() not in item.inline_images})
        if missing:
            problems.append(N_("inline image(s) without a stored file: {names}").format(
                                names=', '.join(s[:12] for s in missing)))
        return problems

    def publish(self, item: ItemView, ctx: DeliveryContext) -> Receipt:
        """Create the post (uploading media and resolving categories first)."""
        slug = self._slug(item, ctx)
        if ctx.checkpoint.get("slug") == slug:
            found = self._find(slug)  # an earlier attempt may have created it before failing
            if found is not None:
                return found
        payload = self._payload(item)
        payload.update(slug=slug, status=self.settings.status)
        ctx.save(slug=slug)
        data = self._with_fresh_terms(item, payload, lambda body: self._call("POST", "posts", json=body))
        return self._receipt(self._ensure_category(item, payload, data))

    def update(self, item: ItemView, ctx: DeliveryContext) -> Receipt:
        """Replace title, content, excerpt, categories and date of the published post."""
        post_id = self._post_id(ctx)
        payload = self._payload(item)
        try:
            data = self._with_fresh_terms(item, payload, lambda body: self._call("POST", f"posts/{post_id}", json=body))
        except WordpressError as exc:
            if exc.status == 404:
                raise PermanentError(N_("post {post_id} no longer exists on {display_name} (deleted by hand?)").format(
                                         post_id=post_id, display_name=self.display_name)) from exc
            raise
        return self._receipt(self._ensure_category(item, payload, data))

    def retract(self, item: ItemView, ctx: DeliveryContext) -> None:
        """Move the post to the trash, or delete it for good when ``delete_mode: delete``."""
        post_id = self._post_id(ctx)
        params = {"force": "true"} if self.settings.delete_mode == "delete" else None
        try:
            self._call("DELETE", f"posts/{post_id}", params=params)
        except WordpressError as exc:
            if exc.code in ("rest_already_trashed", "rest_post_invalid_id") or exc.status in (404, 410):
                self.log.info("%s: post %s already gone (%s)", self.name, post_id, exc.code)
                return
            raise

    def lookup(self, item: ItemView, ctx: DeliveryContext) -> Receipt | None:
        """Find the post an earlier attempt created, by its stable slug (any status but trash)."""
        return self._find(self._slug(item, ctx))

    def removed(self, item: ItemView, ctx: DeliveryContext) -> str | None:
        """Read the post back by id: trashed or deleted in wp-admin since it was published, or None."""
        if not ctx.external_id:
            return None
        try:
            post = self._call("GET", f"posts/{ctx.external_id}", params={"context": "edit"})
        except WordpressError as exc:
            if exc.status in (404, 410):
                return N_("deleted on {display_name} (post {external_id} no longer exists)").format(
                           display_name=self.display_name, external_id=ctx.external_id)
            raise
        if post.get("status") == "trash":
            return N_("moved to the trash on {display_name} (post {external_id})").format(
                       display_name=self.display_name, external_id=ctx.external_id)
        return None

    def remote_key(self, item: ItemView, ctx: DeliveryContext) -> str | None:
        """The post's slug (derived from the delivery's idempotency key)."""
        return self._slug(item, ctx)

    def inventory(self, since: datetime | None = None) -> Iterator[RemoteRecord]:
        """Every post publisher made (slug prefix), trash included, newest first; stops before ``since``."""
        params: dict[str, Any] = {"status": "publish,future,draft,pending,private,trash", "context": "edit",
                                  "per_page": 100}
        if since is not None:
            params["after"] = since.astimezone(timezone.utc).replace(tzinfo=None).isoformat(timespec="seconds")
        page = 1
        while True:
            response = self._call("GET", "posts", params={**params, "page": page}, raw=True)
            for post in response.json():
                slug = str(post.get("slug") or "").removesuffix("__trashed")
                if not slug.startswith(self.settings.slug_prefix + "-"):
                    continue  # written in wp-admin, not by publisher
                yield RemoteRecord(external_id=str(post["id"]), url=post.get("link"), key=slug,
                                   title=_plain(str((post.get("title") or {}).get("raw") or "")),
                                   removed=post.get("status") == "trash")
            if page >= int(response.headers.get("X-WP-TotalPages") or 1):
                return
            page += 1

    def close(self) -> None:
        """Close every thread's HTTP session."""
        self._sessions.close()

    # -- building the post ------------------------------------------------------------------------

    def _title(self, item: ItemView) -> str:
        return str(item.option("title", item.title)).strip()

    def _slug(self, item: ItemView, ctx: DeliveryContext) -> str:
        """A slug derived only from the delivery, so a look-up finds what an earlier attempt made."""
        key = ctx.idempotency_key or item.uid
        clean = re.sub(r"[^a-z0-9]+", "-", key.lower()).strip("-")
        if not clean or len(clean) > 48 or clean != key.lower():
            clean = hashlib.sha256(key.encode("utf-8")).hexdigest()[:20]
        return f"{self.settings.slug_prefix}-{clean}"

    def _payload(self, item: ItemView) -> dict[str, Any]:
        problems = self.check(item)
        if problems:
            raise PermanentError("; ".join(problems))
        content = _INLINE.sub(lambda m: m.group(1) + self._media(item.inline_images[m.group(2).lower()])["source_url"],
                              item.body_html)
        if item.attachments:
            links = "".join(
                f'<li><a href="{html.escape(self._media(att)["source_url"])}">{html.escape(att.filename)}</a></li>'
                for att in item.attachments
            )
            content += f'<p class="publisher-attachments">{html.escape(self.settings.attachments_heading)}</p><ul>{links}</ul>'
        if self.settings.catalogue == "table":
            content = item.catalogue.table_html(self.services.office_name) + content
        payload = {
            "title": strip_control_chars(self._title(item)),
            "content": strip_control_chars(content),
            "excerpt": strip_control_chars(item.summary),
            "date_gmt": item.publish_at.astimezone(timezone.utc).replace(tzinfo=None).isoformat(timespec="seconds"),
            "categories": [self._term_id(self._category_name(item))],
        }
        if self.settings.catalogue == "meta":
            payload["meta"] = item.catalogue.fields(self.services.office_name)
        return payload

    def _category_name(self, item: ItemView) -> str:
        return str(item.option("category", self.settings.category_map.get(item.category, item.category)))

    def _with_fresh_terms(
        self, item: ItemView, payload: dict[str, Any], call: Callable[[dict[str, Any]], Any]
    ) -> dict[str, Any]:
        """Run ``call(payload)``; when a cached term id no longer exists, resolve it again once."""
        try:
            return call(payload)
        except WordpressError as exc:
            if exc.code != "rest_invalid_term_id":
                raise
            stale = payload["categories"][0]
            self.log.info("%s: category id %s is gone; looking it up again", self.name, stale)
            payload["categories"] = [self._term_id(self._category_name(item), stale=stale)]
            return call(payload)

    def _ensure_category(self, item: ItemView, payload: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
        """WordPress silently drops a category id that no longer exists: recreate it and set it on the post."""
        wanted = payload["categories"][0]
        if wanted in (data.get("categories") or [wanted]):
            return data
        self.log.info("%s: category id %s was deleted on the site; creating it again", self.name, wanted)
        fresh = self._term_id(self._category_name(item), stale=wanted)
        payload["categories"] = [fresh]
        return self._call("POST", f"posts/{data['id']}", json={"categories": [fresh]})

    def _term_id(self, name: str, stale: int | None = None) -> int:
        """The category's term id, found or created once and cached in the channel state."""
        return self.services.state.get_or_create(
            f"term:{self._site}:{name}", lambda: (self._resolve_term(name), None), force=stale is not None, stale=stale
        )

    def _resolve_term(self, name: str) -> int:
        page = 1
        while True:
            response = self._call("GET", "categories", params={"search": name, "per_page": 100, "page": page},
                                  raw=True)
            for term in response.json():
                if html.unescape(term.get("name", "")) == name:
                    return int(term["id"])
            if page >= int(response.headers.get("X-WP-TotalPages") or 1):
                break
            page += 1
        try:
            created = self._call("POST", "categories", json={"name": name})
        except WordpressError as exc:
            if exc.code == "term_exists" and exc.data.get("term_id"):
                return int(exc.data["term_id"])
            raise
        self.log.info("%s: created category %s (id %s)", self.name, name, created["id"])
        return int(created["id"])

    def _media(self, att: Attachment) -> dict[str, Any]:
        """Upload a file once (cached by SHA-256) and return ``{id, source_url}``; upload again if deleted on the site."""
        key = f"media:{self._site}:{att.sha256}"
        cached = self.services.state.get_or_create(key, lambda: (self._upload(att), None))
        try:
            self._call("GET", f"media/{cached['id']}")
        except WordpressError as exc:
            if exc.status not in (404, 410):
                raise
            self.log.info("%s: media %s was deleted on the site; uploading %s again", self.name, cached["id"], att.filename)
            cached = self.services.state.get_or_create(key, lambda: (self._upload(att), None), force=True, stale=cached)
        return cached

    def _upload(self, att: Attachment) -> dict[str, Any]:
        filename = re.sub(r'["\\;\r\n]', "_", att.filename) or f"{att.sha256[:16]}.bin"
        headers = {
            "Content-Type": att.mime,
            # WordPress reads only filename= and takes its raw bytes, so send the UTF-8 name as is.
            "Content-Disposition": f'attachment; filename="{filename}"'.encode("utf-8"),
        }
        data = self._call("POST", "media", data=att.path.read_bytes(), headers=headers)
        return {"id": int(data["id"]), "source_url": data["source_url"]}

    # -- HTTP -------------------------------------------------------------------------------------

    def _configure_session(self, session: requests.Session) -> None:
        session.auth = (self.settings.username, self.settings.app_password.get_secret_value())

    def _configured_root(self) -> str:
        if self.settings.use_rest_route:
            return f"{self._site}/?rest_route=/"
        return f"{self._site}{self.settings.api_prefix.rstrip('/')}/"

    def _root(self) -> str:
        """The REST root: configured, else announced by the home page's ``Link`` header, else ``/wp-json/``."""
        if self._rest_root is None:
            with self._root_lock:
                if self._rest_root is None:  # shared by every worker and daemon; looked at again daily
                    self._rest_root = self.services.state.get_or_create(
                        f"rest_root:{self._site}",
                        lambda: (self._discover_root() or self._configured_root(),
                                 self.services.clock.now() + timedelta(days=1)))
        return self._rest_root

    def _discover_root(self) -> str | None:
        try:
            response = send(self._sessions.get(), "GET", self._site + "/", timeout=self.settings.timeout)
        except OutcomeUnknown as exc:
            raise RetryableError(str(exc)) from None
        match = _API_LINK.search(response.headers.get("Link", ""))
        if not match:
            return None
        root = match.group(1)
        self.log.info("%s: REST root discovered at %s", self.name, root)
        return root if root.endswith("/") else root + "/"

    def _url(self, route: str) -> str:
        return f"{self._root()}wp/v2/{route}"

    def _call(self, method: str, route: str, *, raw: bool = False, **kwargs: Any) -> Any:
        """One REST call; errors become the publisher error tree with WordPress's code and message."""
        response = send(self._sessions.get(), method, self._url(route), timeout=self.settings.timeout, **kwargs)
        if response.status_code < 400:
            try:
                body = response.json()
            except ValueError:
                raise ChannelPaused(
                    N_("{display_name} answered {method} {route} with a non-JSON page; check base_url and "
                       "api_prefix (or set use_rest_route: true)").format(
                        display_name=self.display_name, method=method, route=route)
                ) from None
            return response if raw else body
        self._raise(response, method, route)

    def _raise(self, response: requests.Response, method: str, route: str) -> None:
        status = response.status_code
        try:
            body = response.json()
        except ValueError:
            body = {}
        body = body if isinstance(body, dict) else {}
        code = str(body.get("code") or "")
        message = _plain(str(body.get("message") or response.reason or ""))
        data = body.get("data") if isinstance(body.get("data"), dict) else {}
        what = f"{self.display_name}: {method} {route} → HTTP {status}" + "".join(
            f" {part}" for part in (f"{code}:" if code else "", message) if part
        )
        if status in (401, 403):
            raise ChannelPaused(
                N_("{display_name} refused user {username!r} (HTTP {status} {code}: {message}); check username and "
                   "app_password (an application password), the user's role, and that the server passes the "
                   "Authorization header through").format(
                    display_name=self.display_name,
                    username=self.settings.username,
                    status=status,
                    code=code,
                    message=message),
                until=None,
            )
        if status == 404 and code in ("rest_no_route", ""):
            raise ChannelPaused(N_("{what}; check base_url and api_prefix (or set use_rest_route: true)").format(
                                    what=what))
        if code == "rest_upload_sideload_error":
            raise WordpressError(what, status=status, code=code, data=data)
        if status == 429 or status >= 500:
            raise RetryableError(what, retry_after=retry_after_seconds(response.headers.get("Retry-After")))
        raise WordpressError(what, status=status, code=code, data=data)

    # -- results ----------------------------------------------------------------------------------

    def _find(self, slug: str) -> Receipt | None:
        posts = self._call("GET", "posts", params={"slug": slug, "status": "any", "context": "edit", "per_page": 10})
        return self._receipt(posts[0]) if posts else None

    def _receipt(self, data: dict[str, Any]) -> Receipt:
        published_at = None
        if data.get("date_gmt"):
            published_at = datetime.fromisoformat(str(data["date_gmt"])).replace(tzinfo=timezone.utc)
        return Receipt(
            external_id=str(data["id"]),
            external_url=data.get("link"),
            published_at=published_at,
            detail={"status": data.get("status"), "slug": data.get("slug")},
        )

    def _post_id(self, ctx: DeliveryContext) -> str:
        if not ctx.external_id:
            raise PermanentError(N_("no post id recorded for {display_name}; remove or edit the post by hand").format(
                                     display_name=self.display_name))
        return ctx.external_id


def _plain(text: str) -> str:
    """A WordPress message as plain text (they may carry HTML and entities)."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", text)).split())
