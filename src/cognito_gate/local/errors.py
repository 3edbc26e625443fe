"""One error for everything the pool refuses, named as Cognito names it.

The JSON API sends ``kind`` as ``__type`` (boto3 raises ``client.exceptions.<kind>``), the
hosted UI shows ``message``, and the Python test API raises it (a ``ValueError``).
"""

from __future__ import annotations

__all__ = ["CognitoError", "UserExistsError"]


class CognitoError(ValueError):
    def __init__(self, kind: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.kind, self.message, self.status = kind, message, status


class UserExistsError(CognitoError):
    """An account with the given email already exists."""

    def __init__(self, message: str = "An account with the given email already exists.") -> None:
        super().__init__("UsernameExistsException", message)
