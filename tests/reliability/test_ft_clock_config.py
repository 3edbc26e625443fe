"""FT-11 (clock skew between the app and Cognito) and FT-12 (issuer from discovery; production
configuration guardrails).

FT-12 (a) — a discovery document whose ``issuer`` differs from the configured one — does not
apply: the library never reads discovery. Every endpoint (authorize, token, revoke, logout, JWKS)
is derived from ``COGNITO_DOMAIN`` and the issuer (``COGNITO_USER_POOL_ID`` or
``COGNITO_ISSUER``) in ``Settings``, so a tampered discovery document has nothing to steer. The
test below shows a full sign-in, refresh and sign-out never fetch it, even when Local Cognito
serves one naming another issuer.
"""

from __future__ import annotations

import dataclasses
import ssl
from collections.abc import Callable

import pytest

from cognito_gate import CognitoAuth, ConfigError, Settings
from integration.harness import APP_URL, World

from .helpers import JSON, SESSION_CHUNKS, session_cookies, session_deleted, session_writes


async def _access_token(world: World) -> str:
    data = await world.auth.sessions.load(world.auth.session_values(session_cookies(world)) or "")
    assert data is not None
    return str(data.access_token)


@pytest.mark.parametrize(("skew", "signs_in"), [
    pytest.param(-120, True, id="provider-120s-behind"),
    pytest.param(-30, True, id="provider-30s-behind"),
    pytest.param(1, True, id="iat-1s-ahead"),
    pytest.param(30, True, id="provider-30s-ahead"),
    pytest.param(120, False, id="provider-120s-ahead"),
])
async def test_FT_11_clock_skew_at_sign_in(world: World, skew: int, signs_in: bool) -> None:
    """``iat`` up to the leeway ahead is fine; 120 s ahead is refused (``iat`` in the future)
    with a clear page and no session."""
    world.lc.clock.set_offset(skew)
    final = await world.sign_in("/protected")
    if signs_in:
        assert final.status_code == 200
        return
    assert final.status_code == 400
    assert "Error code: id_token_invalid" in final.text
    assert not any(n in world.app_cookies() for n in SESSION_CHUNKS)


@pytest.mark.parametrize(("skew", "accepted"), [
    pytest.param(-120, False, id="provider-120s-behind"),
    pytest.param(-30, True, id="provider-30s-behind"),
    pytest.param(30, True, id="provider-30s-ahead"),
])
async def test_FT_11_clock_skew_near_expiry(world: World, skew: int, accepted: bool) -> None:
    """30 s before the provider's ``exp``: with the provider 120 s behind, the app's clock is
    90 s past ``exp`` — beyond the leeway, so the token is expired here; 30 s either way is
    within the leeway."""
    world.lc.clock.set_offset(skew)
    assert (await world.sign_in("/protected")).status_code == 200
    bearer = {**JSON, "authorization": f"Bearer {await _access_token(world)}"}
    world.advance(3600 - 30)
    api = await world.another_browser().get("/api/me", headers=bearer)
    assert api.status_code == (200 if accepted else 401)


@pytest.mark.parametrize(("skew", "kept"), [
    pytest.param(30, True, id="provider-30s-ahead"),
    pytest.param(120, False, id="provider-120s-ahead"),
])
async def test_FT_11_clock_skew_applies_to_refreshed_tokens(world: World, skew: int,
                                                            kept: bool) -> None:
    """The one leeway applies to refreshed tokens too: 30 s is fine; a refreshed ID token
    120 s in the future is refused (the session ends cleanly, no loop, no 500)."""
    assert (await world.sign_in("/protected")).status_code == 200
    world.lc.clock.set_offset(skew)
    world.advance(3600 + 1)
    page = await world.get("/protected")
    if kept:
        assert page.status_code == 200
        assert session_writes(page)
        return
    assert page.status_code == 303
    assert session_deleted(page)
    final = await world.sign_in("/protected")  # signing in again fails the same way: a page
    assert final.status_code == 400
    assert "Error code: id_token_invalid" in final.text


async def test_FT_11_leeway_is_one_setting_at_most_300s(
        make_world: Callable[..., World]) -> None:
    world = make_world(settings_overrides={"leeway": 150})
    world.lc.clock.set_offset(120)
    assert (await world.sign_in("/protected")).status_code == 200
    base = world.auth.settings
    with pytest.raises(ConfigError) as refused:
        dataclasses.replace(base, leeway=301)
    assert any(p.startswith("leeway:") for p in refused.value.problems)
    assert world.auth.verifier.leeway == 150


async def test_FT_12_discovery_is_never_used(world: World) -> None:
    """(a) N/A: endpoints and keys come from configuration, never from discovery."""
    world.lc.faults.set("discovery", status=200, body='{"issuer": "https://evil.example/pool",'
                        ' "jwks_uri": "https://evil.example/jwks.json",'
                        ' "token_endpoint": "https://evil.example/token"}')
    assert (await world.sign_in("/protected")).status_code == 200
    world.advance(3600 + 1)
    assert (await world.get("/protected")).status_code == 200  # refreshed
    assert (await world.sign_out()).status_code == 303
    assert world.lc.requests["discovery"] == 0
    assert all("well-known/openid-configuration" not in e.url for e in world.backchannel)


GOOD = {
    "domain": "https://auth.example.com",
    "client_id": "abc123",
    "client_secret": "s3cret",
    "user_pool_id": "us-east-1_AbC123",
    "app_url": "https://app.example.com",
    "session_secret": ("x" * 32,),
}

BAD_SETTINGS = [
    pytest.param({"issuer": "http://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC123"},
                 "issuer", id="http-issuer"),
    pytest.param({"domain": "http://auth.example.com"}, "domain", id="http-domain"),
    pytest.param({"app_url": "http://app.example.com"}, "app_url", id="http-redirect-uri"),
    pytest.param({"logout_uri": "http://app.example.com/"}, "logout_uri", id="http-logout-uri"),
    pytest.param({"leeway": 301}, "leeway", id="leeway-over-300"),
    pytest.param({"leeway": -1}, "leeway", id="negative-leeway"),
    pytest.param({"issuer": "https://cognito-idp.us-east-1.amazonaws.com/x?jwks=evil"},
                 "issuer", id="issuer-with-query"),
    pytest.param({"session_secret": ("short",)}, "session_secret", id="weak-session-secret"),
]


@pytest.mark.parametrize(("change", "field"), BAD_SETTINGS)
def test_FT_12_production_guardrails_refuse_to_start(change: dict[str, object],
                                                     field: str) -> None:
    """(b) The app refuses to start and says which setting is wrong."""
    Settings(**GOOD)  # the baseline is fine
    with pytest.raises(ConfigError) as refused:
        Settings(**{**GOOD, **change})
    assert any(p.startswith(f"{field}:") for p in refused.value.problems), refused.value
    assert "x" * 32 not in str(refused.value)  # secrets are never echoed


def test_FT_12_guardrails_name_the_environment_variable() -> None:
    env = {"COGNITO_DOMAIN": "https://auth.example.com", "COGNITO_CLIENT_ID": "abc123",
           "COGNITO_CLIENT_SECRET": "s3cret", "COGNITO_USER_POOL_ID": "us-east-1_AbC123",
           "APP_URL": "https://app.example.com", "SESSION_SECRET": "y" * 40,
           "COGNITO_ISSUER": "http://issuer.example.com/us-east-1_AbC123",
           "COGNITO_LEEWAY": "900"}
    with pytest.raises(ConfigError) as refused:
        Settings.from_env(env, dotenv=None)
    text = str(refused.value)
    assert "COGNITO_ISSUER" in text
    assert "COGNITO_LEEWAY" in text


async def test_FT_12_no_switch_weakens_verification_and_tls_is_checked() -> None:
    """No setting chooses algorithms or skips verification, and the default HTTP client to
    Cognito verifies certificates (a dev CA would have to be given as an explicit client)."""
    names = {f.name for f in dataclasses.fields(Settings)}
    for word in ("alg", "verify", "skip", "insecure", "bypass", "unsafe", "debug"):
        assert not any(word in n for n in names), (word, names)
    auth = CognitoAuth(Settings(**{**GOOD, "app_url": APP_URL}))
    try:
        context = auth.http._transport._pool._ssl_context  # type: ignore[attr-defined]
        assert context.verify_mode == ssl.CERT_REQUIRED
        assert context.check_hostname
    finally:
        await auth.aclose()
