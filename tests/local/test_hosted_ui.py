"""Sign-in, sign-up, confirmation and the hosted-UI session, as a browser meets them."""

from __future__ import annotations

import dataclasses
import logging
from urllib.parse import urlencode

from .conftest import OTHER
from .helpers import DEMO_EMAIL, csrf_of, query_of, sign_in, submit_login

AUTHORIZE = {
    "response_type": "code",
    "client_id": "web-client",
    "state": "s1",
    "redirect_uri": "https://app.example.com/callback",
    "scope": "openid email",
}
QUERY = urlencode(AUTHORIZE)


async def post_form(http, url: str, fields: dict[str, str]):
    page = await http.get(url)
    return await http.post(url, data={**fields, "_csrf": csrf_of(page)})


async def test_login_page_is_a_usable_form(lc, http):
    page = await http.get(f"/login?{QUERY}")
    assert page.status_code == 200
    assert 'name="username"' in page.text
    assert 'name="password"' in page.text
    assert '<label for="username">' in page.text
    assert '<label for="password">' in page.text
    assert f'action="/login?{QUERY.replace("&", "&amp;")}"' in page.text
    cookie = page.headers["set-cookie"]
    assert cookie.startswith("XSRF-TOKEN=")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "https://" not in page.text.split("<body>")[0]  # no external assets


async def test_wrong_password_and_unknown_user_look_the_same(lc, http):
    """Under PreventUserExistenceErrors=ENABLED (LEGACY: test_cognito_10_client_settings)."""
    enabled = dataclasses.replace(lc.clients["web-client"], prevent_user_existence_errors="ENABLED")
    lc.add_client(enabled)
    wrong = await post_form(http, f"/login?{QUERY}", {"username": DEMO_EMAIL, "password": "nope"})
    unknown = await post_form(
        http, f"/login?{QUERY}", {"username": "x@example.com", "password": "n"}
    )
    for response in (wrong, unknown):
        assert response.status_code == 400
        assert "Incorrect username or password." in response.text
    assert "cognito=" not in wrong.headers.get("set-cookie", "")


async def test_empty_sign_in_form_says_what_is_missing_not_incorrect(lc, http):
    nothing = await post_form(http, f"/login?{QUERY}", {"username": "", "password": ""})
    no_password = await post_form(http, f"/login?{QUERY}", {"username": DEMO_EMAIL, "password": ""})
    assert nothing.status_code == no_password.status_code == 400
    assert "Enter your email address." in nothing.text
    assert "Enter your password." in nothing.text
    assert "Enter your email address." not in no_password.text
    assert "Enter your password." in no_password.text
    for response in (nothing, no_password):
        assert "Incorrect username or password." not in response.text
    assert "cognito=" not in no_password.headers.get("set-cookie", "")


async def test_session_cookie_flags_and_silent_reuse(lc, http):
    response = await submit_login(http, f"/login?{QUERY}", DEMO_EMAIL, "Demo-password-1")
    cookies = response.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith("cognito="))
    assert "HttpOnly" in session
    assert "SameSite=lax" in session
    assert "Max-Age=3600" in session
    assert "Secure" not in session  # plain-http loopback base URL
    silent = await http.get(f"/oauth2/authorize?{QUERY}")
    assert silent.headers["location"].startswith("https://app.example.com/callback?code=")
    assert any(c.startswith("cognito=") for c in silent.headers.get_list("set-cookie"))


async def test_session_is_shared_by_clients_of_the_pool(lc, http):
    await sign_in(http, lc)
    auth = await sign_in(http, lc, client=OTHER)
    assert auth.location.startswith("https://other.example.com/cb?code=")


async def test_session_expires_after_an_hour_and_renews_on_use(lc, http):
    await sign_in(http, lc)
    lc.clock.advance(3000)
    assert (await http.get(f"/oauth2/authorize?{QUERY}")).headers["location"].startswith("https://")
    lc.clock.advance(3000)  # 100 minutes after sign-in, 50 after the last use
    assert (await http.get(f"/oauth2/authorize?{QUERY}")).headers["location"].startswith("https://")
    lc.clock.advance(3601)
    assert (await http.get(f"/oauth2/authorize?{QUERY}")).headers["location"].startswith("/login?")


async def test_auth_time_is_the_original_sign_in(lc, http):
    from .helpers import exchange, peek

    first = await sign_in(http, lc)
    auth_time = peek((await exchange(http, first)).json()["id_token"])[1]["auth_time"]
    lc.clock.advance(600)
    again = await sign_in(http, lc)
    assert peek((await exchange(http, again)).json()["id_token"])[1]["auth_time"] == auth_time


async def test_sign_in_as_button_and_prompt_login(lc, http):
    await sign_in(http, lc)
    page = await http.get(f"/login?{QUERY}")
    assert f"Sign in as {DEMO_EMAIL}" in page.text
    reuse = await http.post(
        f"/login?{QUERY}", data={"reuse_session": "true", "_csrf": csrf_of(page)}
    )
    assert reuse.status_code == 302
    assert "code=" in reuse.headers["location"]
    forced = await http.get(f"/oauth2/authorize?{QUERY}&prompt=login")
    assert forced.headers["location"].startswith("/login?")
    assert "Sign in as" not in (await http.get(forced.headers["location"])).text


async def test_prompt_none_with_session_is_silent(lc, http):
    await sign_in(http, lc)
    response = await http.get(f"/oauth2/authorize?{QUERY}&prompt=none")
    assert "code=" in response.headers["location"]


async def test_reuse_without_session_asks_for_password(lc, http):
    page = await http.get(f"/login?{QUERY}")
    response = await http.post(
        f"/login?{QUERY}", data={"reuse_session": "true", "_csrf": csrf_of(page)}
    )
    assert response.status_code == 400
    assert "expired" in response.text


async def test_signup_confirm_continues_the_oauth_request(lc, http, caplog):
    caplog.set_level(logging.INFO, logger="cognito_gate.local")
    response = await post_form(
        http, f"/signup?{QUERY}", {"email": "New.User@Example.com", "password": "Strong-pass-1"}
    )
    assert response.status_code == 302
    confirm_url = response.headers["location"]
    assert confirm_url.startswith("/confirm?")
    assert "username=new.user%40example.com" in confirm_url
    code = lc.last_confirmation_code("new.user@example.com")
    assert code is not None
    assert len(code) == 6
    assert code.isdigit()
    assert f"confirmation code for new.user@example.com: {code}" in caplog.text
    assert "Strong-pass-1" not in caplog.text
    page = await http.get(confirm_url)
    assert "new.user@example.com" in page.text
    wrong = await http.post(
        confirm_url,
        data={
            "username": "new.user@example.com",
            "code": "000000" if code != "000000" else "111111",
            "_csrf": csrf_of(page),
        },
    )
    assert wrong.status_code == 400
    assert "Invalid verification code" in wrong.text
    done = await http.post(
        confirm_url, data={"username": "new.user@example.com", "code": code, "_csrf": csrf_of(page)}
    )
    assert done.status_code == 302
    assert query_of(done.headers["location"])["state"] == "s1"
    assert "code" in query_of(done.headers["location"])
    user = lc.user("new.user@example.com")
    assert user.confirmed
    assert user.attributes["email_verified"] == "true"


async def test_signup_password_policy_messages(lc, http):
    response = await post_form(
        http, f"/signup?{QUERY}", {"email": "p@example.com", "password": "abc"}
    )
    assert response.status_code == 400
    for message in ("at least 8 characters", "uppercase letter", "a number", "symbol character"):
        assert message in response.text
    assert "must have a lowercase letter" not in response.text
    assert lc.user("p@example.com") is None


async def test_signup_existing_and_bad_email(lc, http):
    taken = await post_form(
        http, f"/signup?{QUERY}", {"email": DEMO_EMAIL, "password": "Strong-pass-1"}
    )
    assert "An account with the given email already exists." in taken.text
    bad = await post_form(http, f"/signup?{QUERY}", {"email": "nope", "password": "Strong-pass-1"})
    assert "valid email address" in bad.text


async def test_unconfirmed_user_is_sent_to_confirm(lc, http):
    response = await submit_login(
        http, f"/login?{QUERY}", "pending@example.com", "Pending-password-3"
    )
    assert response.status_code == 302
    assert response.headers["location"].startswith("/confirm?")
    code = lc.last_confirmation_code("pending@example.com")
    page = await http.get(response.headers["location"])
    done = await http.post(
        response.headers["location"],
        data={"username": "pending@example.com", "code": code, "_csrf": csrf_of(page)},
    )
    assert "code=" in done.headers["location"]


async def test_confirm_in_another_browser_asks_to_sign_in(lc, http):
    await post_form(
        http, f"/signup?{QUERY}", {"email": "b@example.com", "password": "Strong-pass-1"}
    )
    code = lc.last_confirmation_code("b@example.com")
    http.cookies.clear()
    url = f"/confirm?{QUERY}&username=b%40example.com"
    page = await http.get(url)
    done = await http.post(
        url, data={"username": "b@example.com", "code": code, "_csrf": csrf_of(page)}
    )
    assert done.status_code == 200
    assert "Your account is confirmed. Sign in to continue." in done.text
    assert lc.user("b@example.com").confirmed


async def test_confirmation_attempts_are_limited_and_resend_works(lc, http):
    await post_form(
        http, f"/signup?{QUERY}", {"email": "c@example.com", "password": "Strong-pass-1"}
    )
    code = lc.last_confirmation_code("c@example.com")
    url = f"/confirm?{QUERY}&username=c%40example.com"
    page = await http.get(url)
    fields = {"username": "c@example.com", "_csrf": csrf_of(page)}
    for _ in range(5):
        await http.post(url, data={**fields, "code": "999999" if code != "999999" else "888888"})
    blocked = await http.post(url, data={**fields, "code": code})
    assert "Attempt limit exceeded" in blocked.text
    resent = await http.post(url, data={**fields, "resend": "true"})
    assert "We sent a new code" in resent.text
    new_code = lc.last_confirmation_code("c@example.com")
    assert (await http.post(url, data={**fields, "code": new_code})).status_code == 302


async def test_confirmation_code_expires(lc, http):
    await post_form(
        http, f"/signup?{QUERY}", {"email": "d@example.com", "password": "Strong-pass-1"}
    )
    code = lc.last_confirmation_code("d@example.com")
    lc.clock.advance(24 * 3600 + 1)
    url = f"/confirm?{QUERY}&username=d%40example.com"
    page = await http.get(url)
    response = await http.post(
        url, data={"username": "d@example.com", "code": code, "_csrf": csrf_of(page)}
    )
    assert "Invalid verification code" in response.text


async def test_pages_validate_the_oauth_request_too(lc, http):
    for path in ("/login", "/signup", "/confirm"):
        bad = await http.get(f"{path}?client_id=web-client&redirect_uri=https://evil.example/")
        assert bad.status_code == 302, path
        assert bad.headers["location"].startswith("/error?"), path


async def test_error_page(lc, http):
    page = await http.get("/error", params={"error": "redirect_mismatch", "client_id": "x"})
    assert page.status_code == 400
    assert "redirect URI" in page.text
    assert page.headers["x-frame-options"] == "DENY"
    other = await http.get("/error", params={"error": "<script>alert(1)</script>"})
    assert "<script>alert" not in other.text


async def test_stylesheet_is_served_locally(lc, http):
    css = await http.get("/static/hosted-ui.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    assert "http" not in css.text


async def test_implicit_flow_when_allowed(lc, http):
    from cognito_gate.local import ClientConfig

    lc.add_client(
        ClientConfig(
            "implicit-client",
            callback_urls=("https://spa.example.com/i",),
            allowed_flows=("code", "implicit"),
        )
    )
    await sign_in(http, lc)
    response = await http.get(
        "/oauth2/authorize",
        params={
            "response_type": "token",
            "client_id": "implicit-client",
            "state": "z",
            "redirect_uri": "https://spa.example.com/i",
            "scope": "openid",
        },
    )
    location = response.headers["location"]
    assert location.startswith("https://spa.example.com/i#access_token=")
    assert "id_token=" in location
    assert "refresh_token" not in location
    assert "state=z" in location
