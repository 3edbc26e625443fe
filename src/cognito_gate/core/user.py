"""The signed-in user as the app sees it, built once from verified claims."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["User"]


@dataclass(frozen=True, slots=True)
class User:
    """Who is signed in. Key local records by (``issuer``, ``sub``), never by email (IDT-23).

    ``claims`` are the verified ID-token claims (empty for bearer-token API callers) and
    ``access_claims`` the verified access-token claims; authorise on those, e.g. ``groups``.
    Both are read-only (arrays are tuples): they are shared with later requests; ``dict(...)``
    gives a copy to change.
    """

    sub: str
    username: str
    email: str | None
    email_verified: bool
    groups: tuple[str, ...]
    expires_at: float
    issuer: str
    claims: Mapping[str, Any]
    access_claims: Mapping[str, Any]

    @property
    def scopes(self) -> frozenset[str]:
        """Scopes granted to the access token (Cognito puts them space-separated in ``scope``)."""
        scope = self.access_claims.get("scope")
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
            groups=tuple(g for g in groups if isinstance(g, str))
            if isinstance(groups, list | tuple) else (),
            expires_at=float(access_claims["exp"]),
            issuer=str(source["iss"]),
            claims=id_claims,
            access_claims=access_claims,
        )
