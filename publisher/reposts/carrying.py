"""One action turns a task into an item for its channels: queued like any other item and submitted for review
(三审 and the gate apply as usual; nothing here publishes)."""

from __future__ import annotations

import html
import shutil
import tempfile
from pathlib import Path

from publisher.accounts.users import Actor
from publisher.errors import InputError, Refused
from publisher.foundation.i18n import _
from publisher.items.intake import ItemRequest, queue_one
from publisher.ledger.blobs import blob_path
from publisher.reposts.settings import repost_category
from publisher.reposts.tasks import Task, get_task, link_item
from publisher.review import workflow as review
from publisher.runtime.app import App


def channels_of(app: App, task: Task) -> list[str]:
    """The task's accounts publisher publishes to (configured and enabled)."""
    return [e.account for e in task.accounts
            if e.account in app.config.channels and app.config.channels[e.account].enabled]


def default_body(task: Task) -> str:
    """The body of a repost when none is given: where it comes from, with the link to the original."""
    parts = [f"<p>{html.escape(task.title)}</p>"]
    if task.issuer:
        parts.append(f"<p>来源：{html.escape(task.issuer)}</p>")
    if task.source_url:
        url = html.escape(task.source_url, quote=True)
        parts.append(f'<p>原文链接：<a href="{url}">{url}</a></p>')
    return "".join(parts)


def make_item(app: App, actor: Actor, task_id: int, *, body: str | None = None, body_file: str | None = None,
              at: str | None = None) -> int:
    """Queue the task's item for its channels and submit it for review; returns the item's id."""
    actor.require(not actor.is_user or actor.role.edits, "role",
                  _("{name} may not write items: only an editor or an admin makes a repost's item").format(name=actor.name))
    task = get_task(app, actor.office, task_id)
    if task.item_id is not None:
        raise Refused("repost_made", _("task {id} already has its item {item}").format(id=task.id, item=task.item_id))
    channels = channels_of(app, task)
    if not channels:
        raise InputError(_("none of the task's accounts is published by publisher; record each copy with "
                           "`publisher reposts done {id} --channel NAME --url URL`").format(id=task.id),
                         field="channel")
    with tempfile.TemporaryDirectory(prefix="publisher-repost-") as folder:
        attach = [_document(app, task, Path(folder))] if task.source_file else []
        request = ItemRequest(title=task.title, category=task.category or repost_category(app.config),
                              body=None if body_file else (body or default_body(task)), body_file=body_file,
                              channels=channels, at=at, attach=attach)
        item_id = queue_one(app, request, actor=actor)
    link_item(app, actor, task.id, item_id)
    if app.config.review.enabled:
        review.submit(app, actor, item_id)
    return item_id


def _document(app: App, task: Task, folder: Path) -> str:
    """The task's document copied out of the store under its own name (the intake stores it again, deduplicated)."""
    target = folder / Path(task.source_file).name
    shutil.copyfile(blob_path(app.config.attachments_dir, task.source_sha256), target)
    return str(target)
