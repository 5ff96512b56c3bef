"""The ``resource_site`` channel: a form-driven legacy site (login form, submission form, listing page).

Everything site-specific (URLs, CSS selectors, field names, select values, success and error markers,
the page encoding) comes from configuration, so a differently built site is a new config block.

A look-up searches the listing back as far as the attempt's time needs: page after page until a whole
page is dated before the attempt (minus ``listing.lookup_margin_days``) or the listing ends, never only
the first few pages, because newer notices push an earlier attempt's notice further down.
"""

from __future__ import annotations

import codecs
import re
import secrets
import threading
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Callable, Iterator, TypeVar
from urllib.parse import urlencode, urljoin, urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from publisher.adapter import Catalogue, Channel, ChannelServices, ChannelSettings, DeliveryContext, ItemView, Receipt
from publisher.foundation.content import strip_control_chars
from publisher.errors import ChannelPaused, LookupUnsupported, OutcomeUnknown, PermanentError, RetryableError
from publisher.http import new_session, raise_for_transient_status, send
from publisher.foundation.i18n import N_, _

if TYPE_CHECKING:  # loaded where used: read-only commands parse the settings without it
    import requests
    from bs4 import BeautifulSoup, Tag

T = TypeVar("T")

#: Labels browsers decode with the GB18030 decoder and encode with GBK (WHATWG Encoding Standard).
_GBK_LABELS = {"gbk", "gb2312", "gb_2312", "gb-2312", "cp936", "x-gbk", "euc-cn", "csgb2312"}
_INLINE_IMAGE = re.compile(r"""<img\b[^>]*\bsrc\s*=\s*["']?attachment:""", re.IGNORECASE)


class _Block(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LoginFields(_Block):
    """Input names of the login form."""

    username: str
    password: str


class LoginSettings(_Block):
    """Where and how to log in."""

    url: str = Field(description="login page, relative to base_url")
    form_selector: str = "form"
    fields: LoginFields
    extra: dict[str, str] = Field(default_factory=dict, description="fixed values for other inputs")
    success_selector: str | None = Field(default=None, description="present on the page after a good login")
    failure_text: str | None = Field(default=None, description="present on the page after a bad login")
    error_selector: str | None = Field(default=None, description="where the site says why login failed")


class SubmitFields(_Block):
    """Input names of the submission form."""

    title: str
    body: str
    category: str | None = None
    attachment: str | list[str] | None = None
    publish_date: str | None = Field(default=None, description="the form's publication-date input")
    catalogue: dict[str, str] = Field(
        default_factory=dict, description="catalogue field (index_no, issuer, doc_no, written_on, subject, genre, "
                                          "disclosure, validity) -> the form's input name")

    @field_validator("catalogue")
    @classmethod
    def _known_catalogue_fields(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value) - {name for name, _label in Catalogue.LABELS})
        if unknown:
            raise ValueError(_("unknown catalogue field {name}").format(name=unknown[0]))
        return value

    def attachment_names(self) -> list[str]:
        """The file inputs, in order."""
        if self.attachment is None:
            return []
        return [self.attachment] if isinstance(self.attachment, str) else list(self.attachment)


class SubmitSettings(_Block):
    """The submission form and how the site answers it."""

    form_url: str
    form_selector: str = "form"
    fields: SubmitFields
    category_values: dict[str, str] = Field(default_factory=dict, description="publisher category -> select value")
    default_category_value: str | None = None
    extra: dict[str, str] = Field(default_factory=dict, description="fixed values for other inputs")
    success_text: str | None = None
    success_selector: str | None = None
    error_selector: str | None = None
    expired_form_text: str = Field(default="页面已过期", description="the site's 'form expired (CSRF)' message")
    date_format: str = Field(default="%Y-%m-%d", description="strftime format of fields.publish_date (office time)")

    @model_validator(mode="after")
    def _needs_success_marker(self) -> "SubmitSettings":
        if not self.success_text and not self.success_selector:
            raise ValueError(_("give success_text or success_selector"))
        return self


class ListingSettings(_Block):
    """The public listing used to confirm a submission and to look it up."""

    url: str = Field(description="listing page; {page} becomes 1, 2, ...; {category} the column's submit value")
    item_selector: str
    title_selector: str | None = "a"
    title_attr: str | None = Field(default=None, description="read the full title from this attribute if present")
    link_selector: str = "a"
    link_attr: str = "href"
    id_pattern: str = Field(default=r"(\d+)\D*$", description="regex on the link; group 1 is the notice id")
    pages: int = Field(default=3, ge=1, le=50, description="pages read before posting and to confirm a post")
    date_selector: str | None = Field(default=None, description="an entry's date, to know how far back to look")
    date_format: str = Field(default="%Y-%m-%d", description="strptime format of the listed date")
    lookup_margin_days: int = Field(default=1, ge=0, description="look this many days before the attempt")
    max_pages: int = Field(default=500, ge=1, description="a look-up never reads more pages than this")

    @field_validator("id_pattern")
    @classmethod
    def _valid_regex(cls, value: str) -> str:
        try:
            if re.compile(value).groups < 1:
                raise ValueError(_("id_pattern needs one capture group"))
        except re.error as exc:
            raise ValueError(_("invalid regex: {exc}").format(exc=exc)) from exc
        return value


class RetractSettings(_Block):
    """A delete form (optional); without it retract asks the editor to remove the notice by hand."""

    form_url: str = Field(description="page with the delete form; {id} is the notice id")
    form_selector: str = "form"
    success_text: str | None = None
    success_selector: str | None = None
    error_selector: str | None = None
    gone_text: str | None = Field(default=None, description="the site's 'already deleted' message (counts as done)")


class ResourceSiteSettings(ChannelSettings):
    """Configuration of one form-driven site."""

    base_url: str
    encoding: str = "gbk"
    username: str
    password: SecretStr
    max_title_length: int | None = Field(default=None, ge=1)
    session_expired_text: str | None = None
    session_expired_selector: str | None = None
    login: LoginSettings
    submit: SubmitSettings
    listing: ListingSettings
    retract: RetractSettings | None = None

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str) -> str:
        try:
            codecs.lookup(value)
        except LookupError as exc:
            raise ValueError(_("unknown encoding {value!r}").format(value=value)) from exc
        return value.lower()


@dataclass
class _Page:
    url: str
    status: int
    text: str
    soup: BeautifulSoup


class _SessionExpired(Exception):
    """The site answered with its login page."""


class _Browser:
    """One thread's requests.Session with its login state."""

    def __init__(self) -> None:
        self.session = new_session()
        self.logged_in = False


class ResourceSiteChannel(Channel):
    """Publish notices to a legacy site by driving its login and submission forms."""

    options = frozenset({"title", "category_value"})

    Settings = ResourceSiteSettings
    supports_lookup = True
    settings: ResourceSiteSettings

    def __init__(self, name: str, settings: ChannelSettings, services: ChannelServices):
        super().__init__(name, settings, services)
        self._local = threading.local()
        self._browsers: list[_Browser] = []
        self._lock = threading.Lock()
        label = settings.encoding
        self._encode_codec = "gbk" if label in _GBK_LABELS else label
        self._decode_codec = "gb18030" if label in _GBK_LABELS else label

    # -- the Channel interface --------------------------------------------------------------------

    def check(self, item: ItemView) -> list[str]:
        """Problems that would make the site refuse the item (length, encoding, category, files)."""
        s = self.settings
        problems = []
        title = self._title(item)
        hint = f"give a title with --option {self.name}.title=..."
        if s.max_title_length and len(title) > s.max_title_length:
            problems.append(
                N_("title is {count} characters; {display_name} allows {max_title_length} ({hint})").format(
                    count=len(title), display_name=self.display_name, max_title_length=s.max_title_length, hint=hint)
            )
        bad = self._unencodable(title)
        if bad:
            chars = ", ".join(f"{c} (U+{ord(c):04X})" for c in bad)
            problems.append(
                N_("title has characters the site's {encoding} encoding cannot store: {chars}; replace them or "
                  "{hint}").format(encoding=s.encoding, chars=chars, hint=hint)
            )
        if s.submit.fields.category and self._category_value(item) is None:
            known = ", ".join(s.submit.category_values) or "none"
            problems.append(
                N_("category {category!r} has no value on {display_name} (submit.category_values knows: "
                   "{known})").format(
                    category=item.category, display_name=self.display_name, known=known)
            )
        files = s.submit.fields.attachment_names()
        if len(item.attachments) > len(files):
            problems.append(
                N_("{count} attachments; the {display_name} form takes {takes}").format(
                    count=len(item.attachments), display_name=self.display_name, takes=len(files))
            )
        if _INLINE_IMAGE.search(item.body_html):
            problems.append(
                N_("the body has inline images; the {display_name} form cannot take images (attach them as files "
                  "instead)").format(display_name=self.display_name)
            )
        return problems

    def publish(self, item: ItemView, ctx: DeliveryContext) -> Receipt:
        """Log in, submit the form, and confirm on the listing page."""
        problems = self.check(item)
        if problems:
            raise PermanentError("; ".join(problems))
        title = self._title(item)
        browser = self._browser()
        column = self._category_value(item)
        if ctx.checkpoint.get("posted"):
            # A crash or unknown outcome after posting: settle it before posting again.
            found = self._find(browser, title, column, exclude=set(ctx.checkpoint.get("prior_ids", [])),
                               since=self._since(item, ctx))
            if found is not None:
                return found
            if ctx.checkpoint.get("saved"):
                raise OutcomeUnknown(self._not_listed(title))
        started = self.services.clock.now()
        prior = [r.external_id for r in self._scan(browser, title, column)]
        ctx.save(prior_ids=prior, scan_started=started.isoformat())
        confirmed = self._logged_in(browser, lambda: self._submit(browser, item, ctx, title))
        found = self._find(browser, title, column, exclude=set(prior), since=self._since(item, ctx))
        if found is not None:
            return found
        if confirmed:
            raise OutcomeUnknown(self._not_listed(title))
        raise PermanentError(
            N_("{display_name} answered with a page that is neither success nor a known error, and the title is "
               "not on the listing: {message!r}").format(
                display_name=self.display_name, message=ctx.checkpoint.get('last_page', ''))
        )

    def lookup(self, item: ItemView, ctx: DeliveryContext) -> Receipt | None:
        """Find the exact title on the listing (skipping notices that existed before this delivery).

        ``posted`` is checkpointed before the form is sent: when the checkpoint has the earlier scan but
        not ``posted``, nothing was sent. Without any checkpoint the title alone decides (never post twice).
        """
        if "prior_ids" in ctx.checkpoint and not ctx.checkpoint.get("posted"):
            return None
        title = self._title(item)
        found = self._find(self._browser(), title, self._category_value(item),
                           exclude=set(ctx.checkpoint.get("prior_ids", [])), since=self._since(item, ctx))
        if found is None and ctx.checkpoint.get("saved"):
            raise LookupUnsupported(N_("{not_listed}; check the site by hand").format(not_listed=self._not_listed(title)))
        return found

    def retract(self, item: ItemView, ctx: DeliveryContext) -> None:
        """Delete the notice through the configured delete form, else ask for removal by hand."""
        cfg = self.settings.retract
        where = f" ({ctx.external_url})" if ctx.external_url else ""
        if cfg is None:
            raise PermanentError(
                N_("{display_name} has no delete form configured; remove 《{title}》{where} by hand").format(
                    display_name=self.display_name, title=self._title(item), where=where)
            )
        if not ctx.external_id:
            raise PermanentError(N_("no notice id recorded for {display_name}; remove it by hand{where}").format(
                                     display_name=self.display_name, where=where))
        browser = self._browser()
        self._logged_in(browser, lambda: self._delete(browser, cfg, ctx.external_id or ""))

    def removed(self, item: ItemView, ctx: DeliveryContext) -> str | None:
        """Open the notice's public page: gone (HTTP 404/410) means it was deleted on the site since."""
        if not ctx.external_url:
            return None
        page = self._get(self._browser(), ctx.external_url)
        if page.status in (404, 410):
            return N_("deleted on {display_name} (notice {external_id} answers HTTP {status})").format(
                       display_name=self.display_name, external_id=ctx.external_id, status=page.status)
        return None

    def close(self) -> None:
        """Close every thread's HTTP session."""
        with self._lock:
            for browser in self._browsers:
                browser.session.close()
            self._browsers.clear()

    # -- steps ------------------------------------------------------------------------------------

    def _submit(self, browser: _Browser, item: ItemView, ctx: DeliveryContext, title: str) -> bool:
        """Post the submission form; True when the site confirmed, False for an unrecognised page."""
        cfg = self.settings.submit
        for attempt in (1, 2):
            page = self._get(browser, cfg.form_url, need_login=True)
            form = self._form(page, cfg.form_selector, "submit.form_selector")
            values = _form_values(form)
            fields = cfg.fields
            values = _set(values, fields.title, title)
            values = _set(values, fields.body, strip_control_chars(item.body_html))
            if fields.category:
                values = _set(values, fields.category, self._category_value(item) or "")
            if fields.publish_date:
                local = item.publish_at.astimezone(self.services.timezone)
                values = _set(values, fields.publish_date, local.strftime(cfg.date_format))
            catalogue = item.catalogue.fields(self.services.office_name)
            for name, input_name in fields.catalogue.items():
                values = _set(values, input_name, catalogue.get(name, ""))
            for key, value in cfg.extra.items():
                values = _set(values, key, value)
            self._check_select(form, fields.category, self._category_value(item))
            files = self._files(item)
            ctx.save(posted=True)
            result = self._post_form(browser, page, form, values, files)
            if self._is_login_page(result):
                raise _SessionExpired()
            if _matches(result, cfg.success_text, cfg.success_selector):
                ctx.save(saved=True)
                return True
            refused = bool(cfg.error_selector and result.soup.select_one(cfg.error_selector))
            message = _message(result, cfg.error_selector)
            if cfg.expired_form_text and cfg.expired_form_text in result.text:
                if attempt == 1:
                    self.log.info("%s: form expired (%s); reading it again", self.name, message)
                    continue
                raise RetryableError(N_("{display_name} says the form expired twice in a row: {message}").format(
                                         display_name=self.display_name, message=message))
            if refused or result.status >= 400:
                raise PermanentError(N_("{display_name} refused the notice: {message}").format(
                                         display_name=self.display_name, message=message))
            ctx.save(last_page=message[:200])
            return False
        raise AssertionError("unreachable")

    def _delete(self, browser: _Browser, cfg: RetractSettings, notice_id: str) -> None:
        page = self._get(browser, cfg.form_url.format(id=notice_id), need_login=True)
        if cfg.gone_text and cfg.gone_text in page.text:
            return
        form = self._form(page, cfg.form_selector, "retract.form_selector")
        result = self._post_form(browser, page, form, _form_values(form), [])
        if self._is_login_page(result):
            raise _SessionExpired()
        if cfg.gone_text and cfg.gone_text in result.text:
            return
        if cfg.success_text or cfg.success_selector:
            if _matches(result, cfg.success_text, cfg.success_selector):
                return
            raise PermanentError(
                N_("{display_name} did not delete notice {notice_id}: {message}; remove it by hand").format(
                    display_name=self.display_name, notice_id=notice_id, message=_message(result, cfg.error_selector))
            )

    def _login(self, browser: _Browser) -> None:
        cfg = self.settings.login
        browser.logged_in = False
        browser.session.cookies.clear()
        page = self._get(browser, cfg.url)
        form = self._form(page, cfg.form_selector, "login.form_selector")
        values = _form_values(form)
        values = _set(values, cfg.fields.username, self.settings.username)
        values = _set(values, cfg.fields.password, self.settings.password.get_secret_value())
        for key, value in cfg.extra.items():
            values = _set(values, key, value)
        result = self._post_form(browser, page, form, values, [])
        ok = not self._is_login_page(result)
        if cfg.failure_text and cfg.failure_text in result.text:
            ok = False
        if cfg.success_selector and not result.soup.select_one(cfg.success_selector):
            ok = False
        if not ok:
            message = _message(result, cfg.error_selector or self.settings.submit.error_selector)
            if self.settings.submit.expired_form_text in result.text:
                raise RetryableError(N_("{display_name} login form expired: {message}").format(
                                         display_name=self.display_name, message=message))
            raise ChannelPaused(
                N_("{display_name} refused the login of user {username!r}: {message} (check username/password in "
                   "the channel configuration)").format(
                    display_name=self.display_name, username=self.settings.username, message=message)
            )
        browser.logged_in = True
        self.log.info("%s: logged in as %s", self.name, self.settings.username)

    def _logged_in(self, browser: _Browser, step: Callable[[], T]) -> T:
        """Run ``step`` with a logged-in session; when the session expires mid-way log in again, once."""
        if not browser.logged_in:
            self._login(browser)
        try:
            return step()
        except _SessionExpired:
            self.log.info("%s: session expired; logging in again", self.name)
        self._login(browser)
        try:
            return step()
        except _SessionExpired:
            raise RetryableError(N_("{display_name} ended the session again right after logging in").format(
                                     display_name=self.display_name)) from None

    # -- listing ----------------------------------------------------------------------------------

    def _find(self, browser: _Browser, title: str, column: str | None, exclude: set[str],
              since: datetime | None) -> Receipt | None:
        for receipt in self._scan(browser, title, column, since=since):
            if receipt.external_id not in exclude:
                return receipt
        return None

    def _since(self, item: ItemView, ctx: DeliveryContext) -> datetime:
        """How far back a look-up must search: the earlier of this delivery's first scan and the item's date."""
        started = ctx.checkpoint.get("scan_started")
        when = datetime.fromisoformat(started) if started else item.publish_at
        return min(when, item.publish_at)

    def _scan(self, browser: _Browser, title: str, column: str | None, *,
              since: datetime | None = None) -> Iterator[Receipt]:
        """Notices on the listing whose title equals ``title``, newest first, read page by page as needed.

        Without ``since`` the first ``listing.pages`` pages are read; with it, pages are read until a whole
        page is dated before ``since`` minus the margin (or, without dates, until the listing ends).
        """
        cfg = self.settings.listing
        wanted = _norm(title)
        url = cfg.url.replace("{category}", column or "")
        limit = (cfg.max_pages if since is not None else cfg.pages) if "{page}" in url else 1
        cutoff = None
        if since is not None:
            cutoff = since.astimezone(self.services.timezone).date() - timedelta(days=cfg.lookup_margin_days)
        seen: set[str | None] = set()
        for number in range(1, limit + 1):
            page = self._get(browser, url.replace("{page}", str(number)))
            if page.status >= 400:
                raise RetryableError(N_("{display_name} listing answered HTTP {status}").format(
                                         display_name=self.display_name, status=page.status))
            entries = page.soup.select(cfg.item_selector)
            if not entries:
                break
            hrefs = [self._entry_href(e) for e in entries]
            if set(hrefs) <= seen:
                break  # a site that answers every page number past the end with its last page
            seen.update(hrefs)
            dates = [self._entry_date(e) for e in entries]
            for entry, href in zip(entries, hrefs):
                if not href or _norm(self._entry_title(entry)) != wanted:
                    continue
                match = re.search(cfg.id_pattern, href)
                notice_id = match.group(1) if match else href
                yield Receipt(external_id=notice_id, external_url=urljoin(page.url, href))
            if cutoff is not None and dates and all(d is not None and d < cutoff for d in dates):
                return  # the whole page is older than the attempt: it cannot be further down

    def _entry_href(self, entry: Tag) -> str | None:
        cfg = self.settings.listing
        link = entry if entry.name == "a" else entry.select_one(cfg.link_selector)
        href = link.get(cfg.link_attr) if link is not None else None
        return href if isinstance(href, str) and href else None

    def _entry_date(self, entry: Tag) -> date | None:
        cfg = self.settings.listing
        element = entry.select_one(cfg.date_selector) if cfg.date_selector else None
        if element is None:
            return None
        text = element.get_text(" ", strip=True).strip("[]()（）")
        try:
            return datetime.strptime(text, cfg.date_format).date()
        except ValueError:
            return None

    def _entry_title(self, entry: Tag) -> str:
        cfg = self.settings.listing
        element = entry.select_one(cfg.title_selector) if cfg.title_selector else entry
        if element is None:
            return ""
        if cfg.title_attr:
            value = element.get(cfg.title_attr)
            if isinstance(value, str) and value:
                return value
        return element.get_text(" ", strip=True)

    # -- HTTP and forms ---------------------------------------------------------------------------

    def _browser(self) -> _Browser:
        browser = getattr(self._local, "browser", None)
        if browser is None:
            browser = self._local.browser = _Browser()
            with self._lock:
                self._browsers.append(browser)
        return browser

    def _url(self, path: str) -> str:
        return urljoin(self.settings.base_url.rstrip("/") + "/", path.lstrip("/")) if "://" not in path else path

    def _get(self, browser: _Browser, path: str, *, need_login: bool = False) -> _Page:
        try:
            response = send(browser.session, "GET", self._url(path), timeout=self.settings.timeout)
        except OutcomeUnknown as exc:
            # reading a page changes nothing: a timeout here must not send the delivery to a look-up
            raise RetryableError(str(exc)) from None
        raise_for_transient_status(response)
        page = self._page(response)
        if need_login and self._is_login_page(page):
            raise _SessionExpired()
        return page

    def _post_form(
        self, browser: _Browser, page: _Page, form: Tag, values: list[tuple[str, str]], files: list[_File]
    ) -> _Page:
        action = urljoin(page.url, str(form.get("action") or page.url))
        method = str(form.get("method") or "get").upper()
        enctype = str(form.get("enctype") or "").lower()
        if method == "GET":
            query = urlencode(self._site_values(values), encoding=self._encode_codec)
            response = send(browser.session, "GET", action.split("?")[0] + "?" + query, timeout=self.settings.timeout)
        elif enctype == "multipart/form-data":
            body, ctype = encode_multipart(values, files, self._encode_codec)
            response = send(
                browser.session, "POST", action, data=body, headers={"Content-Type": ctype},
                timeout=self.settings.timeout,
            )
        else:
            body_text = urlencode(self._site_values(values), encoding=self._encode_codec)
            response = send(
                browser.session, "POST", action, data=body_text.encode("ascii"),
                headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=self.settings.timeout,
            )
        raise_for_transient_status(response)
        return self._page(response)

    def _site_values(self, values: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """Values with characters the site encoding lacks turned into HTML references, as browsers do."""
        codec = self._encode_codec
        return [(k, v.encode(codec, "xmlcharrefreplace").decode(codec)) for k, v in values]

    def _page(self, response: requests.Response) -> _Page:
        text = response.content.decode(self._decode_codec, "replace")
        from bs4 import BeautifulSoup

        return _Page(response.url, response.status_code, text, BeautifulSoup(text, "html.parser"))

    def _form(self, page: _Page, selector: str, key: str) -> Tag:
        form = page.soup.select_one(selector)
        if form is None or form.name != "form":
            raise ChannelPaused(
                N_("{display_name}: no form matches {key} {selector!r} on {path} (HTTP {status}); check the "
                   "channel configuration").format(
                    display_name=self.display_name,
                    key=key,
                    selector=selector,
                    path=urlsplit(page.url).path,
                    status=page.status)
            )
        return form

    def _is_login_page(self, page: _Page) -> bool:
        s = self.settings
        if urlsplit(page.url).path == urlsplit(self._url(s.login.url)).path:
            return True
        if s.session_expired_text and s.session_expired_text in page.text:
            return True
        if s.session_expired_selector and page.soup.select_one(s.session_expired_selector):
            return True
        field = page.soup.find("input", attrs={"name": s.login.fields.password})
        return field is not None and str(field.get("type", "")).lower() == "password"

    def _check_select(self, form: Tag, name: str | None, value: str | None) -> None:
        if not name or value is None:
            return
        select = form.find("select", attrs={"name": name})
        if select is None:
            return
        options = {str(o.get("value", o.get_text(strip=True))): o.get_text(strip=True) for o in select.find_all("option")}
        if value not in options:
            offered = ", ".join(f"{v} {label}" for v, label in options.items() if v)
            raise PermanentError(
                N_("category value {value!r} is not offered by the {display_name} form (options: {offered}); fix "
                   "submit.category_values").format(value=value, display_name=self.display_name, offered=offered)
            )

    def _files(self, item: ItemView) -> list[_File]:
        names = self.settings.submit.fields.attachment_names()
        files = []
        for index, name in enumerate(names):
            if index < len(item.attachments):
                att = item.attachments[index]
                files.append(_File(name, att.filename, att.path.read_bytes(), att.mime))
            else:
                files.append(_File(name, "", b"", "application/octet-stream"))
        return files

    # -- item helpers -----------------------------------------------------------------------------

    def _title(self, item: ItemView) -> str:
        return strip_control_chars(str(item.option("title", item.title))).strip()

    def _category_value(self, item: ItemView) -> str | None:
        cfg = self.settings.submit
        explicit = item.option("category_value")
        if explicit:
            return str(explicit)
        return cfg.category_values.get(item.category, cfg.default_category_value)

    def _unencodable(self, text: str) -> list[str]:
        bad = []
        for char in text:
            try:
                char.encode(self._encode_codec)
            except UnicodeEncodeError:
                if char not in bad:
                    bad.append(char)
        return bad

    def _not_listed(self, title: str) -> str:
        return N_("{display_name} confirmed saving 《{title}》 but it is not on the first {pages} listing page(s) "
                  "(awaiting review?)").format(display_name=self.display_name, title=title,
                                              pages=self.settings.listing.pages)


@dataclass(frozen=True)
class _File:
    field: str
    filename: str
    data: bytes
    mime: str


def _form_values(form: Tag) -> list[tuple[str, str]]:
    """The name/value pairs a browser would send for ``form`` untouched (file inputs excepted)."""
    values: list[tuple[str, str]] = []
    submit_taken = False
    for control in form.find_all(["input", "textarea", "select", "button"]):
        name = control.get("name")
        if not name or control.has_attr("disabled"):
            continue
        name = str(name)
        if control.name == "textarea":
            values.append((name, control.get_text()))
        elif control.name == "select":
            options = control.find_all("option")
            chosen = [o for o in options if o.has_attr("selected")] or options[:1]
            for option in chosen:
                values.append((name, str(option.get("value", option.get_text()))))
        else:
            kind = str(control.get("type", "submit" if control.name == "button" else "text")).lower()
            if kind in ("file", "reset", "button", "image"):
                continue
            if kind in ("checkbox", "radio") and not control.has_attr("checked"):
                continue
            if kind == "submit":
                if submit_taken:
                    continue
                submit_taken = True
            values.append((name, str(control.get("value", "on" if kind in ("checkbox", "radio") else ""))))
    return values


def _set(values: list[tuple[str, str]], name: str, value: str) -> list[tuple[str, str]]:
    """Replace every value of ``name`` by one ``value`` (kept at the first position, else appended)."""
    out: list[tuple[str, str]] = []
    placed = False
    for key, old in values:
        if key != name:
            out.append((key, old))
        elif not placed:
            out.append((key, value))
            placed = True
    if not placed:
        out.append((name, value))
    return out


def _matches(page: _Page, text: str | None, selector: str | None) -> bool:
    if text and text in page.text:
        return True
    return bool(selector and page.soup.select_one(selector))


def _message(page: _Page, selector: str | None) -> str:
    """What the site says on a page: the error element's text, else the page's visible text, shortened."""
    if selector:
        element = page.soup.select_one(selector)
        if element is not None and element.get_text(strip=True):
            return element.get_text(" ", strip=True)
    body = page.soup.body or page.soup
    for hidden in body.find_all(["script", "style", "form"]):
        hidden.decompose()
    text = " ".join(body.get_text(" ", strip=True).split())
    return text[:200] or f"HTTP {page.status} with an empty page"


def _norm(text: str) -> str:
    return " ".join(text.split())


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


def encode_multipart(values: list[tuple[str, str]], files: list[_File], encoding: str) -> tuple[bytes, str]:
    """A multipart/form-data body with names, values and file names in the site's encoding (as browsers do)."""
    boundary = "----PublisherFormBoundary" + secrets.token_hex(12)
    out: list[bytes] = []
    for name, value in values:
        out.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{_quote(name)}"\r\n\r\n'.encode(encoding, "xmlcharrefreplace"))
        out.append(value.encode(encoding, "xmlcharrefreplace") + b"\r\n")
    for file in files:
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{_quote(file.field)}"; '
            f'filename="{_quote(file.filename)}"\r\nContent-Type: {file.mime}\r\n\r\n'
        )
        out.append(head.encode(encoding, "replace") + file.data + b"\r\n")
    out.append(f"--{boundary}--\r\n".encode("ascii"))
    return b"".join(out), f"multipart/form-data; boundary={boundary}"
