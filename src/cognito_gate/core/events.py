"""Audit events: one structured record per authentication event an operator must be able to see.

Emitted on slow paths only (a sign-in, a refresh, a denial…), never for a request the session
cache serves. Each ``Event`` says what happened (``type``, ``outcome``), the stable error ``code``
and finer ``reason`` when it failed, the user's ``sub`` when known, and the client IP and request
id of the request it happened in (from the ASGI scope the middleware puts in ``current_request``).
No field ever holds a token, a code, a secret or a password: ``code`` is a catalogue code
(``errors.CATALOGUE``), ``reason`` a fixed name such as ``signature_invalid``.

``Events`` hands every event to the app's hook (``on_event=``; by default ``log_event``: one JSON
line on the ``cognito_gate.audit`` logger, where ``sub`` goes hashed, as every log line's
identifiers do: CK-06), counts it for the metrics (``tally.Tally``) and keeps
the provider's up/down state per endpoint, so an outage is reported once when it starts and once
when it ends instead of on every failed call.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import secrets
from collections.abc import Callable, MutableMapping
from contextvars import ContextVar
from dataclasses import asdict, dataclass
from typing import Any

from .clock import Clock
from .errors import AuthError
from .tally import Tally
from .verify import decode_segment

__all__ = ["Event", "EventHook", "Events", "current_request", "log_event", "sub_hash", "sub_of"]

log = logging.getLogger("cognito_gate.audit")

REQUEST_ID_KEY = "cognito_gate.request_id"
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")

# The ASGI scope of the request being handled on the slow path (set by the middleware), so that
# events raised deep in the core (a refresh, a JWKS fetch) name the request they happened in.
current_request: ContextVar[MutableMapping[str, Any] | None] = ContextVar("cognito_gate_request",
                                                                default=None)


@dataclass(frozen=True, slots=True)
class Event:
    """One audit event; see the README's "Audit events" for every ``type`` and ``outcome``."""

    type: str  # signin, signout, refresh, session_end, denied, bearer_rejected, jwks_refetch,
    #            provider_outage
    outcome: str  # success | failure | refused | start | end
    time: float  # seconds since the epoch, on the library's clock
    code: str | None = None  # the stable error code (README "Error codes")
    reason: str | None = None  # the finer, fixed reason name (``idle_timeout``, ``http_503``…)
    endpoint: str | None = None  # provider events: token, jwks or revoke
    sub: str | None = None  # the user's Cognito ``sub``, when known
    client_ip: str | None = None  # the peer address as the server saw it (scope["client"])
    request_id: str | None = None  # the request's X-Request-ID, or one made up for it

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))


EventHook = Callable[[Event], object]


def sub_hash(sub: str) -> str:
    """The first 16 hex digits of SHA-256 of ``sub``: the same user gives the same value, and a
    log line names nobody by itself (CK-06)."""
    return hashlib.sha256(sub.encode()).hexdigest()[:16]


def log_event(event: Event) -> None:
    """The default hook: the event as one JSON line on the ``cognito_gate.audit`` logger, with
    ``sub_hash`` in place of ``sub``."""
    fields = asdict(event)
    sub = fields.pop("sub")
    fields["sub_hash"] = None if sub is None else sub_hash(sub)
    log.info("%s", json.dumps(fields, separators=(",", ":")))


def sub_of(id_token: str) -> str | None:
    """``sub`` of an ID token this library sealed into a session itself (verified when it was
    stored), read without a signature check; None if it cannot be read."""
    parts = id_token.split(".")
    try:
        sub = decode_segment(parts[1]).get("sub") if len(parts) == 3 else None
    except AuthError:
        return None
    return sub if isinstance(sub, str) else None


def _request_fields(scope: MutableMapping[str, Any] | None) -> tuple[str | None, str | None]:
    """(client IP, request id) of ``scope``; the request id is made up once per request when the
    request carries no usable ``X-Request-ID``."""
    if scope is None:
        return None, None
    client = scope.get("client")
    ip = client[0] if client else None
    rid = scope.get(REQUEST_ID_KEY)
    if rid is None:
        for name, value in scope.get("headers", ()):
            if name == b"x-request-id":
                given = value.decode("latin-1")
                rid = given if _REQUEST_ID.fullmatch(given) else None
                break
        rid = scope[REQUEST_ID_KEY] = rid or secrets.token_hex(8)
    return ip, rid


class Events:
    """Delivers events to one hook, counts them and tracks provider outages."""

    def __init__(self, clock: Clock, hook: EventHook | None = log_event,
                 tally: Tally | None = None) -> None:
        self._clock = clock
        self._hook = hook
        self.tally = tally or Tally()
        self._down: set[str] = set()  # provider endpoints whose last call failed

    def emit(self, kind: str, outcome: str, *, code: str | None = None,
             reason: str | None = None, endpoint: str | None = None,
             sub: str | None = None) -> None:
        """Record one event. A hook that raises is logged and otherwise ignored: auditing must
        not break sign-in."""
        ip, rid = _request_fields(current_request.get())
        event = Event(kind, outcome, self._clock.now(), code, reason, endpoint, sub, ip, rid)
        self.tally.count(event)
        if self._hook is None:
            return
        try:
            self._hook(event)
        except Exception as exc:
            log.error("on_event hook failed (%s)", type(exc).__name__)

    def failed(self, kind: str, error: AuthError, *, sub: str | None = None,
               outcome: str = "failure") -> None:
        """``emit`` for a failure, its code and reason taken from ``error``."""
        self.emit(kind, outcome, code=error.code, reason=error.reason, sub=sub)

    def provider_call(self, endpoint: str, seconds: float, error: AuthError | None) -> None:
        """One call to the provider's ``endpoint`` took ``seconds``; ``error`` is the
        ``ProviderUnavailable`` it ended in, if any. The first failure after success starts an
        outage event, the first success after failure ends it. Every JWKS fetch is an event."""
        self.tally.latency(endpoint, seconds)
        if endpoint == "jwks":
            self.emit("jwks_refetch", "success" if error is None else "failure",
                      code=None if error is None else error.code,
                      reason=None if error is None else error.reason, endpoint=endpoint)
        if error is not None and endpoint not in self._down:
            self._down.add(endpoint)
            self.emit("provider_outage", "start", code=error.code, reason=error.reason,
                      endpoint=endpoint)
        elif error is None and endpoint in self._down:
            self._down.discard(endpoint)
            self.emit("provider_outage", "end", endpoint=endpoint)

    def is_down(self, endpoint: str) -> bool:
        return endpoint in self._down

    def store_error(self, operation: str) -> None:
        """The session store failed ``operation`` (``load``, ``save``, ``delete``…): the hook a
        store is handed by ``CognitoAuth`` when it has a ``report_errors_to`` method."""
        self.tally.store_error(operation)
