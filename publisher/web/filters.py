"""Jinja2 filters for the console: local times, Chinese labels, people by name, events as sentences."""

from __future__ import annotations

from datetime import datetime

from jinja2 import pass_context

from publisher.runtime.app import App
from publisher.items.checking import shown_field
from publisher.foundation.i18n import _, shown
from publisher.foundation.labels import label
from publisher.ledger.event_sentences import sentence, shown_error
from publisher.web.wording import console_words


def install(env, app: App) -> None:
    """Register the console's filters on a Jinja2 environment."""
    tz = app.config.tz

    def local(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
        return value.astimezone(tz).strftime(fmt) if isinstance(value, datetime) else ""

    def channel_name(name: str) -> str:
        s = app.config.channels.get(name)
        return (s.display_name if s else None) or name

    env.globals["open_reposts"] = lambda office: _open_reposts(app, office)

    def channel_type(name: str) -> str:
        s = app.config.channels.get(name)
        return s.type if s else ""

    @pass_context
    def person(context, name: str) -> str:
        return person_name(_people(context, app), name or "")

    @pass_context
    def event_sentence(context, event: dict) -> str:
        people = _people(context, app)
        return sentence(event, person=lambda n: person_name(people, n), channel=channel_name)

    env.filters.update(
        local=local,
        status=lambda v: label("status", v),
        decision=lambda v: label("decision", v),
        role=lambda v: label("role", v),
        channel=channel_name,
        channel_type=channel_type,
        person=person,
        event=event_sentence,
        finding=lambda v: label("finding", v),
        correction=lambda v: label("correction", v),
        stored=lambda text: shown(text) or "",
        failure=lambda text: shown_error(text, channel_name) if text else "",
        gate_field=shown_field,
        console=lambda text: console_words(shown(text) or "", channel_name),
    )


def person_name(people: dict[str, str], name: str) -> str:
    """A user by display name; the daemon (``user@host/worker``) as the publishing service on its host; a command
    line account (``user@host``) as the command line on its host."""
    if name in people:
        return people[name] or name
    if "@" in name:
        host = name.split("@", 1)[1].split("/", 1)[0]
        return (_("publishing service ({host})") if "/" in name else _("command line ({host})")).format(host=host)
    return name or _("the system")


def _people(context, app: App) -> dict[str, str]:
    """Every user's display name, read once per request."""
    request = context.get("request")
    cached = getattr(request.state, "people", None) if request is not None else None
    if cached is None:
        from publisher.accounts.users import display_names

        user = context.get("user")
        cached = display_names(app.store, getattr(user, "office", None) or app.config.office)
        if request is not None:
            request.state.people = cached
    return cached


def _open_reposts(app: App, office: str) -> list[dict]:
    from publisher.reposts.rates import open_tasks

    return open_tasks(app, office)
