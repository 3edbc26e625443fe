"""Hostile and malformed requests get Cognito's error for the case — never a 500."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .helpers import basic

PATHS = [
    "/oauth2/authorize",
    "/login",
    "/signup",
    "/confirm",
    "/logout",
    "/oauth2/token",
    "/oauth2/userInfo",
    "/oauth2/revoke",
    "/error",
    "/eu-west-1_TestPool1/.well-known/jwks.json",
    "/eu-west-1_TestPool1/.well-known/openid-configuration",
]


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_garbage_never_500(lc, http, path, method):
    queries = [
        "",
        "client_id=web-client&client_id=x",
        "%ff%fe=%00",
        "a=" + "x" * 20000,
        "redirect_uri=https://app.example.com/callback&client_id=web-client&state=%ZZ",
        "response_type=code&client_id=web-client&redirect_uri=https%3A%2F%2Fapp.example.com"
        "%2Fcallback&nonce=%ff",
    ]
    bodies = [b"", b"\xff\xfe\x00", b"a=1&a=2", b'{"json": true}', b"=" * 70000, b"&" * 100]
    headers = [
        {},
        {"Content-Type": "application/json"},
        {"Content-Type": "application/x-www-form-urlencoded"},
        {"Authorization": b"Basic \xc3\xa9"},
        {"Authorization": "Bearer"},
        {"Cookie": "cognito=\"'; XSRF-TOKEN=<x>"},
    ]
    for query in queries:
        for body in bodies if method == "POST" else [b""]:
            for extra in headers:
                response = await http.request(
                    method, f"{path}?{query}", content=body, headers=extra
                )
                assert response.status_code < 500, (path, query, body[:20], extra)
                assert "Traceback" not in response.text


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=st.binary(max_size=300), auth=st.text(max_size=60))
async def test_token_endpoint_fuzz(lc, http, body, auth):
    try:
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Authorization": auth}
        response = await http.post("/oauth2/token", content=body, headers=headers)
    except (UnicodeEncodeError, ValueError):  # httpx itself refuses some header values
        return
    assert response.status_code in (400, 401)
    assert response.json()["error"] in ("invalid_request", "invalid_client")


async def test_oversized_body_is_invalid_request(lc, http):
    response = await http.post(
        "/oauth2/token",
        content=b"a=" + b"x" * 70000,
        headers={
            **basic("web-client", "webSecret123"),
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    assert response.json() == {"error": "invalid_request"}


async def test_unexpected_exception_is_a_cognito_shaped_error(lc, http, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(lc.store, "refresh_token", explode)
    response = await http.post(
        "/oauth2/token",
        data={"grant_type": "refresh_token", "refresh_token": "x"},
        headers=basic("web-client", "webSecret123"),
    )
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_request"}
    monkeypatch.setattr(lc.sessions, "current", explode)
    page = await http.get(
        "/login?client_id=web-client&redirect_uri=https://app.example.com/callback&response_type=code"
    )
    assert page.status_code == 400
    assert "boom" not in page.text
    assert "Traceback" not in page.text


async def test_secrets_never_logged(lc, http, caplog):
    import logging

    from .helpers import tokens_for

    caplog.set_level(logging.DEBUG)
    tokens, auth = await tokens_for(http, lc)
    await http.post(
        "/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": auth.code,
            "redirect_uri": auth.redirect_uri,
        },
        headers=basic("web-client", "webSecret123"),
    )  # replay: logged
    assert "replayed" in caplog.text
    for secret in (
        "Demo-password-1",
        "webSecret123",
        auth.code,
        tokens["refresh_token"],
        tokens["access_token"],
    ):
        assert secret not in caplog.text
