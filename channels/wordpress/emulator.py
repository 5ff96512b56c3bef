"""Emulator of the WordPress REST API (wp/v2 posts, categories, media) with application-password auth.

Follows the platform's contract in channels/wordpress/README.md: ``/wp-json/wp/v2/...`` or ``/?rest_route=/wp/v2/...``,
``publish`` in the future becomes ``future``, unique slugs get ``-2``, ``per_page`` ≤ 100, list headers
``X-WP-Total``/``X-WP-TotalPages``, errors as ``{"code", "message", "data": {"status"}}``.

As a real site: the home page announces the REST root in ``Link: <...>; rel="https://api.w.org/"``;
``plain_permalinks=True`` is a fresh install (only ``?rest_route=`` works, ``/wp-json/`` is a 404 page);
a category id that no longer exists is silently dropped from a post (it gets Uncategorized), as
``wp_set_object_terms`` does; :meth:`delete_category` and :meth:`delete_media` act like wp-admin.
"""

from __future__ import annotations

import base64
import contextlib
import html
import math
import re
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote, unquote

from publisher.sandbox.registry import SandboxEmulator
from publisher.sandbox.server import Emulator, Request, Response, json_response

_STATUSES = ("publish", "future", "draft", "pending", "private")
_UPLOAD_TYPES = re.compile(
    r"^(image/(jpeg|png|gif|webp)|application/(pdf|msword|zip|vnd\.ms-excel|vnd\.ms-powerpoint|"
    r"vnd\.openxmlformats-officedocument\.[\w.]+)|text/plain)$"
)


def wp_error(code: str, message: str, status: int, **data: Any) -> Response:
    """A WordPress REST error body."""
    return json_response({"code": code, "message": message, "data": {"status": status, **data}}, status)


@dataclass
class _Auth:
    user: str | None
    error: Response | None = None


class WordpressEmulator(Emulator):
    """A WordPress site's REST API; ``posts``, ``categories`` and ``media`` keep everything server-side."""

    name = "wordpress"

    def __init__(
        self,
        user: str = "publisher",
        app_password: str = "abcd efgh ijkl mnop qrst uvwx",
        clock: Any = None,
        *,
        plain_permalinks: bool = False,
        strict_terms: bool = False,
        registered_meta: tuple[str, ...] = (),
    ):
        super().__init__()
        # post meta keys the site registered with show_in_rest; WordPress keeps only those and ignores the rest
        self.registered_meta = set(registered_meta)
        self.plain_permalinks = plain_permalinks
        self.strict_terms = strict_terms  # True: answer rest_invalid_term_id instead of dropping the id
        self.user = user
        self.app_password = app_password
        self._clock = clock
        self.posts: dict[int, dict[str, Any]] = {}
        self.deleted_posts: list[dict[str, Any]] = []
        self.categories: dict[int, dict[str, Any]] = {
            1: {"id": 1, "count": 0, "description": "", "name": "Uncategorized", "slug": "uncategorized",
                "taxonomy": "category", "parent": 0},
        }
        self.media: dict[int, dict[str, Any]] = {}
        self.category_creates = 0
        self._next_id = 1
        self._data_lock = threading.RLock()
        base = r"/wp-json/wp/v2"
        self.route("GET", rf"{base}/posts", self._list_posts)
        self.route("POST", rf"{base}/posts", self._create_post)
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            self.route(method, rf"{base}/posts/(?P<id>\d+)", self._one_post)
        self.route("GET", rf"{base}/categories", self._list_categories)
        self.route("POST", rf"{base}/categories", self._create_category)
        self.route("GET", rf"{base}/categories/(?P<id>\d+)", self._one_category)
        self.route("POST", rf"{base}/media", self._upload)
        self.route("GET", rf"{base}/media/(?P<id>\d+)", self._one_media)
        self.route("GET", r"/wp-content/uploads/(?P<file>.+)", self._file)
        self.route("GET", r"/", self._home)

    # -- what wp-admin does by hand ---------------------------------------------------------------

    def delete_category(self, term_id: int) -> None:
        """Delete a category; its posts fall back to Uncategorized."""
        with self._data_lock:
            del self.categories[term_id]
            for post in self.posts.values():
                post["categories"] = [c for c in post["categories"] if c != term_id] or [1]

    def delete_media(self, media_id: int) -> None:
        """Delete a media file for good (its URL then answers 404)."""
        with self._data_lock:
            del self.media[media_id]

    def _home(self, request: Request) -> Response:
        root = "/?rest_route=/" if self.plain_permalinks else "/wp-json/"
        return Response(200, "<!doctype html><title>住建局</title><h1>住建局</h1>".encode("utf-8"), {
            "Content-Type": "text/html; charset=UTF-8",
            "Link": f'<{self._host(request)}{root}>; rel="https://api.w.org/"',
        })

    # -- plumbing ---------------------------------------------------------------------------------

    def now(self) -> datetime:
        """The site's current time (injected clock, else the wall clock), in UTC."""
        if self._clock is None:
            return datetime.now(timezone.utc)
        return self._clock.now() if hasattr(self._clock, "now") else self._clock()

    def dispatch(self, request: Request) -> Response:
        """Serve ``/?rest_route=/wp/v2/...`` like the pretty ``/wp-json/wp/v2/...`` routes."""
        route = request.arg("rest_route")
        if route and request.path in ("/", "/index.php"):
            request.path = "/wp-json" + route
        elif self.plain_permalinks and request.path.startswith("/wp-json"):
            return Response(404, b"<!doctype html><title>Page not found</title><h1>Not Found</h1>",
                            {"Content-Type": "text/html; charset=UTF-8"})
        if request.path.startswith("/wp-json/") and not any(p.fullmatch(request.path) for _, p, _ in self._routes):
            return wp_error("rest_no_route", "No route was found matching the URL and request method.", 404)
        return super().dispatch(request)

    def _auth(self, request: Request) -> _Auth:
        header = request.header("authorization") or ""
        if not header.lower().startswith("basic "):
            return _Auth(None)
        try:
            user, _, password = base64.b64decode(header[6:]).decode("utf-8").partition(":")
        except (ValueError, UnicodeDecodeError):
            return _Auth(None, wp_error("rest_not_logged_in", "You are not currently logged in.", 401))
        if user != self.user:
            return _Auth(None, wp_error("invalid_username", "Unknown username. Check again or try your email address.", 401))
        if password.replace(" ", "") != self.app_password.replace(" ", ""):
            return _Auth(None, wp_error("incorrect_password", "The provided password is an invalid application password.", 401))
        return _Auth(user)

    def _require_auth(self, request: Request) -> Response | None:
        auth = self._auth(request)
        if auth.error is not None:
            return auth.error
        if auth.user is None:
            return wp_error("rest_not_logged_in", "You are not currently logged in.", 401)
        return None

    def _authorized_body(self, request: Request) -> dict[str, Any] | Response:
        """The parsed body of an authenticated write, or the error WordPress answers instead."""
        denied = self._require_auth(request)
        if denied:
            return denied
        try:
            return self._body(request)
        except ValueError:
            return wp_error("rest_invalid_json", "Invalid JSON body passed.", 400)

    def _host(self, request: Request) -> str:
        return "http://" + (request.header("host") or "127.0.0.1")

    def _new_id(self) -> int:
        with self._data_lock:
            self._next_id += 1
            return self._next_id

    @staticmethod
    def _body(request: Request) -> dict[str, Any]:
        ctype = (request.header("content-type") or "").lower()
        if ctype.startswith("application/json"):
            data = request.json() if request.body else {}
            if not isinstance(data, dict):
                raise ValueError("body is not a JSON object")
            return data
        values = request.form()
        return {k: (v if k.endswith("[]") else v[0]) for k, v in values.items()}

    @staticmethod
    def _paged(request: Request, items: list[dict[str, Any]], default: int = 10) -> Response:
        try:
            per_page = int(request.arg("per_page", str(default)) or default)
            page = int(request.arg("page", "1") or 1)
        except ValueError:
            return wp_error("rest_invalid_param", "Invalid parameter(s): per_page", 400)
        if not 1 <= per_page <= 100:
            return wp_error(
                "rest_invalid_param", "Invalid parameter(s): per_page", 400,
                params={"per_page": "per_page must be between 1 (inclusive) and 100 (inclusive)"},
            )
        if page < 1:
            return wp_error("rest_invalid_param", "Invalid parameter(s): page", 400)
        total = len(items)
        pages = math.ceil(total / per_page) if total else 0
        if page > 1 and page > pages:
            return wp_error(
                "rest_post_invalid_page_number",
                "The page number requested is larger than the number of pages available.", 400,
            )
        chunk = items[(page - 1) * per_page : page * per_page]
        return json_response(chunk, headers={"X-WP-Total": str(total), "X-WP-TotalPages": str(pages)})

    # -- posts ------------------------------------------------------------------------------------

    def _render(self, post: dict[str, Any], request: Request) -> dict[str, Any]:
        host = self._host(request)
        return {
            "id": post["id"],
            "date": _iso(post["date_gmt"] + timedelta(hours=8)),
            "date_gmt": _iso(post["date_gmt"]),
            "modified_gmt": _iso(post["modified_gmt"]),
            "guid": {"rendered": f"{host}/?p={post['id']}"},
            "slug": post["slug"],
            "status": post["status"],
            "type": "post",
            "link": f"{host}/?p={post['id']}",
            "title": {"raw": post["title"], "rendered": post["title"]},
            "content": {"raw": post["content"], "rendered": post["content"], "protected": False},
            "excerpt": {"raw": post["excerpt"], "rendered": post["excerpt"], "protected": False},
            "author": 1,
            "categories": list(post["categories"]),
            "tags": [],
            "meta": dict(post.get("meta") or {}),
        }

    def _unique_slug(self, wanted: str, own_id: int | None) -> str:
        taken = {p["slug"] for p in self.posts.values() if p["id"] != own_id}
        slug, n = wanted, 2
        while slug in taken:
            slug = f"{wanted}-{n}"
            n += 1
        return slug

    def _apply(self, post: dict[str, Any], data: dict[str, Any], creating: bool) -> Response | None:
        """Copy request fields into ``post``; an error response when a field is invalid."""
        for key in ("title", "content", "excerpt"):
            if key in data:
                value = data[key]
                post[key] = value.get("raw", "") if isinstance(value, dict) else str(value)
        if "status" in data:
            if data["status"] not in _STATUSES:
                return wp_error(
                    "rest_invalid_param", "Invalid parameter(s): status", 400,
                    params={"status": f"status is not one of {', '.join(_STATUSES)}."},
                )
            post["status"] = data["status"]
        if data.get("date_gmt"):
            try:
                when = datetime.fromisoformat(str(data["date_gmt"]).replace("Z", "+00:00"))
            except ValueError:
                return wp_error("rest_invalid_param", "Invalid parameter(s): date_gmt", 400,
                                params={"date_gmt": "Invalid date."})
            post["date_gmt"] = (when if when.tzinfo else when.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)
        if "categories" in data:
            ids = data["categories"]
            if not isinstance(ids, list) or not all(str(i).isdecimal() for i in ids):
                return wp_error("rest_invalid_param", "Invalid parameter(s): categories", 400)
            if self.strict_terms and any(int(term) not in self.categories for term in ids):
                return wp_error("rest_invalid_term_id", "Invalid term ID.", 400)
            post["categories"] = [int(i) for i in ids if int(i) in self.categories] or [1]
        if isinstance(data.get("meta"), dict):
            kept = {k: v for k, v in data["meta"].items() if k in self.registered_meta}
            post["meta"] = {**(post.get("meta") or {}), **kept}
        if creating and not (post["title"] or post["content"] or post["excerpt"]):
            return wp_error("empty_content", "Content, title, and excerpt are empty.", 400)
        now = self.now()
        if post["status"] == "publish" and post["date_gmt"] >= now + timedelta(seconds=60):
            post["status"] = "future"
        elif post["status"] == "future" and post["date_gmt"] <= now:
            post["status"] = "publish"
        wanted = _sanitize_slug(str(data.get("slug") or "")) or post["slug"] or _sanitize_slug(post["title"])
        post["slug"] = self._unique_slug(wanted or str(post["id"]), post["id"])
        post["modified_gmt"] = now
        return None

    def _create_post(self, request: Request) -> Response:
        data = self._authorized_body(request)
        if isinstance(data, Response):
            return data
        with self._data_lock:
            now = self.now()
            post = {"id": self._new_id(), "title": "", "content": "", "excerpt": "", "status": "draft",
                    "date_gmt": now, "modified_gmt": now, "slug": "", "categories": [1]}
            error = self._apply(post, data, creating=True)
            if error:
                return error
            self.posts[post["id"]] = post
            rendered = self._render(post, request)
        return json_response(rendered, 201, {"Location": f"{self._host(request)}/wp-json/wp/v2/posts/{post['id']}"})

    def _one_post(self, request: Request) -> Response:
        auth = self._auth(request)
        if auth.error:
            return auth.error
        with self._data_lock:
            post = self.posts.get(int(request.params["id"]))
            if post is None:
                return wp_error("rest_post_invalid_id", "Invalid post ID.", 404)
            if request.method == "GET":
                if post["status"] != "publish" and auth.user is None:
                    return wp_error("rest_forbidden", "Sorry, you are not allowed to do that.", 401)
                return json_response(self._render(post, request))
            if auth.user is None:
                return wp_error("rest_not_logged_in", "You are not currently logged in.", 401)
            if request.method == "DELETE":
                return self._delete(post, request)
            try:
                data = self._body(request)
            except ValueError:
                return wp_error("rest_invalid_json", "Invalid JSON body passed.", 400)
            error = self._apply(post, data, creating=False)
            return error or json_response(self._render(post, request))

    def _delete(self, post: dict[str, Any], request: Request) -> Response:
        if (request.arg("force") or "").lower() in ("true", "1"):
            del self.posts[post["id"]]
            self.deleted_posts.append(post)
            return json_response({"deleted": True, "previous": self._render(post, request)})
        if post["status"] == "trash":
            return wp_error("rest_already_trashed", "The post has already been trashed.", 410)
        post["status"] = "trash"
        post["slug"] = post["slug"] + "__trashed"
        return json_response(self._render(post, request))

    def _list_posts(self, request: Request) -> Response:
        auth = self._auth(request)
        if auth.error:
            return auth.error
        if request.arg("context") == "edit" and auth.user is None:
            return wp_error("rest_forbidden_context", "Sorry, you are not allowed to edit posts in this post type.", 401)
        statuses = (request.arg("status") or "publish").split(",")
        if statuses != ["publish"] and auth.user is None:
            return wp_error("rest_invalid_param", "Invalid parameter(s): status", 400,
                            params={"status": "Status is forbidden."})
        for status in statuses:
            if status not in (*_STATUSES, "trash", "any"):
                return wp_error("rest_invalid_param", "Invalid parameter(s): status", 400)
        slugs = {s for s in (request.arg("slug") or "").split(",") if s}
        search = (request.arg("search") or "").lower()
        with self._data_lock:
            posts = sorted(self.posts.values(), key=lambda p: (p["date_gmt"], p["id"]), reverse=True)
            found = [
                self._render(p, request)
                for p in posts
                if ("any" in statuses and p["status"] != "trash" or p["status"] in statuses)
                and (not slugs or p["slug"] in slugs)
                and (not search or search in p["title"].lower() or search in p["content"].lower())
            ]
        return self._paged(request, found)

    # -- categories -------------------------------------------------------------------------------

    def _term(self, term: dict[str, Any], request: Request) -> dict[str, Any]:
        return {**term, "link": f"{self._host(request)}/?cat={term['id']}"}

    def _list_categories(self, request: Request) -> Response:
        auth = self._auth(request)
        if auth.error:
            return auth.error
        search = (request.arg("search") or "").lower()
        slugs = {s for s in (request.arg("slug") or "").split(",") if s}
        with self._data_lock:
            terms = sorted(self.categories.values(), key=lambda t: t["name"])
            found = [
                self._term(t, request)
                for t in terms
                if (not search or search in html.unescape(t["name"]).lower() or search in t["slug"])
                and (not slugs or t["slug"] in slugs)
            ]
        return self._paged(request, found)

    def _one_category(self, request: Request) -> Response:
        term = self.categories.get(int(request.params["id"]))
        if term is None:
            return wp_error("rest_term_invalid", "Term does not exist.", 404)
        return json_response(self._term(term, request))

    def _create_category(self, request: Request) -> Response:
        data = self._authorized_body(request)
        if isinstance(data, Response):
            return data
        name = str(data.get("name") or "").strip()
        if not name:
            return wp_error("rest_missing_callback_param", "Missing parameter(s): name", 400,
                            params=["name"])
        parent = int(data.get("parent") or 0)
        stored_name = name.replace("&", "&amp;")  # WordPress keeps term names HTML-escaped
        with self._data_lock:
            for term in self.categories.values():
                if term["name"].lower() == stored_name.lower() and term["parent"] == parent:
                    return wp_error("term_exists", "A term with the name provided already exists with this parent.",
                                    400, term_id=term["id"])
            wanted = _sanitize_slug(str(data.get("slug") or "")) or _sanitize_slug(name)
            slug, n = wanted, 2
            while any(t["slug"] == slug for t in self.categories.values()):
                slug = f"{wanted}-{n}"
                n += 1
            term = {"id": self._new_id(), "count": 0, "description": str(data.get("description") or ""),
                    "name": stored_name, "slug": slug, "taxonomy": "category", "parent": parent}
            self.categories[term["id"]] = term
            self.category_creates += 1
        return json_response(self._term(term, request), 201)

    # -- media ------------------------------------------------------------------------------------

    def _upload(self, request: Request) -> Response:
        denied = self._require_auth(request)
        if denied:
            return denied
        if not request.body:
            return wp_error("rest_upload_no_data", "No data supplied.", 400)
        disposition = request.header("content-disposition")
        if not disposition:
            return wp_error("rest_upload_no_content_disposition", "No Content-Disposition supplied.", 400)
        filename = _disposition_filename(disposition)
        if not filename:
            return wp_error("rest_upload_invalid_disposition",
                            "Invalid Content-Disposition supplied. Content-Disposition needs to be formatted as "
                            '`attachment; filename="image.png"` or similar.', 400)
        mime = (request.header("content-type") or "").split(";")[0].strip().lower()
        if not _UPLOAD_TYPES.match(mime):
            # WordPress really answers a refused file type with HTTP 500.
            return wp_error("rest_upload_sideload_error", "Sorry, you are not allowed to upload this file type.", 500)
        with self._data_lock:
            when = self.now()
            stem, dot, ext = filename.rpartition(".")
            stem, ext = (stem, "." + ext) if dot else (filename, "")
            names = {m["file"] for m in self.media.values()}
            candidate, n = f"{when:%Y/%m}/{filename}", 1
            while candidate in names:
                candidate = f"{when:%Y/%m}/{stem}-{n}{ext}"
                n += 1
            item = {"id": self._new_id(), "file": candidate, "mime_type": mime, "data": request.body,
                    "filename": filename}
            self.media[item["id"]] = item
        return json_response(self._media(item, request), 201)

    def _media(self, item: dict[str, Any], request: Request) -> dict[str, Any]:
        url = f"{self._host(request)}/wp-content/uploads/{quote(item['file'])}"
        return {"id": item["id"], "source_url": url, "mime_type": item["mime_type"],
                "media_type": "image" if item["mime_type"].startswith("image/") else "file",
                "title": {"rendered": item["filename"]}, "link": url}

    def _one_media(self, request: Request) -> Response:
        item = self.media.get(int(request.params["id"]))
        if item is None:
            return wp_error("rest_post_invalid_id", "Invalid post ID.", 404)
        return json_response(self._media(item, request))

    def _file(self, request: Request) -> Response:
        wanted = unquote(request.params["file"])
        for item in self.media.values():
            if item["file"] == wanted:
                return Response(200, item["data"], {"Content-Type": item["mime_type"]})
        return Response(404, b"not found", {"Content-Type": "text/plain"})


def _iso(when: datetime) -> str:
    return when.astimezone(timezone.utc).replace(tzinfo=None).isoformat(timespec="seconds")


def _sanitize_slug(text: str) -> str:
    """Roughly WordPress's sanitize_title: lower case, hyphens, non-ASCII percent-encoded."""
    text = re.sub(r"[\s_]+", "-", text.strip().lower())
    text = re.sub(r"[^\w\-%]", "", text)
    text = "".join(c if c.isascii() else quote(c).lower() for c in text)
    return re.sub(r"-{2,}", "-", text).strip("-")[:200]


def _disposition_filename(value: str) -> str | None:
    """The ``filename=`` parameter, read the way WordPress does (it ignores ``filename*``).

    WordPress sees the raw header bytes; Python's http.server decoded them as Latin-1, so undo that.
    """
    for part in value.split(";")[1:]:
        key, eq, raw = part.partition("=")
        if eq and key.strip().lower() == "filename":
            name = raw.strip()
            if len(name) >= 2 and name[0] == name[-1] == '"':
                name = name[1:-1]
            with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):  # else keep it as sent
                name = name.encode("latin-1").decode("utf-8")  # http.server reads header bytes as Latin-1
            return name or None
    return None


SANDBOX = SandboxEmulator("wordpress", 8704, lambda clock: WordpressEmulator())
