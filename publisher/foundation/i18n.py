"""Messages in the office's language: Chinese by default, English with ``PUBLISHER_LANG=en`` or an English ``LANG``.

Message ids are the English texts; ``publisher/locale/zh_CN/LC_MESSAGES/publisher.po`` holds the Chinese, compiled
to ``publisher.mo`` beside it (committed, so an installed package has it without Babel). See docs/i18n.md.
"""

from __future__ import annotations

import gettext
import os
import re
import string
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path
from typing import Iterator

LOCALE_DIR = Path(__file__).parent.parent / "locale"
DOMAIN = "publisher"
CHINESE, ENGLISH = "zh_CN", "en"


_SPOKEN: ContextVar[str | None] = ContextVar("publisher_language", default=None)


def language() -> str:
    """``zh_CN`` or ``en``: the language of :func:`speaking` where one is set (the console's requests), else
    ``$PUBLISHER_LANG``, else the first of ``LC_ALL``, ``LC_MESSAGES``, ``LANG`` that is set.

    Only a locale that names English gives English; ``C.UTF-8``, ``POSIX`` and unset mean the office's Chinese.
    """
    spoken = _SPOKEN.get()
    if spoken:
        return spoken
    for name in ("PUBLISHER_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name, "").strip()
        if value:
            return ENGLISH if value.lower().startswith("en") else CHINESE
    return CHINESE


@contextmanager
def speaking(lang: str) -> Iterator[None]:
    """Messages in ``lang`` inside the block, whatever the process's language (in this context only)."""
    token = _SPOKEN.set(lang)
    try:
        yield
    finally:
        _SPOKEN.reset(token)


@lru_cache(maxsize=4)
def _catalogue(lang: str) -> gettext.NullTranslations:
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[lang], fallback=True)


def _(message: str) -> str:
    """``message`` (an English message id) in the current language."""
    if not message:
        return message
    return _catalogue(language()).gettext(message)


def N_(message: str) -> str:
    """Mark a message id for the catalogue without translating it (names looked up later with ``_``)."""
    return message


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural message id for ``n``, in the current language."""
    return _catalogue(language()).ngettext(singular, plural, n)


def localise_click() -> None:
    """Route click's own texts (Usage:, Options, Error: …) through our catalogue.

    click looks its texts up with :func:`gettext.gettext` bound at import in each module; rebinding those names
    is the only hook it offers.
    """
    import importlib

    for name in ("click.core", "click.exceptions", "click.formatting", "click.decorators", "click.types",
                 "click.parser", "click._optparse", "click.termui", "click.shell_completion"):
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        if hasattr(module, "_"):
            module._ = _
        if hasattr(module, "ngettext"):
            module.ngettext = ngettext


def localise_help(command) -> None:
    """Translate the help of ``command``, its options and every subcommand for the current language.

    click keeps help as plain strings; the English ids are kept aside, so a second call in another language works.
    """
    import click

    for owner, attr in [(command, "help"), (command, "short_help")] + [
            (p, "help") for p in command.params if isinstance(p, click.Option)]:
        ids = owner.__dict__.setdefault("_msgids", {})
        if attr not in ids:
            ids[attr] = getattr(owner, attr)
        if ids[attr]:
            setattr(owner, attr, _(ids[attr]))
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            localise_help(sub)


def shown(text: str | None) -> str | None:
    """``text`` formatted from an English message template (e.g. a channel error kept in the database) in the
    current language; text that matches no template is returned unchanged."""
    if not text or language() == ENGLISH:
        return text
    return _shown(text, _catalogue(language()), 3)


def _shown(text: str, catalogue: gettext.NullTranslations, depth: int) -> str:
    whole = _translated(text, catalogue, depth)
    if whole is not None or "; " not in text:
        return text if whole is None else whole
    # several problems joined by the core or a channel ("; ".join(problems)); a problem may hold "; " itself
    parts, out, i = text.split("; "), [], 0
    while i < len(parts):
        for j in range(len(parts), i, -1):
            found = _translated("; ".join(parts[i:j]), catalogue, depth)
            if found is not None or j == i + 1:
                out.append(found if found is not None else parts[i])
                i = j
                break
    return "; ".join(out)


def _translated(text: str, catalogue: gettext.NullTranslations, depth: int) -> str | None:
    """``text`` in the catalogue's language when it is a message id or fills a template; None otherwise."""
    exact = catalogue.gettext(text)
    if exact != text:
        return exact
    if depth == 0:
        return None
    for prefix, suffix, pattern, fields, msgstr in _templates(catalogue):
        if not (text.startswith(prefix) and text.endswith(suffix)):
            continue
        match = pattern.match(text)
        if match is None:
            continue
        values = {name: match.group(group) for name, group in fields.items()}
        values = {name: _shown(v, catalogue, depth - 1) if " " in v else v for name, v in values.items()}
        return "".join(literal + (values.get(name, "") if name is not None else "")
                       for literal, name in _pieces(msgstr))
    return None


def _pieces(template: str) -> list[tuple[str, str | None]]:
    """(literal text, placeholder name or None) pairs of a ``str.format`` template; ``{{``/``}}`` unescaped."""
    return [(literal, name) for literal, name, _spec, _conversion in string.Formatter().parse(template)]


@lru_cache(maxsize=4)
def _templates(catalogue: gettext.NullTranslations) -> list[tuple[str, str, re.Pattern, dict[str, str], str]]:
    """Every translated template with placeholders as (literal prefix, literal suffix, pattern, placeholder →
    group, msgstr), the ones with the most literal text first (the most specific wins)."""
    found = []
    for msgid, msgstr in getattr(catalogue, "_catalog", {}).items():  # gettext's own table; plurals are tuples
        if not isinstance(msgid, str) or "{" not in msgid or msgstr == msgid:
            continue
        try:
            pieces = _pieces(msgid)
            _pieces(msgstr)
        except ValueError:
            continue
        if all(name is None for _literal, name in pieces):
            continue
        regex, fields = [], {}
        for literal, name in pieces:
            regex.append(re.escape(literal))
            if name is None:
                continue
            if name in fields:
                regex.append(f"(?P={fields[name]})")
            else:
                fields[name] = f"g{len(fields)}"
                regex.append(f"(?P<{fields[name]}>.*?)")
        literal_length = sum(len(literal) for literal, _name in pieces)
        suffix = pieces[-1][0] if pieces[-1][1] is None else ""
        found.append((literal_length, pieces[0][0], suffix, re.compile("".join(regex) + r"\Z", re.DOTALL), fields,
                      msgstr))
    found.sort(key=lambda entry: -entry[0])
    return [entry[1:] for entry in found]


FIELD_NAMES = frozenset((
    N_("title"), N_("category"), N_("body"), N_("body_file"), N_("channel"), N_("option"), N_("at"),
    N_("department"), N_("author"), N_("summary"), N_("key"), N_("attach"), N_("docx"), N_("password"), N_("name"),
    N_("role"), N_("status"), N_("q"), N_("since"), N_("until"), N_("page"), N_("per_page"), N_("year"),
    N_("comment"), N_("month"), N_("item"), N_("by"), N_("expires"), N_("token_id"), N_("action"), N_("leave"),
    N_("url"), N_("reason"), N_("file"), N_("user")))  # the fields the queue, the console and the API name in their messages


def labelled(field: str, message: str) -> str:
    """``field: message`` in the current language, a known field (``FIELD_NAMES``) under its translated name."""
    label = _(field) if field in FIELD_NAMES else field
    return _("{field}: {message}").format(field=label, message=message)
