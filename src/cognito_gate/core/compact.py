"""Verified claims kept compactly: what one cached token costs the process, per active session.

A Cognito token carries ~15 claims, most of them the same object in every token of the pool
(issuer, audience, ``token_use``, scope, ``client_id``, version: interned when decoded); the rest
(``sub``, ``jti``, ``origin_jti``, times, email…) differ per session. A dict of them costs ~1 KB
(the table, a string object per value, an int object per time). ``Compact`` keeps instead the
claim *layout* once per process (``_Shape``: names and the first token's values) and, per token,
only the values that differ from it — which positions (an interned tuple, shared too) and their
JSON text in one ``bytes`` — and, for an access token verified beside its ID token, which values
it shares with that one (``sub``, ``username``, times…), kept once.

``claims()`` rebuilds the read-only dict (``freeze``) on demand: a JSON parse of a few hundred
bytes, a few µs, only when the app reads ``User.claims`` or a cache miss re-checks a session;
the hot path never does. A value is taken from the layout (or the ID token) only if it is the
same object, or a string or number of the same type and value, so a claim never changes type.

A ``Compact`` is also the verified-token cache's entry (a ``ClockEntry``): the cache and every
``User`` of that token share it.
"""

from __future__ import annotations

import json
from collections.abc import Hashable, Mapping
from typing import Any

from .clockcache import ClockEntry
from .readonly import ReadOnlyDict, freeze

__all__ = ["Compact", "VerifiedClaims", "compact", "shared"]

_MAX_INTERNED = 1024  # layouts (and groups) remembered; past that a token keeps its own


class _Shape:
    """One claim layout: its names in order and the values of the first token seen with it."""

    __slots__ = ("names", "values")

    def __init__(self, names: tuple[str, ...], values: tuple[Any, ...]) -> None:
        self.names = names
        self.values = values


_shapes: dict[tuple[str, ...], _Shape] = {}
_layouts: dict[Any, Any] = {}  # interned "which values differ", "which are the base's"
_tuples: dict[Any, Any] = {}  # interned arrays of strings


class Compact(ClockEntry):
    """One token's verified claims: its layout, which values differ (and their JSON text), and
    which it shares with a ``base`` (its ID token's, for an access token verified beside it)."""

    __slots__ = ("_base", "_differ", "_pairs", "_shape", "_text")

    def __init__(self, key: Hashable, until: float, shape: _Shape, differ: tuple[int, ...],
                 text: bytes, base: Compact | None, pairs: tuple[tuple[int, int], ...]) -> None:
        super().__init__(key, until)
        self._shape = shape
        self._differ = differ
        self._text = text
        self._base = base
        self._pairs = pairs  # (position here, position in the base)

    def values(self) -> list[Any]:
        """The claim values in layout order."""
        values = list(self._shape.values)
        if self._base is not None:
            shared = self._base.values()
            for at, there in self._pairs:
                values[at] = shared[there]
        for at, value in zip(self._differ, json.loads(self._text), strict=True):
            values[at] = freeze(value)
        return values

    def claims(self) -> ReadOnlyDict:
        """The claims as verified: a new read-only dict, equal every time."""
        return ReadOnlyDict(zip(self._shape.names, self.values(), strict=True))

    def __repr__(self) -> str:
        return f"Compact({len(self._shape.names)} claims)"


class VerifiedClaims(ReadOnlyDict):
    """Claims handed out by the verifier, with the ``Compact`` they are kept as, so a ``User``
    built from them keeps that one shared copy instead of the dict."""

    __slots__ = ("compact",)

    def __init__(self, claims: Mapping[str, Any], kept: Compact) -> None:
        dict.__init__(self, claims)
        self.compact = kept

    def __reduce__(self) -> tuple[type[ReadOnlyDict], tuple[dict[str, Any]]]:
        return ReadOnlyDict, (dict(self),)


def _interned(table: dict[Any, Any], value: Any) -> Any:
    """One shared copy of ``value`` (bounded: past the bound, ``value`` itself)."""
    return table.setdefault(value, value) if len(table) < _MAX_INTERNED else table.get(value, value)


def shared(names: tuple[str, ...]) -> tuple[str, ...]:
    """One tuple for every equal array of strings (``cognito:groups``)."""
    kept: tuple[str, ...] = _interned(_tuples, names)
    return kept


def _same(a: Any, b: Any) -> bool:
    """Equal and of the same plain type: a shared value may stand for this one."""
    return a is b or (type(a) is type(b) and type(a) in (str, int, float) and a == b)


def compact(key: Hashable, until: float, claims: Mapping[str, Any],
            base: Mapping[str, Any] | None = None) -> Compact:
    """``claims`` (verified, as ``freeze`` left them) kept against their layout and, when given,
    the verified claims of the ID token beside them (``base``: their shared values once)."""
    names = tuple(claims)
    # Arrays of strings (``cognito:groups``) the same in many tokens: one tuple for all.
    values = tuple(_interned(_tuples, v) if type(v) is tuple and all(type(x) is str for x in v)
                   else v for v in claims.values())
    shape = _shapes.get(names)
    if shape is None:
        shape = _Shape(names, values)
        if len(_shapes) < _MAX_INTERNED:
            _shapes[names] = shape
    kept = base.compact if isinstance(base, VerifiedClaims) else None
    # The base's strings by value (``username`` is the ID token's ``cognito:username``), then
    # by name, each of the same type and value as here.
    shared: dict[Any, int] = {}
    if kept is not None and base is not None:
        for i, (name, value) in enumerate(base.items()):
            if type(value) is str:
                shared.setdefault(value, i)
            shared[(name,)] = i
    differ: list[int] = []
    pairs: list[tuple[int, int]] = []
    for at, (name, value) in enumerate(zip(names, values, strict=True)):
        if _same(value, shape.values[at]):
            continue
        there = shared.get(value) if type(value) is str else shared.get((name,))
        if there is not None and base is not None and \
                _same(value, base[kept._shape.names[there]]):  # type: ignore[union-attr]
            pairs.append((at, there))
        else:
            differ.append(at)
    text = json.dumps([values[i] for i in differ], separators=(",", ":")).encode()
    return Compact(key, until, shape, _interned(_layouts, tuple(differ)), text,
                   kept if pairs else None, _interned(_layouts, tuple(pairs)))
