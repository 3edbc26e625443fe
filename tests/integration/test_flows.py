"""The flows a person goes through, in-process against the real Local Cognito: sign-in, coming
back to the exact page asked for, several tabs signing in at once, and signing out for good."""

from __future__ import annotations

import httpx

from .harness import APP_URL, DEMO_EMAIL, World, netloc, query_of, set_cookies


async def test_sign_in_from_a_protected_page(pool_world: World) -> None:
    first = await pool_world.get("/protected")
    assert first.status_code == 303
    assert first.headers["location"] == APP_URL + "/login?return_to=/protected"

    final = await pool_world.sign_in("/protected")

    assert final.status_code == 200
    assert str(final.url) == APP_URL + "/protected"
    assert f"secret page for {DEMO_EMAIL}" in final.text
    me = await pool_world.get("/api/me")
    assert me.status_code == 200
    assert me.json()["email"] == DEMO_EMAIL
    assert me.json()["groups"] == ["readers"]
    assert pool_world.lc.requests["token"] == 1
    assert pool_world.lc.requests["login"] == 2  # the form, then the POST of the password


async def test_signed_in_requests_cost_no_provider_calls(pool_world: World) -> None:
    await pool_world.sign_in()
    before = sum(pool_world.lc.requests.values())
    for _ in range(5):
        assert (await pool_world.get("/protected")).status_code == 200
    assert sum(pool_world.lc.requests.values()) == before


async def test_return_to_deep_link_with_query_comes_back_exactly(pool_world: World) -> None:
    deep = "/protected/reports/2024/q3?tab=summary&sort=-date&q=a%20b%2Fc&empty=&x=1&x=2"

    first = await pool_world.get(deep)
    assert first.status_code == 303
    final = await pool_world.sign_in(deep)

    assert final.status_code == 200
    assert str(final.url) == APP_URL + deep
    assert final.url.raw_path.decode() == deep
    assert final.text == "protected content at /protected/reports/2024/q3"


async def test_return_to_survives_a_second_sign_in_silently(pool_world: World) -> None:
    """With the hosted-UI session still alive, a new sign-in needs no password and still comes
    back to the page asked for."""
    await pool_world.sign_in("/protected")
    pool_world.browser.cookies.delete("cg.0", domain="localhost.local")
    assert not any(n.startswith("cg.") for n in pool_world.app_cookies())

    final = await pool_world.follow("/protected/again?n=2")

    assert final.status_code == 200
    assert str(final.url) == APP_URL + "/protected/again?n=2"
    assert pool_world.lc.requests["token"] == 2
    assert pool_world.lc.requests["login"] == 2  # no second password form


async def test_multi_tab_sign_in_both_tabs_land_on_their_own_page(pool_world: World) -> None:
    tab_a = await pool_world.start_sign_in("/protected/a?tab=A")
    tab_b = await pool_world.start_sign_in("/protected/b?tab=B")
    callback_a = await pool_world.code_for(tab_a)  # the password form, once
    callback_b = await pool_world.code_for(tab_b)  # silently, on the hosted-UI session

    done_b = await pool_world.get(callback_b)
    done_a = await pool_world.get(callback_a)

    assert (done_b.status_code, done_b.headers["location"]) == \
        (303, APP_URL + "/protected/b?tab=B")
    assert (done_a.status_code, done_a.headers["location"]) == \
        (303, APP_URL + "/protected/a?tab=A")
    assert pool_world.lc.requests["token"] == 2
    assert not any(n.startswith("cg_tx_") for n in pool_world.app_cookies())
    assert (await pool_world.get("/api/me")).json()["email"] == DEMO_EMAIL


async def test_sign_out_revokes_and_ends_the_hosted_ui_session(pool_world: World) -> None:
    await pool_world.sign_in()
    code_exchange = pool_world.calls("/oauth2/token")[0].json()
    refresh_token, access_token = code_exchange["refresh_token"], code_exchange["access_token"]

    out = await pool_world.sign_out()

    # 1. the app revoked the refresh token, cleared its cookies and sent us to Cognito /logout
    assert out.status_code == 303
    location = out.headers["location"]
    assert location.startswith(pool_world.lc.base_url + "/logout?")
    assert query_of(location) == {"client_id": pool_world.client.client_id,
                                  "logout_uri": APP_URL + "/"}
    assert [c.form for c in pool_world.calls("/oauth2/revoke")] == [{"token": [refresh_token]}]
    cleared = {c.name for c in set_cookies(out) if c.deletes}
    assert {"cg.0", "cg.1", "cg.2", "cg.3"} <= cleared
    assert not pool_world.app_cookies()

    # 2. Cognito's /logout clears the hosted-UI cookie and comes back to the app, signed out
    bye = await pool_world.get(location)
    assert bye.status_code == 302
    assert bye.headers["location"] == APP_URL + "/"
    assert any(c.name == "cognito" and c.deletes for c in set_cookies(bye))
    home = await pool_world.get(bye.headers["location"])
    assert "Signed out" in home.text

    # 3. the old refresh token is dead at the provider; userInfo refuses the access token
    refreshed = await pool_world.provider_http.post(
        pool_world.lc.base_url + "/oauth2/token",
        data={"grant_type": "refresh_token", "refresh_token": refresh_token},
        auth=(pool_world.client.client_id, pool_world.client.client_secret or ""))
    assert refreshed.status_code == 400
    assert refreshed.json()["error"] == "invalid_grant"
    info = await pool_world.provider_http.get(pool_world.lc.base_url + "/oauth2/userInfo",
                                        headers={"authorization": f"Bearer {access_token}"})
    assert info.status_code == 401

    # 4. the next sign-in asks for the password again
    protected = await pool_world.get("/protected")
    assert protected.status_code == 303
    page = await _provider_page(pool_world, protected)
    assert page.status_code == 200
    assert 'name="password"' in page.text


async def _provider_page(pool_world: World, response: httpx.Response) -> httpx.Response:
    """Follow redirects until the first answer that is not one (or the app's callback)."""
    while response.status_code in (302, 303):
        location = str(response.url.join(response.headers["location"]))
        response = await pool_world.get(location)
        if netloc(location) == netloc(APP_URL) and "/callback/" in location:
            break
    return response
