"""Messages in the office's language: Chinese by default, English with ``PUBLISHER_LANG=en`` or an English ``LANG``.

Message ids are the English texts; ``publisher/locale/zh_CN/LC_MESSAGES/publisher.po`` holds the Chinese, compiled
to ``publisher.mo`` beside it (committed, so an installed package has it without Babel). See docs/i18n.md.
"""

from __future__ import annotations

import gettext
import os
from functools import lru_cache
from pathlib import Path

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "publisher"
CHINESE, ENGLISH = "zh_CN", "en"


def language() -> str:
    """``zh_CN`` or ``en``: ``$PUBLISHER_LANG``, else the first of ``LC_ALL``, ``LC_MESSAGES``, ``LANG`` that is set.

    Only a locale that names English gives English; ``C.UTF-8``, ``POSIX`` and unset mean the office's Chinese.
    """
    for name in ("PUBLISHER_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name, "").strip()
        if value:
            return ENGLISH if value.lower().startswith("en") else CHINESE
    return CHINESE


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
