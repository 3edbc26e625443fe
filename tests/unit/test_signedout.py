"""SignedOut: a signed-out session stays refused until its deadline, never less (LO-04), and
memory is held only by sessions that could still be used."""

from __future__ import annotations

import httpx

from cognito_gate import CognitoAuth, ManualClock
from cognito_gate.core.session import SessionData
from cognito_gate.core.signedout import SignedOut
from conftest import make_settings


def test_an_entry_is_refused_until_its_deadline_and_not_after() -> None:
    clock = ManualClock(1000.0)
    signed_out = SignedOut(clock)
    signed_out.add("sid", 1100.0)
    clock.advance(99.999)
    assert "sid" in signed_out
    clock.advance(0.001)
    assert "sid" not in signed_out
    assert "other" not in signed_out


def test_no_number_of_sign_outs_evicts_a_live_entry() -> None:
    clock = ManualClock(0.0)
    signed_out = SignedOut(clock)
    signed_out.add("first", 3600.0)
    for i in range(250_000):
        signed_out.add(f"sid-{i}", 3600.0)
    assert "first" in signed_out
    assert len(signed_out) == 250_001


def test_expired_entries_leave_as_new_ones_arrive() -> None:
    clock = ManualClock(0.0)
    signed_out = SignedOut(clock)
    for i in range(10_000):
        signed_out.add(f"old-{i}", 100.0 + i % 7)
    clock.advance(200)
    signed_out.add("new", 500.0)
    assert len(signed_out) == 1
    assert "new" in signed_out


def test_a_later_deadline_extends_an_entry_and_an_earlier_one_does_not_shorten_it() -> None:
    clock = ManualClock(0.0)
    signed_out = SignedOut(clock)
    signed_out.add("sid", 100.0)
    signed_out.add("sid", 300.0)
    signed_out.add("sid", 50.0)
    clock.advance(150)
    signed_out.add("other", 1000.0)  # expires what is due: the first deadline must not count
    assert "sid" in signed_out
    clock.advance(150)
    assert "sid" not in signed_out


def test_a_deadline_already_past_is_not_kept() -> None:
    clock = ManualClock(100.0)
    signed_out = SignedOut(clock)
    signed_out.add("sid", 100.0)
    assert len(signed_out) == 0
    assert "sid" not in signed_out


async def test_sign_out_refuses_the_session_until_its_absolute_end(
        http: httpx.AsyncClient, clock: ManualClock) -> None:
    """The deadline is the session's absolute end (sign-in + session lifetime), when the
    authenticator refuses the session anyway — not earlier."""
    auth = CognitoAuth(make_settings(), http=http, clock=clock)
    started = clock.now() - 3600
    await auth.end_session(SessionData("sid", "id", "access", "refresh", started))
    clock.advance(auth.settings.session_lifetime - 3600 - 0.001)
    assert "sid" in auth.signed_out
    clock.advance(0.001)
    assert "sid" not in auth.signed_out
