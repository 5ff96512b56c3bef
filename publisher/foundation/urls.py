"""The one check for every URL a person gives: a settled delivery's address, links in a body, a series' source.

``web_url_problem`` is for an address that must be a web page (absolute http or https with a host);
``link_problem`` for a link in a body (relative, or one of the schemes a published page may carry). Neither ever
accepts ``javascript:``, ``data:`` or ``vbscript:``; both are used by the CLI, the API and the console alike.
``private_address`` tells whether an address is loopback, private, link-local or otherwise not on the internet.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from publisher.foundation.i18n import _

URL_MAX = 2048
WEB_SCHEMES = frozenset({"http", "https"})
LINK_SCHEMES = frozenset({"http", "https", "mailto", "tel", "attachment"})
_CONTROL = re.compile(r"[\x00-\x20\x7f-\x9f\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")


def web_url_problem(value: object, *, credentials: bool = False) -> str | None:
    """Why ``value`` is not an absolute http(s) URL with a host a reader can open, or None; ``credentials`` allows a
    user name and password in it (a data source's, never an address that is published or stored)."""
    if not isinstance(value, str) or not value.strip():
        return _("an http(s) URL is required, e.g. https://www.example.gov.cn/a/118.html")
    text = value.strip()
    common = _common_problem(text)
    if common:
        return common
    parts = urlsplit(text)
    if parts.scheme.lower() not in WEB_SCHEMES or not parts.hostname:
        return _("must be an absolute http(s) URL with a host, e.g. https://www.example.gov.cn/a/118.html")
    if not credentials and (parts.username is not None or parts.password is not None):
        return _("a URL must not carry a user name or password")
    return None


def link_problem(value: str) -> str | None:
    """Why ``value`` cannot be a link in a published body (``javascript:`` and the like), or None."""
    text = (value or "").strip()
    common = _common_problem(text, spaces=False)
    if common:
        return common
    scheme = _SCHEME.match(_CONTROL.sub("", text))
    if scheme and scheme.group(1).lower() not in LINK_SCHEMES:
        return _("the {scheme}: scheme is not allowed in a link (http, https, mailto, tel only)").format(
            scheme=scheme.group(1).lower()[:20])
    if scheme and scheme.group(1).lower() in WEB_SCHEMES:
        return web_url_problem(text)
    return None


def _common_problem(text: str, *, spaces: bool = True) -> str | None:
    if len(text) > URL_MAX:
        return _("a URL longer than {limit} characters").format(limit=URL_MAX)
    if (_CONTROL.search(text) if spaces else _CONTROL.search(text.replace(" ", ""))):
        return _("a URL cannot contain spaces, control or invisible characters")
    try:
        urlsplit(text).port  # noqa: B018 (raises on a port that is not 0-65535)
    except ValueError:
        return _("not a usable URL (its port is not a number from 0 to 65535)")
    return None


def private_address(address: str) -> bool:
    """True for an address that is not on the public internet: loopback, private, link-local, multicast,
    reserved or unspecified (IPv4-mapped IPv6 addresses are judged by their IPv4 address)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return True
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_reserved
            or ip.is_unspecified or not ip.is_global)


def resolved_addresses(url: str, resolve=None) -> list[str] | None:
    """Every address ``url``'s host names (the host itself when it is an address), or None when it cannot be
    resolved: what a fetch must judge with :func:`private_address`, not the name."""
    import socket

    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if _is_address(host):
        return [host]
    try:
        infos = (resolve or socket.getaddrinfo)(host, parts.port or (443 if parts.scheme == "https" else 80))
    except (OSError, UnicodeError):
        return None
    return [info[4][0] for info in infos] or None


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True
