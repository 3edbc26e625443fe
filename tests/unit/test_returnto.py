"""Return-to validation: every RC-01 input falls back to "/", good paths pass unchanged."""

from __future__ import annotations

import pytest

from cognito_gate.core.returnto import safe_return_to


@pytest.mark.parametrize("value", [
    "https://evil.example", "//evil.example", "/\\evil.example", "\\\\evil.example",
    "/%2F%2Fevil.example", "/%5Cevil.example", "/%252F%252Fevil.example",
    "https:evil.example", "javascript:alert(1)", "data:text/html,<script>",
    "https://app.example@evil.example", "https://app.example.evil.example",
    "/path%0d%0aSet-Cookie:x", "/path\r\nSet-Cookie:x", "\t//evil.example", " //evil.example",
    "/\t/evil.example", "／／evil.example", "/／evil", "/" + "a" * 10_000, "", None,
    "evil.example", "/%00", "/a b",
])
def test_RC_01_unsafe_targets_fall_back(value):
    assert safe_return_to(value) == "/"


@pytest.mark.parametrize("value", [
    "/", "/protected", "/protected?x=1&y=2", "/a/b/", "/search?q=%2F%2F", "/%C3%A9t%C3%A9",
    "/100%25", "/a%ZZ", "/path#frag",
])
def test_RC_01_same_origin_paths_kept(value):
    assert safe_return_to(value) == value
