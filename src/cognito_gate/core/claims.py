"""Claim checks for Cognito ID and access tokens, each failure with its own reason code.

Presence and type are asserted before every comparison; a missing claim is never "nothing to
check" (IDT-12). Times accept only int/float (not bool, not strings, not absurd values) and one
leeway applies to ``exp``, ``nbf`` and ``iat`` alike (IDT-13, FT-11). ``exp`` is checked last so
that ``TokenExpired`` means "everything else was fine" — the only failure that may refresh (RF-06).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
from collections.abc import Mapping
from typing import Any

from .errors import TokenExpired, TokenRejected

__all__ = ["check_access_claims", "check_at_hash", "check_id_claims", "check_same_session"]

_MAX_TIME = 1e11  # year ~5138: anything larger is garbage, not a time


def _time(claims: Mapping[str, Any], name: str) -> float:
    value = claims.get(name)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TokenRejected(f"{name}_invalid")
    if not math.isfinite(value) or not 0 <= value < _MAX_TIME:
        raise TokenRejected(f"{name}_invalid")
    return float(value)


def _common(claims: Mapping[str, Any], issuer: str, token_use: str, now: float,
            leeway: int) -> float:
    """Checks shared by both token kinds; returns ``exp`` for the caller to check last."""
    iss = claims.get("iss")
    if not isinstance(iss, str) or iss != issuer:
        raise TokenRejected("iss_mismatch")
    if claims.get("token_use") != token_use:
        raise TokenRejected("token_use_mismatch")
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        raise TokenRejected("sub_missing")
    exp = _time(claims, "exp")
    iat = _time(claims, "iat")
    nbf = _time(claims, "nbf") if "nbf" in claims else None
    if "auth_time" in claims:
        _time(claims, "auth_time")
    if iat > now + leeway:
        raise TokenRejected("iat_in_future")
    if nbf is not None and nbf > now + leeway:
        raise TokenRejected("nbf_in_future")
    return exp


def _expiry(claims: dict[str, Any], exp: float, now: float, leeway: int) -> dict[str, Any]:
    if now > exp + leeway:
        raise TokenExpired(claims)
    return claims


def check_id_claims(claims: dict[str, Any], *, issuer: str, client_id: str, now: float,
                    leeway: int) -> dict[str, Any]:
    """ID token: ``token_use=id`` and ``aud`` = client id (a string, or a list of only it)."""
    exp = _common(claims, issuer, "id", now, leeway)
    aud = claims.get("aud")
    if isinstance(aud, list):
        ok = bool(aud) and all(a == client_id for a in aud)
    else:
        ok = isinstance(aud, str) and aud == client_id
    if not ok:
        raise TokenRejected("aud_mismatch")
    return _expiry(claims, exp, now, leeway)


def check_access_claims(claims: dict[str, Any], *, issuer: str, client_id: str, now: float,
                        leeway: int) -> dict[str, Any]:
    """Access token: ``token_use=access`` and ``client_id`` = ours (Cognito sends no ``aud``)."""
    exp = _common(claims, issuer, "access", now, leeway)
    if claims.get("client_id") != client_id:
        raise TokenRejected("client_id_mismatch")
    return _expiry(claims, exp, now, leeway)


def check_bearer_claims(claims: dict[str, Any], *, issuer: str, client_id: str, now: float,
                        leeway: int) -> dict[str, Any]:
    """A bearer access token: ours (``client_id`` = ours, as ``check_access_claims``), or a
    machine's — a client-credentials token of another client of the pool: no user name, and
    ``sub`` is its ``client_id``. Which of the two it is decides what the caller may reach."""
    if claims.get("client_id") == client_id:
        return check_access_claims(claims, issuer=issuer, client_id=client_id, now=now,
                                   leeway=leeway)
    exp = _common(claims, issuer, "access", now, leeway)
    machine = claims.get("client_id")
    if not isinstance(machine, str) or not machine or claims.get("sub") != machine \
            or "username" in claims or "cognito:username" in claims:
        raise TokenRejected("client_id_mismatch")
    return _expiry(claims, exp, now, leeway)


def check_same_session(id_claims: Mapping[str, Any], access_claims: Mapping[str, Any]) -> None:
    """ID and access token must belong to one sign-in: same ``sub`` and, when either carries it,
    the same ``origin_jti`` (IDT-18)."""
    if id_claims.get("sub") != access_claims.get("sub"):
        raise TokenRejected("session_mismatch")
    if ("origin_jti" in id_claims or "origin_jti" in access_claims) and (
        id_claims.get("origin_jti") != access_claims.get("origin_jti")
    ):
        raise TokenRejected("session_mismatch")


def check_at_hash(id_claims: Mapping[str, Any], access_token: str) -> None:
    """If the ID token carries ``at_hash`` it must match the access token it came with (IDT-19)."""
    if "at_hash" not in id_claims:
        return
    digest = hashlib.sha256(access_token.encode("ascii", "replace")).digest()
    expected = base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()
    given = id_claims["at_hash"]
    if not isinstance(given, str) or not hmac.compare_digest(given, expected):
        raise TokenRejected("at_hash_mismatch")
