"""Find channel settings that validate as text but that an adapter cannot use: bad URLs, CSS that does not parse."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel

from publisher.foundation.i18n import _

ABSOLUTE_URL_KEYS = ("base_url", "site_url", "api_base")  # must be absolute http(s) URLs


def unusable_values(settings: BaseModel, prefix: str = "") -> list[tuple[str, str]]:
    """(dotted key, problem) for every URL and CSS selector in ``settings`` (nested blocks too) that cannot work."""
    found: list[tuple[str, str]] = []
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        key = f"{prefix}{name}"
        if isinstance(value, BaseModel):
            found += unusable_values(value, key + ".")
        elif isinstance(value, str):
            problem = _problem(name, value)
            if problem:
                found.append((key, problem))
    return found


def _problem(name: str, value: str) -> str | None:
    if name.endswith("selector"):
        return css_problem(value)
    if name.endswith(ABSOLUTE_URL_KEYS):
        return url_problem(value, absolute=True)
    if name.endswith("_url") and "://" in value:
        return url_problem(value, absolute=False)
    return None


def url_problem(value: str, *, absolute: bool) -> str | None:
    """Why ``value`` is not a usable http(s) URL, or None."""
    try:
        parts = urlsplit(value.strip())
        parts.port  # noqa: B018 (raises on a port that is not 0-65535)
    except ValueError as exc:
        return _("not a usable URL ({exc}); e.g. https://www.example.gov.cn").format(exc=exc)
    if absolute and (parts.scheme.lower() not in ("http", "https") or not parts.hostname):
        return _("must be an absolute http(s) URL with a host, e.g. https://www.example.gov.cn")
    if any(c.isspace() for c in value.strip()):
        return _("a URL cannot contain spaces")
    return None


def css_problem(selector: Any) -> str | None:
    """Why ``selector`` is not a CSS selector BeautifulSoup can use, or None."""
    import soupsieve

    try:
        soupsieve.compile(selector)
    except (soupsieve.SelectorSyntaxError, ValueError, TypeError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return _("not a CSS selector ({first})").format(first=first)
    return None
