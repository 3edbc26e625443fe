"""The signed-in user as the app sees it, built once from verified claims."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .compact import Compact, VerifiedClaims, shared

__all__ = ["User"]


def _kept(claims: Mapping[str, Any]) -> Mapping[str, Any] | Compact:
    """What a ``User`` holds of ``claims``: the verifier's shared compact copy when there is one."""
    kept = claims.compact if isinstance(claims, VerifiedClaims) else None
    return claims if kept is None else kept


def _groups(groups: object) -> tuple[str, ...]:
    """The group names, as one tuple shared by every user in the same groups."""
    if not isinstance(groups, list | tuple):
        return ()
    names: tuple[str, ...] = shared(tuple(g for g in groups if isinstance(g, str)))
    return names


def _shown(kept: Mapping[str, Any] | Compact) -> Mapping[str, Any]:
    return kept.claims() if type(kept) is Compact else kept  # type: ignore[return-value]


@dataclass(frozen=True, slots=True, init=False)
class User:
    """Who is signed in. Key local records by (``issuer``, ``sub``), never by email (IDT-23).

    ``claims`` are the verified ID-token claims (empty for bearer-token API callers) and
    ``access_claims`` the verified access-token claims; authorise on those, e.g. ``groups``.
    Both are read-only (arrays are tuples): they are shared with later requests; ``dict(...)``
    gives a copy to change. A cached session keeps them compactly (``core/compact.py``): each
    read of ``claims``/``access_claims`` rebuilds an equal dict (a few µs), so read them once
    per request; the other attributes are plain values.
    """

    sub: str
    username: str
    email: str | None
    email_verified: bool
    groups: tuple[str, ...]
    expires_at: float
    issuer: str
    _claims: Mapping[str, Any] | Compact = field(repr=False)
    _access_claims: Mapping[str, Any] | Compact = field(repr=False)
    _scope: object = field(repr=False)  # the access token's ``scope`` claim (rules read it)

    def __init__(self, *, sub: str, username: str, email: str | None, email_verified: bool,
                 groups: tuple[str, ...], expires_at: float, issuer: str,
                 claims: Mapping[str, Any], access_claims: Mapping[str, Any]) -> None:
        put = object.__setattr__
        put(self, "sub", sub)
        put(self, "username", username)
        put(self, "email", email)
        put(self, "email_verified", email_verified)
        put(self, "groups", groups)
        put(self, "expires_at", expires_at)
        put(self, "issuer", issuer)
        put(self, "_claims", _kept(claims))
        put(self, "_access_claims", _kept(access_claims))
        scope = access_claims.get("scope")  # the same for many users: one shared copy
        put(self, "_scope", sys.intern(scope) if type(scope) is str else scope)

    @property
    def claims(self) -> Mapping[str, Any]:
        """The verified ID-token claims (read-only)."""
        return _shown(self._claims)

    @property
    def access_claims(self) -> Mapping[str, Any]:
        """The verified access-token claims (read-only)."""
        return _shown(self._access_claims)

    @property
    def scopes(self) -> frozenset[str]:
        """Scopes granted to the access token (Cognito puts them space-separated in ``scope``)."""
        scope = self._scope
        return frozenset(scope.split()) if isinstance(scope, str) else frozenset()

    @classmethod
    def from_claims(cls, id_claims: Mapping[str, Any], access_claims: Mapping[str, Any]) -> User:
        """Build from verified claims; flags are parsed strictly (only ``true`` counts, IDT-20)."""
        source = id_claims or access_claims
        groups = access_claims.get("cognito:groups", source.get("cognito:groups"))
        email = id_claims.get("email")
        username = source.get("cognito:username", access_claims.get("username", ""))
        verified = id_claims.get("email_verified")
        return cls(
            sub=str(source["sub"]),
            username=username if isinstance(username, str) else "",
            email=email if isinstance(email, str) else None,
            email_verified=verified is True or verified == "true",
            groups=_groups(groups),
            expires_at=float(access_claims["exp"]),
            issuer=sys.intern(str(source["iss"])),
            claims=id_claims,
            access_claims=access_claims,
        )
