"""One address, looked at as a reader's browser would: DNS, then HEAD (GET when HEAD is not served), redirects
followed by hand so that every hop's host is judged (a redirect into a private network is not followed).

The outcome is ``ok``, ``broken`` (4xx/5xx, DNS failure, timeout, refused connection, too many redirects) or
``skipped`` (loopback or private and not allowed, or not http(s)); ``redirected_to`` names where it ended.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from publisher import __version__
from publisher.foundation.i18n import N_
from publisher.foundation.urls import private_address, resolved_addresses, web_url_problem

MAX_REDIRECTS = 5


@dataclass(frozen=True)
class Outcome:
    """What one address gave: ``state`` ok | broken | skipped, why (an English message id) and the final address."""

    state: str
    problem: str | None = None
    redirected_to: str | None = None


def probe(url: str, *, timeout: float, allow_private: bool, session=None) -> Outcome:
    """Look at ``url`` (absolute http or https) and say whether a reader reaches it."""
    import requests

    session = session or _session()
    current, hops = url, 0
    while True:
        blocked = _host_problem(current, allow_private)
        if blocked is not None:
            return blocked if hops == 0 else Outcome("broken", N_("redirected to an address not checked: {reason}")
                                                     .format(reason=blocked.problem))
        try:
            response = _fetch(session, current, timeout)
        except requests.Timeout:
            return Outcome("broken", N_("no answer within {seconds} s").format(seconds=timeout))
        except requests.RequestException as exc:
            return Outcome("broken", N_("cannot connect ({error})").format(error=type(exc).__name__))
        if response.is_redirect and response.headers.get("location"):
            hops += 1
            if hops > MAX_REDIRECTS:
                return Outcome("broken", N_("more than {count} redirects").format(count=MAX_REDIRECTS))
            current = urljoin(current, response.headers["location"])
            continue
        final = current if current != url else None
        if response.status_code >= 400:
            return Outcome("broken", N_("HTTP {status}").format(status=response.status_code), final)
        return Outcome("ok", None, final)


def _session():
    import requests

    session = requests.Session()
    session.headers["User-Agent"] = f"publisher/{__version__} (link check)"
    return session


def _fetch(session, url: str, timeout: float):
    response = session.head(url, timeout=timeout, allow_redirects=False)
    if response.status_code in (405, 501):  # HEAD not served: ask for the page, read none of it
        response.close()
        response = session.get(url, timeout=timeout, allow_redirects=False, stream=True)
    response.close()
    return response


def _host_problem(url: str, allow_private: bool) -> Outcome | None:
    """Skipped (not http(s), private and not allowed), broken (no such host), or None: go ahead."""
    if web_url_problem(url) is not None:
        return Outcome("skipped", N_("not an http(s) address"))
    addresses = resolved_addresses(url)
    if addresses is None:
        return Outcome("broken", N_("DNS: no such host {host}").format(host=urlsplit(url).hostname or ""))
    if not allow_private and any(private_address(a) for a in addresses):
        return Outcome("skipped", N_("loopback or private address (links.allow_private)"))
    return None
