"""Links in a body pass the same URL check as every other URL a person gives: no ``javascript:``, ``data:`` or
credentials reach a channel."""

from __future__ import annotations

import pytest

from publisher.foundation.content import sanitize_html
from publisher.foundation.urls import link_problem, web_url_problem


@pytest.mark.parametrize("href", ["javascript:alert(document.cookie)", "JAVASCRIPT:alert(1)", "java\tscript:alert(1)",
                                  "&#106;avascript:alert(1)", "vbscript:msgbox(1)", "data:text/html,<script>x</script>",
                                  "http://editor:pw@www.example.gov.cn/", "https://www.example.gov.cn/\u202egpj.exe"])
def test_a_dangerous_link_is_removed_from_a_body(href):
    cleaned = sanitize_html(f'<p><a href="{href}">原文</a></p>')
    assert "href" not in cleaned and "原文" in cleaned


@pytest.mark.parametrize("href", ["https://www.example.gov.cn/a/118.html", "/a/118.html", "#top", "mailto:x@example.gov.cn",
                                  "tel:0513-84123456"])
def test_an_ordinary_link_is_kept(href):
    assert link_problem(href) is None
    assert "href" in sanitize_html(f'<p><a href="{href}">原文</a></p>')


@pytest.mark.parametrize("url", ["javascript:alert(1)", "/a.html", "http://", "http://h:99999/", "ftp://h/x",
                                 "http://u:p@h.cn/", "https://h.cn/" + "a" * 3000])
def test_the_web_url_check_names_what_is_wrong(url):
    assert web_url_problem(url)
