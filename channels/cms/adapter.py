"""Channel ``cms``: a government CMS with a JSON/HTTP submission API, configured rather than coded.

Endpoint paths, the auth header, which item field goes to which JSON key, and where the response keeps
the remote id and url all come from the channel block. Retries never create a second article: every
create carries the delivery's idempotency key (header and/or body field), and an unknown outcome is
settled by looking the article up by that key.

Inline images (``<img src="attachment:SHA256">``) are embedded as ``data:`` URIs, and attachments are
sent base64-encoded in the JSON payload (``{"name", "data_base64"}``): no separate upload endpoint needed.

Sites that answer every error as HTTP 200 with a ``code`` are handled by ``response_code``/``response_ok``,
``response_auth_codes`` (expired key: pause the channel) and ``response_retry_codes`` (busy: retry). A gateway
error answering a create (``unknown_outcome_statuses``, default 502 and 504) is an unknown outcome, settled by
look-up: the CMS may have saved the article before the gateway gave up.
"""

from __future__ import annotations

import base64
import json
import re
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from publisher.adapter import Channel, ChannelServices, ChannelSettings, DeliveryContext, ItemView, Receipt
from publisher.foundation.content import strip_control_chars
from publisher.errors import ChannelPaused, LookupUnsupported, OutcomeUnknown, PermanentError, RetryableError
from publisher.http import ThreadSessions, retry_after_seconds, send
from publisher.foundation.i18n import N_, _

if TYPE_CHECKING:  # loaded where used: read-only commands parse the settings without it
    import requests

#: Item fields a payload mapping may name; a value starting with ``=`` is sent literally instead.
ITEM_FIELDS = ("uid", "id", "title", "category", "body_html", "publish_at", "summary", "author", "department",
               "index_no", "issuer", "doc_no", "written_on", "subject", "genre", "disclosure", "validity",
               "validity_on", "validity_notice")
CATALOGUE_FIELDS = ITEM_FIELDS[9:]
DEFAULT_PAYLOAD = {
    "title": "title",
    "content": "body_html",
    "column": "category",
    "publish_time": "publish_at",
    "summary": "summary",
    "author": "author",
    "source": "department",
}
#: Statuses a look-up result may carry that mean the article is no longer on the site.
GONE_STATUSES = {"withdrawn", "deleted", "retracted", "removed", "recycled", "offline", "trash"}
#: Gateway answers to a create after which the CMS behind the gateway may have saved the article.
GATEWAY_STATUSES = [502, 504]
#: Answers to a retract that say the CMS does not take it this way: retrying will not help.
UNSUPPORTED_STATUSES = (405, 501)
_INLINE_IMG = re.compile(r"""(src\s*=\s*)(["'])attachment:([0-9A-Fa-f]+)\2""")


class CmsPaths(BaseModel):
    """Endpoint paths under ``base_url``; ``{id}`` is the remote id, ``{key}`` the idempotency key."""

    model_config = ConfigDict(extra="forbid")

    create: str = "/api/articles"
    item: str = "/api/articles/{id}"
    lookup: str | None = "/api/articles?request_id={key}"
    retract: str | None = Field(default=None, description="where a retract goes; default: the item path")

    @field_validator("item")
    @classmethod
    def _item_has_id(cls, value: str) -> str:
        if "{id}" not in value:
            raise ValueError(_("must contain {id}"))
        return value

    @field_validator("lookup")
    @classmethod
    def _lookup_has_key(cls, value: str | None) -> str | None:
        if value is not None and "{key}" not in value:
            raise ValueError(_("must contain {key} (or be null when the CMS has no look-up)"))
        return value


class CmsSettings(ChannelSettings):
    """Keys of a ``cms`` channel block."""

    base_url: str
    auth_header: str = "Authorization"
    auth_token: SecretStr | None = None
    auth_scheme: str = "Bearer"
    paths: CmsPaths = Field(default_factory=CmsPaths)
    payload: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_PAYLOAD))
    attachments_field: str | None = "attachments"
    idempotency_header: str | None = "Idempotency-Key"
    idempotency_field: str | None = "request_id"
    response_id: str = "data.id"
    response_url: str | None = "data.url"
    response_code: str | None = "code"
    response_ok: list[Any] = Field(default_factory=lambda: [0, "0", 200, "ok", "OK", "success"])
    response_message: str = "message"
    lookup_items: str = "data.items"
    lookup_id: str = "id"
    lookup_url: str | None = "url"
    max_title_length: int = Field(default=200, ge=1)
    columns: dict[str, str] | None = None
    verify_tls: bool = True
    retract_method: Literal["DELETE", "POST", "PUT", "PATCH"] = "DELETE"
    retract_body: str | dict[str, Any] | None = Field(
        default=None, description='JSON sent with a retract; "{id}" becomes the remote id, e.g. {"docId": {id}}')
    response_auth_codes: list[Any] = Field(default_factory=list, description="codes in a 2xx body: key expired")
    response_retry_codes: list[Any] = Field(default_factory=list, description="codes in a 2xx body: busy, retry")
    response_gone_codes: list[Any] = Field(default_factory=list, description="codes in a 2xx body: no such article")
    unknown_outcome_statuses: list[int] = Field(
        default_factory=lambda: list(GATEWAY_STATUSES),
        description="HTTP statuses answering a create that may come after the CMS saved it (add 503 if its gateway does)")
    publish_time_format: str | None = Field(
        default=None, description="strftime format of publish_at in the office time zone; default ISO 8601")

    @field_validator("retract_method", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("retract_body")
    @classmethod
    def _json_template(cls, value: str | dict[str, Any] | None) -> str | None:
        if value is None:
            return None
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        try:
            parsed = json.loads(_fill_template(text, "1"))
        except ValueError as exc:
            raise ValueError(_('is not a JSON template once "{{id}}" is filled in: {exc}').format(exc=exc)) from None
        if not isinstance(parsed, dict):
            raise ValueError(_('must be a JSON object, e.g. {"docId": {id}}'))
        return text

    @field_validator("publish_time_format")
    @classmethod
    def _strftime(cls, value: str | None) -> str | None:
        if value is not None and "%" not in value:
            raise ValueError(_('must be a strftime format, e.g. "%Y-%m-%d %H:%M:%S"'))
        return value

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not re.match(r"https?://[^/]+", value):
            raise ValueError(_("must be an http(s) URL, e.g. https://www.example.gov.cn"))
        return value.rstrip("/")

    @field_validator("payload")
    @classmethod
    def _known_fields(cls, value: dict[str, str]) -> dict[str, str]:
        bad = [f"{k}: {v!r}" for k, v in value.items() if not v.startswith("=") and v not in ITEM_FIELDS]
        if bad:
            raise ValueError(
                _("unknown item field ({names}); use one of {known} or '=literal'").format(
                    names=', '.join(bad), known=', '.join(ITEM_FIELDS))
            )
        return value


class CmsChannel(Channel):
    """Publish to a JSON/HTTP government CMS described entirely by configuration."""

    options = frozenset(ITEM_FIELDS)

    Settings = CmsSettings
    supports_lookup = True
    supports_update = True  # PUT on the article's id: sending it twice leaves one article with that content

    def __init__(self, name: str, settings: CmsSettings, services: ChannelServices):
        super().__init__(name, settings, services)
        self.settings: CmsSettings = settings
        self._sessions = ThreadSessions(self._configure_session)
        # without a look-up path the channel cannot settle unknown outcomes
        self.supports_lookup = settings.paths.lookup is not None  # type: ignore[misc]

    # --- the adapter interface -----------------------------------------------------------------

    def check(self, item: ItemView) -> list[str]:
        """Title too long for the CMS, a category without a column, an inline image missing."""
        problems = []
        title = self._title(item)
        limit = self.settings.max_title_length
        if len(title) > limit:
            problems.append(
                N_("title is {count} characters; {display_name} allows {limit} (give a short title with --option "
                  "{name}.title=...)").format(
                    count=len(title), display_name=self.display_name, limit=limit, name=self.name)
            )
        if "body_html" in self.settings.payload.values() and not item.body_html.strip():
            problems.append(N_("the body is empty; {display_name} needs the article's content (--body or "
                              "--body-file)").format(display_name=self.display_name))
        columns = self.settings.columns
        if columns is not None and item.category not in columns:
            problems.append(
                N_("category {category!r} has no column on {display_name} (add it under "
                   "channels.{name}.columns)").format(
                    category=item.category, display_name=self.display_name, name=self.name)
            )
        for _attr, _quote, sha in _INLINE_IMG.findall(item.body_html):
            if sha not in item.inline_images:
                problems.append(N_("inline image attachment:{sha} is missing from the item").format(sha=sha))
        return problems

    def publish(self, item: ItemView, ctx: DeliveryContext) -> Receipt:
        """Create the article (idempotently); a reused key with changed content updates it instead."""
        body = self._payload(item)
        headers = {}
        if self.settings.idempotency_field:
            _set_path(body, self.settings.idempotency_field, ctx.idempotency_key)
        if self.settings.idempotency_header:
            headers[self.settings.idempotency_header] = ctx.idempotency_key
        response = self._call("POST", self.settings.paths.create, json_body=body, headers=headers, what="create")
        if response.status_code == 409:
            # the key is already bound to an earlier version of this item: bring that article up to date
            earlier = self.lookup(item, ctx) if self.supports_lookup else None
            if earlier is None:
                raise PermanentError(f"{self.name}: {self._server_message(response)}")
            ctx.external_id, ctx.external_url = earlier.external_id, earlier.external_url
            return self.update(item, ctx)
        if self._gateway_error(response):
            raise OutcomeUnknown(
                N_("{name} create: HTTP {status_code} from a gateway; the CMS may have saved the article").format(
                    name=self.name, status_code=response.status_code)
            )
        self._raise_for_status(response, "create")
        try:
            return self._receipt(response, "create")
        except ChannelPaused as exc:  # the CMS accepted the request; whether it saved the article is unknown
            raise OutcomeUnknown(str(exc)) from None

    def lookup(self, item: ItemView, ctx: DeliveryContext) -> Receipt | None:
        """The live article created with this delivery's idempotency key, or None."""
        template = self.settings.paths.lookup
        if template is None:
            raise LookupUnsupported(N_("channel {name} has no paths.lookup; it cannot look up earlier attempts").format(
                                        name=self.name))
        path = template.replace("{key}", quote(ctx.idempotency_key, safe=""))
        response = self._call("GET", path, what="look-up")
        if response.status_code == 404:
            return None
        self._raise_for_status(response, "look-up")
        data = self._json(response, "look-up")
        items = _get_path(data, self.settings.lookup_items)
        if not isinstance(items, list):
            raise ChannelPaused(
                N_("{name}: look-up response has no list at {lookup_items!r}; check lookup_items").format(
                    name=self.name, lookup_items=self.settings.lookup_items)
            )
        for entry in items:
            if not isinstance(entry, dict) or str(entry.get("status", "")).lower() in GONE_STATUSES:
                continue
            remote_id = _get_path(entry, self.settings.lookup_id)
            if remote_id in (None, ""):
                continue
            url = _get_path(entry, self.settings.lookup_url) if self.settings.lookup_url else None
            return Receipt(external_id=str(remote_id), external_url=url or None)
        return None

    def retract(self, item: ItemView, ctx: DeliveryContext) -> None:
        """Delete the article; one that is already gone counts as retracted."""
        remote_id = ctx.external_id
        if remote_id is None and self.supports_lookup:
            found = self.lookup(item, ctx)
            remote_id = found.external_id if found else None
        if remote_id is None:
            return  # nothing of this delivery is on the CMS
        method = self.settings.retract_method
        path = self._item_path(remote_id, self.settings.paths.retract or self.settings.paths.item)
        body = None
        if self.settings.retract_body:
            body = json.loads(_fill_template(self.settings.retract_body, str(remote_id)))
        response = self._call(method, path, json_body=body, what="retract")
        status = response.status_code
        if status in UNSUPPORTED_STATUSES or (status == 404 and self.settings.paths.retract):
            raise PermanentError(
                N_("{name} retract: the CMS does not take {method} {path} (HTTP {status}); check paths.retract and "
                   "retract_method in channels.{name}, and remove article {remote_id} by hand").format(
                    name=self.name, method=method, path=path, status=status, remote_id=remote_id)
            )
        if status in (404, 410) or self._gone_code(response):
            return  # an article that is already gone
        try:
            self._raise_for_status(response, "retract")
        except PermanentError as exc:
            raise PermanentError(N_("{exc} (remove article {remote_id} by hand)").format(
                                     exc=exc, remote_id=remote_id)) from exc

    def removed(self, item: ItemView, ctx: DeliveryContext) -> str | None:
        """Read the article back by id: deleted or withdrawn on the CMS since it was published, or None."""
        if not ctx.external_id:
            return None
        response = self._call("GET", self._item_path(ctx.external_id), what="read-back")
        if response.status_code in (404, 410) or self._gone_code(response):
            return N_("deleted on {display_name} (article {external_id} no longer exists)").format(
                       display_name=self.display_name, external_id=ctx.external_id)
        self._raise_for_status(response, "read-back")
        data = _maybe_json(response)
        entry = _get_path(data, "data") if isinstance(data, dict) else None
        status = str(entry.get("status", "")).lower() if isinstance(entry, dict) else ""
        if status in GONE_STATUSES:
            return N_("withdrawn on {display_name} (article {external_id} is {status})").format(
                       display_name=self.display_name, external_id=ctx.external_id, status=status)
        return None

    def update(self, item: ItemView, ctx: DeliveryContext) -> Receipt:
        """Replace the published article's content (PUT on ``paths.item``)."""
        if not ctx.external_id:
            raise PermanentError(N_("{name}: no remote article id to update; publish the item first").format(
                                     name=self.name))
        response = self._call("PUT", self._item_path(ctx.external_id), json_body=self._payload(item), what="update")
        if response.status_code in (404, 410):
            raise PermanentError(N_("{name}: article {external_id} no longer exists on the CMS").format(
                                     name=self.name, external_id=ctx.external_id))
        self._raise_for_status(response, "update")
        try:
            found = self._receipt(response, "update")
        except ChannelPaused:
            found = None  # many CMSs answer an update with no body
        return Receipt(
            external_id=found.external_id if found else ctx.external_id,
            external_url=(found.external_url if found else None) or ctx.external_url,
        )

    def close(self) -> None:
        """Close every thread's HTTP session."""
        self._sessions.close()

    # --- payload -------------------------------------------------------------------------------

    def _title(self, item: ItemView) -> str:
        return str(item.option("title", item.title))

    def _payload(self, item: ItemView) -> dict[str, Any]:
        body: dict[str, Any] = {}
        for key, source in self.settings.payload.items():
            value = source[1:] if source.startswith("=") else self._field(item, source)
            if isinstance(value, str):
                value = strip_control_chars(value)
            if value not in (None, ""):
                _set_path(body, key, value)
        if self.settings.attachments_field and item.attachments:
            _set_path(body, self.settings.attachments_field, [
                {"name": a.filename, "data_base64": base64.b64encode(a.path.read_bytes()).decode("ascii")}
                for a in item.attachments
            ])
        return body

    def _field(self, item: ItemView, name: str) -> Any:
        if name == "title":
            return self._title(item)
        if name == "category":
            columns = self.settings.columns
            return columns.get(item.category, item.category) if columns else item.category
        if name == "publish_at":
            when = item.publish_at
            if when.tzinfo is None:
                when = when.replace(tzinfo=self.services.timezone)
            local = when.astimezone(self.services.timezone)
            if self.settings.publish_time_format:
                return local.strftime(self.settings.publish_time_format)
            return local.isoformat(timespec="seconds")
        if name == "body_html":
            return self._inline_images(item)
        if name in CATALOGUE_FIELDS:
            return self._catalogue_field(item, name)
        value = item.option(name, getattr(item, name))
        return value if isinstance(value, str) else str(value)

    def _catalogue_field(self, item: ItemView, name: str) -> str | None:
        if name == "validity_notice":
            return item.catalogue.validity_notice()
        if name == "issuer":
            return item.catalogue.issuer or self.services.office_name
        value = getattr(item.catalogue, name)
        return value.isoformat() if hasattr(value, "isoformat") else value

    def _inline_images(self, item: ItemView) -> str:
        def embed(match: re.Match[str]) -> str:
            image = item.inline_images.get(match.group(3))
            if image is None:
                raise PermanentError(N_("inline image attachment:{group} is missing from the item").format(
                                         group=match.group(3)))
            data = base64.b64encode(image.path.read_bytes()).decode("ascii")
            return f"{match.group(1)}{match.group(2)}data:{image.mime};base64,{data}{match.group(2)}"

        return _INLINE_IMG.sub(embed, item.body_html)

    # --- HTTP ----------------------------------------------------------------------------------

    def _configure_session(self, session: requests.Session) -> None:
        session.verify = self.settings.verify_tls
        token = self.settings.auth_token.get_secret_value() if self.settings.auth_token else ""
        if token:
            scheme = self.settings.auth_scheme.strip()
            session.headers[self.settings.auth_header] = f"{scheme} {token}" if scheme else token

    def _item_path(self, remote_id: str, template: str | None = None) -> str:
        return (template or self.settings.paths.item).replace("{id}", quote(str(remote_id), safe=""))

    def _call(
        self,
        method: str,
        path: str,
        *,
        what: str,
        json_body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> requests.Response:
        kwargs: dict[str, Any] = {"headers": dict(headers or {})}
        if json_body is not None:
            kwargs["data"] = json.dumps(json_body, ensure_ascii=False).encode("utf-8")
            kwargs["headers"]["Content-Type"] = "application/json; charset=utf-8"
        url = self.settings.base_url + path
        try:
            return send(self._sessions.get(), method, url, timeout=self.settings.timeout, **kwargs)
        except RetryableError as exc:
            raise RetryableError(f"{self.name} {what}: {self._scrub(str(exc))}", retry_after=exc.retry_after) from exc
        except OutcomeUnknown as exc:
            raise OutcomeUnknown(f"{self.name} {what}: {self._scrub(str(exc))}") from exc

    def _raise_for_status(self, response: requests.Response, what: str) -> None:
        status = response.status_code
        if status < 400:
            if self.settings.response_code:
                data = _maybe_json(response)
                code = _get_path(data, self.settings.response_code) if isinstance(data, dict) else None
                if code is not None and code not in self.settings.response_ok:
                    self._raise_for_code(code, response, what)
            return
        if status in (401, 403):
            raise ChannelPaused(
                N_("{name}: the CMS refused our credentials on {what} (HTTP {status}); check auth_token (and "
                   "auth_header/auth_scheme) in channels.{name}").format(name=self.name, what=what, status=status)
            )
        if status == 429 or status >= 500:
            raise RetryableError(
                N_("{name} {what}: HTTP {status} from the CMS ({server_message})").format(
                    name=self.name, what=what, status=status, server_message=self._server_message(response)),
                retry_after=retry_after_seconds(response.headers.get("Retry-After")),
            )
        if status in (404, 405) and what == "create":
            raise ChannelPaused(
                N_("{name}: HTTP {status} on {create}; check base_url and paths.create").format(
                    name=self.name, status=status, create=self.settings.paths.create)
            )
        raise PermanentError(N_("{name} {what} refused (HTTP {status}): {server_message}").format(
                                 name=self.name,
                                 what=what,
                                 status=status,
                                 server_message=self._server_message(response)))

    def _gateway_error(self, response: requests.Response) -> bool:
        """A create answered by a gateway error; a 503 with Retry-After is a clear "not now", never unknown."""
        status = response.status_code
        if status == 503 and response.headers.get("Retry-After"):
            return False
        return status in self.settings.unknown_outcome_statuses

    def _gone_code(self, response: requests.Response) -> bool:
        data = _maybe_json(response)
        code = _get_path(data, self.settings.response_code) if isinstance(data, dict) and self.settings.response_code else None
        return code is not None and _code_in(code, self.settings.response_gone_codes)

    def _raise_for_code(self, code: Any, response: requests.Response, what: str) -> None:
        """An error code in a 2xx body: expired key pauses the channel, busy retries, anything else is final."""
        message = self._server_message(response)
        if _code_in(code, self.settings.response_auth_codes):
            raise ChannelPaused(
                N_("{name}: the CMS says our key is expired or invalid on {what} (code {code}: {message}); renew "
                   "auth_token in channels.{name}, then `publisher channel resume {name}`").format(
                    name=self.name, what=what, code=code, message=message)
            )
        if _code_in(code, self.settings.response_retry_codes):
            raise RetryableError(N_("{name} {what}: the CMS is busy (code {code}: {message})").format(
                                     name=self.name, what=what, code=code, message=message))
        raise PermanentError(N_("{name} {what} refused (code {code}): {message}").format(
                                 name=self.name, what=what, code=code, message=message))

    def _receipt(self, response: requests.Response, what: str) -> Receipt:
        data = self._json(response, what)
        remote_id = _get_path(data, self.settings.response_id)
        if remote_id in (None, ""):
            raise ChannelPaused(
                N_("{name}: {what} response has no id at {response_id!r}; check response_id").format(
                    name=self.name, what=what, response_id=self.settings.response_id)
            )
        url = _get_path(data, self.settings.response_url) if self.settings.response_url else None
        return Receipt(external_id=str(remote_id), external_url=str(url) if url else None)

    def _json(self, response: requests.Response, what: str) -> Any:
        data = _maybe_json(response)
        if data is None:
            raise ChannelPaused(
                N_("{name}: {what} answer is not JSON (HTTP {status_code}, {content_type}); check base_url and "
                   "paths").format(
                    name=self.name,
                    what=what,
                    status_code=response.status_code,
                    content_type=response.headers.get('Content-Type', 'no content type'))
            )
        return data

    def _server_message(self, response: requests.Response) -> str:
        data = _maybe_json(response)
        if isinstance(data, dict):
            message = _get_path(data, self.settings.response_message) or data.get("error") or data.get("errmsg")
            field = data.get("field")
            if message:
                text = f"{message} (field {field})" if field else str(message)
                return self._scrub(text)
        text = (response.text or "").strip().replace("\n", " ")[:200]
        return self._scrub(text) or f"HTTP {response.status_code}"

    def _scrub(self, text: str) -> str:
        token = self.settings.auth_token.get_secret_value() if self.settings.auth_token else ""
        return text.replace(token, "***") if token else text


def _code_in(code: Any, codes: list[Any]) -> bool:
    return code in codes or str(code) in {str(c) for c in codes}


def _fill_template(template: str, remote_id: str) -> str:
    """Put ``remote_id`` into a JSON template: ``"{id}"`` stays a string, a bare ``{id}`` is a number when it is one."""
    quoted = json.dumps(remote_id, ensure_ascii=False)
    bare = remote_id if remote_id.isdecimal() else quoted
    return template.replace('"{id}"', quoted).replace("{id}", bare)


def _maybe_json(response: requests.Response) -> Any:
    if not response.content:
        return None
    try:
        return json.loads(response.content.decode("utf-8", "replace"))
    except ValueError:
        return None


def _get_path(data: Any, path: str) -> Any:
    """``data.items.0.id``-style access; None when any step is missing."""
    for part in path.split("."):
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and part.isdecimal() and int(part) < len(data):
            data = data[int(part)]
        else:
            return None
    return data


def _set_path(data: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    for part in parts[:-1]:
        data = data.setdefault(part, {})
    data[parts[-1]] = value

