"""cognito-gate: sign-in for Python web apps through Amazon Cognito's hosted UI, done properly.

Users import from here only; everything else may move.

    settings = Settings.from_env()
    auth = CognitoAuth(settings, protect=("/protected",))
    app = auth.wrap(app)
"""

__all__ = [
    "AuthError",
    "AuthMiddleware",
    "Clock",
    "CognitoAuth",
    "ConfigError",
    "Event",
    "Machine",
    "ManualClock",
    "MemoryStore",
    "ProviderRejected",
    "ProviderUnavailable",
    "RedactSecrets",
    "RedisStore",
    "Requirement",
    "SessionStore",
    "Settings",
    "SharedSessionStore",
    "StoreUnavailable",
    "SystemClock",
    "TokenExpired",
    "TokenRejected",
    "User",
    "get_caller",
    "get_user",
    "groups",
    "log_event",
    "scopes",
    "signed_in",
]

from .asgi.accesslog import RedactSecrets
from .asgi.auth import CognitoAuth, get_caller, get_user
from .asgi.middleware import AuthMiddleware
from .core.authz import Machine, Requirement, groups, scopes, signed_in
from .core.clock import Clock, ManualClock, SystemClock
from .core.config import Settings
from .core.errors import (
    AuthError,
    ConfigError,
    ProviderRejected,
    ProviderUnavailable,
    StoreUnavailable,
    TokenExpired,
    TokenRejected,
)
from .core.events import Event, log_event
from .core.session import MemoryStore, SessionStore, SharedSessionStore
from .core.user import User
from .stores.redis import RedisStore
