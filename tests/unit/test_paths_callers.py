"""Path normalisation for route protection (CK-09) and browser-vs-API detection."""

from __future__ import annotations

import pytest

from cognito_gate.asgi.callers import is_api_call
from cognito_gate.asgi.cookieheader import find_cookie, parse_cookies
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
