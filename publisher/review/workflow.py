"""Review before publishing (三审): the states an item passes and the rules of every decision, in one place.

draft ──submit──▶ in_review(step 0) ──approve──▶ in_review(step 1) … ──approve (last step)──▶ approved
  ▲                    │ reject                                               │ edit of the text
  └── rejected ◀───────┘                       in_review(step 0) ◀────────────┘

The CLI, the console and the API all call these functions; each decision is a row in ``review_decisions`` and
an event in the audit chain. Every change of an item's review state goes through :func:`move`, which checks it
against :data:`TRANSITIONS` (defined with the states in :mod:`publisher.ledger.review_state`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, and_, func, insert, select, update

from publisher.delivery import corrections as updating
from publisher.review import due
from publisher.runtime.app import App
from publisher.db.engine import reading
from publisher.foundation.i18n import N_, _
from publisher.errors import InputError, Refused
from publisher.db.schema import gate_findings, item_revisions, items, review_decisions
from publisher.accounts.scope import item_in_office
from publisher.ledger import index_numbers
from publisher.accounts.users import Actor, Role
from publisher.ledger.event_kinds import EventKind
from publisher.ledger.item_status import ItemStatus
from publisher.ledger.review_state import TRANSITIONS, ReviewState


# the names shown in messages (roles, states, finding kinds), for the catalogue
NAMES = (N_("editor"), N_("reviewer"), N_("approver"), N_("admin"), N_("draft"), N_("in_review"), N_("rejected"),
         N_("approved"), N_("submitted"), N_("restarted"), N_("classification"), N_("id_number"), N_("mobile"), N_("bank_card"), N_("term"),
         N_("accessibility"), N_("external"))


class Decision(StrEnum):
    """What one row of ``review_decisions`` records."""

    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    RESTARTED = "restarted"  # the text changed after an approval


#: the comment a restart records, by what changed (shown in the review history)
RESTART_REASONS = {"text": N_("changed after an approval (text, channels or options): review starts again"),
                   "time": N_("the publish time changed after an approval: review starts again")}

DECISION_EVENTS: dict[Decision, EventKind] = {
    Decision.SUBMITTED: EventKind.REVIEW_SUBMITTED,
    Decision.APPROVED: EventKind.REVIEW_APPROVED,
    Decision.REJECTED: EventKind.REVIEW_REJECTED,
    Decision.RESTARTED: EventKind.REVIEW_RESTARTED,
}


@dataclass(frozen=True)
class Step:
    """A configured review step."""

    index: int
    name: str
    role: str


def steps(app: App) -> list[Step]:
    """The configured steps, in order."""
    return [Step(i, s.name, s.role) for i, s in enumerate(app.config.review.steps)]


def initial_state(app: App) -> ReviewState:
    """The state a newly queued item starts in."""
    return ReviewState.DRAFT if app.config.review.enabled else ReviewState.APPROVED


# -- reading ------------------------------------------------------------------------------------------------

def _round(conn: Connection, item_id: int, revision: int) -> list[dict]:
    """Decisions of the current review round: since the revision's last submission or restart."""
    rows = conn.execute(select(review_decisions).where(review_decisions.c.item_id == item_id)
                        .order_by(review_decisions.c.id)).mappings().all()
    current: list[dict] = []
    for row in rows:
        if row["decision"] in (Decision.SUBMITTED, Decision.RESTARTED, Decision.REJECTED):
            current = []
        elif row["revision"] == revision:
            current.append(dict(row))
    return current


def authors(conn: Connection, item_id: int) -> set[str]:
    """Everyone who wrote a revision of the item."""
    return set(conn.execute(select(item_revisions.c.created_by).where(item_revisions.c.item_id == item_id)).scalars())


def findings(conn: Connection, item_id: int, revision: int) -> list[dict]:
    """The gate's findings on a revision, as ``check --json`` gives them."""
    rows = conn.execute(select(gate_findings).where(and_(gate_findings.c.item_id == item_id,
                                                         gate_findings.c.revision == revision))
                        .order_by(gate_findings.c.id)).mappings()
    return [{"kind": r["kind"], "field": r["field"], "where": r["location"], "text": r["text"],
             "suggestion": r["suggestion"]} for r in rows]


def current_step(app: App, row: dict) -> Step | None:
    """The step an in-review item waits for."""
    if row["review_state"] != ReviewState.IN_REVIEW or row["review_step"] is None:
        return None
    all_steps = steps(app)
    return all_steps[min(row["review_step"], len(all_steps) - 1)]


def is_late(app: App, row: dict) -> bool:
    """An item whose chosen time has passed while it is not yet approved (one saved without a time never is)."""
    return (row["review_state"] != ReviewState.APPROVED and row["publish_at"] <= app.clock.now()
            and row["status"] == ItemStatus.ACTIVE and bool(row.get("time_given", True)))


def show(app: App, actor: Actor, item_id: int) -> dict:
    """``review show --json``: state, the step it waits for, the history and the gate's findings."""
    with reading(app.store.engine) as conn:
        row = item_in_office(conn, actor, item_id)
        history = conn.execute(select(review_decisions).where(review_decisions.c.item_id == item_id)
                               .order_by(review_decisions.c.id)).mappings().all()
        found = findings(conn, item_id, row["revision"])
        late = is_late(app, row) and not updating.is_out(conn, item_id)  # a correction is never late
    step = current_step(app, row)
    return {
        "id": item_id, "state": row["review_state"], "revision": row["revision"],
        "step": {"name": step.name, "role": step.role} if step else None,
        "late": late, "held": bool(row["held"]),
        "history": [{"step": h["step_name"], "user": h["actor"], "decision": h["decision"], "comment": h["comment"],
                     "override": h["override_reason"], "revision": h["revision"], "at": h["at"]} for h in history],
        "findings": found, "unchecked": list(row["gate_unchecked"] or []),
        "pinned": pinned(history, row["revision"]),
    }


def pinned(history: list, revision: int) -> dict | None:
    """What the approvals are bound to: ``{"revision", "steps", "sent_back"}`` — the revision the approvals of
    the current round saw, and, when a change sent earlier approvals back, ``{"at", "from", "to", "because"}``."""
    approvals = [h for h in history if h["decision"] == Decision.APPROVED]
    restarts = [h for h in history if h["decision"] == Decision.RESTARTED]
    if not approvals and not restarts:
        return None
    last_restart = restarts[-1] if restarts else None
    rounds = [h["id"] for h in history if h["decision"] in (Decision.SUBMITTED, Decision.RESTARTED, Decision.REJECTED)]
    current = [h["step_name"] for h in approvals if h["revision"] == revision and h["id"] > max(rounds, default=0)]
    sent_back = None
    if last_restart is not None and any(h["id"] < last_restart["id"] for h in approvals):
        before = max(h["revision"] for h in approvals if h["id"] < last_restart["id"])
        sent_back = {"at": last_restart["at"], "from": before, "to": last_restart["revision"],
                     "because": last_restart["comment"]}
    return {"revision": revision, "steps": current, "sent_back": sent_back}


def inbox(app: App, actor: Actor, *, mine: bool = False, limit: int = 200) -> list[dict]:
    """Items of the actor's office waiting in review (``mine``: those this actor may decide now) and, for
    ``mine``, the actor's own rejected items."""
    with reading(app.store.engine) as conn:
        q = select(items).where(and_(items.c.office == actor.office, items.c.status == ItemStatus.ACTIVE,
                                     items.c.review_state.in_((ReviewState.IN_REVIEW, ReviewState.REJECTED,
                                                               ReviewState.DRAFT))))
        rows = [dict(r) for r in conn.execute(q.order_by(items.c.publish_at, items.c.id).limit(limit * 5)).mappings()]
        out = []
        for row in rows:
            step = current_step(app, row)
            entry = {"id": row["id"], "title": row["title"], "category": row["category"],
                     "state": row["review_state"], "step": {"name": step.name, "role": step.role} if step else None,
                     "publish_at": row["publish_at"], "created_by": row["created_by"],
                     "late": is_late(app, row) and not updating.is_out(conn, row["id"])}
            if not mine:
                out.append(entry)
            elif step and _may_decide(conn, actor, row, step) is None:
                out.append({**entry, "waiting_for": "me"})
            elif row["review_state"] in (ReviewState.REJECTED, ReviewState.DRAFT) and actor.name in authors(conn, row["id"]):
                out.append({**entry, "waiting_for": "my edit"})
            if len(out) >= limit:
                break
        due.annotate(app, conn, out)
        return out


def _may_decide(conn: Connection, actor: Actor, row: dict, step: Step) -> Refused | None:
    """Why ``actor`` may not decide ``step`` of the item (a Refused to raise), or None."""
    if not actor.is_user:
        return Refused("user", _("review decisions need a publisher user: give --as NAME or set PUBLISHER_USER"))
    if not actor.role.takes(step.role):
        return Refused("role", _("step {step} is taken by a {role}; {user} is a {own}").format(
            step=step.name, role=_(step.role), user=actor.name, own=_(actor.role.value)))
    if actor.name in authors(conn, row["id"]):
        return Refused("own_item", _("{user} wrote this item and cannot approve it").format(user=actor.name))
    if any(d["actor"] == actor.name for d in _round(conn, row["id"], row["revision"])):
        return Refused("two_steps", _("{user} has already approved a step of this item").format(user=actor.name))
    return None


# -- deciding -----------------------------------------------------------------------------------------------

def _require_enabled(app: App) -> None:
    if not app.config.review.enabled:
        raise Refused("review_disabled", _("review is switched off in this configuration (review.enabled: false)"))


def move(conn: Connection, row: dict, to: ReviewState, *, step: int | None, **values: Any) -> None:
    """The one review transition: move the item of ``row`` to ``to`` at ``step`` (and set ``values``).

    Refused("state") for a move :data:`TRANSITIONS` does not allow; Refused("concurrent") when the item's state,
    step or revision is no longer the one in ``row`` (a compare-and-set on all three).
    """
    frm = ReviewState(row["review_state"])
    if to not in TRANSITIONS[frm]:
        raise Refused("state", _("item {id} is {state}; it cannot become {to}").format(id=row["id"], state=_(frm.value), to=_(to.value)))
    same_step = (items.c.review_step.is_(None) if row["review_step"] is None
                 else items.c.review_step == row["review_step"])
    changed = conn.execute(update(items).where(and_(items.c.id == row["id"], items.c.review_state == frm.value,
                                                    items.c.revision == row["revision"], same_step))
                           .values(review_state=to.value, review_step=step, **values)).rowcount
    if changed != 1:
        raise Refused("concurrent", _("item {id} changed while this decision was made; look again").format(id=row["id"]))


def start_review(conn: Connection, item_id: int, step: int) -> None:
    """Put an item just inserted ``in_review`` (a series occurrence without a standing approval) at ``step``."""
    row = conn.execute(select(items.c.id, items.c.review_state, items.c.review_step, items.c.revision)
                       .where(items.c.id == item_id)).mappings().one()
    move(conn, dict(row), ReviewState.IN_REVIEW, step=step)


def _decide(app: App, conn: Connection, row: dict, actor: Actor, decision: Decision, step: Step | None,
            comment: str = "", override: str | None = None, **detail: Any) -> None:
    now = app.clock.now()
    conn.execute(insert(review_decisions).values(
        item_id=row["id"], revision=row["revision"], step=step.index if step else None,
        step_name=step.name if step else None, actor=actor.name, decision=decision.value, comment=comment or "",
        override_reason=override, at=now))
    app.store.event(conn, DECISION_EVENTS[decision], actor=actor.name, item_id=row["id"], office=row["office"],
                    step=step.name if step else None, revision=row["revision"], comment=comment or None,
                    override=override, **detail)


def submit(app: App, actor: Actor, item_id: int) -> dict:
    """Send a draft or rejected item to the first review step."""
    _require_enabled(app)
    with app.store.transaction() as conn:
        row = item_in_office(conn, actor, item_id)
        _require_active(row)
        if row["review_state"] not in (ReviewState.DRAFT, ReviewState.REJECTED):
            raise Refused("state", _("item {id} is {state}; only a draft or a rejected item is submitted").format(
                id=item_id, state=_(row["review_state"])))
        actor.require(not actor.is_user or actor.role.edits or actor.name in authors(conn, item_id), "role",
                      f"{actor.name} is a {actor.role.value if actor.role else 'guest'}: only editors submit items")
        move(conn, row, ReviewState.IN_REVIEW, step=0)
        _decide(app, conn, row, actor, Decision.SUBMITTED, None)
    return show(app, actor, item_id)


def approve(app: App, actor: Actor, item_id: int, *, comment: str = "", override: str | None = None,
            with_interpretations: bool = False) -> dict:
    """Approve the step the item waits for; the last approval releases it to the channels. With
    ``with_interpretations``, the 解读 of the item waiting at the same step are approved with it (one transaction)."""
    _require_enabled(app)
    override = (override or "").strip() or None
    with app.store.transaction() as conn:
        row = item_in_office(conn, actor, item_id)
        paired = _waiting_interpretations(app, conn, row) if with_interpretations else []
        if with_interpretations and not paired:
            raise Refused("no_interpretation", _("no 解读 of item {id} waits at the same review step").format(
                id=item_id))
        _approve_one(app, conn, actor, row, comment, override)
        for other in paired:
            _approve_one(app, conn, actor, other, comment, override)
    shown = show(app, actor, item_id)
    if with_interpretations:
        shown["interpretations"] = [show(app, actor, other["id"]) for other in paired]
    return shown


def waiting_interpretations(app: App, actor: Actor, item_id: int) -> list[dict]:
    """The 解读 of the actor's office's item waiting at the same review step as it: ``[{"id", "title"}]``."""
    with reading(app.store.engine) as conn:
        row = item_in_office(conn, actor, item_id)
        return [{"id": r["id"], "title": r["title"]} for r in _waiting_interpretations(app, conn, row)]


def _waiting_interpretations(app: App, conn: Connection, row: dict) -> list[dict]:
    """The active 解读 of the item (same office) waiting at the review step the item waits at."""
    if current_step(app, row) is None:
        return []
    found = conn.execute(select(items).where(and_(
        items.c.interprets == row["id"], items.c.office == row["office"], items.c.status == ItemStatus.ACTIVE,
        items.c.review_state == ReviewState.IN_REVIEW.value, items.c.review_step == row["review_step"]))
        .order_by(items.c.id)).mappings().all()
    return [dict(r) for r in found]


def _approve_one(app: App, conn: Connection, actor: Actor, row: dict, comment: str, override: str | None) -> None:
    """Approve ``row``'s current step inside ``conn``'s transaction."""
    item_id = row["id"]
    _require_active(row)
    step = current_step(app, row)
    if step is None:
        raise Refused("state", _("item {id} is {state}, not waiting for a review step").format(
            id=item_id, state=_(row["review_state"])))
    refusal = _may_decide(conn, actor, row, step)
    if refusal:
        raise refusal
    last = step.index == len(steps(app)) - 1
    found = _gate_passed(app, conn, actor, item_id, row["revision"], last, override)
    if last:
        # a correction of an item already out is never late: its copies are updated at once
        late = is_late(app, row) and not updating.is_out(conn, item_id)
        held = late and app.config.review.late == "wait"
        move(conn, row, ReviewState.APPROVED, step=None, held=held)
        _decide(app, conn, row, actor, Decision.APPROVED, step, comment, override if found else None,
                findings=len(found) or None, unchecked=list(row["gate_unchecked"] or []) or None,
                late=late or None, held=held or None)
        updating.request_updates(app, conn, item_id, row["revision"], actor)
        if app.config.catalogue.assign_at == "approval":
            index_numbers.assign(app, conn, item_id, actor.name)
    else:
        move(conn, row, ReviewState.IN_REVIEW, step=step.index + 1)
        _decide(app, conn, row, actor, Decision.APPROVED, step, comment)


def _gate_passed(app: App, conn: Connection, actor: Actor, item_id: int, revision: int, last: bool,
                 override: str | None) -> list[dict]:
    """The gate's blocking findings on the revision (warnings such as accessibility pass, unless the office makes
    them blocking); Refused("gate") when the last step would pass them unmentioned."""
    settings = app.config.gate
    found = [f for f in findings(conn, item_id, revision) if settings is None or settings.blocking(f["kind"])]
    if last and found and override is None:
        kinds = sorted({f["kind"] for f in found})
        raise Refused("gate", _("the gate found {count} problem(s) ({kinds}); mask them (publisher check {id} "
                                "--mask) or approve with --override REASON").format(
            count=len(found), kinds=", ".join(_(k) for k in kinds), id=item_id))
    if override is not None and actor.role is not Role.APPROVER:
        raise Refused("role", _("only an approver overrides the gate's findings"))
    return found


def reject(app: App, actor: Actor, item_id: int, *, comment: str) -> dict:
    """Return the item to its editor with a comment."""
    _require_enabled(app)
    if not (comment or "").strip():
        raise InputError(_("a rejection says why"), field="comment")
    with app.store.transaction() as conn:
        row = item_in_office(conn, actor, item_id)
        step = current_step(app, row)
        if step is None:
            raise Refused("state", _("item {id} is {state}, not waiting for a review step").format(
                id=item_id, state=_(row["review_state"])))
        refusal = _may_decide(conn, actor, row, step)
        if refusal and refusal.rule != "two_steps":
            raise refusal
        move(conn, row, ReviewState.REJECTED, step=None)
        _decide(app, conn, row, actor, Decision.REJECTED, step, comment.strip())
    return show(app, actor, item_id)


def restart(app: App, conn: Connection, row: dict, actor: Actor, new_revision: int, *,
            because: str = "text") -> ReviewState:
    """After the text, channels or time changed (``because``: ``text`` or ``time``): an item past any approval goes
    back to the first step. Returns the new state.

    ``row`` is the item as it is now, at ``new_revision``.
    """
    state = ReviewState(row["review_state"])
    if not app.config.review.enabled or not _approved_before(row):
        return state
    current = {**row, "revision": new_revision}
    move(conn, current, ReviewState.IN_REVIEW, step=0, held=False)
    _decide(app, conn, current, actor, Decision.RESTARTED, None, comment=RESTART_REASONS.get(because, ""),
            was=state.value, because=because)
    return ReviewState.IN_REVIEW


def _approved_before(row: dict) -> bool:
    """Whether some step of the item's review was approved already (approved, or past the first step)."""
    state = ReviewState(row["review_state"])
    return state is ReviewState.APPROVED or (state is ReviewState.IN_REVIEW and (row["review_step"] or 0) > 0)


def _require_active(row: dict) -> None:
    if row["status"] != ItemStatus.ACTIVE:
        raise Refused("retracted", _("item {id} was retracted").format(id=row["id"]))


def count_in_state(conn: Connection, office: str, state: ReviewState) -> int:
    """How many active items of an office are in ``state``."""
    return conn.execute(select(func.count()).select_from(items).where(and_(
        items.c.office == office, items.c.review_state == state.value, items.c.status == ItemStatus.ACTIVE))).scalar()
