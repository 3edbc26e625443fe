"""ID, access and refresh tokens with Cognito's claim sets (cognito-behaviour.md §9), and the
check of an access token presented back to Local Cognito (userInfo)."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from joserfc import jws
from joserfc.errors import JoseError

from .clock import LocalClock
from .config import ClientConfig
from .faults import Faults, TokenFault
from .keys import KeyRing
from .signing import b64url, sign_jwt
from .store import Lineage, Store, User

__all__ = [
    "InvalidToken",
    "Issued",
    "RefreshRefused",
    "TokenIssuer",
    "identities_claim",
    "new_refresh_token",
    "readable_attributes",
    "user_claims",
]

log = logging.getLogger("cognito_gate.local")

_REFRESH_HEADER = b64url(b'{"cty":"JWT","enc":"A256GCM","alg":"RSA-OAEP"}')
_VERIFIED_FLAGS = ("email_verified", "phone_number_verified")


class InvalidToken(Exception):
    """An access token Local Cognito will not honour (bad, expired, revoked, wrong kind)."""


class RefreshRefused(Exception):
    """A refresh token that gets no new tokens; the message is the JSON API's wording (the
    token endpoint answers ``invalid_grant`` to all of them)."""


@dataclass(frozen=True)
class Issued:
    access_token: str = field(repr=False)
    id_token: str | None = field(repr=False)
    expires_in: int


def new_refresh_token() -> str:
    """An opaque string shaped like Cognito's JWE refresh token (5 segments, ~1.8 KB)."""
    parts = (os.urandom(256), os.urandom(12), os.urandom(1012), os.urandom(16))
    return ".".join((_REFRESH_HEADER, *(b64url(p) for p in parts)))


def readable_attributes(user: User, client: ClientConfig) -> dict[str, str]:
    """The user's attributes ``client`` may read (ReadAttributes, §10), as stored: ``email``
    only when the user has one (a federated user's IdP may give none), ``identities`` always
    (it is what links a federated user, not a profile attribute)."""
    attributes = {**({"email": user.email} if user.email else {}), **user.attributes}
    return {k: v for k, v in attributes.items() if k == "identities" or client.can_read(k)}


def user_claims(user: User, client: ClientConfig) -> dict[str, Any]:
    """The attributes ``client`` may read, as ID-token claims: verified flags as booleans,
    ``identities`` as the array Cognito puts in ID tokens, the rest strings."""
    claims: dict[str, Any] = dict(readable_attributes(user, client))
    for flag in _VERIFIED_FLAGS:
        if flag in claims:
            claims[flag] = claims[flag] == "true"
    if "identities" in claims:
        claims["identities"] = identities_claim(claims["identities"])
    return claims


def _revocable(client: ClientConfig, **claims: str) -> dict[str, str]:
    """``jti`` (or the given claims, e.g. ``origin_jti``) only when the client has token
    revocation on (EnableTokenRevocation, §10): without it Cognito's tokens carry neither."""
    if not client.token_revocation:
        return {}
    return claims or {"jti": str(uuid.uuid4())}


def _audience(resource: str | None) -> dict[str, str]:
    """Access tokens have no ``aud`` unless a ``resource`` was asked for (RFC 8707, §9.3)."""
    return {} if resource is None else {"aud": resource}


def identities_claim(attribute: str) -> list[dict[str, Any]]:
    """The ``identities`` claim: the attribute's entries with ``primary`` and ``dateCreated``
    as strings ("true", epoch milliseconds), as observed in Cognito's ID tokens (the
    attribute itself, as AdminGetUser shows it, keeps a boolean and a number)."""
    entries = json.loads(attribute)
    return [
        {
            **entry,
            "primary": "true" if entry.get("primary") else "false",
            "dateCreated": str(entry.get("dateCreated", "")),
        }
        for entry in entries
    ]


def at_hash(access_token: str) -> str:
    return b64url(hashlib.sha256(access_token.encode()).digest()[:16])


class TokenIssuer:
    def __init__(
        self,
        store: Store,
        keys: KeyRing,
        clock: LocalClock,
        faults: Faults,
        issuer: Callable[[], str],
    ) -> None:
        self._store, self._keys, self._clock = store, keys, clock
        self._faults, self._issuer = faults, issuer

    def _sign(self, purpose: str, claims: dict[str, Any], fault: TokenFault | None) -> str:
        if fault is not None:
            claims = fault.apply(claims)
        weak = fault is not None and fault.sign == "weak_rsa"
        key = self._keys.weak_key if weak else self._keys.signing_key(purpose)
        return sign_jwt(claims, key, fault, self._keys.foreign_key)

    def _times(self, validity: int) -> dict[str, int]:
        now = int(self._clock.now())
        return {"iat": now, "exp": now + validity}

    def start_lineage(
        self,
        client: ClientConfig,
        sub: str,
        scopes: tuple[str, ...],
        auth_time: int,
        *,
        api: bool = False,
        resource: str | None = None,
    ) -> Lineage:
        """A new sign-in's lineage: the origin_jti every token of this sign-in will carry."""
        origin_jti = str(uuid.uuid4())
        lineage = Lineage(
            origin_jti=origin_jti,
            client_id=client.client_id,
            sub=sub,
            scopes=scopes,
            auth_time=auth_time,
            # Without token revocation the tokens carry no origin_jti: their event_id is then
            # what names the lineage (for userInfo and the API's revocation checks).
            event_id=str(uuid.uuid4()) if client.token_revocation else origin_jti,
            expires_at=self._clock.now() + client.refresh_token_validity,
            revoked=False,
            api=api,
            resource=resource,
        )
        self._store.add_lineage(lineage)
        return lineage

    def sign_in(
        self,
        client: ClientConfig,
        user: User,
        scopes: tuple[str, ...],
        auth_time: int,
        *,
        nonce: str | None = None,
        api: bool = False,
        resource: str | None = None,
    ) -> tuple[Lineage, Issued, str]:
        """A completed sign-in (code exchange, or the JSON API's): a new lineage, its first
        tokens and its refresh token."""
        lineage = self.start_lineage(
            client, user.sub, scopes, auth_time, api=api, resource=resource
        )
        issued = self.for_user(lineage, user, client, nonce=nonce)
        refresh_token = new_refresh_token()
        self._store.add_refresh_token(refresh_token, lineage.origin_jti, lineage.expires_at)
        return lineage, issued, refresh_token

    def for_user(
        self,
        lineage: Lineage,
        user: User,
        client: ClientConfig,
        *,
        nonce: str | None = None,
        refreshed: bool = False,
    ) -> Issued:
        """Access (+ ID when ``openid`` was granted, or always for the JSON API) tokens for one
        lineage of a user. API sign-ins have no authorize request: no ``nonce``, no ``at_hash``."""
        common: dict[str, Any] = {"sub": user.sub}
        if user.groups:
            common["cognito:groups"] = list(user.groups)
        lineage_claims = {
            "iss": self._issuer(),
            **_revocable(client, origin_jti=lineage.origin_jti),
            "event_id": lineage.event_id,
            "auth_time": lineage.auth_time,
        }
        access_claims = {
            **common,
            **lineage_claims,
            "version": 2,
            "client_id": client.client_id,
            "token_use": "access",
            "scope": " ".join(lineage.scopes),
            **self._times(client.access_token_validity),
            **_revocable(client),
            "username": user.username,
            **_audience(lineage.resource),
        }
        access = self._sign("access", access_claims, self._faults.take("access_token"))
        if "openid" not in lineage.scopes and not lineage.api:
            return Issued(access, None, client.access_token_validity)
        id_claims = {
            **common,
            **lineage_claims,
            "cognito:username": user.username,
            "aud": client.client_id,
            "token_use": "id",
            **self._times(client.id_token_validity),
            **_revocable(client),
            **user_claims(user, client),
        }
        if not refreshed and not lineage.api:
            id_claims["at_hash"] = at_hash(access)
            if nonce is not None:
                id_claims["nonce"] = nonce
        fault = (self._faults.take("refresh_id_token") if refreshed else None) or (
            self._faults.take("id_token")
        )
        return Issued(access, self._sign("id", id_claims, fault), client.access_token_validity)

    def redeem_refresh(self, client: ClientConfig, presented: str) -> tuple[Lineage, User]:
        """The lineage and user a refresh token still stands for, or RefreshRefused: unknown,
        another client's, revoked (sign-out, disabled user), superseded past its grace period
        (a replay, which revokes the lineage under ``detect_refresh_replay``) or expired."""
        row = self._store.refresh_token(presented)
        lineage = self._store.lineage(row[0]) if row else None
        if row is None or lineage is None or lineage.client_id != client.client_id:
            raise RefreshRefused("Invalid Refresh Token.")
        if lineage.revoked:
            raise RefreshRefused("Refresh Token has been revoked")
        now = self._clock.now()
        _origin, expires_at, superseded_at = row
        if superseded_at is not None and now >= superseded_at + client.rotation_grace_seconds:
            if self._faults.replay_detection:
                self._store.revoke_lineage(lineage.origin_jti)
                log.warning("rotated refresh token replayed; its lineage is revoked")
            raise RefreshRefused("Invalid Refresh Token.")
        if expires_at <= now:
            raise RefreshRefused("Refresh Token has expired")
        user = self._store.user(sub=lineage.sub)
        if user is None or not user.active:
            raise RefreshRefused("User is disabled." if user else "Invalid Refresh Token.")
        return lineage, user

    def revoke(self, client: ClientConfig, token: str) -> bool:
        """Revoke a refresh token's whole lineage (every token of that sign-in). False when the
        token belongs to another client; an unknown token is no error (no oracle)."""
        row = self._store.refresh_token(token)
        lineage = self._store.lineage(row[0]) if row else None
        if lineage is None:
            return True
        if lineage.client_id != client.client_id:
            return False
        self._store.revoke_lineage(lineage.origin_jti)
        return True

    def for_client(
        self, client: ClientConfig, scopes: tuple[str, ...], resource: str | None = None
    ) -> Issued:
        """A client_credentials access token: no user, so ``sub`` is the client id."""
        now = int(self._clock.now())
        claims = {
            "sub": client.client_id,
            "token_use": "access",
            "scope": " ".join(scopes),
            "auth_time": now,
            "iss": self._issuer(),
            **self._times(client.access_token_validity),
            "version": 2,
            **_revocable(client),
            "client_id": client.client_id,
            **_audience(resource),
        }
        access = self._sign("access", claims, self._faults.take("access_token"))
        return Issued(access, None, client.access_token_validity)

    def read_access_token(self, token: str) -> tuple[dict[str, Any], Lineage]:
        """Claims and lineage of an access token this pool issued and has not revoked."""
        if token.count(".") != 2:
            raise InvalidToken("malformed")
        try:
            header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
            if not isinstance(header, dict):
                raise InvalidToken("malformed")
            if header.get("alg") != "RS256":
                raise InvalidToken("algorithm")
            keys = {k.kid: k for k in self._keys.published("access")}
            key = keys.get(str(header.get("kid")))
            if key is None:
                raise InvalidToken("unknown key")
            claims = json.loads(
                jws.deserialize_compact(token, key.jose_key, algorithms=["RS256"]).payload
            )
        except (ValueError, JoseError, UnicodeDecodeError, TypeError) as exc:
            raise InvalidToken("malformed") from exc
        if not isinstance(claims, dict) or claims.get("token_use") != "access":
            raise InvalidToken("not an access token")
        exp = claims.get("exp")
        if claims.get("iss") != self._issuer() or not isinstance(exp, int):
            raise InvalidToken("claims")
        if exp <= self._clock.now():
            raise InvalidToken("expired")
        lineage = self._store.lineage(str(claims.get("origin_jti") or claims.get("event_id")))
        if lineage is None or lineage.revoked or lineage.client_id != claims.get("client_id"):
            raise InvalidToken("revoked")
        return claims, lineage
