"""The error tree: user mistakes (exit 2) apart from channel failures (retryable or permanent)."""

from __future__ import annotations

from datetime import datetime


class PublisherError(Exception):
    """Base of every error publisher raises on purpose."""


class InputError(PublisherError):
    """Bad input from a user (a field, a line, a file); the CLI exits 2 with this message."""

    def __init__(self, message: str, *, field: str | None = None):
        from publisher.foundation.i18n import labelled

        self.field = field
        super().__init__(labelled(field, message) if field else message)


class ConfigError(PublisherError):
    """The configuration is invalid; carries every problem as ``key.path: message``."""

    def __init__(self, problems: list[str], path: str | None = None):
        self.problems = problems
        self.path = path
        from publisher.foundation.i18n import _

        head = _("invalid configuration {path}").format(path=path) if path else _("invalid configuration")
        super().__init__(head + ":\n" + "\n".join(f"  - {p}" for p in problems))


class NotFound(PublisherError):
    """A named item, delivery or series does not exist (another office's item, too)."""


class Refused(PublisherError):
    """A rule or a permission forbids the action; the CLI exits 3 and names the rule."""

    def __init__(self, rule: str, message: str):
        from publisher.foundation.i18n import ENGLISH, _, language
        from publisher.foundation.labels import rule_label

        self.rule = rule
        named = rule if language() == ENGLISH else rule_label(rule)
        super().__init__(_("{message} (rule: {rule})").format(message=message, rule=named))


class ChannelError(PublisherError):
    """A channel call failed; subclasses say what the dispatcher should do next."""


class RetryableError(ChannelError):
    """A transient failure: try again later (after ``retry_after`` seconds when the channel says so)."""

    def __init__(self, message: str, *, retry_after: float | None = None):
        self.retry_after = retry_after
        super().__init__(message)


class StillProcessing(RetryableError):
    """The channel accepted the item and is still working on it (e.g. WeChat's asynchronous publish).

    Checked again after ``retry_after`` without using up an attempt.
    """


class PermanentError(ChannelError):
    """The channel refused this item for good (content, limits); retrying will not help."""


class ChannelPaused(ChannelError):
    """The whole channel must stop until ``until`` (quota) or until an operator fixes it (``until=None``).

    Raised for configuration problems (bad credentials, IP whitelist) and daily quotas: the delivery
    keeps its attempts and waits, instead of thousands of deliveries dying one by one.
    """

    def __init__(self, message: str, *, until: datetime | None = None):
        self.until = until
        super().__init__(message)


class OutcomeUnknown(ChannelError):
    """The request may have reached the channel (timeout after sending); settle by look-up, never re-post."""


class LookupUnsupported(ChannelError):
    """The channel cannot say whether an earlier attempt arrived; the delivery stays ``in_doubt``."""
