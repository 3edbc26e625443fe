"""Verified claims kept compactly (``core/compact.py``): what is rebuilt is what was verified,
value for value and type for type, and a session's two tokens keep their shared values once."""

from __future__ import annotations

from typing import Any

import pytest

from cognito_gate.core.compact import VerifiedClaims, compact
from cognito_gate.core.readonly import ReadOnlyDict, freeze
from cognito_gate.core.user import User

ISS = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Layout"


def id_claims(n: int, **extra: Any) -> dict[str, Any]:
    return freeze({"sub": f"sub-{n}", "iss": ISS, "aud": "client", "token_use": "id",
                   "cognito:username": f"user-{n}", "email": f"u{n}@example.com",
                   "email_verified": True, "auth_time": 1_700_000_000 + n,
                   "iat": 1_700_000_000 + n, "exp": 1_700_003_600 + n,
                   "cognito:groups": ["readers"], "jti": f"jti-id-{n}", **extra})


def access_claims(n: int) -> dict[str, Any]:
    return freeze({"sub": f"sub-{n}", "iss": ISS, "client_id": "client", "token_use": "access",
                   "scope": "openid email", "username": f"user-{n}",
                   "auth_time": 1_700_000_000 + n, "iat": 1_700_000_000 + n,
                   "exp": 1_700_003_600 + n, "cognito:groups": ["readers"],
                   "jti": f"jti-access-{n}", "version": 2})


def test_claims_come_back_equal_and_of_the_same_types():
    first = compact(b"k0", 1e9, id_claims(0))  # the layout's first token
    assert first.claims() == id_claims(0)
    odd = id_claims(1, email_verified=1, nested={"a": [1, 2.5, None]}, big=2**70, ratio=0.5)
    again = compact(b"k1", 1e9, odd).claims()
    assert again == odd
    assert type(again["email_verified"]) is int  # 1, not the layout's True
    assert again["nested"] == {"a": (1, 2.5, None)}
    assert type(again["nested"]) is ReadOnlyDict
    assert isinstance(again, ReadOnlyDict)
    with pytest.raises(TypeError):
        again["sub"] = "x"  # type: ignore[index]


def test_values_shared_with_the_layout_or_the_id_token_are_not_kept_again():
    compact(b"i0", 1e9, id_claims(0))
    compact(b"a0", 1e9, access_claims(0))
    ident = id_claims(7)
    id_kept = compact(b"i7", 1e9, ident)
    assert b"client" not in id_kept._text
    assert ISS.encode() not in id_kept._text
    access = access_claims(7)
    alone = compact(b"a7", 1e9, access)
    beside = compact(b"a7", 1e9, access, VerifiedClaims(ident, id_kept))
    assert beside.claims() == alone.claims() == access
    assert beside._text == b'["jti-access-7"]'  # sub, username, times: the ID token's
    assert len(beside._text) < len(alone._text) / 3


def test_a_user_keeps_the_verifiers_compact_copy_and_shows_the_same_claims():
    ident, access = id_claims(3), access_claims(3)
    id_kept = compact(b"i3", 1e9, ident)
    verified_id = VerifiedClaims(ident, id_kept)
    verified_access = VerifiedClaims(access, compact(b"a3", 1e9, access, verified_id))
    user = User.from_claims(verified_id, verified_access)
    assert user._claims is id_kept  # not the dict: one shared copy
    assert user.claims == ident
    assert user.access_claims == access
    assert user.scopes == frozenset({"openid", "email"})
    assert (user.sub, user.username, user.email, user.groups) == ("sub-3", "user-3",
                                                                  "u3@example.com", ("readers",))
    plain = User.from_claims(dict(ident), dict(access))  # built from plain dicts: as before
    assert plain.claims == ident
    assert plain == User.from_claims(dict(ident), dict(access))
