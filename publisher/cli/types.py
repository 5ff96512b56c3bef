"""Argument types shared by the command modules: ids that fit the database, report years, URLs an editor found."""

from __future__ import annotations

import click

from publisher.foundation.redact import scrub
from publisher.foundation.i18n import _
from publisher.foundation.urls import web_url_problem

ID_MAX = 2**63 - 1  # items.id is a 64-bit integer on SQLite and PostgreSQL alike
ITEM_ID = click.IntRange(1, ID_MAX)
YEAR_MIN = 1900  # (year 1 in an east-of-UTC zone starts before the first representable UTC instant)
YEAR = click.IntRange(YEAR_MIN, 9998)


class HttpUrl(click.ParamType):
    """An absolute http(s) URL with a host (what an editor copies from the browser's address bar)."""

    name = "URL"

    def convert(self, value, param, ctx):
        problem = web_url_problem(value)
        if problem:
            self.fail(_("{shown}: {problem}").format(shown=scrub(repr(value)), problem=problem), param, ctx)
        return str(value).strip()


HTTP_URL = HttpUrl()
