"""security-cases.md §A, tokens together and the identity they carry (IDT-18…IDT-23)."""

from __future__ import annotations

import base64
import json
import zlib

from .expect import (
    bearer_rejected,
    callback,
    cookie_rejected,
    drop_session,
    provider_calls,
    rejected_at_callback,
    rejected_on_page,
    signed_in,
)
from .forge import (
    DirectClient,
    b64url,
    b64url_json,
    bearer,
    ensure_user,
    peek,
    plant_session,
    tokens_of,
)
from .harness import DEMO_EMAIL, World

ATTACKER = ("mallory@example.com", "Mallory-password-1")
TWIN = ("demo.twin@example.com", "Twin-password-1")

# IDT-18 ──────────────────────────────────────────────────────────────────────────────────────


async def test_IDT_18_id_and_access_token_from_different_sessions_are_rejected(
        pool_world: World, direct: DirectClient) -> None:
    world = pool_world
    ensure_user(world.lc, *ATTACKER)
    victim = await direct.tokens(world.client)
    victim_again = await direct.tokens(world.client)  # a second login of the same user
    attacker_agent = DirectClient(world.lc, direct.redirect_uri)
    try:
        attacker = await attacker_agent.tokens(world.client, email=ATTACKER[0],
                                               password=ATTACKER[1])
        # Tokens without origin_jti (it is optional): then sub alone must tell them apart.
        world.lc.faults.id_token(remove=["origin_jti"])
        world.lc.faults.access_token(remove=["origin_jti"])
        victim_bare = await direct.tokens(world.client)
        attacker_bare = await attacker_agent.tokens(world.client)
        world.lc.faults.reset()
    finally:
        await attacker_agent.aclose()
    assert "origin_jti" not in peek(attacker_bare["access_token"])[1]
    assert peek(victim["id_token"])[1]["sub"] != peek(attacker["id_token"])[1]["sub"]
    assert peek(victim["id_token"])[1]["origin_jti"] != \
        peek(victim_again["id_token"])[1]["origin_jti"]

    # Control: a matching pair, planted the same way, is a valid session.
    await plant_session(world, id_token=victim["id_token"], access_token=victim["access_token"],
                        refresh_token=victim["refresh_token"])
    assert (await world.get("/protected")).status_code == 200

    pairs = {
        "victim's ID token + attacker's access token": (victim, attacker),
        "attacker's ID token + victim's access token": (attacker, victim),
        "same user, ID and access token of two logins": (victim, victim_again),
        "victim's ID token + attacker's access token, no origin_jti": (
            victim_bare, attacker_bare),
        "attacker's ID token + victim's access token, no origin_jti": (
            attacker_bare, victim_bare),
    }
    for what, (id_from, access_from) in pairs.items():
        await cookie_rejected(world, id_token=id_from["id_token"],
                              access_token=access_from["access_token"],
                              refresh_token=access_from["refresh_token"], what=what)


# IDT-19 ──────────────────────────────────────────────────────────────────────────────────────


async def test_IDT_19_at_hash_mismatch_rejects_the_token_response(
        pool_world: World, direct: DirectClient) -> None:
    world = pool_world
    world.lc.faults.id_token(claims={"at_hash": "AAAAAAAAAAAAAAAAAAAAAA"})
    response, before = await callback(world)
    await rejected_at_callback(world, response, before, what="wrong at_hash")
    world.lc.faults.reset()
    # The access token swapped for another valid one (same user, same client, another login).
    other = (await direct.tokens(world.client))["access_token"]
    world.lc.faults.token_response(extra={"access_token": other})
    response, before = await callback(world)
    await rejected_at_callback(world, response, before, what="access token swapped")


async def test_IDT_19_missing_at_hash_is_acceptable_in_the_code_flow(pool_world: World) -> None:
    pool_world.lc.faults.id_token(remove=["at_hash"])
    page = await signed_in(pool_world)
    assert "secret page for demo@example.com" in page.text


async def test_IDT_19_at_hash_mismatch_in_a_refresh_response_ends_the_session(
        pool_world: World) -> None:
    world = pool_world
    await signed_in(world)
    world.lc.faults.refresh_id_token(claims={"at_hash": "AAAAAAAAAAAAAAAAAAAAAA"})
    world.advance(3600)
    rejected_on_page(world, await world.get("/protected"), what="refreshed at_hash")


# IDT-20 ──────────────────────────────────────────────────────────────────────────────────────


async def test_IDT_20_not_applicable_the_library_never_calls_userinfo(pool_world: World) -> None:
    """N/A: cognito-gate takes every claim from the verified ID and access tokens and never
    calls ``/oauth2/userInfo``, so a userInfo ``sub`` mismatch cannot reach it. This test proves
    the "never": a whole session (sign-in, API call, refresh, sign-out) with userInfo faults armed
    makes no userInfo request. The other half of the case — verified flags parsed strictly,
    ``"false"`` never true — is checked on the ID-token claim the library does read."""
    world = pool_world
    world.lc.faults.userinfo(claims={"sub": "someone-else", "email_verified": "false"})
    await signed_in(world)
    assert (await world.get("/api/me", headers={"accept": "application/json"})).status_code == 200
    world.advance(3600)
    assert (await world.get("/protected")).status_code == 200  # refreshed
    signed_out = await world.sign_out()
    assert signed_out.status_code == 303
    calls = provider_calls(world)
    assert calls["/oauth2/token"] == 2
    assert calls["/oauth2/revoke"] == 1
    assert calls["/oauth2/userInfo"] == 0
    assert world.lc.requests["userinfo"] == 0


async def test_IDT_20_verified_flags_are_parsed_strictly(pool_world: World) -> None:
    world = pool_world
    for flag, expected in (("false", False), ("FALSE", False), ("yes", False), (1, False),
                           (False, False), (True, True)):
        world.lc.faults.reset()
        world.lc.faults.id_token(claims={"email_verified": flag})
        await signed_in(world)
        user = (await world.get("/api/user", headers={"accept": "application/json"})).json()
        assert user["email_verified"] is expected, f"email_verified={flag!r}"
        drop_session(world)


# IDT-21 ──────────────────────────────────────────────────────────────────────────────────────


def _malformed(genuine: str, refresh_token: str) -> dict[str, str]:
    header, payload, signature = genuine.split(".")
    bomb = b64url(zlib.compress(b"\0" * 5_000_000, 9))
    jwe_header = b64url_json({"alg": "dir", "enc": "A256GCM", "zip": "DEF"})
    return {
        "2 segments": f"{header}.{payload}",
        "4 segments": f"{genuine}.{signature}",
        "5 segments (a JWE, like a refresh token)": refresh_token,
        "invalid base64url": f"{header}.{payload[:10]}*{payload[11:]}.{signature}",
        "base64 padding": f"{header}==.{payload}.{signature}",
        "whitespace": f"{header}.{payload[:10]} {payload[10:]}.{signature}",
        "header not JSON": f"{b64url(b'not json at all')}.{payload}.{signature}",
        "header a JSON array": f"{b64url_json(['RS256'])}.{payload}.{signature}",
        "duplicate header keys": f"{b64url(_duplicate_alg(header))}.{payload}.{signature}",
        "100 KB": f"{header}.{payload}{'A' * 100_000}.{signature}",
        "compressed JWE (JWT bomb)":
            f"{jwe_header}..{b64url(b'0' * 12)}.{bomb}.{b64url(b'0' * 16)}",
        "empty": "",
    }


def _duplicate_alg(segment: str) -> bytes:
    header = peek(f"{segment}.e30.")[0]
    # The second ``alg`` would win in a lax parser; the JSON text names ``alg`` twice.
    kid = json.dumps(header["kid"])
    return f'{{"alg":"RS256","kid":{kid},"alg":"none"}}'.encode()


async def test_IDT_21_malformed_tokens_in_the_token_response_are_rejected(
        pool_world: World) -> None:
    world = pool_world
    await signed_in(world)
    session = await tokens_of(world)
    assert session.refresh_token is not None
    drop_session(world)
    for slot, genuine in (("id_token", session.id_token),
                          ("access_token", session.access_token)):
        for what, bad in _malformed(genuine, session.refresh_token).items():
            world.lc.faults.reset()
            world.lc.faults.token_response(extra={slot: bad})
            response, before = await callback(world)
            await rejected_at_callback(world, response, before, what=f"{slot}: {what}")


async def test_IDT_21_malformed_tokens_in_the_cookie_and_bearer_are_rejected(
        pool_world: World) -> None:
    """The cookie can't hold 100 KB at all (four chunks of ~4000 bytes), so that variant is
    bearer-only."""
    world = pool_world
    await signed_in(world)
    session = await tokens_of(world)
    assert session.refresh_token is not None
    for what, bad in _malformed(session.access_token, session.refresh_token).items():
        if len(bad) < 8000:
            await cookie_rejected(world, id_token=session.id_token, access_token=bad,
                                  refresh_token=session.refresh_token, what=f"access {what}")
        await bearer_rejected(world, bad, what=what)
    for what, bad in _malformed(session.id_token, session.refresh_token).items():
        if len(bad) < 8000:
            await cookie_rejected(world, id_token=bad, access_token=session.access_token,
                                  refresh_token=session.refresh_token, what=f"id {what}")


# IDT-22 ──────────────────────────────────────────────────────────────────────────────────────


async def test_IDT_22_unusable_keys_in_the_jwks_are_skipped(pool_world: World,
                                                            direct: DirectClient) -> None:
    world = pool_world
    world.lc.faults.jwks(extra_keys=["unknown_kty", "enc", "broken_rsa"])
    page = await signed_in(world)
    assert "secret page for demo@example.com" in page.text
    fetched = [e for e in world.backchannel if e.path.endswith("/jwks.json")]
    assert fetched
    kids = {k["kid"] for k in fetched[0].json()["keys"]}
    assert {"unknown-kty-key", "encryption-key", "broken-rsa-key"} <= kids
    token = (await direct.tokens(world.client))["access_token"]
    assert (await bearer(world, token)).status_code == 200


async def test_IDT_22_a_published_1024_bit_rsa_key_is_refused(pool_world: World,
                                                               direct: DirectClient) -> None:
    """A genuine RSA key, well formed and published under its own ``kid``, that signs well-formed
    tokens — but of 1024 bits, below the 2048-bit floor: nothing it signs verifies, at the
    callback or as a bearer token."""
    world = pool_world
    world.lc.faults.jwks(extra_keys=["weak_rsa"])
    world.lc.faults.id_token(sign="weak_rsa", times=1)
    world.lc.faults.access_token(sign="weak_rsa", times=1)

    response, before = await callback(world)

    await rejected_at_callback(world, response, before, what="1024-bit key")
    [weak] = [k for e in world.backchannel if e.path.endswith("/jwks.json")
              for k in e.json()["keys"] if len(k["n"]) < 200]
    assert len(base64.urlsafe_b64decode(weak["n"] + "==")) * 8 == 1024, "the key was published"
    world.lc.faults.access_token(sign="weak_rsa", times=1)
    token = (await direct.tokens(world.client))["access_token"]
    assert json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))["kid"] == weak["kid"]
    await bearer_rejected(world, token, what="1024-bit key")


# IDT-23 ──────────────────────────────────────────────────────────────────────────────────────


async def test_IDT_23_identity_is_issuer_and_sub_never_email_or_username(
        pool_world: World) -> None:
    """A second user whose ID token carries the first user's ``email`` (verified),
    ``cognito:username`` and ``preferred_username`` — a federated identity or a re-created
    account — is a different ``User``: the library exposes (``issuer``, ``sub``) as the key."""
    world = pool_world
    ensure_user(world.lc, *TWIN)
    await signed_in(world)
    first = (await world.get("/api/user", headers={"accept": "application/json"})).json()
    assert first["email"] == DEMO_EMAIL

    twin_browser = world.another_browser()
    try:
        world.lc.faults.id_token(times=1, claims={
            "email": DEMO_EMAIL, "email_verified": True, "cognito:username": first["username"],
            "preferred_username": first["username"]})
        await twin_browser.sign_in("/protected", email=TWIN[0], password=TWIN[1])
        second = (await twin_browser.get("/api/user",
                                         headers={"accept": "application/json"})).json()
    finally:
        await twin_browser.browser.aclose()
    assert second["email"] == first["email"]
    assert second["username"] == first["username"]
    assert second["issuer"] == first["issuer"] == world.lc.issuer
    assert second["sub"] != first["sub"]
    assert (second["issuer"], second["sub"]) != (first["issuer"], first["sub"])
    twin = world.lc.user(TWIN[0])
    assert twin is not None
    assert second["sub"] == twin.sub
    # And the first browser is still the first user.
    again = (await world.get("/api/user", headers={"accept": "application/json"})).json()
    assert again["sub"] == first["sub"]
