"""CK-05…CK-08: the session behind the cookies — fixation and planted cookies, tokens that never
leak, verification on every protected request, idle and absolute lifetimes."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

import httpx
import pytest

from cognito_gate import MemoryStore
from cognito_gate.core.cookies import CookiePolicy
from cognito_gate.core.session import SessionCodec, SessionData, new_session_id

from .harness import (
    APP_URL,
    ATTACKER,
    ATTACKER_PASSWORD,
    DEMO_EMAIL,
    SECRET,
    World,
    ensure_attacker,
    set_cookies,
    whoami,
)

FOREIGN_SECRET = "a-different-apps-session-secret-0123456789"


def session_cookies(w: World) -> dict[str, str]:
    return {n: v for n, v in w.app_cookies().items() if n.startswith("cg.")}


def plant(w: World, cookies: dict[str, str]) -> None:
    for name, value in cookies.items():
        w.browser.cookies.set(name, value, domain="localhost.local")


def assert_rejected_on_page(w: World, response: httpx.Response) -> None:
    """security-cases.md §0 "Reject on a protected request", for a page."""
    assert response.status_code == 303
    assert response.headers["location"].startswith(APP_URL + "/login?return_to=/")
    cleared = {c.name for c in set_cookies(response) if c.deletes}
    assert set(w.auth.sessions.names.chunks) <= cleared
    assert "secret page" not in response.text


async def _tokens_of_attacker(w: World) -> tuple[dict[str, str], dict[str, str]]:
    """The attacker signs in at the app in their own browser: (their session cookies, the
    tokens Cognito gave for them)."""
    ensure_attacker(w)
    attacker = w.another_browser()
    try:
        await attacker.sign_in("/protected", email=ATTACKER, password=ATTACKER_PASSWORD)
        return session_cookies(attacker), attacker.calls("/oauth2/token")[-1].json()
    finally:
        await attacker.browser.aclose()


# CK-05 ----------------------------------------------------------------------------------------

async def test_CK_05_planted_session_is_replaced_completely_at_sign_in(pool_world: World) -> None:
    w = pool_world
    planted, _ = await _tokens_of_attacker(w)
    planted |= {"cg.1": "planted-junk", "cg.2": "planted-junk"}  # and stray chunks
    plant(w, planted)

    callback = await w.code_for(await w.start_sign_in("/protected"))
    done = await w.get(callback)

    assert done.status_code == 303
    written = {c.name: c for c in set_cookies(done) if c.name.startswith("cg.")}
    assert written["cg.0"].value not in planted.values()
    assert not written["cg.0"].deletes
    assert written["cg.1"].deletes
    assert written["cg.2"].deletes
    assert await whoami(w) == DEMO_EMAIL


async def test_CK_05_planted_valid_session_then_sign_in_gives_the_victims_own(
        pool_world: World) -> None:
    """A shared computer: the attacker's valid session is left in the browser; the victim's
    sign-in replaces every auth cookie (nothing of the attacker's survives)."""
    w = pool_world
    planted, _ = await _tokens_of_attacker(w)
    plant(w, planted)
    assert await whoami(w) == ATTACKER

    callback = await w.code_for(await w.start_sign_in("/protected"))
    done = await w.get(callback)

    assert done.status_code == 303
    assert session_cookies(w)["cg.0"] != planted["cg.0"]
    assert await whoami(w) == DEMO_EMAIL


async def test_CK_05_planted_transaction_is_never_promoted(pool_world: World) -> None:
    w = pool_world
    ensure_attacker(w)
    attacker = w.another_browser()
    try:
        await attacker.start_sign_in("/protected")
        planted = {n: v for n, v in attacker.app_cookies().items() if n.startswith("cg_tx_")}
    finally:
        await attacker.browser.aclose()
    plant(w, planted)
    assert await whoami(w) is None, "a pending sign-in is not a session"

    await w.sign_in("/protected")

    assert await whoami(w) == DEMO_EMAIL
    assert session_cookies(w)["cg.0"] not in planted.values()


@pytest.mark.parametrize("kind", ["raw-jwt", "foreign-seal"])
async def test_CK_05_tokens_planted_from_outside_are_not_accepted(pool_world: World,
                                                                  kind: str) -> None:
    """Genuine Cognito tokens, but not sealed by this app: a raw JWT as the cookie value, or a
    session sealed with another app's secret."""
    w = pool_world
    _, tokens = await _tokens_of_attacker(w)
    if kind == "raw-jwt":
        plant(w, {"cg.0": "1." + tokens["access_token"]})
    else:
        codec = SessionCodec((FOREIGN_SECRET,), CookiePolicy(secure=False))
        data = SessionData(new_session_id(), tokens["id_token"], tokens["access_token"],
                           tokens["refresh_token"], w.clock.now())
        headers = await codec.save(data, 3600, {})
        plant(w, {raw.decode().split("=", 1)[0]: raw.decode().split("=", 1)[1].split(";")[0]
                  for _, raw in headers})

    refused = await w.get("/protected")

    assert_rejected_on_page(w, refused)
    assert await whoami(w) is None


class WritableStore(MemoryStore):
    """A shared session store someone other than the app can write to (a Redis, say): it shows
    which session id each sealed session was saved under."""

    def __init__(self) -> None:
        super().__init__()
        self.saved: dict[str, bytes] = {}

    async def save(self, sid: str, value: bytes, ttl: int) -> None:
        self.saved[sid] = value
        await super().save(sid, value, ttl)


async def test_CK_05_a_stored_session_copied_under_another_session_id_is_not_loaded(
        worlds: Callable[..., World]) -> None:
    """Write access to the store is not a key to our seals: the victim's sealed session copied
    under the attacker's session id does not open for the attacker's cookie (which names that
    id) — in a process that has seen neither session before."""
    store = WritableStore()
    w = worlds(auth_kwargs={"store": store})
    await w.sign_in("/protected")
    [victim_sid] = store.saved
    ensure_attacker(w)
    attacker = w.another_browser()
    try:
        await attacker.sign_in("/protected", email=ATTACKER, password=ATTACKER_PASSWORD)
        [attacker_sid] = set(store.saved) - {victim_sid}
        cookies = session_cookies(attacker)
    finally:
        await attacker.browser.aclose()
    await store.save(attacker_sid, store.saved[victim_sid], 3600)
    other_process = worlds(auth_kwargs={"store": store})
    plant(other_process, cookies)

    refused = await other_process.get("/protected")

    assert_rejected_on_page(other_process, refused)
    assert await whoami(other_process) is None
    assert await whoami(w) == DEMO_EMAIL, "the victim's own session is untouched"


# CK-06 ----------------------------------------------------------------------------------------

async def test_CK_06_tokens_never_leak_into_urls_pages_or_logs(
        pool_world: World, caplog: pytest.LogCaptureFixture) -> None:
    w = pool_world
    caplog.set_level(logging.DEBUG)
    seen: list[httpx.Response] = []

    async def keep(response: httpx.Response) -> None:
        await response.aread()
        seen.append(response)

    w.browser.event_hooks["response"].append(keep)
    await w.sign_in("/protected")
    w.advance(3600 - 30)
    assert (await w.get("/protected")).status_code == 200  # refreshed
    replay = await w.get(w.visited[-3])                     # an error page or two on the way
    assert replay.status_code in (200, 303, 400)
    assert (await w.get("/logout")).status_code == 200
    assert (await w.sign_out()).status_code == 303
    await w.get("/protected", headers={"accept": "application/json"})

    exchanges = [e for e in w.backchannel if e.path == "/oauth2/token" and e.status == 200]
    secrets_ = {w.client.client_secret or ""}
    for e in exchanges:
        body = e.json()
        secrets_ |= {body[k] for k in ("id_token", "access_token", "refresh_token") if k in body}
        secrets_ |= set(e.form.get("code_verifier", []))
        secrets_ |= set(e.form.get("refresh_token", []))
    secrets_.discard("")
    assert len(secrets_) >= 6
    identifiers = set()  # in logs only as hashed or truncated identifiers
    for e in exchanges:
        for token in (e.json()["id_token"], e.json()["access_token"]):
            claims = _claims(token)
            identifiers |= {str(claims[k]) for k in ("sub", "jti", "origin_jti") if k in claims}

    def leaks(text: str) -> list[str]:
        found = [s[:12] + "…" for s in secrets_ if s in text]
        if re.search(r"eyJ[A-Za-z0-9_-]{10,}\.eyJ", text):
            found.append("a JWT")
        return found

    app_responses = [r for r in seen if str(r.url).startswith(APP_URL)]
    assert app_responses
    for response in app_responses:
        headers = "\n".join(f"{k}: {v}" for k, v in response.headers.multi_items()
                            if k != "set-cookie")
        assert not leaks(str(response.url)), response.url
        assert not leaks(headers), response.url
        assert not leaks(response.text), response.url
        assert "localStorage" not in response.text
        assert "sessionStorage" not in response.text
    for url in w.visited:
        assert not leaks(url), url
    ours = [r for r in caplog.records if not r.name.startswith("cognito_gate.local")]
    assert ours
    for record in ours:
        message = record.getMessage()
        assert not leaks(message), (record.name, message)
        assert not [i for i in identifiers if i in message], (record.name, message)


def _claims(jwt: str) -> dict[str, object]:
    import base64
    import json

    payload = jwt.split(".")[1]
    claims: dict[str, object] = json.loads(base64.urlsafe_b64decode(payload + "==="))
    return claims


# CK-07 ----------------------------------------------------------------------------------------

def _flip(text: str, index: int) -> str:
    return text[:index] + ("A" if text[index] != "A" else "B") + text[index + 1:]


@pytest.mark.parametrize("where", [2, 40, -5], ids=["head", "middle", "tail"])
async def test_CK_07_one_changed_character_in_the_session_cookie(pool_world: World,
                                                                 where: int) -> None:
    w = pool_world
    await w.sign_in("/protected")
    value = session_cookies(w)["cg.0"]
    plant(w, {"cg.0": _flip(value, where % len(value))})

    refused = await w.get("/protected")

    assert_rejected_on_page(w, refused)
    assert await whoami(w) is None


@pytest.mark.parametrize("where", [48, 200, -5], ids=["first-past-key", "middle", "tail"])
async def test_CK_07_one_changed_character_past_the_cache_key_on_the_hot_path(
        pool_world: World, where: int) -> None:
    """The session cache files an entry under the cookie's first 48 characters and serves it
    only for the same bytes: with the verified session cached for exactly this browser's Cookie
    header, a change after those 48 is a miss, then a rejection — never the cached user."""
    w = pool_world
    await w.sign_in("/protected")
    for _ in range(2):  # the second request sends the header the first one left: now cached
        served = await w.get("/protected")
        assert served.status_code == 200
    assert not set_cookies(served), "the header is stable: the next request takes the hot path"
    assert len(w.auth.hot) == 1
    value = session_cookies(w)["cg.0"]
    index = where % len(value)
    assert index >= 48
    plant(w, {"cg.0": _flip(value, index)})

    refused = await w.get("/protected")

    assert_rejected_on_page(w, refused)
    assert await whoami(w) is None


async def test_CK_07_a_missing_chunk_is_a_rejection(pool_world: World) -> None:
    w = pool_world
    w.lc.faults.id_token(bulk_groups=150, bulk_attributes=40, times=1)
    w.lc.faults.access_token(bulk_groups=150, times=1)
    await w.sign_in("/protected")
    assert set(session_cookies(w)) == {"cg.0", "cg.1"}
    w.browser.cookies.delete("cg.1", domain="localhost.local")

    refused = await w.get("/protected")

    assert_rejected_on_page(w, refused)


async def test_CK_07_tokens_in_a_cookie_are_verified_not_trusted(pool_world: World) -> None:
    """A session sealed with the app's own key (only a key holder could) around tokens with a
    future ``exp`` whose signatures do not verify: rejected, and no refresh attempted."""
    w = pool_world
    w.lc.faults.id_token(sign="foreign_key", times=1)
    w.lc.faults.access_token(sign="foreign_key", times=1)
    callback = await w.code_for(await w.start_sign_in("/protected"))
    assert (await w.get(callback)).status_code == 400, "the callback refused them already"
    tokens = w.calls("/oauth2/token")[-1].json()
    codec = SessionCodec((SECRET,), CookiePolicy(secure=False))
    data = SessionData(new_session_id(), tokens["id_token"], tokens["access_token"],
                       tokens["refresh_token"], w.clock.now())
    for _, raw in await codec.save(data, 3600, {}):
        name, rest = raw.decode().split("=", 1)
        plant(w, {name: rest.split(";")[0]})
    calls = len(w.calls("/oauth2/token"))

    refused = await w.get("/protected")

    assert_rejected_on_page(w, refused)
    assert len(w.calls("/oauth2/token")) == calls, "no silent refresh for a forged token"


async def test_CK_07_bearer_token_with_a_bad_signature_is_refused(pool_world: World) -> None:
    w = pool_world
    await w.sign_in("/protected")
    access = w.calls("/oauth2/token")[0].json()["access_token"]
    head, body, signature = access.split(".")
    forged = f"{head}.{body}.{_flip(signature, 10)}"
    api = w.another_browser()
    try:
        good = await api.get("/api/me", headers={"authorization": f"Bearer {access}"})
        bad = await api.get("/api/me", headers={"authorization": f"Bearer {forged}"})
    finally:
        await api.browser.aclose()
    assert good.status_code == 200
    assert bad.status_code == 401
    assert "invalid_token" in bad.headers["www-authenticate"]
    assert "location" not in bad.headers


async def test_CK_07_verified_result_is_not_trusted_past_expiry(pool_world: World) -> None:
    """The hot path reuses a verification only until the token is due: after the refresh token
    is revoked elsewhere, the next request past expiry finds out and signs the user out."""
    w = pool_world
    await w.sign_in("/protected")
    refresh = w.calls("/oauth2/token")[0].json()["refresh_token"]
    revoked = await w.provider_http.post(
        w.lc.base_url + "/oauth2/revoke", data={"token": refresh},
        auth=(w.client.client_id, w.client.client_secret or ""))
    assert revoked.status_code == 200
    assert (await w.get("/protected")).status_code == 200  # tokens still unexpired
    w.advance(3600 + 1)

    refused = await w.get("/protected")

    assert_rejected_on_page(w, refused)


# CK-08 ----------------------------------------------------------------------------------------

async def _password_form_shown(w: World, response: httpx.Response) -> bool:
    while response.status_code in (302, 303):
        location = str(response.url.join(response.headers["location"]))
        if location.startswith(APP_URL + "/callback/"):
            return False  # signed in silently
        response = await w.get(location)
    return 'name="password"' in response.text


async def test_CK_08_idle_timeout_forces_a_new_sign_in(pool_world: World) -> None:
    w = pool_world
    await w.sign_in("/protected")
    w.advance(w.auth.settings.session_idle_timeout + 1)  # no request in between

    refused = await w.get("/protected")

    assert_rejected_on_page(w, refused)
    assert await _password_form_shown(w, refused), "a full re-authentication"


@pytest.mark.parametrize("idle_hours", [1, 4, 7.5])
async def test_CK_08_idle_below_the_timeout_keeps_the_session(pool_world: World,
                                                              idle_hours: float) -> None:
    w = pool_world
    await w.sign_in("/protected")
    w.advance(idle_hours * 3600)

    assert (await w.get("/protected")).status_code == 200


async def test_CK_08_an_active_user_is_never_idle(pool_world: World) -> None:
    w = pool_world
    await w.sign_in("/protected")
    idle = w.auth.settings.session_idle_timeout
    for _ in range(int(idle * 1.25 // 1800)):
        w.advance(1800)
        assert (await w.get("/protected")).status_code == 200


async def test_CK_08_absolute_lifetime_counts_from_sign_in_not_refresh(pool_world: World) -> None:
    w = pool_world
    await w.sign_in("/protected")
    lifetime = w.auth.settings.session_lifetime
    elapsed = 0
    while elapsed + 3590 < lifetime:  # active all day: a refresh every hour
        w.advance(3590)
        elapsed += 3590
        assert (await w.get("/protected")).status_code == 200
    refreshes = len(w.calls("/oauth2/token")) - 1
    assert refreshes >= lifetime // 3600 - 1
    w.advance(lifetime - elapsed + 1)

    refused = await w.get("/protected")

    assert_rejected_on_page(w, refused)
    assert await _password_form_shown(w, refused), "a full re-authentication"


async def test_CK_08_lifetimes_are_settings(worlds: Callable[..., World]) -> None:
    w = worlds(settings_overrides={"session_lifetime": 7200, "session_idle_timeout": 1800})
    await w.sign_in("/protected")
    w.advance(1800 + 1)
    assert_rejected_on_page(w, await w.get("/protected"))
    assert (await w.follow("/protected")).status_code == 200  # silently, on the hosted UI
    for _ in range(4):
        w.advance(1790)
        assert (await w.get("/protected")).status_code == 200
    w.advance(60)
    assert_rejected_on_page(w, await w.get("/protected"))
