"""``repr()`` that names the fields holding a token or secret without printing them.

Objects end up in logs, tracebacks (with locals) and debuggers through their ``repr``. A
dataclass field declared ``field(metadata=SECRET)`` prints as ``<redacted>``; an empty one
(None, "", ()) prints as itself, so "no refresh token" stays visible. The class sets
``__repr__ = redacted_repr``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from types import MappingProxyType
from typing import Any

__all__ = ["REDACTED", "SECRET", "redacted_repr"]

REDACTED = "<redacted>"
SECRET: Mapping[str, bool] = MappingProxyType({"secret": True})  # field(metadata=SECRET)


def redacted_repr(self: Any) -> str:
    """``Name(field=value, …)`` like a dataclass's own repr, with ``SECRET`` values hidden."""
    shown = []
    for f in fields(self):
        if f.repr:
            value = getattr(self, f.name)
            hidden = f.metadata.get("secret") and value
            shown.append(f"{f.name}={REDACTED if hidden else repr(value)}")
    return f"{type(self).__name__}({', '.join(shown)})"
