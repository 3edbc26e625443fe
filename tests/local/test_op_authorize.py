"""OP-05, OP-06, OP-07, OP-20: the authorization endpoint trusts nothing until client and
redirect_uri check out, answers the app with errors carrying its state, and hardens its pages."""

from __future__ import annotations

from urllib.parse import quote, urlencode

import pytest

from cognito_gate.local import ClientConfig, ConfigError

from .helpers import DEMO_EMAIL, DEMO_PASSWORD, csrf_of, query_of

REGISTERED = "https://app.example.com/callback"


def authorize_url(**params: str) -> str:
    base = {
        "response_type": "code",
        "client_id": "web-client",
        "redirect_uri": REGISTERED,
        "state": "st",
    }
    merged = {k: v for k, v in {**base, **params}.items() if v is not None}
    return "/oauth2/authorize?" + urlencode(merged)


def assert_error_page(response, error: str) -> None:
    assert response.status_code == 302
    location = response.headers["location"]
    assert location.startswith("/error?"), location
    assert query_of(location)["error"] == error


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "https://unregistered.example.com/callback",
        REGISTERED + "/extra",
        REGISTERED + "?added=1",
        "https://app.example.com/CALLBACK",
        REGISTERED + "/",
        "https://app.example.com:8443/callback",
        "http://app.example.com/callback",
        "https://app.example.com.evil.example/callback",
        "https://app.example.com@evil.example/callback",
        REGISTERED + "#fragment",
        "https://app.example.com/%63allback",
        "http://localhost:8000/callback",
    ],
)
async def test_OP_05_exact_redirect_uri_match(lc, http, redirect_uri):
    response = await http.get(authorize_url(redirect_uri=redirect_uri))
    assert_error_page(response, "redirect_mismatch")
    assert query_of(response.headers["location"])["client_id"] == "web-client"


async def test_OP_05_error_page_is_on_own_origin_and_renders(lc, http):
    response = await http.get(authorize_url(redirect_uri="https://evil.example/cb"))
    page = await http.get(response.headers["location"])
    assert page.status_code == 400
    assert "redirect URI" in page.text
    assert "evil.example" not in page.text


async def test_OP_05_registered_loopback_http_callback_is_allowed(lc, http):
    response = await http.get(authorize_url(redirect_uri="http://localhost:8000/callback/"))
    assert response.headers["location"].startswith("/login?")


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"client_id": "no-such-client"}, "invalid_client"),
        ({"client_id": None}, "invalid_request"),
        ({"redirect_uri": None}, "invalid_request"),
        ({"redirect_uri": "https://other.example.com/cb"}, "redirect_mismatch"),
    ],
)
async def test_OP_06_never_redirect_to_untrusted_uri(lc, http, params, error):
    response = await http.get(authorize_url(**params))
    assert_error_page(response, error)


async def test_OP_06_duplicated_client_or_redirect_is_untrusted(lc, http):
    query = (
        urlencode({"response_type": "code", "client_id": "web-client", "redirect_uri": REGISTERED})
        + "&redirect_uri="
        + quote("https://evil.example/")
    )
    assert_error_page(await http.get(f"/oauth2/authorize?{query}"), "invalid_request")


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"response_type": None}, "invalid_request"),
        ({"response_type": "token"}, "unauthorized_client"),
        ({"response_type": "id_token"}, "invalid_request"),
        ({"scope": "openid unknown-scope"}, "invalid_scope"),
        ({"prompt": "none"}, "login_required"),
    ],
)
async def test_OP_07_errors_redirect_with_state(lc, http, params, error):
    response = await http.get(authorize_url(**params))
    assert response.status_code == 302
    location = response.headers["location"]
    assert location.startswith(REGISTERED + "?")
    got = query_of(location)
    assert got["error"] == error
    assert got["state"] == "st"


async def test_OP_07_long_hostile_state_returned_exactly(lc, http):
    state = ("a+b/c=d%e&f ü€" * 40)[:512]
    response = await http.get(authorize_url(response_type="id_token", state=state))
    assert query_of(response.headers["location"])["state"] == state


async def test_OP_07_undecodable_state_bytes_return_byte_exact(lc, http):
    raw = "%FF%FEabc%2B"
    query = urlencode({"client_id": "web-client", "redirect_uri": REGISTERED})
    response = await http.get(f"/oauth2/authorize?{query}&state={raw}")
    assert response.headers["location"].endswith("state=%FF%FEabc%2B")


async def test_OP_07_state_preserved_through_sign_in(lc, http):
    state = "x+y z/=%&ü" * 20
    response = await http.get(authorize_url(state=state, scope="openid"))
    login = response.headers["location"]
    page = await http.get(login)
    form = {"username": DEMO_EMAIL, "password": DEMO_PASSWORD, "_csrf": csrf_of(page)}
    done = await http.post(login, data=form)
    assert query_of(done.headers["location"])["state"] == state


async def test_OP_07_scope_error_in_cognito_shape(lc, http):
    from dataclasses import replace

    lc.config = replace(lc.config, scope_error_shape="cognito")
    response = await http.get(authorize_url(scope="bogus"))
    got = query_of(response.headers["location"])
    assert got == {"error_description": "invalid_scope", "error": "invalid_request", "state": "st"}


async def test_OP_07_unknown_scopes_can_be_ignored(lc, http):
    from dataclasses import replace

    lc.config = replace(lc.config, unknown_scopes="ignore")
    response = await http.get(authorize_url(scope="openid bogus"))
    assert response.headers["location"].startswith("/login?")


async def test_OP_07_code_flow_is_the_only_default_flow(lc):
    assert lc.demo_client.allowed_flows == ("code",)


async def test_OP_20_login_page_cannot_be_framed(lc, http):
    response = await http.get((await http.get(authorize_url())).headers["location"])
    assert response.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


async def test_OP_20_redirect_after_credential_post_is_302(lc, http):
    login = (await http.get(authorize_url())).headers["location"]
    page = await http.get(login)
    form = {"username": DEMO_EMAIL, "password": DEMO_PASSWORD, "_csrf": csrf_of(page)}
    response = await http.post(login, data=form)
    assert response.status_code == 302


async def test_OP_20_no_cors_on_authorize(lc, http):
    preflight = await http.options(
        authorize_url(),
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
    )
    assert not any(h.startswith("access-control-") for h in preflight.headers)
    response = await http.get(authorize_url(), headers={"Origin": "https://evil.example"})
    assert not any(h.startswith("access-control-") for h in response.headers)


def test_OP_20_http_callbacks_refused_except_loopback():
    with pytest.raises(ConfigError, match="callback_urls"):
        ClientConfig("c1", callback_urls=("http://app.example.com/cb",))
    for url in ("http://localhost:3000/cb", "http://127.0.0.1/cb", "http://[::1]:8080/cb"):
        ClientConfig("c1", callback_urls=(url,))


async def test_OP_20_login_form_needs_csrf(lc, http):
    login = (await http.get(authorize_url())).headers["location"]
    await http.get(login)
    for csrf in (None, "wrong-token-wrong-token-wrong-token-1234"):
        form = {"username": DEMO_EMAIL, "password": DEMO_PASSWORD}
        if csrf:
            form["_csrf"] = csrf
        response = await http.post(login, data=form)
        assert response.status_code == 400
        assert "expired" in response.text
    http.cookies.clear()
    response = await http.post(
        login, data={"username": DEMO_EMAIL, "password": DEMO_PASSWORD, "_csrf": "x" * 43}
    )
    assert response.status_code == 400
