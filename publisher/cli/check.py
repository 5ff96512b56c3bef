"""``publisher check``: the gate alone, on an item or on a title and files."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from publisher.cli.helpers import echo_json
from publisher.cli.types import ITEM_ID
from publisher.errors import InputError
from publisher.foundation.i18n import _
from publisher.foundation.textwidth import pad


@click.command("check")
@click.argument("item_id", type=ITEM_ID, required=False)
@click.option("--title", default=None)
@click.option("--summary", default="")
@click.option("--body-file", type=click.Path(dir_okay=False), default=None)
@click.option("--encoding", default=None, help="encoding of --body-file when it is not UTF-8 (e.g. gbk)")
@click.option("--attach", multiple=True, type=click.Path(dir_okay=False), metavar="FILE")
@click.option("--mask", is_flag=True, help="with ID: replace the item by a de-identified copy (a new revision)")
@click.option("--leave", multiple=True, metavar="CHANNEL",
              help="with --mask on a published item: leave the old version on this channel (as item edit --leave)")
@click.option("--published", is_flag=True,
              help="re-check every published item with today's list and rules; open a correction per finding")
@click.option("--since", default=None, metavar="DATE", help="with --published: published on or after DATE")
@click.option("--channel", default=None, metavar="NAME", help="with --published: published on this channel")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def check(obj, item_id: int | None, title: str | None, summary: str, body_file: str | None, encoding: str | None,
          attach: tuple[str, ...], mask: bool, leave: tuple[str, ...], published: bool, since: str | None,
          channel: str | None, as_json: bool) -> None:
    """The gate alone (保密审查, personal data, 错敏词): on an item, on a title and files, or on everything published
    (--published). Exit 1 on findings."""
    from publisher.items import checking as gate_check

    app = obj.app()
    if published or since or channel:
        _check_published(obj, app, item_id, title, published, since, channel, as_json)
        return
    if item_id is not None:
        if title is not None or body_file or attach:
            raise InputError(_("give an item id or --title/--body-file/--attach, not both"), field="ID")
        actor = obj.actor()
        data = (gate_check.mask_stored_item(app, actor, item_id, leave=list(leave)) if mask
                else gate_check.check_stored_item(app, actor, item_id))
    else:
        if mask:
            raise InputError(_("--mask makes a new revision of an item: give its id"), field="--mask")
        if title is None and not body_file and not attach:
            raise InputError(_("give an item id, or --title and/or --body-file/--attach"), field="ID")
        data = _check_files(app, title or "", summary, body_file, encoding, list(attach))
    if as_json:
        echo_json(data)
    else:
        if "masked" in data:
            click.echo(_("masked {count} number(s); now revision {revision}").format(count=data["masked"],
                                                                                   revision=data["revision"]))
            for name in data["not_masked"]:
                click.echo("  " + _("{name}: could not be rewritten (PDF or image): replace it by "
                                    "hand").format(name=name))
        from publisher.items.checking import shown_finding

        for f in map(shown_finding, data["findings"]):
            click.echo(f"{pad(f['kind'], 14)} {f['field']} ({f['where']}): {f['text']}"
                       + (f" → {f['suggestion']}" if f["suggestion"] else ""))
        for name in data["unchecked"]:
            click.echo(_("not checked    {name}").format(name=name))
        if not data["findings"]:
            click.echo(_("clean") + (" " + _("({count} attachment(s) not checked)").format(count=len(data["unchecked"]))
                                     if data["unchecked"] else ""))
    sys.exit(1 if data["findings"] else 0)


def _check_published(obj, app, item_id, title, published: bool, since: str | None, channel: str | None,
                     as_json: bool) -> None:
    """``check --published``: the re-scan; exit 1 when a correction is open afterwards."""
    from publisher.inspection.corrections import listing
    from publisher.inspection.rescan import rescan
    from publisher.ledger.listing import parse_date

    if not published:
        raise InputError(_("--since and --channel go with --published"), field="--published")
    if item_id is not None or title is not None:
        raise InputError(_("--published checks every published item: give no id or --title"), field="--published")
    if channel is not None and channel not in app.config.channels:
        raise InputError(_("{name!r} is not configured").format(name=channel), field="channel")
    actor = obj.actor()
    report = rescan(app, office=actor.office, actor=actor.name, since=parse_date(since, "--since"), channel=channel)
    still = listing(app, actor)
    if as_json:
        echo_json({**report, "open": still})
    else:
        from publisher.cli.inspection import print_corrections

        click.echo(_("re-checked {scanned} published item(s): {opened} correction(s) opened, {corrected} closed as "
                     "corrected, {open} open").format(open=len(still), **report))
        print_corrections(app, still)
    sys.exit(1 if still else 0)


def _check_files(app, title: str, summary: str, body_file: str | None, encoding: str | None,
                 attach: list[str]) -> dict:
    from publisher.items import checking as gate_check
    from publisher.foundation.content import decode_text

    body = ""
    if body_file:
        path = Path(body_file)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InputError(_("cannot read {path}: {reason}").format(path=path, reason=exc.strerror),
                             field="--body-file") from None
        body = decode_text(data, source=str(path), encoding=encoding)
    files = []
    for name in attach:
        path = Path(name)
        if not path.is_file():
            raise InputError(_("file not found: {path}").format(path=path), field="--attach")
        files.append((path.name, path))
    return gate_check.run(app, title=title, summary=summary, body_html=body, files=files).to_json()
