"""``publisher channel``: the configured channels and their pauses."""

from __future__ import annotations

import click

from publisher.cli.context import CliContext
from publisher.cli.helpers import echo_json
from publisher.errors import InputError
from publisher.foundation.i18n import N_, _, shown
from publisher.foundation.textwidth import pad


LEVELS = (N_("ok"), N_("warn"), N_("bad"))  # publisher.delivery.health levels, shown with _()


@click.group("channel")
def channel() -> None:
    """Look at channels; resume a paused one."""


@channel.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def channel_list(obj: CliContext, as_json: bool) -> None:
    """Configured channels, whether they are paused, and their delivery counts."""
    from publisher.channel_registry.closing import closures

    app = obj.app()
    paused = app.store.paused_channels()
    closed = closures(app)
    out = []
    for name, s in app.config.channels.items():
        p, c = paused.get(name), closed.get(name)
        out.append({"channel": name, "type": s.type, "display_name": s.display_name or name, "enabled": s.enabled,
                    "paused": bool(p), "paused_until": p["until"] if p else None, "pause_reason": p["reason"] if p else None,
                    "registration": s.registration.model_dump(mode="json") if s.registration else None,
                    "max_idle": s.max_idle, "column_idle": s.column_idle,
                    "closure": {"state": c["state"].value, "notice_item": c["notice_item_id"],
                                "closed_at": c["closed_at"], "notice_url": c["notice_url"]} if c else None})
    if as_json:
        echo_json(out)
        return
    for c in out:
        state = _("closed") if (c["closure"] or {}).get("state") == "closed" else _("disabled") if not c["enabled"] else (
            _("closing: its notice is item {id}").format(id=c["closure"]["notice_item"]) if c["closure"] else
            _("PAUSED: {reason}").format(reason=shown(c["pause_reason"])) if c["paused"] else _("ok"))
        click.echo(f"{pad(c['channel'], 14)} {pad(c['type'], 14)} {pad(c['display_name'], 24)} {state}")


@channel.command("retry-failed")
@click.argument("name")
@click.option("--no-resume", is_flag=True, help="leave a pause of the channel in place")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def channel_retry_failed(obj: CliContext, name: str, no_resume: bool, as_json: bool) -> None:
    """Send every failed or dead delivery of the channel again (after fixing its credentials); lifts its pause."""
    from publisher.delivery.actions import retry_channel

    done = retry_channel(obj.app(), name, actor=obj.actor(), resume=not no_resume)
    if as_json:
        echo_json(done)
        return
    if done["resumed"]:
        click.echo(_("resumed"))
    click.echo(_("{count} failed deliveries will be sent again").format(count=done["retried"]))


@channel.command("health")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def channel_health_command(obj: CliContext, as_json: bool) -> None:
    """Each channel's last success, pause, failures and expiring credentials (troubled ones first)."""
    from dataclasses import asdict

    from publisher.delivery.health import channel_health

    app = obj.app()
    found = channel_health(app, obj.actor().office)
    if as_json:
        echo_json([asdict(h) for h in found])
        return
    for h in found:
        click.echo(f"{pad(h.name, 14)} {pad(h.display_name, 24)} {_(h.level)}")
        for problem in h.problems:
            click.echo("    " + problem)


@channel.command("resume")
@click.argument("name")
@click.pass_obj
def channel_resume(obj: CliContext, name: str) -> None:
    """Lift a pause (after fixing credentials, whitelist, ...)."""
    app = obj.app()
    if name not in app.config.channels:
        raise InputError(_("{name!r} is not configured").format(name=name), field="channel")
    click.echo(_("resumed") if app.store.resume_channel(name, app.actor) else _("{name} was not paused").format(name=name))


@channel.command("close")
@click.argument("name")
@click.option("--notice-title", help="the 停更公告's title (default: 关于<channel>停止更新的公告)")
@click.option("--notice-file", type=click.Path(dir_okay=False), help="the 停更公告's body (.html, .txt, .docx)")
@click.option("--notice-body", help="the 停更公告's body as HTML or text")
@click.option("--category", help="where the notice is filed (default: the first category named like 公告 or 通知)")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def channel_close(obj: CliContext, name: str, notice_title: str | None, notice_file: str | None,
                  notice_body: str | None, category: str | None, as_json: bool) -> None:
    """Close an account (停更): its 停更公告 is queued for it and reviewed; once published there, the channel is
    disabled. Run again to see how far it is."""
    from publisher.channel_registry.closing import closures, finish_closures, start_close

    app = obj.app()
    if name in closures(app):
        finish_closures(app)
        c = closures(app)[name]
        echo_json({"channel": name, "state": c["state"].value, "notice_item": c["notice_item_id"]}) if as_json else \
            click.echo(_("{name}: {state} (notice: item {id})").format(name=name, state=_(c["state"].value),
                                                                       id=c["notice_item_id"]))
        return
    settings = app.config.channels.get(name)
    title = notice_title or f"关于{(settings.display_name if settings else None) or name}停止更新的公告"
    item_id = start_close(app, obj.actor(), name, title=title, body=notice_body, body_file=notice_file,
                          category=category)
    if as_json:
        echo_json({"channel": name, "state": "closing", "notice_item": item_id})
        return
    click.echo(item_id)
    click.echo(_("the notice is item {id}; once it is approved and published on {name}, the channel is disabled")
               .format(id=item_id, name=name), err=True)
