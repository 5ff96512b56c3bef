"""Errors of the series feature: what the caller should do next (wait for data, retry, or give up)."""

from __future__ import annotations

from publisher.errors import PublisherError


class SeriesError(PublisherError):
    """Base of the errors raised while producing one occurrence of a series."""


class MissingData(SeriesError):
    """The data for this occurrence is not there yet (no rows, or an empty value): retry until the deadline."""


class SourceUnavailable(SeriesError):
    """The source could not be reached right now (connection, timeout, 5xx): retry until the deadline."""


class SourceError(SeriesError):
    """The source is broken (file missing, unreadable, bad encoding, wrong shape); the message names it.

    Retrying may help once someone fixes it, but it should be shown to an operator at once.
    """


class RenderError(SeriesError):
    """The template itself is wrong (undefined variable, bad filter argument): fix the configuration."""
