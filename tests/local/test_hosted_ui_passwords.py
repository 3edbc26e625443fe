"""The hosted UI's password pages: the forced change after a temporary password, the reset by
code (forgot password), and the refusals the accounts layer shares with the JSON API."""

from __future__ import annotations

from urllib.parse import urlencode

from .helpers import DEMO_EMAIL, DEMO_PASSWORD, csrf_of, query_of, submit_login

AUTHORIZE = {
    "response_type": "code",
    "client_id": "web-client",
    "redirect_uri": "https://app.example.com/callback",
    "state": "s1",
    "scope": "openid email",
}
QUERY = urlencode(AUTHORIZE)
LOGIN = f"/login?{QUERY}"
NEW = {"password": "Brand-new-pass-1", "confirm_password": "Brand-new-pass-1"}


async def post_page(http, url: str, fields: dict[str, str]):
    page = await http.get(url)
    assert page.status_code == 200, page.text
    return await http.post(url, data={**fields, "_csrf": csrf_of(page)})


async def test_temporary_password_leads_to_the_change_password_page(lc, http):
    lc.add_user("temp@example.com", "Temp-pass-123", temporary=True)
    signed = await submit_login(http, LOGIN, "temp@example.com", "Temp-pass-123")
    assert signed.status_code == 302
    change = signed.headers["location"]
    assert change.startswith("/changePassword?")
    assert query_of(change)["username"] == "temp@example.com"
    page = await http.get(change)
    assert "Change your password" in page.text
    assert 'name="confirm_password"' in page.text
    mismatch = await http.post(change, data={
        "username": "temp@example.com", "password": "Brand-new-pass-1",
        "confirm_password": "Other-pass-1", "_csrf": csrf_of(page)})
    assert mismatch.status_code == 400
    assert "do not match" in mismatch.text
    weak = await http.post(change, data={"username": "temp@example.com", "password": "weak",
                                         "confirm_password": "weak", "_csrf": csrf_of(page)})
    assert weak.status_code == 400
    assert lc.user("temp@example.com").status == "FORCE_CHANGE_PASSWORD"
    done = await http.post(change, data={"username": "temp@example.com", **NEW,
                                         "_csrf": csrf_of(page)})
    assert done.status_code == 302
    back = query_of(done.headers["location"])
    assert back["state"] == "s1"
    assert lc.user("temp@example.com").status == "CONFIRMED"
    assert "cognito" in http.cookies  # signed in: the hosted-UI session started


async def test_change_password_needs_the_browser_that_gave_the_temporary_one(lc, http):
    lc.add_user("temp2@example.com", "Temp-pass-123", temporary=True)
    change = f"/changePassword?{QUERY}&username=temp2%40example.com"
    response = await post_page(http, change, {"username": "temp2@example.com", **NEW})
    assert response.status_code == 400
    assert "session has expired" in response.text
    assert lc.user("temp2@example.com").status == "FORCE_CHANGE_PASSWORD"


async def test_disabled_user_cannot_sign_in_and_loses_the_session(lc, http):
    signed = await submit_login(http, LOGIN, DEMO_EMAIL, DEMO_PASSWORD)
    assert signed.status_code == 302
    silent = await http.get(f"/oauth2/authorize?{QUERY}")
    assert "code=" in silent.headers["location"]
    lc.disable_user(DEMO_EMAIL)
    again = await http.get(f"/oauth2/authorize?{QUERY}")
    assert again.headers["location"].startswith("/login?")  # the session no longer counts
    refused = await submit_login(http, LOGIN, DEMO_EMAIL, DEMO_PASSWORD)
    assert refused.status_code == 400
    assert "User is disabled." in refused.text
    wrong = await submit_login(http, LOGIN, DEMO_EMAIL, "Wrong-password-1")
    assert "Incorrect username or password." in wrong.text
    lc.enable_user(DEMO_EMAIL)
    assert (await submit_login(http, LOGIN, DEMO_EMAIL, DEMO_PASSWORD)).status_code == 302


async def test_forgot_password_resets_by_code(lc, http):
    login = await http.get(LOGIN)
    assert f'href="/forgotPassword?{QUERY.replace("&", "&amp;")}"' in login.text
    sent = await post_page(http, f"/forgotPassword?{QUERY}", {"username": "Demo@Example.com"})
    assert sent.status_code == 302
    confirm = sent.headers["location"]
    assert confirm.startswith("/confirmForgotPassword?")
    code = lc.last_reset_code(DEMO_EMAIL)
    page = await http.get(confirm)
    assert "Reset your password" in page.text
    assert DEMO_EMAIL in page.text
    fields = {"username": DEMO_EMAIL, "_csrf": csrf_of(page), **NEW}
    wrong = await http.post(confirm, data={**fields, "code": "x" + code})
    assert wrong.status_code == 400
    assert "Invalid verification code" in wrong.text
    done = await http.post(confirm, data={**fields, "code": code})
    assert done.status_code == 200
    assert "Your password has been reset" in done.text
    assert (await submit_login(http, LOGIN, DEMO_EMAIL, DEMO_PASSWORD)).status_code == 400
    signed = await submit_login(http, LOGIN, DEMO_EMAIL, NEW["password"])
    assert signed.status_code == 302


async def test_forgot_password_refusals(lc, http):
    lc.add_user("temp3@example.com", "Temp-pass-123", temporary=True)
    url = f"/forgotPassword?{QUERY}"
    temporary = await post_page(http, url, {"username": "temp3@example.com"})
    assert temporary.status_code == 400
    assert "cannot be reset in the current state" in temporary.text
    unknown = await post_page(http, url, {"username": "nobody@example.com"})
    assert unknown.status_code == 400
    assert "combination not found" in unknown.text
    assert lc.last_reset_code("nobody@example.com") is None


async def test_reset_required_user_is_sent_to_the_reset_code_page(lc, http):
    lc.add_user("reset@example.com", "Reset-pass-123", attributes={"email_verified": "true"})
    lc.accounts.admin_reset_password(lc.user("reset@example.com"))
    response = await submit_login(http, LOGIN, "reset@example.com", "Reset-pass-123")
    assert response.status_code == 302
    assert response.headers["location"].startswith("/confirmForgotPassword?")
