"""Reading an operation's input members the way Cognito validates them.

boto3 checks required members, types and minimum lengths before sending; patterns, maximum
lengths and enums are the server's job, answered as ``InvalidParameterException`` in AWS's
"1 validation error detected" wording with the member's camelCase path (§1.3).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ..errors import CognitoError

if TYPE_CHECKING:
    from ..config import ClientConfig
    from ..local_cognito import LocalCognito

__all__ = ["POOL_ID", "RESOURCE_SERVER", "Params", "invalid"]

POOL_ID = r"[\w-]+_[0-9a-zA-Z]+"
CLIENT_ID = r"[\w+-]+"  # Cognito: [\w+]+; Local Cognito's ids may hold "-" (cognito-gate-demo)
NAME = r"[\p{L}\p{M}\p{S}\p{N}\p{P}]+"
RESOURCE_SERVER = r"[\x21\x23-\x5B\x5D-\x7E]+"
_PATTERNS = {
    POOL_ID: re.compile(POOL_ID),
    CLIENT_ID: re.compile(CLIENT_ID),
    RESOURCE_SERVER: re.compile(RESOURCE_SERVER),
}


def invalid(message: str) -> CognitoError:
    return CognitoError("InvalidParameterException", message)


def _violation(member: str, value: object, constraint: str) -> CognitoError:
    shown = "null" if value is None else f"'{value}'"
    path = member[:1].lower() + member[1:]
    return invalid(
        f"1 validation error detected: Value {shown} at '{path}' failed to satisfy constraint: "
        f"Member must {constraint}"
    )


def _no_whitespace(value: str) -> bool:
    """Cognito's name pattern (letters, marks, symbols, numbers, punctuation): no spaces."""
    return bool(value) and not any(c.isspace() or not c.isprintable() for c in value)


class Params:
    """The request's JSON object, read member by member."""

    def __init__(self, body: dict[str, Any]) -> None:
        self.body = body

    def text(
        self, member: str, *, pattern: str | None = None, max_length: int | None = None
    ) -> str:
        value = self.optional(member, pattern=pattern, max_length=max_length)
        if value is None:
            raise _violation(member, None, "not be null")
        return value

    def optional(
        self, member: str, *, pattern: str | None = None, max_length: int | None = None
    ) -> str | None:
        value = self.body.get(member)
        if value is None:
            return None
        if not isinstance(value, str):
            raise CognitoError("SerializationException", f"{member}: expected a string")
        if max_length is not None and len(value) > max_length:
            raise _violation(member, value, f"have length less than or equal to {max_length}")
        if pattern == NAME and not _no_whitespace(value):
            raise _violation(member, value, f"satisfy regular expression pattern: {NAME}")
        if pattern in _PATTERNS and not _PATTERNS[pattern].fullmatch(value):
            raise _violation(member, value, f"satisfy regular expression pattern: {pattern}")
        return value

    def choice(self, member: str, allowed: Iterable[str]) -> str:
        value = self.text(member)
        options = list(allowed)
        if value not in options:
            raise _violation(member, value, f"satisfy enum value set: [{', '.join(options)}]")
        return value

    def flag(self, member: str, default: bool = False) -> bool:
        value = self.body.get(member, default)
        if not isinstance(value, bool):
            raise CognitoError("SerializationException", f"{member}: expected a boolean")
        return value

    def number(self, member: str, *, low: int, high: int) -> int | None:
        value = self.body.get(member)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise CognitoError("SerializationException", f"{member}: expected an integer")
        if value < low:
            raise _violation(member, value, f"have value greater than or equal to {low}")
        if value > high:
            raise _violation(member, value, f"have value less than or equal to {high}")
        return value

    def strings(self, member: str) -> list[str]:
        value = self.body.get(member, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise CognitoError("SerializationException", f"{member}: expected a list of strings")
        return value

    def mapping(self, member: str) -> dict[str, str]:
        value = self.body.get(member, {})
        if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            raise CognitoError("SerializationException", f"{member}: expected a map of strings")
        return value

    def attributes(self, member: str, *, required: bool = False) -> dict[str, str]:
        """``[{"Name": …, "Value": …}]`` as a dict (a missing Value means empty: delete)."""
        value = self.body.get(member)
        if value is None:
            if required:
                raise _violation(member, None, "not be null")
            return {}
        if not isinstance(value, list) or not all(
            isinstance(a, dict) and isinstance(a.get("Name"), str) for a in value
        ):
            raise CognitoError("SerializationException", f"{member}: expected a list of attributes")
        return {a["Name"]: str(a.get("Value") or "") for a in value}

    # what most operations name first
    def pool(self, lc: LocalCognito) -> str:
        pool_id = self.text("UserPoolId", pattern=POOL_ID, max_length=55)
        if pool_id != lc.pool_id:
            raise CognitoError("ResourceNotFoundException", f"User pool {pool_id} does not exist.")
        return pool_id

    def client(self, lc: LocalCognito) -> ClientConfig:
        client_id = self.text("ClientId", pattern=CLIENT_ID, max_length=128)
        client = lc.clients.get(client_id)
        if client is None:
            raise CognitoError(
                "ResourceNotFoundException", f"User pool client {client_id} does not exist."
            )
        return client

    def username(self, member: str = "Username") -> str:
        return self.text(member, pattern=NAME, max_length=128)

    def page(self, member: str, items: int) -> int:
        """Where a page starts: the opaque token is the index of the next item."""
        token = self.optional(member)
        if token is None:
            return 0
        if not token.startswith("p-") or not token[2:].isdigit() or int(token[2:]) > items:
            raise invalid("Invalid pagination token")
        return int(token[2:])
