"""The hosted UI's cookies and the token signatures are written by hand for speed (issue 10):
they must stay byte for byte what the general-purpose code they replaced wrote."""

from __future__ import annotations

import json

import pytest
from joserfc import jws
from starlette.responses import Response

from cognito_gate.local import LocalCognito
from cognito_gate.local.faults import TokenFault
from cognito_gate.local.forms import BadRequest, parse_params
from cognito_gate.local.responses import set_cookie
from cognito_gate.local.signing import sign_jwt


@pytest.mark.parametrize("secure", [False, True])
@pytest.mark.parametrize("max_age", [None, 0, 3600])
@pytest.mark.parametrize("value", ["Ab-_09", "", 'a "quoted", spaced\\value', "é"])
def test_set_cookie_writes_exactly_what_starlette_writes(secure, max_age, value) -> None:
    ours, theirs = Response(), Response()
    set_cookie(ours, "cognito", value, secure=secure, max_age=max_age)
    theirs.set_cookie(
        "cognito", value, max_age=max_age, path="/", httponly=True, samesite="lax",
        secure=secure,
    )
    assert ours.raw_headers == theirs.raw_headers


def test_a_real_token_has_the_header_joserfc_writes_and_verifies() -> None:
    lc = LocalCognito(password_cost=4)
    key = lc.keys.signing_key("id")
    for _ in range(2):  # the second time from the cached header
        token = sign_jwt({"sub": "x", "é": "ü"}, key, None, lc.keys.foreign_key)
        expected = jws.serialize_compact(
            {"kid": key.kid, "alg": "RS256"},
            json.dumps({"sub": "x", "é": "ü"}, separators=(",", ":"), ensure_ascii=False),
            key.jose_key,
        )
        assert token == expected
    lc.close()


def test_a_fault_header_is_not_taken_from_the_cache() -> None:
    lc = LocalCognito(password_cost=4)
    key = lc.keys.signing_key("id")
    sign_jwt({"sub": "x"}, key, None, lc.keys.foreign_key)  # caches the plain header
    token = sign_jwt({"sub": "x"}, key, TokenFault(header={"typ": "evil"}), lc.keys.foreign_key)
    header = jws.extract_compact(token.encode()).protected
    assert header == {"kid": key.kid, "alg": "RS256", "typ": "evil"}
    lc.close()


def test_a_kept_query_is_returned_as_a_copy_and_duplicates_still_refused() -> None:
    first = parse_params("a=1&b=2", exact=True)
    first["a"] = "changed"
    assert parse_params("a=1&b=2", exact=True) == {"a": "1", "b": "2"}
    for _ in range(2):
        with pytest.raises(BadRequest):
            parse_params("a=1&a=2", exact=True)
