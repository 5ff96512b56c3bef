"""Each audit event as one sentence in the office's language: the one table from an event's kind to its sentence
(the console's audit pages use it; people and channels are named by the caller's functions)."""

from __future__ import annotations

import re
from typing import Any, Callable

from publisher.foundation.i18n import N_, _, shown
from publisher.ledger.event_kinds import EventKind as K

SENTENCES: dict[str, str] = {
    K.QUEUED: N_("{actor} created the item (channels: {channels})"),
    K.IMPORTED: N_("{actor} imported {count} items"),
    K.EDITED: N_("{actor} changed the item (revision {revision})"),
    K.BACKFILLED: N_("{actor} recorded an earlier publication on {channel}"),
    K.INDEX_ASSIGNED: N_("index number {index_no} handed out"),
    K.VALIDITY_CHANGED: N_("{actor} recorded the validity: {validity}"),
    K.REVIEW_SUBMITTED: N_("{actor} submitted revision {revision} for review"),
    K.REVIEW_APPROVED: N_("{actor} approved at {step}{note}"),
    K.REVIEW_REJECTED: N_("{actor} sent the item back at {step}{note}"),
    K.REVIEW_RESTARTED: N_("review starts again after a change (revision {revision})"),
    K.STANDING_APPROVAL_GRANTED: N_("{actor} granted a standing approval of the series {series}"),
    K.STANDING_APPROVAL_REVOKED: N_("{actor} revoked the standing approval of the series {series}"),
    K.SERIES_SKIPPED: N_("series {series}: occurrence {occurrence} skipped"),
    K.SERIES_MISSING_DATA: N_("series {series}: no data for occurrence {occurrence}"),
    K.SERIES_FAILED: N_("series {series}: occurrence {occurrence} failed{note}"),
    K.CLAIMED: N_("{actor} started to {action} on {channel} (attempt {attempt})"),
    K.RELEASED: N_("{actor} put back the task on {channel}"),
    K.ATTEMPT: N_("{actor} tried to {action} on {channel}"),
    K.CHECKPOINT: N_("{channel}: progress recorded (so nothing is sent twice)"),
    K.LEASE_LOST: N_("{channel}: the task's lease ran out; another process takes it over"),
    K.PUBLISHED: N_("published on {channel}{note}"),
    K.IN_DOUBT: N_("{channel}: outcome unknown, checked before anything is sent again{note}"),
    K.RETRY: N_("{channel}: to be tried again{note}"),
    K.FAILED: N_("{channel}: failed, to be tried again{note}"),
    K.DEAD: N_("{channel}: failed, given up{note}"),
    K.RETRACT_FAILED: N_("{channel}: retraction failed{note}"),
    K.RETRACT_REQUESTED: N_("{actor} asked to retract the item from every channel{note}"),
    K.RETRACTED: N_("retracted from {channel}"),
    K.REMOVED_ON_PLATFORM: N_("{channel}: the copy was removed on the platform"),
    K.REMOVAL_OBSERVED: N_("{channel}: reconciliation found the copy gone (waiting for a person)"),
    K.RECONCILE_REFUSED: N_("{channel}: reconciliation could not read {removed} of {checked} copies; not recorded as "
                            "removed"),
    K.REPORT_REVISED: N_("{actor} filed the {year} report again (revision {revision}){note}"),
    K.APPEAL_DECIDED: N_("{actor} recorded the result of appeal {appeal}: {result}"),
    K.UPDATE_REQUESTED: N_("{actor} asked for the copy on {channel} to be updated"),
    K.HELD: N_("{channel}: held back{note}"),
    K.PAUSED: N_("{channel} paused{note}"),
    K.RESUMED: N_("{actor} resumed {channel}"),
    K.USER_ADDED: N_("{actor} added the user {user} ({role})"),
    K.USER_DISABLED: N_("{actor} disabled the user {user}"),
    K.USER_ENABLED: N_("{actor} enabled the user {user}"),
    K.PASSWORD_SET: N_("{actor} set the password of {user}"),
    K.TOKEN_ISSUED: N_("{actor} issued an API token for {user}"),
    K.TOKEN_REVOKED: N_("{actor} revoked an API token of {user}"),
    K.LOGIN: N_("{actor} logged in"),
    K.LOGIN_FAILED: N_("a login as {actor} failed"),
    K.LOGIN_LOCKED: N_("{actor} is locked after too many failed logins"),
    K.LOGIN_REFUSED: N_("a login as {actor} was refused (locked)"),
    K.LOGOUT: N_("{actor} logged out"),
    K.BACKUP_TAKEN: N_("{actor} took a backup"),
    K.APPLICATION_PAUSED: N_("{actor} paused the clock of application {application} ({reason}) from {from}"),
    K.EXTERNAL_CHECK: N_("the external checking service checked revision {revision}"),
    K.RESCANNED: N_("{actor} re-checked {scanned} published items: {opened} corrections opened, {corrected} closed"),
    K.CORRECTION_OPENED: N_("a re-check opened correction {correction}"),
    K.CORRECTION_CORRECTED: N_("correction {correction} closed: corrected{note}"),
    K.CORRECTION_DISMISSED: N_("{actor} dismissed correction {correction}{note}"),
    K.REPOST_TASK_ADDED: N_("{actor} recorded the repost task {task} ({title}), due {due_on}"),
    K.REPOST_ITEM_MADE: N_("{actor} made an item for repost task {task}"),
    K.REPOST_CARRIED: N_("{actor} recorded that {account} carried repost task {task}"),
    K.IDLE_WARNING: N_("{channel}: {label} not updated, {days_left} days left before {deadline}"),
    K.CHANNEL_CLOSING: N_("{actor} started to close {channel}: its closing notice goes first"),
    K.CHANNEL_CLOSED: N_("{channel} closed after its closing notice was published"),
    K.LINKS_CHECKED: N_("{actor} checked {checked} links: {broken} broken, {external} external"),
}
OTHER = N_("{actor}: another event")
ACTIONS = {"publish": N_("publish"), "update": N_("update"), "retract": N_("retract"), "lookup": N_("check")}
NOTES = {"comment": N_(" (comment: {text})"), "reason": N_(" (reason: {text})"), "error": N_(": {text}"),
         "external_url": N_(": {text}")}


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return ""


def sentence(event: dict[str, Any], *, person: Callable[[str], str], channel: Callable[[str], str]) -> str:
    """``event`` (a row of ``events``: kind, actor, channel, detail) as a sentence naming people with ``person``
    and channels with ``channel``."""
    detail = dict(event.get("detail") or {})
    values = _Blank({k: v for k, v in detail.items() if isinstance(v, (str, int, float))})
    values.update(actor=person(event.get("actor") or ""), channel=channel(event.get("channel") or ""))
    values["channels"] = "、".join(channel(c) for c in detail.get("channels") or []) or _("by category")
    values["action"] = _(ACTIONS.get(str(detail.get("action", "publish")), ACTIONS["publish"]))
    if detail.get("user"):
        values["user"] = person(str(detail["user"]))
    if detail.get("role"):
        from publisher.foundation.labels import label

        values["role"] = label("role", str(detail["role"]))
    values["note"] = _note(detail, channel)
    template = SENTENCES.get(str(event.get("kind")), OTHER)
    return _(template).format_map(values)


def _note(detail: dict[str, Any], channel: Callable[[str], str]) -> str:
    for key, template in NOTES.items():
        text = detail.get(key)
        if text:
            return _(template).format(text=shown_error(str(text), channel) if key == "error" else text)
    return ""


def shown_error(text: str, channel: Callable[[str], str]) -> str:
    """A stored channel error in the office's language, the channel named by ``channel`` where the error starts
    with its configuration key (``portal create: …``)."""
    gave_up = GAVE_UP.match(text)
    if gave_up:
        return f"{shown_error(gave_up.group(1), channel)}（{shown(gave_up.group(2))}）"
    head, sep, rest = text.partition(" ")
    named = channel(head)
    if sep and named != head:
        verb, colon, tail = rest.partition(": ")
        if colon and verb in ACTIONS_OF_ADAPTERS:
            return f"{named}{_(ACTIONS_OF_ADAPTERS[verb])}：{shown(tail) or tail}"
    return shown(text) or text


GAVE_UP = re.compile(r"^(.*) \((gave up after [^()]*)\)$", re.S)
ACTIONS_OF_ADAPTERS = {"create": N_("create"), "publish": N_("publish"), "update": N_("update"),
                       "retract": N_("retract"), "delete": N_("retract"), "lookup": N_("check"),
                       "login": N_("login"), "upload": N_("upload")}
