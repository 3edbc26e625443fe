"""Read-only claims: what the app is handed cannot change what later requests see as verified.

Verified claims are cached per token and shared by every request that carries it, so the copy an
app gets must refuse changes. ``freeze`` runs once per verified token (not per request): objects
become ``ReadOnlyDict`` and arrays tuples, all the way down. A ``ReadOnlyDict`` is still a
``dict`` for reading, ``isinstance`` and ``json.dumps``; ``dict(claims)`` is a changeable copy.
"""

from __future__ import annotations

from typing import Any, NoReturn

__all__ = ["EMPTY", "ReadOnlyDict", "freeze"]


def _refuse(self: object, *args: object, **kwargs: object) -> NoReturn:
    raise TypeError("verified claims are read-only; change a copy: dict(user.claims)")


class ReadOnlyDict(dict[str, Any]):
    """A ``dict`` that refuses every change."""

    __slots__ = ()
    __setitem__ = __delitem__ = __ior__ = _refuse
    clear = pop = popitem = setdefault = update = _refuse

    def __reduce__(self) -> tuple[type[ReadOnlyDict], tuple[dict[str, Any]]]:
        return ReadOnlyDict, (dict(self),)  # pickle and copy rebuild it without __setitem__


def freeze(value: Any) -> Any:
    """``value`` with every JSON object read-only and every array a tuple (a new structure)."""
    if isinstance(value, dict):
        return ReadOnlyDict({name: freeze(item) for name, item in value.items()})
    if isinstance(value, list):
        return tuple(freeze(item) for item in value)
    return value


EMPTY = ReadOnlyDict()
