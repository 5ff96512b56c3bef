"""Argument types shared by the command modules: ids that fit the database, report years, URLs an editor found."""

from __future__ import annotations

from urllib.parse import urlsplit

import click

from publisher.foundation.redact import scrub
from publisher.foundation.i18n import _

ID_MAX = 2**63 - 1  # items.id is a 64-bit integer on SQLite and PostgreSQL alike
ITEM_ID = click.IntRange(1, ID_MAX)
YEAR_MIN = 1900  # (year 1 in an east-of-UTC zone starts before the first representable UTC instant)
YEAR = click.IntRange(YEAR_MIN, 9998)


class HttpUrl(click.ParamType):
    """An absolute http(s) URL with a host (what an editor copies from the browser's address bar)."""

    name = "URL"

    def convert(self, value, param, ctx):
        text = str(value).strip()
        shown = scrub(repr(value))
        try:
            parts = urlsplit(text)
            port = parts.port
        except ValueError:
            self.fail(_("{shown} is not a URL (its port is not a number from 0 to 65535)").format(
                          shown=shown), param, ctx)
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname or any(c.isspace() for c in text):
            self.fail(_("{shown} is not an absolute http(s) URL (e.g. https://www.example.gov.cn/a/118.html)").format(
                          shown=shown),
                      param, ctx)
        del port
        return text


HTTP_URL = HttpUrl()
