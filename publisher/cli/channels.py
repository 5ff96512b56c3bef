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
    app = obj.app()
    paused = app.store.paused_channels()
    out = []
    for name, s in app.config.channels.items():
        p = paused.get(name)
        out.append({"channel": name, "type": s.type, "display_name": s.display_name or name, "enabled": s.enabled,
                    "paused": bool(p), "paused_until": p["until"] if p else None, "pause_reason": p["reason"] if p else None})
    if as_json:
        echo_json(out)
        return
    for c in out:
        state = _("disabled") if not c["enabled"] else (
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
