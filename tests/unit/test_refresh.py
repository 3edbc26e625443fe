"""Refresh: single-flight (RF-05), rotation (RF-03), continuity (RF-02), failures (RF-04/07)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from cognito_gate import AuthError, ManualClock, ProviderUnavailable
from cognito_gate.core.jwks import JWKSCache
from cognito_gate.core.refresh import Refresher, needs_refresh
from cognito_gate.core.session import SessionData
from cognito_gate.core.tokens import TokenSet
from cognito_gate.core.verify import TokenVerifier
from conftest import CLIENT_ID, ISSUER, FakeCognito, access_claims, id_claims, sign


class FakeTokens:
    """Stands in for TokenClient.refresh: counts calls, answers slowly, as told."""

    def __init__(self, clock: ManualClock, **id_over: Any) -> None:
        self.clock = clock
        self.calls = 0
        self.sent: list[str] = []
        self.fail: Exception | None = None
        self.rotate: str | None = None
        self.id_over = id_over

    async def refresh(self, refresh_token: str) -> TokenSet:
        self.calls += 1
        self.sent.append(refresh_token)
        await asyncio.sleep(0.01)
        if self.fail is not None:
            raise self.fail
        now = self.clock.now()
        return TokenSet(sign(id_claims(now, **{"auth_time": 1000, **self.id_over})),
                        sign(access_claims(now, auth_time=1000), kid="k2"), self.rotate, 3600)


@pytest.fixture
def verifier(http: httpx.AsyncClient, clock: ManualClock, cognito: FakeCognito) -> TokenVerifier:
    jwks = JWKSCache(f"{ISSUER}/.well-known/jwks.json", http, clock)
    return TokenVerifier(issuer=ISSUER, client_id=CLIENT_ID, jwks=jwks, clock=clock)


def session(clock: ManualClock) -> tuple[SessionData, dict[str, Any]]:
    old = id_claims(clock.now() - 3500, auth_time=1000)
    return SessionData("sid", "old-id", "old-access", "rt-1", clock.now()), old


def test_RF_01_margin():
    assert needs_refresh(1060, 1000, 60)
    assert not needs_refresh(1061, 1000, 60)


async def test_RF_05_concurrent_callers_share_one_call(verifier, clock):
    tokens = FakeTokens(clock)
    refresher = Refresher(tokens, verifier, clock)  # type: ignore[arg-type]
    data, old = session(clock)
    results = await asyncio.gather(*(refresher.refresh(data, old) for _ in range(50)))
    assert tokens.calls == 1
    assert len({r.session.access_token for r in results}) == 1
    late = await refresher.refresh(data, old)  # arrives with the old cookie shortly after
    assert late is results[0]
    assert tokens.calls == 1


async def test_RF_03_rotated_refresh_token_replaces_old_missing_keeps_it(verifier, clock):
    tokens = FakeTokens(clock)
    data, old = session(clock)
    result = await Refresher(tokens, verifier, clock).refresh(data, old)  # type: ignore[arg-type]
    assert result.session.refresh_token == "rt-1"
    tokens.rotate = "rt-2"
    data2 = SessionData("sid2", "i", "a", "rt-9", clock.now())
    result = await Refresher(tokens, verifier, clock).refresh(data2, old)  # type: ignore[arg-type]
    assert result.session.refresh_token == "rt-2"
    assert result.session.sid == "sid2"


async def test_RF_03_a_rotated_token_leads_on_from_the_old_one_until_settled(verifier, clock):
    """Past the reuse window, the old token is never sent again while the rotated one it
    brought has not gone out (``settle``); once settled, the old cookie is on its own."""
    tokens = FakeTokens(clock)
    tokens.rotate = "rt-2"
    data, old = session(clock)
    refresher = Refresher(tokens, verifier, clock)  # type: ignore[arg-type]
    first = await refresher.refresh(data, old)
    assert first.session.refresh_token == "rt-2"
    clock.advance(31)
    tokens.rotate = "rt-3"
    again = await refresher.refresh(data, old)  # the old cookie: its cookies never went out
    assert tokens.sent == ["rt-1", "rt-2"]
    assert again.session.refresh_token == "rt-3"
    refresher.settle(again)
    clock.advance(31)
    await refresher.refresh(data, old)
    assert tokens.sent == ["rt-1", "rt-2", "rt-1"]


async def test_RF_03_without_rotation_the_token_sent_is_kept(verifier, clock):
    """A refresh from a kept rotated token that does not rotate again keeps that token, not the
    (spent) one in the old cookie."""
    tokens = FakeTokens(clock)
    tokens.rotate = "rt-2"
    data, old = session(clock)
    refresher = Refresher(tokens, verifier, clock)  # type: ignore[arg-type]
    await refresher.refresh(data, old)
    clock.advance(31)
    tokens.rotate = None
    again = await refresher.refresh(data, old)
    assert tokens.sent == ["rt-1", "rt-2"]
    assert again.session.refresh_token == "rt-2"


@pytest.mark.parametrize("change", [{"sub": "other"}, {"auth_time": 2000}, {"azp": "x"},
                                    {"nonce": "new"}, {"aud": "other-client"}])
async def test_RF_02_refreshed_token_must_continue_the_session(verifier, clock, change):
    tokens = FakeTokens(clock, **change)
    data, old = session(clock)
    if "sub" in change:  # keep the pair consistent so continuity is what fails
        tokens.refresh = _with_sub(tokens, clock)  # type: ignore[method-assign]
    with pytest.raises(AuthError) as info:
        await Refresher(tokens, verifier, clock).refresh(data, old)  # type: ignore[arg-type]
    assert info.value.code == "session_ended"


def _with_sub(tokens: FakeTokens, clock: ManualClock) -> Any:
    async def refresh(refresh_token: str) -> TokenSet:
        now = clock.now()
        return TokenSet(sign(id_claims(now, auth_time=1000, sub="other")),
                        sign(access_claims(now, auth_time=1000, sub="other"), kid="k2"), None,
                        3600)
    return refresh


async def test_RF_04_invalid_grant_ends_session(verifier, clock):
    from cognito_gate import ProviderRejected

    tokens = FakeTokens(clock)
    tokens.fail = ProviderRejected("invalid_grant")
    data, old = session(clock)
    refresher = Refresher(tokens, verifier, clock)  # type: ignore[arg-type]
    with pytest.raises(AuthError) as info:
        await refresher.refresh(data, old)
    assert info.value.code == "session_ended"


async def test_RF_07_transient_failure_cools_off(verifier, clock):
    tokens = FakeTokens(clock)
    tokens.fail = ProviderUnavailable("token_http_503")
    data, old = session(clock)
    refresher = Refresher(tokens, verifier, clock, cooloff_seconds=10)  # type: ignore[arg-type]
    for _ in range(3):
        with pytest.raises(ProviderUnavailable):
            await refresher.refresh(data, old)
    assert tokens.calls == 1
    tokens.fail = None
    clock.advance(11)
    await refresher.refresh(data, old)
    assert tokens.calls == 2
