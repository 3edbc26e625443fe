"""ListUsers' ``Filter``: ``<attribute> <op> "<value>"``, ``=`` (exact) or ``^=`` (starts with),
one attribute, ``\\"`` for a quote inside the value; empty means every user (§4.1)."""

from __future__ import annotations

import re
from collections.abc import Callable

from ..store import User
from .params import invalid

__all__ = ["user_filter"]

_FILTER = re.compile(r'^\s*([\w:]+)\s*(\^?=)\s*"((?:[^"\\]|\\.)*)"\s*$')


def _status(user: User) -> str:
    return "Enabled" if user.enabled else "Disabled"


# attribute -> (its value for a user, compared case-insensitively?)
def _attribute(name: str) -> Callable[[User], str | None]:
    return lambda user: user.attributes.get(name)


_SEARCHABLE: dict[str, tuple[Callable[[User], str | None], bool]] = {
    "username": (lambda u: u.username, False),
    "email": (lambda u: u.email, True),
    "sub": (lambda u: u.sub, False),
    "cognito:user_status": (lambda u: u.status, True),
    "status": (_status, False),
    **{
        name: (_attribute(name), False)
        for name in ("phone_number", "name", "given_name", "family_name", "preferred_username")
    },
}


def user_filter(text: str) -> Callable[[User], bool]:
    """A predicate for the filter; InvalidParameterException for one Cognito would refuse."""
    if not text.strip():
        return lambda _user: True
    match = _FILTER.match(text)
    if match is None:
        raise invalid("Error while parsing filter.")
    name, op, raw = match.groups()
    if name not in _SEARCHABLE:
        raise invalid(f"Invalid search attribute: {name}")
    read, fold = _SEARCHABLE[name]
    wanted = re.sub(r"\\(.)", r"\1", raw)
    if fold:
        wanted = wanted.lower()

    def matches(user: User) -> bool:
        value = read(user)
        if value is None:
            return False
        value = value.lower() if fold else value
        return value.startswith(wanted) if op == "^=" else value == wanted

    return matches
