"""Path normalisation for route protection (CK-09), paths under a mount prefix, and
browser-vs-API detection."""

from __future__ import annotations

import pytest

from cognito_gate.asgi.callers import is_api_call
from cognito_gate.asgi.cookieheader import find_cookie, parse_cookies
from cognito_gate.asgi.location import app_path, return_to, url_prefix
from cognito_gate.asgi.paths import ProtectedPaths, normalise_path

PROTECT = ProtectedPaths(("/protected", "/Admin/"))


@pytest.mark.parametrize("path", [
    "/protected", "/protected/", "/PROTECTED", "/Protected/x", "//protected", "/protected;x=1",
    "/%70rotected", "/%2570rotected", "/public/../protected", "/./protected", "/protected.json",
    "\\protected", "/admin", "/ADMIN/..;/", "/x/../admin/", "/%61dmin", "/admin;jsessionid=1",
])
def test_CK_09_protected_variants(path: str):
    assert PROTECT(path)


@pytest.mark.parametrize("path", ["/", "/public", "/login", "/prot", "/public/protected"])
def test_public_paths_stay_public(path: str):
    assert not PROTECT(path)


def test_normalise_path():
    assert normalise_path("/A//b/./c/../D;x") == "/a/b/d"
    assert normalise_path("/../../etc") == "/etc"


@pytest.mark.parametrize(("headers", "api"), [
    ([(b"accept", b"text/html,application/xhtml+xml")], False),
    ([(b"sec-fetch-mode", b"navigate"), (b"accept", b"text/html")], False),
    ([], False),
    ([(b"accept", b"application/json")], True),
    ([(b"accept", b"application/json, text/html")], False),
    ([(b"x-requested-with", b"XMLHttpRequest")], True),
    ([(b"sec-fetch-mode", b"cors")], True),
    ([(b"authorization", b"Bearer abc")], True),
    ([(b"authorization", b"Basic abc")], False),
])
def test_browser_versus_api(headers, api):
    assert is_api_call(headers) is api


def test_cookie_header_reading():
    header = b"x__Host-cg.0=evil; __Host-cg.0=good; other=1"
    assert find_cookie(header, b"__Host-cg.0=") == b"good"
    assert find_cookie(b"a=1", b"__Host-cg.0=") is None
    assert parse_cookies(b"a=1; b=2; a=3") == {"a": "", "b": "2"}


@pytest.mark.parametrize(("path", "root", "relative"), [
    ("/app/protected", "/app", "/protected"),  # Mount("/app", …), uvicorn --root-path /app
    ("/app", "/app", "/"),
    ("/app/", "/app", "/"),
    ("/application/x", "/app", "/application/x"),  # not under the prefix: read as is
    ("/protected", "/app", "/protected"),  # a server that left the prefix out of the path
    ("/a/b/protected", "/a/b", "/protected"),
    ("/protected", "", "/protected"),
])
def test_app_path_is_relative_to_the_mount_prefix(path: str, root: str, relative: str):
    assert app_path({"path": path, "root_path": root}) == relative


@pytest.mark.parametrize(("root", "prefix"), [
    ("", ""), ("/app", "/app"), ("/app/", "/app"), ("//evil.example", "/evil.example"),
    ("/my app", "/my%20app"), ("/a\\b", "/a%5Cb"),
])
def test_url_prefix_is_one_plain_path(root: str, prefix: str):
    assert url_prefix({"root_path": root}) == prefix


@pytest.mark.parametrize(("scope", "target"), [
    ({"path": "/app/x y", "raw_path": b"/app/x%20y", "root_path": "/app", "query_string": b"a=1"},
     "/x%20y?a=1"),
    ({"path": "/app/x", "raw_path": b"/%61pp/x", "root_path": "/app", "query_string": b""}, "/x"),
    ({"path": "/app//evil.example", "raw_path": b"/app//evil.example", "root_path": "/app",
      "query_string": b""}, "/"),
    ({"path": "/x", "raw_path": b"/x", "root_path": "", "query_string": b""}, "/x"),
])
def test_return_to_is_app_relative(scope: dict[str, object], target: str):
    assert return_to(scope) == target
