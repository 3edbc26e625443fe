"""A response to a signed-in request is never stored by a cache, on public paths too (issue 8,
point 6): it may show the user's name and carries the sign-out CSRF token.

The rule: a response to a request the session cookie (or a bearer token) authenticated gets
``Cache-Control: no-store`` unless the app set a ``Cache-Control`` of its own; on a protected path
``no-store`` replaces whatever the app set (LO-02), and anonymous responses on public paths are
left alone.
"""

from __future__ import annotations

from collections.abc import Callable

from .expect import signed_in
from .forge import bearer
from .harness import World


async def signed_in_not_cached(w: World) -> None:
    """Signed in, the loop breaker's cookie gone, and the session not in the session cache: the
    next request verifies it afresh (no cookie to write), the one after takes the hot path."""
    await signed_in(w)
    await w.get("/")  # back with a session: the loop breaker's cookie is deleted
    assert w.auth.loop_cookie not in w.app_cookies()
    session = await w.auth.load_session(w.app_cookies())
    assert session is not None
    w.auth.hot.discard_session(session.sid)

async def test_signed_in_page_on_a_public_path_is_not_stored(pool_world: World) -> None:
    w = pool_world
    anonymous = await w.get("/")
    assert "Signed out" in anonymous.text
    assert "cache-control" not in anonymous.headers  # nothing personal: the app's call
    await signed_in_not_cached(w)
    first = await w.get("/")  # verified afresh
    assert len(w.auth.hot) == 1
    again = await w.get("/")  # the hot path: the session cache answers
    for response in (first, again):
        assert "Signed in as" in response.text
        assert response.headers.get_list("cache-control") == ["no-store"], response.headers


async def test_a_signed_in_response_keeps_the_apps_own_cache_control(pool_world: World) -> None:
    w = pool_world
    await signed_in_not_cached(w)
    for _ in range(2):  # cache miss, then the hot path
        page = await w.get("/cached")
        assert "Signed in as" in page.text
        assert page.headers.get_list("cache-control") == ["private, max-age=60"]


async def test_bearer_authenticated_response_on_a_public_path_is_not_stored(
        worlds: Callable[..., World]) -> None:
    w = worlds(protect=("/protected",))  # /api/me is public here: the app checks the user
    await signed_in(w)
    session = await w.auth.load_session(w.app_cookies())
    assert session is not None
    me = await bearer(w, session.access_token)
    assert me.status_code == 200, me.text
    assert me.headers.get_list("cache-control") == ["no-store"]
    anonymous = await bearer(w, "not-a-token")
    assert anonymous.status_code == 401
