"""The outcomes security-cases.md §0 defines, as assertions on a ``World``.

* ``rejected_at_callback``: a 400 page, no session cookie written, the transaction cookie deleted,
  and no call to the provider after the code exchange (no second token request, no userInfo).
* ``rejected_on_page`` / ``rejected_on_api``: the request is treated as signed out — 303 to
  ``/login`` with a return-to (pages) or 401 JSON (APIs) — the auth cookies are cleared and none
  of the protected content is served. ``cookie_rejected`` / ``bearer_rejected`` plant a token
  in a session cookie or send it as a bearer token and expect exactly that.

Plus the two steps most cases start with: ``callback`` (sign in up to the callback, which may
be refused) and ``signed_in`` (a whole successful sign-in, silent once the provider knows the
browser).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import httpx

from .forge import bearer, plant_session
from .harness import World, set_cookies


def provider_calls(world: World) -> Counter[str]:
    """The library's back-channel calls so far, by provider path (``/oauth2/token``…)."""
    return Counter(e.path for e in world.backchannel)


@dataclass(frozen=True)
class Calls:
    """Provider calls so far: as the library sent them (its back channel, by path) and as Local
    Cognito counted them (``lc.requests``, by endpoint name)."""

    library: Counter[str]
    provider: Counter[str]


def calls_now(world: World) -> Calls:
    return Calls(provider_calls(world), Counter(world.lc.requests))


def _session_names(world: World) -> tuple[str, ...]:
    return world.auth.sessions.names.chunks


def forget_redirects(world: World) -> None:
    """Drop the sign-in loop breaker's cookie (FT-10), so the next rejection is answered with a
    redirect again; tests that reject many sessions in a row from one browser need this."""
    world.browser.cookies.delete(world.auth.loop_cookie)


def drop_session(world: World) -> None:
    """Forget the app's session cookies (the provider's hosted-UI session stays)."""
    for name in _session_names(world):
        world.browser.cookies.delete(name)


def has_session_cookie(world: World) -> bool:
    return any(name in world.app_cookies() for name in _session_names(world))


def session_writes(world: World, response: httpx.Response) -> list[str]:
    """Names of session chunks ``response`` sets to a value (not deletions)."""
    names = _session_names(world)
    return [c.name for c in set_cookies(response) if c.name in names and not c.deletes]


def clears_session(world: World, response: httpx.Response) -> bool:
    """``response`` deletes every session chunk."""
    deleted = {c.name for c in set_cookies(response) if c.deletes}
    return set(_session_names(world)) <= deleted


async def rejected_at_callback(world: World, response: httpx.Response, before: Calls, *,
                               what: str = "") -> None:
    """security-cases.md §0 "Reject at the callback" for the callback ``response``; ``before`` is
    ``calls_now(world)`` taken just before the browser hit the callback."""
    label = f"[{what}] " if what else ""
    assert response.status_code == 400, f"{label}{response.status_code} {response.text[:300]}"
    assert response.headers["content-type"].startswith("text/html"), label
    assert not session_writes(world, response), f"{label}a session cookie was written"
    assert not has_session_cookie(world), f"{label}the browser holds a session"
    tx_prefix = world.auth.flow.tx_prefix
    assert any(c.name.startswith(tx_prefix) and c.deletes for c in set_cookies(response)), \
        f"{label}the transaction cookie was not deleted"
    assert not any(n.startswith(tx_prefix) for n in world.app_cookies()), label
    after = provider_calls(world) - before.library
    assert after["/oauth2/token"] == 1, f"{label}token calls: {after}"
    assert set(after) <= {"/oauth2/token", f"/{world.lc.pool_id}/.well-known/jwks.json"}, \
        f"{label}further provider calls: {after}"
    counted = Counter(world.lc.requests) - before.provider
    assert counted["token"] == 1, f"{label}Local Cognito counted {counted}"
    assert set(counted) <= {"token", "jwks"}, f"{label}Local Cognito counted {counted}"
    api = await world.get("/api/me", headers={"accept": "application/json"})
    assert api.status_code == 401, f"{label}signed in after a rejected callback"


def rejected_on_page(world: World, response: httpx.Response, *, what: str = "") -> None:
    """security-cases.md §0 "Reject on a protected request", for a page navigation."""
    label = f"[{what}] " if what else ""
    assert response.status_code == 303, f"{label}{response.status_code} {response.text[:300]}"
    assert response.headers["location"].startswith(world.app_url + "/login?return_to="), label
    assert "secret" not in response.text, label
    assert clears_session(world, response), f"{label}auth cookies not cleared"
    assert not has_session_cookie(world), label


def rejected_on_api(world: World, response: httpx.Response, *, what: str = "",
                    cookies: bool = True) -> None:
    """The same for an API caller: 401 JSON with ``WWW-Authenticate``; with ``cookies``, the
    request carried a session and its cookies must be cleared."""
    label = f"[{what}] " if what else ""
    assert response.status_code == 401, f"{label}{response.status_code} {response.text[:300]}"
    assert response.headers["content-type"].startswith("application/json"), label
    assert response.headers["www-authenticate"].startswith("Bearer"), label
    assert "sub" not in response.json(), label
    if cookies:
        assert clears_session(world, response), f"{label}auth cookies not cleared"


async def callback(world: World, start: str = "/protected") -> tuple[httpx.Response, Calls]:
    """Start a sign-in at the app, go through the provider (silently once it has a session) and
    hit the callback: (the callback's response, ``calls_now`` just before it)."""
    code_url = await world.code_for(await world.start_sign_in(start))
    before = calls_now(world)
    return await world.get(code_url), before


async def signed_in(world: World, start: str = "/protected") -> httpx.Response:
    """A complete, successful sign-in (password or silent): the page it returns to."""
    response, _ = await callback(world, start)
    assert response.status_code == 303, f"{response.status_code} {response.text[:300]}"
    page = await world.follow(str(response.url.join(response.headers["location"])))
    assert page.status_code == 200, f"{page.status_code} {page.text[:300]}"
    return page


async def cookie_rejected(world: World, *, id_token: str, access_token: str,
                          refresh_token: str | None, what: str = "") -> None:
    """Plant a session holding these tokens (sealed with the app's key) and ask for a protected
    page: rejected as in ``rejected_on_page``, and no silent refresh was attempted."""
    await plant_session(world, id_token=id_token, access_token=access_token,
                        refresh_token=refresh_token)
    before = provider_calls(world)
    forget_redirects(world)
    rejected_on_page(world, await world.get("/protected"), what=what)
    assert (provider_calls(world) - before)["/oauth2/token"] == 0, f"[{what}] refreshed"


async def bearer_rejected(world: World, token: str, *, what: str = "") -> None:
    """``Authorization: Bearer token`` on the protected API: 401 JSON."""
    rejected_on_api(world, await bearer(world, token), what=what, cookies=False)
