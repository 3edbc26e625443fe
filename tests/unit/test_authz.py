"""Requirements (groups: any by default, scopes: all by default) and who counts as a machine."""

from __future__ import annotations

import time
from typing import Any

import pytest

from cognito_gate import Machine, User, groups, scopes, signed_in
from cognito_gate.core.claims import check_bearer_claims
from cognito_gate.core.errors import TokenRejected

ISS = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Pool"


def user(groups_: tuple[str, ...] = (), scope: str = "openid") -> User:
    access = {"sub": "u", "iss": ISS, "exp": 2e9, "scope": scope, "cognito:groups": list(groups_),
              "username": "u"}
    return User.from_claims({}, access)


def machine(scope: str) -> Machine:
    return Machine.from_claims({"client_id": "m", "sub": "m", "iss": ISS, "exp": 2e9,
                                "scope": scope})


def test_groups_match_any_by_default_and_every_one_with_all() -> None:
    assert groups("admins", "editors").allows(user(("editors",)))
    assert not groups("admins", "editors", all=True).allows(user(("editors",)))
    assert groups("admins", "editors", all=True).allows(user(("admins", "editors")))
    assert not groups("admins").allows(None)


def test_scopes_match_all_by_default_and_one_with_any() -> None:
    assert not scopes("a/read", "a/write").allows(machine("a/read"))
    assert scopes("a/read", "a/write", any=True).allows(machine("a/read"))
    assert scopes("a/read").allows(user(scope="openid a/read"))


def test_a_machine_is_never_a_signed_in_user_nor_in_a_group() -> None:
    robot = machine("a/read")
    assert not signed_in.allows(robot)
    assert not groups("a/read").allows(robot)
    assert signed_in.allows(user())


def test_a_requirement_needs_names() -> None:
    with pytest.raises(ValueError, match="one or more"):
        groups()
    with pytest.raises(ValueError, match="one or more"):
        scopes("")


def _claims(**over: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {"iss": ISS, "token_use": "access", "sub": "robot", "client_id": "robot",
              "iat": now, "exp": now + 3600, "scope": "a/read"}
    claims.update(over)
    return {k: v for k, v in claims.items() if v is not ...}


@pytest.mark.parametrize("over", [{"username": "someone"}, {"sub": "other"},
                                  {"cognito:username": "x"}, {"client_id": ...}])
def test_only_a_client_credentials_token_of_another_client_is_a_machine(over: Any) -> None:
    check_bearer_claims(_claims(), issuer=ISS, client_id="web", now=time.time(), leeway=60)
    with pytest.raises(TokenRejected):
        check_bearer_claims(_claims(**over), issuer=ISS, client_id="web", now=time.time(),
                            leeway=60)
