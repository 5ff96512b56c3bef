"""The config's ``reposts:`` section: where repost items are filed, and the accounts publisher does not serve."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from publisher.errors import ConfigError


class RepostSettings(BaseModel):
    """``reposts.category``: the category of the items ``reposts make`` queues (default: the first configured
    category with 转载 in its name, else the first); ``reposts.other_accounts``: accounts a task may name that
    publisher does not publish to (抖音号, 今日头条号 …), whose copies are recorded by hand."""

    model_config = ConfigDict(extra="forbid")

    category: str | None = None
    other_accounts: list[str] = Field(default_factory=list)


def repost_settings(config) -> RepostSettings:
    """The validated ``reposts:`` section; ConfigError by key path."""
    try:
        settings = RepostSettings.model_validate(getattr(config, "reposts", None) or {})
    except ValidationError as exc:
        problems = [f"reposts.{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
        raise ConfigError(problems, str(config.path)) from None
    if settings.category is not None and settings.category not in config.categories:
        raise ConfigError([f"reposts.category: {settings.category!r} is not one of the categories"], str(config.path))
    return settings


def repost_category(config) -> str:
    """The category repost items are filed under."""
    chosen = repost_settings(config).category
    return chosen or next((c for c in config.categories if "转载" in c), config.categories[0])
