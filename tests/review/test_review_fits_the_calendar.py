"""Review that fits the calendar (issue 22, item 3), on SQLite and PostgreSQL: an item saved without a time is
never late; one past its time in review is 已过期待审 and takes a new time in one step — which, like any change
after an approval, sends the approvals back (and the review shows which revision was approved and why it went
back); each step has a due time in working days and what is overdue is listed per step; a rejection needs a
reason."""

from __future__ import annotations

from datetime import timedelta

import pytest

from conftest import cms_block
from console_helpers import add_staff, cheap_hashing


@pytest.fixture
def office(make_app, db_url, cms_server, monkeypatch):
    cheap_hashing(monkeypatch)
    app = make_app(db_url, {"website": cms_block(cms_server)}, review={"enabled": True, "step_due_days": 1})
    add_staff(app)
    return app


def actor(app, name):
    from publisher.accounts.users import actor_from_row, get_user

    return actor_from_row(get_user(app.store, name))


def queue(app, at=None, title="关于公共租赁住房配租的公告"):
    from publisher.items.intake import ItemRequest, queue_one

    return queue_one(app, ItemRequest(title=title, category="公示公告", body="<p>配租。</p>", at=at),
                     actor=actor(app, "editor1"))


def test_an_item_saved_without_a_time_is_never_late(office, clock):
    from publisher.review import workflow as review

    item = queue(office)  # no time: it goes once approved
    clock.set(clock.now() + timedelta(days=3))
    assert review.show(office, actor(office, "editor1"), item)["late"] is False
    review.submit(office, actor(office, "editor1"), item)
    assert [e["late"] for e in review.inbox(office, actor(office, "rev1"))] == [False]


def test_a_late_item_takes_a_new_time_and_its_approvals_go_back(office, clock):
    from publisher.items.editing import reschedule
    from publisher.review import workflow as review

    item = queue(office, at="2019-06-01T12:00")
    review.submit(office, actor(office, "editor1"), item)
    review.approve(office, actor(office, "rev1"), item)  # 初审 passed
    clock.set(clock.now() + timedelta(hours=3))  # 13:00: past its time, still waiting for 复审
    assert review.inbox(office, actor(office, "rev2"), mine=True)[0]["late"] is True

    shown = reschedule(office, actor(office, "rev2"), item, "2019-06-03T09:00")  # a reviewer may give a new time
    assert shown["late"] is False and shown["state"] == "in_review" and shown["step"]["name"] == "初审"
    assert shown["history"][-1]["decision"] == "restarted"
    sent_back = shown["pinned"]["sent_back"]
    assert sent_back["from"] == 1 and "time changed" in sent_back["because"] and shown["pinned"]["steps"] == []


def test_the_review_shows_which_revision_was_approved_and_that_an_edit_sent_it_back(office):
    from publisher.items.editing import edit_item
    from publisher.review import workflow as review

    item = queue(office, at="2019-06-10T09:00")
    review.submit(office, actor(office, "editor1"), item)
    first = review.approve(office, actor(office, "rev1"), item)
    assert first["pinned"] == {"revision": 1, "steps": ["初审"], "sent_back": None}
    shown = edit_item(office, actor(office, "editor1"), item, title="关于公共租赁住房配租结果的公告")
    assert shown["pinned"]["sent_back"]["from"] == 1 and shown["pinned"]["sent_back"]["to"] == 2
    assert shown["step"]["name"] == "初审"


def test_a_step_past_its_working_days_is_listed_as_overdue_per_step(office, clock):
    from publisher.review import due
    from publisher.review import workflow as review

    item = queue(office, at="2019-06-20T09:00")
    review.submit(office, actor(office, "editor1"), item)  # Saturday 1 June; due: Monday 3 June (1 working day)
    entry = review.inbox(office, actor(office, "rev1"))[0]
    assert entry["due_on"] == "2019-06-03" and entry["overdue"] is False
    clock.set(clock.now() + timedelta(days=2))  # Monday: still in time
    assert review.inbox(office, actor(office, "rev1"))[0]["overdue"] is False
    clock.set(clock.now() + timedelta(days=1))  # Tuesday: overdue
    groups = due.overdue_by_step(office, review.inbox(office, actor(office, "rev1")))
    assert [(g["step"], [e["id"] for e in g["items"]]) for g in groups] == [("初审", [item])]
    review.approve(office, actor(office, "rev1"), item)  # 复审 starts its own clock
    assert due.overdue_by_step(office, review.inbox(office, actor(office, "rev1"))) == []


def test_a_rejection_needs_a_reason(office):
    from publisher.errors import InputError
    from publisher.review import workflow as review

    item = queue(office, at="2019-06-10T09:00")
    review.submit(office, actor(office, "editor1"), item)
    with pytest.raises(InputError) as refused:
        review.reject(office, actor(office, "rev1"), item, comment="  ")
    assert refused.value.field == "comment"
    assert review.show(office, actor(office, "rev1"), item)["state"] == "in_review"
