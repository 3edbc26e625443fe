"""Token endpoint client: code exchange, refresh and revocation, server to server.

Form-encoded POSTs with HTTP Basic client authentication only (never also in the body), explicit
timeouts plus a total deadline on every call (``deadline_for``: the HTTP client's longest timeout,
at most 10 s), every answer read through ``provider`` (size cap, strict JSON), and a strict split
between definitive OAuth errors (``ProviderRejected``: ``invalid_grant``, ``invalid_client``…)
and transient trouble (``ProviderUnavailable``: network, timeout, 5xx, 429, HTML or garbage).
Nothing is ever retried here: a code is single-use, and a rotated refresh token must not be
replayed.
"""

from __future__ import annotations

import base64
import logging
import re
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from .errors import AuthError, ProviderRejected, ProviderUnavailable
from .provider import Observer, call, json_body, unavailable, unobserved
from .redact import SECRET, redacted_repr

__all__ = ["DEADLINE", "TokenClient", "TokenSet", "deadline_for", "default_http_client"]

log = logging.getLogger("cognito_gate.tokens")

DEADLINE = 10.0
_TRANSIENT = frozenset({"", "server_error", "temporarily_unavailable", "slow_down"})
_MAX_EXPIRES_IN = 10 * 365 * 86400
_OAUTH_ERROR = re.compile(r"[a-z_]{1,64}")  # RFC 6749 error codes; anything else is "unknown"


def default_http_client() -> httpx.AsyncClient:
    """3 s to connect, 10 s per read/write, TLS verification on, no redirects followed."""
    return httpx.AsyncClient(timeout=httpx.Timeout(DEADLINE, connect=3.0), verify=True,
                             follow_redirects=False)


def deadline_for(http: httpx.AsyncClient) -> float:
    """Total deadline of one call to Cognito: the client's longest configured timeout, at most
    ``DEADLINE``. An app that gives shorter timeouts gets a shorter total wait, which also holds
    for a body trickled in under the read timeout and for transports that do not enforce httpx's
    per-phase timeouts (FT-04)."""
    timeout = http.timeout
    limits = [t for t in (timeout.connect, timeout.read, timeout.write, timeout.pool) if t]
    return min(DEADLINE, max(limits)) if limits else DEADLINE


@dataclass(frozen=True, slots=True)
class TokenSet:
    """A validated token response. ``refresh_token`` is None when a refresh did not rotate it."""

    id_token: str = field(metadata=SECRET)
    access_token: str = field(metadata=SECRET)
    refresh_token: str | None = field(metadata=SECRET)
    expires_in: int

    __repr__ = redacted_repr


def _bad_response(reason: str) -> AuthError:
    return AuthError.of("token_response_invalid", reason=reason)


def parse_token_response(body: Any) -> TokenSet:
    """Validate a 200 body (AZ-13): ``token_type`` bearer (any case), ``id_token`` and
    ``access_token`` present, ``expires_in`` a sane positive integer; nothing partial is kept."""
    if not isinstance(body, dict):
        raise _bad_response("body_not_object")
    token_type = body.get("token_type")
    if not isinstance(token_type, str) or token_type.lower() != "bearer":
        raise _bad_response("token_type_invalid")
    id_token, access, refresh = body.get("id_token"), body.get("access_token"), \
        body.get("refresh_token")
    if not isinstance(id_token, str) or not id_token:
        raise _bad_response("id_token_missing")
    if not isinstance(access, str) or not access:
        raise _bad_response("access_token_missing")
    if refresh is not None and (not isinstance(refresh, str) or not refresh):
        raise _bad_response("refresh_token_invalid")
    expires_in = body.get("expires_in")
    if type(expires_in) is not int or not 0 < expires_in <= _MAX_EXPIRES_IN:
        raise _bad_response("expires_in_invalid")
    return TokenSet(id_token, access, refresh, expires_in)


class TokenClient:
    """Calls ``/oauth2/token`` and ``/oauth2/revoke`` of one app client."""

    def __init__(self, *, token_url: str, revoke_url: str, client_id: str, client_secret: str,
                 http: httpx.AsyncClient, observe: Observer = unobserved) -> None:
        self._token_url = token_url
        self._observe = observe
        self._revoke_url = revoke_url
        self._http = http
        self._deadline = deadline_for(http)
        basic = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()
        self._headers = {"authorization": f"Basic {basic}", "accept": "application/json",
                         "content-type": "application/x-www-form-urlencoded"}

    async def exchange_code(self, code: str, verifier: str, redirect_uri: str) -> TokenSet:
        """``grant_type=authorization_code`` with the identical ``redirect_uri`` and the PKCE
        verifier. Called exactly once per code (FT-07)."""
        return parse_token_response(await self._post_token({
            "grant_type": "authorization_code", "code": code,
            "redirect_uri": redirect_uri, "code_verifier": verifier,
        }))

    async def refresh(self, refresh_token: str) -> TokenSet:
        """``grant_type=refresh_token``, no scope (RF-01). The caller re-verifies every token."""
        return parse_token_response(await self._post_token({
            "grant_type": "refresh_token", "refresh_token": refresh_token,
        }))

    async def revoke(self, refresh_token: str) -> bool:
        """Revoke a refresh token (LO-03). Failures are logged, never raised: sign-out goes on.
        Cognito answers 200 with an empty body; nothing in the body is used."""
        started = time.perf_counter()
        try:
            answer = await call(self._http, "POST", self._revoke_url, what="revoke",
                                deadline=self._deadline, headers=self._headers,
                                data={"token": refresh_token})
            if answer.status >= 500 or answer.status == 429:
                raise unavailable("revoke", f"http_{answer.status}", answer)
        except ProviderUnavailable as exc:
            self._observe("revoke", time.perf_counter() - started, exc)
            log.warning("revoke: failed (%s)", exc.reason)
            return False
        self._observe("revoke", time.perf_counter() - started, None)
        if answer.status != 200:
            log.warning("revoke: failed (http_%d)", answer.status)
            return False
        return True

    async def _post_token(self, form: dict[str, str]) -> Any:
        """One token-endpoint call, its latency and outcome told to the observer."""
        started = time.perf_counter()
        error = None
        try:
            return await self._token_answer(form)
        except ProviderUnavailable as exc:
            error = exc
            raise
        finally:
            self._observe("token", time.perf_counter() - started, error)

    async def _token_answer(self, form: dict[str, str]) -> Any:
        answer = await call(self._http, "POST", self._token_url, what="token",
                            deadline=self._deadline, headers=self._headers, data=form)
        if answer.status == 200:
            return json_body(answer, "token")
        if answer.status in (400, 401):
            body = json_body(answer, "token")
            error = body.get("error") if isinstance(body, dict) else None
            if isinstance(error, str) and error not in _TRANSIENT:
                raise ProviderRejected(error if _OAUTH_ERROR.fullmatch(error) else "unknown")
        raise unavailable("token", f"http_{answer.status}", answer)
