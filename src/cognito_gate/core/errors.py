"""One error taxonomy: every failure a user can meet has a stable code, a status and plain words.

Codes are part of the public contract (searchable, documented in the README); ``reason`` is a
finer, log-only detail such as ``iss_mismatch`` and never holds a token, code or secret.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "CATALOGUE",
    "RETRY_AFTER_DEFAULT",
    "RETRY_AFTER_MAX",
    "RETRY_AFTER_MIN",
    "AuthError",
    "ConfigError",
    "ErrorKind",
    "ProviderRejected",
    "ProviderUnavailable",
    "StoreUnavailable",
    "TokenExpired",
    "TokenRejected",
]


@dataclass(frozen=True, slots=True)
class ErrorKind:
    """What a code means to a person: HTTP status, page title and a message that says what to do."""

    status: int
    title: str
    message: str


_AGAIN = "Please start signing in again."

CATALOGUE: dict[str, ErrorKind] = {
    "signin_state_missing": ErrorKind(
        400, "Sign-in could not be completed",
        "The sign-in response was incomplete. " + _AGAIN),
    "signin_expired": ErrorKind(
        400, "This sign-in link has expired",
        "The link was already used or is too old. " + _AGAIN),
    "signin_cancelled": ErrorKind(
        400, "Sign-in was cancelled", "You did not finish signing in. You can try again."),
    "signin_failed": ErrorKind(
        400, "Sign-in could not be completed",
        "The sign-in service could not complete your request. " + _AGAIN),
    "issuer_mismatch": ErrorKind(
        400, "Sign-in could not be completed",
        "The response came from an unexpected sign-in service. " + _AGAIN),
    "code_rejected": ErrorKind(
        400, "Sign-in expired", "Your sign-in took too long or was already completed. " + _AGAIN),
    "token_response_invalid": ErrorKind(
        400, "Sign-in could not be completed",
        "The sign-in service sent an answer we could not use. " + _AGAIN),
    "id_token_invalid": ErrorKind(
        400, "Sign-in could not be completed",
        "We could not verify your sign-in. " + _AGAIN),
    "session_too_large": ErrorKind(
        400, "Your sign-in is too large to keep",
        "Your account carries more data than a browser cookie can hold. "
        "Please contact the site's administrator."),
    "login_required": ErrorKind(
        401, "Sign-in required", "Sign in first: this needs a signed-in user."),
    "token_invalid": ErrorKind(
        401, "Sign-in required", "Your sign-in is not valid any more. Please sign in again."),
    "session_ended": ErrorKind(
        401, "Your session has ended", "Please sign in again."),
    "forbidden": ErrorKind(
        403, "Not allowed",
        "You are signed in, but not allowed here: this needs another group or scope. Ask an "
        "administrator for access."),
    "csrf_failed": ErrorKind(
        403, "Request refused",
        "This request did not come from this site. Go back, reload the page and try again."),
    "method_not_allowed": ErrorKind(
        405, "Not allowed", "This address does not accept that kind of request."),
    "signin_loop": ErrorKind(
        429, "Sign-in keeps failing",
        "We stopped sending you back and forth to the sign-in page. "
        "Wait a moment, then use the link below to try once more."),
    "internal_error": ErrorKind(
        500, "Something went wrong", "An unexpected error stopped sign-in. Please try again."),
    "client_rejected": ErrorKind(
        503, "Sign-in is not available",
        "This site's sign-in is misconfigured. The administrator has been notified."),
    "provider_unavailable": ErrorKind(
        503, "Sign-in service unavailable",
        "The sign-in service is not answering right now. Please try again in a minute."),
    "session_store_unavailable": ErrorKind(
        503, "Sign-in is briefly unavailable",
        "We could not reach the place where sign-ins are kept. You are still signed in: "
        "please try again in a few seconds."),
}


class AuthError(Exception):
    """A failure with a stable ``code``, HTTP ``status`` and user-facing ``title``/``message``."""

    def __init__(
        self, code: str, status: int, title: str, message: str, *, reason: str = ""
    ) -> None:
        super().__init__(f"{code}: {reason}" if reason else code)
        self.code = code
        self.status = status
        self.title = title
        self.message = message
        self.reason = reason or code

    @classmethod
    def of(cls, code: str, reason: str = "") -> AuthError:
        """Build the error for a catalogue ``code`` (``reason`` is for logs only)."""
        kind = CATALOGUE[code]
        return cls(code, kind.status, kind.title, kind.message, reason=reason)


class TokenRejected(AuthError):
    """A JWT failed a check; ``reason`` names it (``signature_invalid``, ``aud_mismatch``…)."""

    def __init__(self, reason: str) -> None:
        kind = CATALOGUE["token_invalid"]
        super().__init__("token_invalid", kind.status, kind.title, kind.message, reason=reason)


class TokenExpired(TokenRejected):
    """Signature and all other claims passed, only ``exp`` failed: the one case that refreshes."""

    def __init__(self, claims: dict[str, object]) -> None:
        super().__init__("expired")
        self.claims = claims


RETRY_AFTER_MIN, RETRY_AFTER_DEFAULT, RETRY_AFTER_MAX = 1, 30, 300


class ProviderUnavailable(AuthError):
    """Transient: network error, timeout, 5xx, 429 or a garbage body. Never ends a session.

    ``provider_retry_after`` is the provider's own ``Retry-After`` (None when it gave none),
    ``retry_after`` what we tell our callers; both are clamped to 1…300 s here, so no value a
    provider sends can ask for an instant retry storm or a day-long lock-out.
    """

    def __init__(self, reason: str, *, retry_after: int | None = None) -> None:
        kind = CATALOGUE["provider_unavailable"]
        super().__init__(
            "provider_unavailable", kind.status, kind.title, kind.message, reason=reason
        )
        self.provider_retry_after = (
            None if retry_after is None
            else min(RETRY_AFTER_MAX, max(RETRY_AFTER_MIN, retry_after))
        )
        self.retry_after = self.provider_retry_after or RETRY_AFTER_DEFAULT


class StoreUnavailable(ProviderUnavailable):
    """Transient: the shared session store (Redis/Valkey) is down, slow or refused a command.
    Handled like a provider outage (503 + ``Retry-After``, never a sign-out), with its own code."""

    def __init__(self, reason: str, *, retry_after: int = 5) -> None:
        super().__init__(reason, retry_after=retry_after)
        kind = CATALOGUE["session_store_unavailable"]
        self.code, self.status, self.title, self.message = (
            "session_store_unavailable", kind.status, kind.title, kind.message)
        self.args = (f"session_store_unavailable: {reason}",)


class ProviderRejected(AuthError):
    """Definitive OAuth error from the token endpoint (``error`` is e.g. ``invalid_grant``)."""

    def __init__(self, error: str) -> None:
        if error == "invalid_grant":
            code = "code_rejected"
        elif error in _CLIENT_ERRORS:
            code = "client_rejected"  # a configuration problem: the operator must act
        else:
            code = "signin_failed"
        kind = CATALOGUE[code]
        super().__init__(code, kind.status, kind.title, kind.message, reason=f"oauth_{error}")
        self.error = error


_CLIENT_ERRORS = frozenset({"invalid_client", "unauthorized_client"})


class ConfigError(ValueError):
    """Settings are missing or malformed; ``problems`` holds one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(
            "cognito-gate settings are not valid:\n" + "\n".join(f"  - {p}" for p in problems)
        )
