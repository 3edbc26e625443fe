"""The sign-in steps: start (state, nonce, PKCE S256, transaction) and finish (callback checks,
one code exchange, token verification), each failure with its own code.

A transaction lives in its own sealed cookie named after a hash of its ``state``, so several tabs
can sign in at once (AZ-06) and ``return_to`` can't be edited in flight (RC-02).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlencode

from .claims import check_at_hash, check_same_session
from .clock import Clock
from .config import Settings
from .cookies import SealedBox
from .errors import AuthError, TokenRejected
from .redact import SECRET, redacted_repr
from .session import SessionData, new_session_id
from .tokens import TokenClient
from .ttlcache import ExpiringLRU
from .user import User
from .verify import TokenVerifier

__all__ = ["TX_LIFETIME", "SignInFlow", "Transaction", "pkce_challenge"]

TX_LIFETIME = 600
MAX_PENDING = 5
_IAT_FRESHNESS = 300  # the code lives 5 minutes; an older ID token is not from this sign-in
_CALLBACK_ERRORS = frozenset({
    "invalid_request", "unauthorized_client", "unsupported_response_type", "invalid_scope",
    "server_error", "temporarily_unavailable", "login_required", "consent_required",
    "interaction_required",
})


def _random() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()


def pkce_challenge(verifier: str) -> str:
    """S256: base64url(sha256(verifier)) without padding."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


@dataclass(frozen=True, slots=True)
class Transaction:
    """One pending sign-in, bound to this browser by its sealed cookie."""

    state: str = field(metadata=SECRET)
    nonce: str = field(metadata=SECRET)
    verifier: str = field(metadata=SECRET)
    return_to: str
    created_at: float

    __repr__ = redacted_repr

    def to_json(self) -> bytes:
        return json.dumps({"s": self.state, "n": self.nonce, "v": self.verifier,
                           "r": self.return_to, "t": self.created_at}).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> Transaction | None:
        try:
            obj = json.loads(raw)
            tx = cls(obj["s"], obj["n"], obj["v"], obj["r"], obj["t"])
        except (ValueError, KeyError, TypeError):
            return None
        texts = (tx.state, tx.nonce, tx.verifier, tx.return_to)
        if not all(isinstance(x, str) for x in texts) or type(tx.created_at) not in (int, float):
            return None
        return tx


@dataclass(frozen=True, slots=True)
class SignedIn:
    """A finished sign-in: the new session to write and who it is."""

    session: SessionData
    user: User
    return_to: str


class SignInFlow:
    """Builds authorization requests and completes callbacks for one app client."""

    def __init__(self, settings: Settings, *, tokens: TokenClient, verifier: TokenVerifier,
                 clock: Clock, tx_prefix: str) -> None:
        self._settings = settings
        self._tokens = tokens
        self._verifier = verifier
        self._clock = clock
        self._box = SealedBox(settings.session_secret, "tx")
        self._consumed: ExpiringLRU[str, bool] = ExpiringLRU(100_000, clock.now)
        self.tx_prefix = tx_prefix
        self._query = {"response_type": "code", "client_id": settings.client_id,
                       "scope": " ".join(settings.scopes)}

    def tx_cookie_name(self, state: str) -> str:
        """``<prefix>cg_tx_<8 hex of sha256(state)>`` (state itself never becomes a name)."""
        return self.tx_prefix + hashlib.sha256(state.encode()).hexdigest()[:8]

    def start(self, return_to: str, redirect_uri: str) -> tuple[str, str, str]:
        """(authorize URL, transaction cookie name, sealed transaction) for a new attempt (AZ-01,
        AZ-02): fresh 256-bit state and nonce, 64-char PKCE verifier, S256 challenge.
        ``redirect_uri``: our callback's URL, under the prefix the app is mounted at."""
        tx = Transaction(_random(), _random(), secrets.token_urlsafe(48), return_to,
                         self._clock.now())
        query = {**self._query, "redirect_uri": redirect_uri, "state": tx.state, "nonce": tx.nonce,
                 "code_challenge": pkce_challenge(tx.verifier), "code_challenge_method": "S256"}
        url = f"{self._settings.authorize_url}?{urlencode(query)}"
        return url, self.tx_cookie_name(tx.state), self._box.seal(tx.to_json())

    def open_transaction(self, sealed: str | None, state: str) -> Transaction | None:
        """The live, unconsumed transaction for ``state``, or None (AZ-03/04/05)."""
        raw = None if sealed is None else self._box.open(sealed)
        tx = None if raw is None else Transaction.from_json(raw)
        now = self._clock.now()
        if tx is None or not hmac.compare_digest(tx.state.encode(), state.encode()):
            return None
        if not tx.created_at <= now + 60 or now - tx.created_at > TX_LIFETIME:
            return None
        if self._consumed.get(state, now):
            return None
        self._consumed.put(state, True, tx.created_at + TX_LIFETIME)
        return tx

    def created_at(self, sealed: str) -> float:
        """Age key for evicting the oldest pending transactions (unreadable ones go first)."""
        raw = self._box.open(sealed)
        tx = None if raw is None else Transaction.from_json(raw)
        return -1.0 if tx is None else tx.created_at

    def check_response(self, params: Mapping[str, str]) -> str:
        """Act on the authorization response of a matched transaction: the ``code`` to exchange,
        or the error. ``error`` is mapped to fixed text, ``error_description`` never shown (AZ-08);
        a present ``iss`` must be our issuer (AZ-11); front-channel tokens are ignored (AZ-10)."""
        iss = params.get("iss")
        if iss is not None and iss != self._settings.issuer:
            raise AuthError.of("issuer_mismatch")
        error = params.get("error")
        if error is not None:
            if error == "access_denied":
                raise AuthError.of("signin_cancelled", reason="callback_access_denied")
            known = error if error in _CALLBACK_ERRORS else "other"
            raise AuthError.of("signin_failed", reason=f"callback_{known}")
        code = params.get("code")
        if not code or len(code) > 2048:
            raise AuthError.of("signin_failed", reason="code_missing")
        return code

    async def finish(self, code: str, tx: Transaction, redirect_uri: str) -> SignedIn:
        """Exchange the code once (with the ``redirect_uri`` ``start`` sent: the callback's own
        URL), then verify everything before a session exists (IDT-*)."""
        tokens = await self._tokens.exchange_code(code, tx.verifier, redirect_uri)
        now = self._clock.now()
        try:
            id_claims = await self._verifier.verify_id_token(tokens.id_token, from_provider=True)
            nonce = id_claims.get("nonce")
            if not isinstance(nonce, str) or not hmac.compare_digest(nonce.encode(),
                                                                     tx.nonce.encode()):
                raise TokenRejected("nonce_mismatch")
            if now - id_claims["iat"] > _IAT_FRESHNESS + self._verifier.leeway:
                raise TokenRejected("iat_too_old")
            check_at_hash(id_claims, tokens.access_token)
            access_claims = await self._verifier.verify_access_token(tokens.access_token,
                                                                     from_provider=True,
                                                                     beside=id_claims)
            check_same_session(id_claims, access_claims)
        except TokenRejected as exc:
            # Over the token size cap: the provider's genuine answer is too large to keep (no
            # cookie could hold it), which is what the user and the operator need to hear.
            code = "session_too_large" if exc.reason == "token_too_large" else "id_token_invalid"
            raise AuthError.of(code, reason=exc.reason) from None
        session = SessionData(new_session_id(), tokens.id_token, tokens.access_token,
                              tokens.refresh_token, now)
        return SignedIn(session, User.from_claims(id_claims, access_claims),
                        tx.return_to)

