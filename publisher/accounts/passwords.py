"""The password policy (等保 2.0: at least 10 characters from three of the four classes, never the user name)."""

from __future__ import annotations

from dataclasses import dataclass

from publisher.errors import InputError
from publisher.foundation.i18n import _

PASSWORD_MAX = 1024


@dataclass(frozen=True)
class PasswordPolicy:
    """How strong a console password must be; ``console.password_min_length`` and ``console.password_classes``."""

    min_length: int = 10
    min_classes: int = 3

    def problem(self, password: str, user_name: str = "") -> str | None:
        """Why ``password`` is not allowed (for user ``user_name``), or None."""
        if len(password) < self.min_length:
            return _("at least {password_min} characters").format(password_min=self.min_length)
        if len(password) > PASSWORD_MAX:
            return _("at most {password_max} characters").format(password_max=PASSWORD_MAX)
        if not password.strip():
            return _("a password cannot be only spaces")
        if user_name and user_name.casefold() in password.casefold():
            return _("a password must not contain the user name")
        if classes(password) < self.min_classes:
            return _("use at least {count} of: capital letters, small letters, digits, other characters").format(
                count=self.min_classes)
        return None

    def check(self, password: str, user_name: str = "") -> None:
        """Raise InputError(field="password") naming the rule a password breaks."""
        problem = self.problem(password, user_name)
        if problem:
            raise InputError(problem, field="password")


def classes(password: str) -> int:
    """How many of the four character classes (upper, lower, digit, other) ``password`` uses."""
    return (any(c.isupper() for c in password) + any(c.islower() for c in password)
            + any(c.isdigit() for c in password) + any(not c.isalnum() and not c.isspace() for c in password))


DEFAULT_POLICY = PasswordPolicy()


def policy_for(config) -> PasswordPolicy:
    """The password policy of a configuration (its ``console`` section)."""
    console = getattr(config, "console", None)
    if console is None:
        return DEFAULT_POLICY
    return PasswordPolicy(min_length=console.password_min_length, min_classes=console.password_classes)
