"""CK-09: route protection survives path tricks and every method; pages are sent to sign in,
API and XHR callers get 401 JSON — never a redirect to Cognito they could not follow.

Paths go straight to the app's ASGI callable (``World.raw``) exactly as written, as a server
would pass them on: httpx would normalise ``..`` before sending.
"""

from __future__ import annotations

import json
from urllib.parse import unquote

import pytest

from .harness import APP_URL, World, query_of

TRICKS = [
    "/protected", "/protected/", "/PROTECTED", "/Protected/x", "/protected/..;/",
    "/public/../protected", "/public/..%2Fprotected", "/public%2F..%2Fprotected",
    "/%70rotected", "/%2570rotected", "//protected", "/./protected", "/protected.json",
    "/protected;x=1", "/protected%3Bx=1", "/protected/%2e%2e/protected", "/\\protected",
    "/protected%00", "/protectedfoo", "/api/me", "/API/me", "/api//me", "/public/..;/api/me",
]
SECRETS = (b"secret page", b"protected content", b'"email"')
BROWSER = [("accept", "text/html,application/xhtml+xml,*/*;q=0.8"),
           ("sec-fetch-mode", "navigate"), ("sec-fetch-dest", "document")]


@pytest.mark.parametrize("path", TRICKS)
async def test_CK_09_every_path_trick_is_protected_for_a_page(pool_world: World,
                                                              path: str) -> None:
    for method in ("GET", "HEAD", "OPTIONS", "POST", "PUT", "DELETE"):
        status, headers, body = await pool_world.raw(method, path, BROWSER)

        assert status == 303, f"{method} {path} → {status}"
        location = headers["location"]
        assert location.startswith(APP_URL + "/login?return_to=")
        return_to = query_of(location)["return_to"]
        assert return_to.startswith("/")
        assert not return_to.startswith(("//", "/\\"))
        assert not any(secret in body for secret in SECRETS)
        assert headers["cache-control"] == "no-store"


@pytest.mark.parametrize("caller", [
    [("accept", "application/json")],
    [("sec-fetch-mode", "cors"), ("accept", "*/*")],
    [("x-requested-with", "XMLHttpRequest")],
    [("authorization", "Bearer not-a-token")],
    [("sec-fetch-mode", "cors"), ("origin", "https://evil.example")],
], ids=["accept-json", "fetch-cors", "xhr", "bearer", "cross-origin-fetch"])
async def test_CK_09_api_callers_get_401_json_never_a_redirect(
        pool_world: World, caller: list[tuple[str, str]]) -> None:
    for path in ("/api/me", "/protected", "/protected/x.json", "//api/me", "/public/../api/me"):
        status, headers, body = await pool_world.raw("GET", path, caller)

        assert status == 401, f"{path} → {status}"
        assert "location" not in headers
        assert headers["content-type"].startswith("application/json")
        assert headers["www-authenticate"].startswith("Bearer")
        answer = json.loads(body)
        assert answer["error"] in ("login_required", "token_invalid")
        assert "access-control-allow-origin" not in headers


async def test_CK_09_cors_preflight_is_not_redirected(pool_world: World) -> None:
    status, headers, _ = await pool_world.raw("OPTIONS", "/api/me", [
        ("origin", "https://evil.example"), ("access-control-request-method", "GET"),
        ("sec-fetch-mode", "cors")])

    assert status == 401
    assert "location" not in headers
    assert "access-control-allow-origin" not in headers


@pytest.mark.parametrize("path", ["/", "/public", "/public/", "/?next=/protected"])
async def test_CK_09_only_the_public_paths_are_served_anonymously(pool_world: World,
                                                                  path: str) -> None:
    status, _, body = await pool_world.raw("GET", path, BROWSER)

    assert status in (200, 307), f"{path} → {status}"  # /public/ → Starlette's slash redirect
    assert b"Signed in" not in body


async def test_CK_09_signed_in_user_reaches_the_same_content(pool_world: World) -> None:
    """The normalisation is for the access decision only: routing is left to the app."""
    w = pool_world
    await w.sign_in("/protected")
    status, _, body = await w.raw("GET", "/protected/reports", BROWSER)
    assert status == 200
    assert body == b"protected content at /protected/reports"
    status, _, body = await w.raw("GET", "/protected", [("accept", "application/json")])
    assert status == 200


async def test_CK_09_return_to_keeps_a_plain_deep_link(pool_world: World) -> None:
    status, headers, _ = await pool_world.raw("GET", "/protected/a%20b/c?x=1&y=%2F", BROWSER)

    assert status == 303
    assert unquote(query_of(headers["location"])["return_to"]) == "/protected/a b/c?x=1&y=/"
