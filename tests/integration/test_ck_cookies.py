"""CK-01, CK-02 (in-process part), CK-03: every cookie the app writes — its attributes, and what
happens when the tokens grow past what cookies can carry."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable

import httpx
import pytest

from cognito_gate import MemoryStore
from cognito_gate.local import ClientConfig

from .expect import clears_session
from .forge import give_cookies
from .harness import World, set_cookies

HTTPS_APP = "https://localhost:8443"
HTTPS_CLIENT = ClientConfig("https-app", client_secret="httpsAppSecret1",
                            callback_urls=(HTTPS_APP + "/callback/",),
                            logout_urls=(HTTPS_APP + "/",))
SET_COOKIE_CAP = 4096   # name + value + attributes, as a browser counts one cookie
COOKIE_HEADER_CAP = 8192  # what CloudFront and many proxies let through


def set_cookie_line(raw: str) -> int:
    return len(f"Set-Cookie: {raw}\r\n".encode())


def cookie_header(w: World) -> str:
    return "; ".join(f"{name}={value}" for name, value in w.app_cookies().items())


async def whoami(w: World) -> dict[str, object] | None:
    me = await w.get("/api/me", headers={"accept": "application/json"})
    assert me.status_code in (200, 401), me.text
    return me.json() if me.status_code == 200 else None


class Collect:
    """Keep every response the browser gets from the app."""

    def __init__(self, w: World) -> None:
        self.responses: list[httpx.Response] = []
        self.app_url = w.app_url
        w.browser.event_hooks["response"].append(self)

    async def __call__(self, response: httpx.Response) -> None:
        if str(response.url).startswith(self.app_url):
            self.responses.append(response)

    def cookies(self) -> list[tuple[str, str, str]]:
        """(request path, cookie name, raw Set-Cookie) for every cookie the app set."""
        return [(r.url.path, c.name, c.raw) for r in self.responses for c in set_cookies(r)]


async def full_journey(w: World) -> None:
    """Everything that writes cookies: a refused protected request, sign-in, a refresh, a
    second pending sign-in, sign-out."""
    await w.get("/protected")                  # the loop-breaker cookie
    await w.sign_in("/protected")              # transaction, then the session
    w.advance(3600 - 30)                       # inside the refresh margin
    assert (await w.get("/protected")).status_code == 200  # refreshed cookies
    await w.start_sign_in("/protected")        # a pending transaction
    out = await w.sign_out()
    assert out.status_code == 303


# CK-01 ----------------------------------------------------------------------------------------

@pytest.fixture
def https_world(worlds: Callable[..., World]) -> World:
    return worlds(client=HTTPS_CLIENT, app_url=HTTPS_APP)


async def test_CK_01_every_cookie_on_https_is_host_prefixed_secure_httponly_lax(
        https_world: World) -> None:
    w = https_world
    seen = Collect(w)
    await full_journey(w)

    cookies = seen.cookies()
    names = {name for _, name, _ in cookies}
    assert {"__Host-cg_rl", "__Host-cg.0"} <= names
    assert any(n.startswith("__Host-cg_tx_") for n in names)
    settings = w.auth.settings
    refresh_validity = w.client.refresh_token_validity
    for path, name, raw in cookies:
        attrs = set_cookies_attrs(raw)
        where = f"{name} from {path}"
        assert name.startswith("__Host-"), where
        assert "secure" in attrs, where
        assert attrs.get("path") == "/", where
        assert "domain" not in attrs, where
        assert "httponly" in attrs, where
        assert attrs.get("samesite") == "Lax", where
        max_age = int(attrs["max-age"])
        assert 0 <= max_age <= min(settings.session_lifetime, refresh_validity), where
        if "_tx_" in name:
            assert max_age <= 600, where
        if name == "__Host-cg_rl":
            assert max_age <= 60, where


def set_cookies_attrs(raw: str) -> dict[str, str]:
    _, *attributes = raw.split(";")
    out = {}
    for attribute in attributes:
        key, _, value = attribute.partition("=")
        out[key.strip().lower()] = value.strip()
    return out


async def test_CK_01_session_max_age_counts_down_from_sign_in(https_world: World) -> None:
    """After a refresh the cookie lives only as long as the session's absolute limit."""
    w = https_world
    signed_in = await w.sign_in("/protected")
    assert signed_in.status_code == 200
    w.advance(3600 - 30)
    refreshed = await w.get("/protected")
    [session] = [c for c in set_cookies(refreshed) if c.name == "__Host-cg.0"]
    assert session.max_age is not None
    lifetime = w.auth.settings.session_lifetime
    assert lifetime - 3600 <= session.max_age <= lifetime - 3600 + 30 + 1


async def test_CK_01_http_loopback_cookies_are_httponly_lax_without_secure(
        pool_world: World) -> None:
    w = pool_world
    seen = Collect(w)
    await full_journey(w)

    cookies = seen.cookies()
    assert cookies
    for path, name, raw in cookies:
        attrs = set_cookies_attrs(raw)
        where = f"{name} from {path}"
        assert not name.startswith("__Host-"), where
        assert "secure" not in attrs, "a Secure cookie would be lost on http://localhost"
        assert "httponly" in attrs, where
        assert attrs.get("samesite") == "Lax", where
        assert attrs.get("path") == "/", where
        assert "domain" not in attrs, where


# CK-02 (the browser part is tests/e2e) --------------------------------------------------------

async def test_CK_02_transaction_cookie_is_lax_and_the_cross_site_return_works(
        https_world: World) -> None:
    w = https_world
    login = await w.get("/login?return_to=/protected")
    [tx] = [c for c in set_cookies(login) if c.name.startswith("__Host-cg_tx_")]
    assert tx.attrs["samesite"] == "Lax", "Strict would be withheld on Cognito's redirect back"
    callback = await w.code_for(login.headers["location"])

    done = await w.get(callback, headers={"sec-fetch-site": "cross-site",
                                          "sec-fetch-mode": "navigate",
                                          "sec-fetch-dest": "document"})

    assert done.status_code == 303
    assert done.headers["location"] == HTTPS_APP + "/protected"
    session = [c for c in set_cookies(done) if c.name.startswith("__Host-cg.")]
    assert session
    assert all(c.attrs["samesite"] == "Lax" for c in session)


# CK-03 ----------------------------------------------------------------------------------------

async def test_CK_03_bulky_tokens_are_chunked_within_browser_and_proxy_limits(
        pool_world: World) -> None:
    w = pool_world
    w.lc.faults.id_token(bulk_groups=150, bulk_attributes=40)
    w.lc.faults.access_token(bulk_groups=150)
    callback = await w.code_for(await w.start_sign_in("/protected"))

    done = await w.get(callback)

    tokens = w.calls("/oauth2/token")[0].json()
    assert len(tokens["id_token"]) > 6 * 1024
    assert sum(len(tokens[k]) for k in ("id_token", "access_token", "refresh_token")) > 8 * 1024
    assert done.status_code == 303
    written = [c for c in set_cookies(done) if not c.deletes]
    assert written
    assert all(set_cookie_line(c.raw) <= SET_COOKIE_CAP for c in written)
    assert len(cookie_header(w).encode()) < COOKIE_HEADER_CAP
    me = await whoami(w)
    assert me is not None
    groups = me["groups"]
    assert isinstance(groups, list)
    assert len(groups) == 151
    for _ in range(3):  # no loop: the next requests are simply signed in
        assert (await w.get("/protected")).status_code == 200


def _random_claims(size: int) -> dict[str, str]:
    """Incompressible custom attributes of about ``size`` characters."""
    return {"custom:blob": secrets.token_urlsafe(size)[:size]}


@pytest.mark.parametrize("blob", [2500, 9000], ids=["over-8KB", "over-16KB"])
async def test_CK_03_session_too_big_for_cookies_gives_a_clear_error(pool_world: World,
                                                                    blob: int) -> None:
    """Random attributes defeat compression: either the cookies still fit the limits, or the
    app says so plainly — it never writes cookies a browser or proxy would drop."""
    w = pool_world
    w.lc.faults.id_token(claims=_random_claims(blob))
    w.lc.faults.access_token(claims=_random_claims(blob))
    callback = await w.code_for(await w.start_sign_in("/protected"))

    answer = await w.get(callback)

    written = [c for c in set_cookies(answer) if not c.deletes]
    assert all(set_cookie_line(c.raw) <= SET_COOKIE_CAP for c in written)
    if answer.status_code == 303:
        assert len(cookie_header(w).encode()) < COOKIE_HEADER_CAP
        assert await whoami(w) is not None
        return
    assert answer.status_code == 400
    assert "too large" in answer.text
    assert "session_too_large" in answer.text
    assert "location" not in answer.headers, "no redirect: nothing loops"
    assert not [c for c in written if c.name.startswith("cg.")], "no session cookie at all"
    assert not [n for n in w.app_cookies() if n.startswith("cg.")]
    again = await w.get("/protected")
    assert again.status_code == 303, "an ordinary sign-in prompt, not a half-written session"


@pytest.mark.parametrize("slot", ["id_token", "access_token"])
async def test_CK_03_a_token_over_16KB_at_sign_in_is_session_too_large_not_invalid(
        pool_world: World, slot: str) -> None:
    """A genuine, correctly signed token from the token endpoint that is over the 16 KB token
    cap: the truth is that the sign-in is too large to keep, not that it failed verification."""
    w = pool_world
    getattr(w.lc.faults, slot)(claims=_random_claims(13_000), times=1)
    callback = await w.code_for(await w.start_sign_in("/protected"))
    answer = await w.get(callback)
    assert answer.status_code == 400
    assert "session_too_large" in answer.text
    assert "id_token_invalid" not in answer.text
    assert not [c for c in set_cookies(answer) if c.name.startswith("cg.") and not c.deletes]


async def test_CK_03_server_side_store_keeps_what_cookies_cannot(
        worlds: Callable[..., World]) -> None:
    w = worlds(auth_kwargs={"store": MemoryStore()})
    w.lc.faults.id_token(claims=_random_claims(9000))
    w.lc.faults.access_token(claims=_random_claims(9000))
    callback = await w.code_for(await w.start_sign_in("/protected"))

    done = await w.get(callback)

    assert done.status_code == 303
    [session] = [c for c in set_cookies(done) if c.name.startswith("cg.") and not c.deletes]
    assert set_cookie_line(session.raw) < 300, "the cookie holds only a sealed id"
    assert re.fullmatch(r"1\.[A-Za-z0-9_-]+", session.value)
    assert await whoami(w) is not None


async def test_CK_03_tokens_outgrowing_cookies_at_refresh_end_the_session_once(
        pool_world: World) -> None:
    """Group or attribute changes can make the refreshed tokens too big. Every retry would get
    them as big again, so the session ends there, once: the page says ``session_too_large``, the
    cookies are cleared (never half-written), the refresh token is revoked, another tab with the
    old cookies is signed out too, and no further refresh is ever attempted."""
    w = pool_world
    await w.sign_in("/protected")
    before = dict(w.app_cookies())
    w.lc.faults.refresh_id_token(claims=_random_claims(4000))
    w.lc.faults.access_token(claims=_random_claims(4000))
    w.advance(3600 - 30)
    tokens_before = w.lc.requests["token"]

    page = await w.get("/protected")
    assert page.status_code == 400
    assert "session_too_large" in page.text
    assert "location" not in page.headers
    assert not [c for c in set_cookies(page) if not c.deletes]
    assert clears_session(w, page)
    assert w.lc.requests["token"] == tokens_before + 1
    assert len(w.calls("/oauth2/revoke")) == 1

    give_cookies(w, before)  # another tab, still holding the old cookies
    api = await w.get("/api/me", headers={"accept": "application/json"})
    assert api.status_code == 401
    for _ in range(3):
        w.advance(30)
        assert (await w.get("/protected")).status_code in (303, 429)  # an ordinary sign-in
    assert w.lc.requests["token"] == tokens_before + 1
