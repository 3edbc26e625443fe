"""Authorization: who may pass a route, decided on verified claims only.

A route asks for a :class:`Requirement`: ``groups(...)`` (``cognito:groups`` of a signed-in user)
or ``scopes(...)`` (the access token's ``scope``, user or machine). Groups match when the user is
in **any** of them (``all=True``: every one); scopes match when the token has **all** of them
(``any=True``: at least one) — OAuth's convention, where a route names each scope it needs.

A :class:`Machine` is a caller without a user: a client-credentials access token (``sub`` is the
client id, no ``username``, custom ``resource/name`` scopes). It passes scope requirements only;
it is never a ``User`` and never in a group.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .user import User

__all__ = ["Machine", "Requirement", "groups", "scopes", "signed_in"]


@dataclass(frozen=True, slots=True)
class Machine:
    """A machine-to-machine caller (client-credentials grant), from its verified access token."""

    client_id: str
    scopes: frozenset[str]
    expires_at: float
    issuer: str
    access_claims: Mapping[str, Any]

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any]) -> Machine:
        scope = claims.get("scope")
        return cls(client_id=str(claims["client_id"]),
                   scopes=frozenset(scope.split()) if isinstance(scope, str) else frozenset(),
                   expires_at=float(claims["exp"]), issuer=str(claims["iss"]),
                   access_claims=claims)


@dataclass(frozen=True, slots=True)
class Requirement:
    """What a caller must have: ``kind`` is "user" (any signed-in user), "groups" or "scopes"."""

    kind: str
    names: tuple[str, ...] = ()
    every: bool = False

    def allows(self, caller: User | Machine | None) -> bool:
        if caller is None:
            return False
        if self.kind == "scopes":
            return (all if self.every else any)(n in caller.scopes for n in self.names)
        if not isinstance(caller, User):
            return False  # a machine has no user: neither signed in nor in any group
        if self.kind == "groups":
            return (all if self.every else any)(n in caller.groups for n in self.names)
        return True

    @property
    def machines_allowed(self) -> bool:
        return self.kind == "scopes"


def _names(kind: str, names: tuple[str, ...]) -> tuple[str, ...]:
    if not names or not all(isinstance(n, str) and n and not n.isspace() for n in names):
        raise ValueError(f"{kind}(...) needs one or more non-empty names")
    return names


def groups(*names: str, all: bool = False) -> Requirement:
    """A signed-in user in any of these Cognito groups (``all=True``: in every one)."""
    return Requirement("groups", _names("groups", names), all)


def scopes(*names: str, any: bool = False) -> Requirement:
    """An access token (a user's or a machine's) with all of these scopes (``any=True``: one)."""
    return Requirement("scopes", _names("scopes", names), not any)


#: Any signed-in user: what a plain protected prefix asks for.
signed_in = Requirement("user")
