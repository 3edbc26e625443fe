"""Access logs without secrets: the callback's ``code`` and ``state`` (and any token, password or
client secret sent in a query string) become ``[redacted]`` before a log line is written.

Servers log the full request line, query string included; an authorization code is single-use
and short-lived, but it and ``state`` are exactly what a log reader must not get.
``CognitoAuth`` installs :class:`RedactSecrets` on uvicorn's access logger by itself.
"""

from __future__ import annotations

import logging
import re

__all__ = ["SECRET_PARAMETERS", "RedactSecrets", "install", "redact"]

SECRET_PARAMETERS = (
    "code",
    "state",
    "nonce",
    "code_verifier",
    "id_token",
    "access_token",
    "refresh_token",
    "token",
    "client_secret",
    "password",
)
_PATTERN = re.compile(
    r"(^|[?&;])(" + "|".join(SECRET_PARAMETERS) + r")=[^&;#\s\"]*", re.IGNORECASE
)
UVICORN_ACCESS = "uvicorn.access"


def redact(text: str) -> str:
    """``text`` with the value of every secret query parameter replaced by ``[redacted]``."""
    return _PATTERN.sub(r"\1\2=[redacted]", text)


class RedactSecrets(logging.Filter):
    """A logging filter that redacts secret query parameters in a record's message and
    arguments, keeping the arguments' shape (uvicorn's access formatter unpacks them)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        args = record.args
        if isinstance(args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in args)
        elif isinstance(args, dict):  # gunicorn's access log passes a mapping
            record.args = {k: redact(v) if isinstance(v, str) else v for k, v in args.items()}
        return True


def install(logger_name: str = UVICORN_ACCESS) -> None:
    """Add :class:`RedactSecrets` to the named logger once (idempotent)."""
    logger = logging.getLogger(logger_name)
    if not any(isinstance(f, RedactSecrets) for f in logger.filters):
        logger.addFilter(RedactSecrets())
