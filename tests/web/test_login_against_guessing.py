"""Login that guessing cannot get through and a NAT cannot break: lock-outs per account and per (address,
account) with back-off, a slowed (never locked) address, counts a success of one's own does not reset, and the same
answer in the same work for unknown and known names."""

from __future__ import annotations

from datetime import timedelta

import pytest

from console_helpers import PASSWORD, add_staff, cheap_hashing
from publisher.web.security import LOCKED, WRONG, LoginGuard, LoginRefused

NAT = "203.0.113.7"


@pytest.fixture
def guard(make_app, db_url, tmp_path, monkeypatch):
    cheap_hashing(monkeypatch)
    app = make_app(db_url, {"feed": {"type": "rss", "output": str(tmp_path / "f.xml"), "site_url": "http://x.cn"}})
    add_staff(app)
    waits: list[float] = []
    monkeypatch.setattr("publisher.web.security.pause", waits.append)
    g = LoginGuard(app.store, attempts=5, address_attempts=20, lockout=timedelta(minutes=15), address_delay=2.0)
    g.waits = waits
    g.clock = app.clock
    return g


def refused(guard, name, password="wrong password!", address=NAT) -> LoginRefused:
    with pytest.raises(LoginRefused) as caught:
        guard.login(name, password, address)
    return caught.value


def test_twenty_failures_behind_one_nat_slow_that_address_but_never_refuse_a_right_password(guard):
    for n in range(20):
        refused(guard, f"nobody{n}")
    assert guard.login("editor1", PASSWORD, NAT).name == "editor1"
    assert guard.waits == [2.0]


def test_ones_own_success_does_not_reset_the_address_count(guard):
    for n in range(19):
        refused(guard, f"other{n}")
    guard.login("editor1", PASSWORD, NAT)
    refused(guard, "other19")
    guard.waits.clear()
    refused(guard, "other20")
    assert guard.waits == [2.0]  # the 21st guess is slowed although editor1 logged in meanwhile


def test_an_account_locked_at_one_address_still_logs_in_from_another(guard):
    for _ in range(4):
        assert not refused(guard, "rev1").locked
    assert refused(guard, "rev1").locked
    assert refused(guard, "rev1", PASSWORD).locked  # the right password too, from there
    assert guard.login("rev1", PASSWORD, "198.51.100.1").name == "rev1"


def test_guesses_from_many_addresses_lock_the_account_everywhere(guard):
    for n in range(15):
        refused(guard, "rev2", address=f"198.51.100.{n // 3}")  # 3 from each: under the per-address-account limit
    assert refused(guard, "rev2", PASSWORD, address="192.0.2.99").locked


def test_each_lock_out_lasts_twice_as_long_as_the_one_before(guard):
    for _ in range(5):
        refused(guard, "appr1")
    guard.clock.advance(timedelta(minutes=16))
    for _ in range(5):
        refused(guard, "appr1")
    guard.clock.advance(timedelta(minutes=16))
    assert refused(guard, "appr1", PASSWORD).locked  # the second lasts 30 minutes
    guard.clock.advance(timedelta(minutes=15))
    assert guard.login("appr1", PASSWORD, NAT).name == "appr1"


def test_an_unknown_name_is_answered_and_locked_like_a_known_one(guard, monkeypatch):
    import publisher.accounts.users as users

    checks = []
    real = users.password_matches
    monkeypatch.setattr(users, "password_matches", lambda *a: checks.append(1) or real(*a))
    monkeypatch.setattr("publisher.web.security.password_matches", users.password_matches)
    known = [str(refused(guard, "rev1")) for _ in range(5)]
    unknown = [str(refused(guard, "ghost")) for _ in range(5)]
    assert known == unknown == [WRONG] * 4 + [LOCKED]
    assert len(checks) == 10  # a password hash checked for the unknown name too
    checks.clear()
    assert str(refused(guard, "rev1", PASSWORD)) == str(refused(guard, "ghost", PASSWORD)) == LOCKED
    assert len(checks) == 2
