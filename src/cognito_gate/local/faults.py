"""Fault switches: make Local Cognito misbehave in one chosen way, so relying parties can be
tested against every failure in security-cases.md Appendix B. All are off by default; only code
(or ``POST /_local/faults`` when ``admin_api=True``) turns them on. Every switch takes
``times=N`` to apply to the next N uses only (default: until :meth:`Faults.reset`).

Endpoint faults — ``faults.set(endpoint, ...)`` for ``token``, ``revoke``, ``userinfo``,
``jwks``, ``discovery``, ``authorize``, ``login``, ``logout``:

=====================  =====================================================================
``status=503``         answer with that status (JSON ``{"error": ...}`` body unless ``body``)
``body="html"``        HTML error page; also ``"invalid_json"``, ``"huge"`` (5 MB), ``"empty"``,
                       or any other string sent verbatim (``text/plain``); ``bytes`` are sent
                       verbatim with no ``Content-Type`` (add one with ``headers``)
``headers={...}``      set these response headers last, replacing any of the same name
                       (``Content-Type``, ``Content-Length``, ``Retry-After``…); values are
                       ``str`` (sent as UTF-8) or raw ``bytes``. With ``status`` and a bytes
                       ``body`` this is any answer at all, for property tests of a client
``error="invalid_grant"``  OAuth error on demand (400; ``invalid_client`` → 401 at revoke)
``retry_after=5``      add ``Retry-After`` (use with ``status=429``)
``redirect=URL``       302 to URL (e.g. a cross-host JWKS redirect)
``delay=5``            wait 5 real seconds before answering (timeouts)
``trickle=0.5``        send the body one byte every 0.5 s
``after=True``         run the real endpoint first (the code is consumed, the token revoked),
                       then answer with the fault
``drop=True``          close the connection without a complete answer (with ``after=True``:
                       "consume the code, then drop")
=====================  =====================================================================

Token faults — ``faults.id_token(...)``, ``faults.access_token(...)`` and
``faults.refresh_id_token(...)`` (only ID tokens from the refresh grant; wins over id_token):

=========================  ================================================================
``sign="none"``            ``alg: none``, empty signature; also ``"hs256_public_key"`` (HMAC
                           keyed with the published public key PEM), ``"corrupt"`` (flipped
                           signature bytes), ``"foreign_key"`` (unpublished RSA key, real
                           ``kid``), ``"es256"``, ``"ps256"``, ``"rs384"``, ``"weak_rsa"``
                           (RS256 with a genuine 1024-bit key under its own ``kid``; publish it
                           with ``faults.jwks(extra_keys=["weak_rsa"])``)
``header={...}``           add/override header members: hostile ``kid``, ``jku``, ``x5u``,
                           ``jwk``, ``x5c``, ``crit``
``remove_header=["kid"]``  drop header members
``claims={...}``           set claims: ``iss``, ``aud`` (or an array), ``nonce``,
                           ``at_hash``, ``token_use``, ``client_id``, ``azp``, ``sub``,
                           ``auth_time``, ``email_verified="true"`` …
``remove=[...]``           drop claims: ``sub``, ``iat``, ``exp``, ``aud``, ``nonce`` …
``shift={"exp": -7200}``   add seconds to ``exp``/``iat``/``auth_time``; ``nbf`` is added as
                           ``iat`` + shift
``bulk_groups=300``        add that many ``cognito:groups`` entries (tokens over 4–8 KB)
``bulk_attributes=100``    add that many ``custom:bulk_N`` claims
=========================  ================================================================

Other switches:

* ``faults.token_response(omit=["id_token"], token_type="mac", expires_in="3600")`` — edit the
  token endpoint's JSON (``expires_in=None`` removes it).
* ``faults.userinfo(claims={"sub": "someone-else"}, remove=[...])`` — edit userInfo's claims.
* ``faults.authorize(iss=True)`` adds ``iss`` to the code redirect; ``error="access_denied",
  state=False`` answers the app with that error (with or without ``state``);
  ``form_post=True`` delivers the response as an auto-submitted POST form.
* ``faults.jwks(extra_keys=["unknown_kty", "enc", "broken_rsa"])`` — publish unusable keys next
  to the real ones (the default); ``"weak_rsa"`` publishes the 1024-bit key of
  ``sign="weak_rsa"``, well formed but below the 2048-bit floor a verifier must keep.
* ``faults.ignore_pkce()`` — redeem codes without checking ``code_verifier`` against the
  challenge (a provider with PKCE off), so the relying party's nonce check must catch code
  injection on its own (AZ-07).
* ``faults.detect_refresh_replay()`` — RFC 9700 replay detection: a rotated refresh token used
  after its grace period revokes the whole lineage (rotation itself is per client:
  ``ClientConfig(rotation=True, rotation_grace_seconds=…)``).
* ``faults.revoke_on_code_replay()`` — RFC 6749 §4.1.2: a second redemption of a code also
  revokes the tokens the first produced. Off by default, because Cognito documents only that
  the replay fails with ``invalid_grant`` (cognito-behaviour.md §4.4); the first tokens stay.
* ``faults.strict_pkce_verifier()`` — refuse a ``code_verifier`` outside RFC 7636's 43–128
  unreserved characters even when its S256 matches. Off by default: Cognito accepts any
  verifier whose S256 matches the challenge (flask-cognito-lib sends 35–43 characters).
* ``faults.clock_offset(-120)`` — skew Local Cognito's clock (same as ``lc.clock.set_offset``).
* Key rotation is ``lc.rotate_keys(overlap=...)`` / ``lc.drop_retired_keys()``; request counts
  are ``lc.requests``.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .clock import LocalClock

__all__ = [
    "AuthorizeFault",
    "ClaimEdits",
    "EndpointFault",
    "Faults",
    "JwksFault",
    "TokenFault",
    "TokenResponseFault",
]

ENDPOINTS = ("token", "revoke", "userinfo", "jwks", "discovery", "authorize", "login", "logout")
SIGN_FAULTS = ("none", "hs256_public_key", "corrupt", "foreign_key", "es256", "ps256", "rs384",
               "weak_rsa")
BAD_JWKS_KEYS = ("unknown_kty", "enc", "broken_rsa")
JWKS_KEY_FAULTS = (*BAD_JWKS_KEYS, "weak_rsa")
_KEEP = object()


class FaultError(ValueError):
    """A fault switch was called with a value it does not know."""


@dataclass(frozen=True)
class EndpointFault:
    status: int | None = None
    body: str | bytes | None = None
    headers: Mapping[str, str | bytes] = field(default_factory=dict)
    error: str | None = None
    retry_after: int | None = None
    redirect: str | None = None
    delay: float = 0.0
    trickle: float = 0.0
    after: bool = False
    drop: bool = False

    @property
    def replaces_response(self) -> bool:
        return any(v is not None for v in (self.status, self.body, self.error, self.redirect))

    def header_pairs(self) -> list[tuple[bytes, bytes]]:
        """``headers`` as ASGI pairs: lower-cased names, str values UTF-8 encoded."""
        return [(name.lower().encode("latin-1"),
                 value if isinstance(value, bytes) else value.encode())
                for name, value in self.headers.items()]


@dataclass(frozen=True)
class ClaimEdits:
    claims: Mapping[str, Any] = field(default_factory=dict)
    remove: tuple[str, ...] = ()
    shift: Mapping[str, int] = field(default_factory=dict)
    bulk_groups: int = 0
    bulk_attributes: int = 0

    def apply(self, claims: dict[str, Any]) -> dict[str, Any]:
        out = {**claims, **self.claims}
        for name, seconds in self.shift.items():
            base = out.get("iat", 0) if name == "nbf" and "nbf" not in out else out.get(name, 0)
            out[name] = int(base) + seconds
        if self.bulk_groups:
            groups = list(out.get("cognito:groups", []))
            out["cognito:groups"] = groups + [
                f"bulk-group-{i:04d}" for i in range(self.bulk_groups)
            ]
        for i in range(self.bulk_attributes):
            out[f"custom:bulk_{i:04d}"] = "x" * 48
        for name in self.remove:
            out.pop(name, None)
        return out


@dataclass(frozen=True)
class TokenFault(ClaimEdits):
    sign: str | None = None
    header: Mapping[str, Any] = field(default_factory=dict)
    remove_header: tuple[str, ...] = ()


@dataclass(frozen=True)
class TokenResponseFault:
    omit: tuple[str, ...] = ()
    token_type: str | None = None
    expires_in: Any = _KEEP
    extra: Mapping[str, Any] = field(default_factory=dict)

    def apply(self, body: dict[str, Any]) -> dict[str, Any]:
        out = {k: v for k, v in body.items() if k not in self.omit}
        if self.token_type is not None:
            out["token_type"] = self.token_type
        if self.expires_in is None:
            out.pop("expires_in", None)
        elif self.expires_in is not _KEEP:
            out["expires_in"] = self.expires_in
        return {**out, **self.extra}


@dataclass(frozen=True)
class AuthorizeFault:
    iss: bool = False
    error: str | None = None
    state: bool = True
    form_post: bool = False


@dataclass(frozen=True)
class JwksFault:
    extra_keys: tuple[str, ...] = BAD_JWKS_KEYS


@dataclass
class _Armed:
    spec: Any
    remaining: int | None


class Faults:
    """Every switch, off until set. Thread-safe: the server thread reads what tests set."""

    def __init__(self, clock: LocalClock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._armed: dict[str, _Armed] = {}
        self._flags: set[str] = set()

    def _arm(self, slot: str, spec: object, times: int | None) -> None:
        if times is not None and times < 1:
            raise FaultError("times must be at least 1")
        with self._lock:
            self._armed[slot] = _Armed(spec, times)

    def take(self, slot: str) -> Any:
        """The fault armed for ``slot`` (counting one use of it), or None."""
        with self._lock:
            armed = self._armed.get(slot)
            if armed is None:
                return None
            if armed.remaining is not None:
                armed.remaining -= 1
                if armed.remaining == 0:
                    del self._armed[slot]
            return armed.spec

    def set(self, endpoint: str, *, times: int | None = None, **kwargs: Any) -> None:
        """Make an endpoint slow, failing or garbled (see the module docstring)."""
        if endpoint not in ENDPOINTS:
            raise FaultError(f"unknown endpoint {endpoint!r}; expected one of {ENDPOINTS}")
        if kwargs.get("body") == "huge" and kwargs.get("status") is None:
            kwargs["status"] = 200
        fault: EndpointFault = _build(EndpointFault, kwargs)
        if fault.body is not None and not isinstance(fault.body, str | bytes):
            raise FaultError("body must be a str or bytes")
        if not isinstance(fault.headers, Mapping) or not all(
                isinstance(k, str) and k.isascii() and k and isinstance(v, str | bytes)
                for k, v in fault.headers.items()):
            raise FaultError("headers must map ASCII names to str or bytes values")
        self._arm(f"endpoint:{endpoint}", fault, times)

    def id_token(self, *, times: int | None = None, **kwargs: Any) -> None:
        self._arm("id_token", _token_fault(kwargs), times)

    def access_token(self, *, times: int | None = None, **kwargs: Any) -> None:
        self._arm("access_token", _token_fault(kwargs), times)

    def refresh_id_token(self, *, times: int | None = None, **kwargs: Any) -> None:
        self._arm("refresh_id_token", _token_fault(kwargs), times)

    def token_response(self, *, times: int | None = None, **kwargs: Any) -> None:
        self._arm("token_response", _build(TokenResponseFault, kwargs), times)

    def userinfo(self, *, times: int | None = None, **kwargs: Any) -> None:
        self._arm("userinfo", _build(ClaimEdits, kwargs), times)

    def authorize(self, *, times: int | None = None, **kwargs: Any) -> None:
        self._arm("authorize", _build(AuthorizeFault, kwargs), times)

    def jwks(self, *, times: int | None = None, **kwargs: Any) -> None:
        fault = _build(JwksFault, kwargs)
        unknown = set(fault.extra_keys) - set(JWKS_KEY_FAULTS)
        if unknown:
            raise FaultError(f"unknown extra_keys {sorted(unknown)}; expected {JWKS_KEY_FAULTS}")
        self._arm("jwks", fault, times)

    def _flag(self, name: str, on: bool) -> None:
        if on:
            self._flags.add(name)
        else:
            self._flags.discard(name)

    def detect_refresh_replay(self, on: bool = True) -> None:
        self._flag("replay_detection", on)

    @property
    def replay_detection(self) -> bool:
        return "replay_detection" in self._flags

    def ignore_pkce(self, on: bool = True) -> None:
        self._flag("ignore_pkce", on)

    @property
    def pkce_ignored(self) -> bool:
        return "ignore_pkce" in self._flags

    def revoke_on_code_replay(self, on: bool = True) -> None:
        self._flag("revoke_on_code_replay", on)

    @property
    def code_replay_revokes(self) -> bool:
        return "revoke_on_code_replay" in self._flags

    def strict_pkce_verifier(self, on: bool = True) -> None:
        self._flag("strict_pkce_verifier", on)

    @property
    def pkce_verifier_strict(self) -> bool:
        return "strict_pkce_verifier" in self._flags

    def clock_offset(self, seconds: float) -> None:
        self._clock.set_offset(seconds)

    def reset(self) -> None:
        """Turn every switch off, including replay detection and the clock offset."""
        with self._lock:
            self._armed.clear()
        self._flags.clear()
        self._clock.set_offset(0)

    def active(self) -> dict[str, Any]:
        """What is switched on, for debugging and ``GET /_local/faults``."""
        with self._lock:
            out: dict[str, Any] = {
                slot: {"spec": repr(a.spec), "remaining": a.remaining}
                for slot, a in self._armed.items()
            }
        out["replay_detection"] = self.replay_detection
        out |= {flag: True for flag in sorted(self._flags - {"replay_detection"})}
        out["clock_offset"] = self._clock.offset
        return out

    def call(self, payload: Mapping[str, Any]) -> None:
        """Apply one JSON command from ``POST /_local/faults``: ``{"switch": name, ...kwargs}``."""
        args = dict(payload)
        name = args.pop("switch", None)
        if name not in _JSON_SWITCHES:
            raise FaultError(f"unknown switch {name!r}; expected one of {_JSON_SWITCHES}")
        getattr(self, name)(**args)


_JSON_SWITCHES = (
    "set",
    "id_token",
    "access_token",
    "refresh_id_token",
    "token_response",
    "userinfo",
    "authorize",
    "jwks",
    "detect_refresh_replay",
    "ignore_pkce",
    "revoke_on_code_replay",
    "strict_pkce_verifier",
    "clock_offset",
    "reset",
)


def _build(cls: type, kwargs: Mapping[str, Any]) -> Any:
    """Instantiate a fault spec, turning JSON lists into tuples and typos into FaultError."""
    values = {k: tuple(v) if isinstance(v, list | tuple) else v for k, v in kwargs.items()}
    try:
        return cls(**values)
    except TypeError as exc:
        raise FaultError(f"{cls.__name__}: {exc}") from None


def _token_fault(kwargs: Mapping[str, Any]) -> TokenFault:
    fault: TokenFault = _build(TokenFault, kwargs)
    if fault.sign is not None and fault.sign not in SIGN_FAULTS:
        raise FaultError(f"unknown sign fault {fault.sign!r}; expected one of {SIGN_FAULTS}")
    return fault
