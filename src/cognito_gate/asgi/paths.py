"""Route protection by path prefix that survives path tricks (CK-09).

The path is normalised the way any router downstream might see it — percent-decoded (repeatedly),
backslashes as slashes, empty and ``.`` segments dropped, ``..`` resolved, ``;params`` stripped,
lower-cased — and a path is protected if either its plain or its normalised form starts with a
prefix (so ``/admin/..;/`` counts, whichever way a server reads it). A prefix protects every path
that starts with it: ``/protected``, ``/protected/``, ``/protected.json``, ``/PROTECTED;x``.

Every request asks, so each test runs only when the cheaper ones before it could not decide: the
plain path against the (normalised, lower-case) prefixes — the usual way a protected path
arrives — then the lower-cased path, and the full normalisation only for a path holding something
a router might read differently (``%``, ``;``, a backslash, ``//`` or ``/.``).
"""

from __future__ import annotations

from urllib.parse import unquote

__all__ = ["ProtectedPaths", "normalise_path"]


def normalise_path(path: str) -> str:
    """Canonical lower-case form of ``path`` for access decisions (never for routing)."""
    for _ in range(3):
        decoded = unquote(path, errors="replace")
        if decoded == path:
            break
        path = decoded
    segments: list[str] = []
    for segment in path.replace("\\", "/").split("/"):
        segment = segment.split(";", 1)[0]
        if segment in ("", "."):
            continue
        if segment == "..":
            if segments:
                segments.pop()
            continue
        segments.append(segment)
    return ("/" + "/".join(segments)).lower()


class ProtectedPaths:
    """Answers "does this path need a signed-in user?" with a fast path for ordinary paths."""

    __slots__ = ("prefixes",)

    def __init__(self, prefixes: tuple[str, ...]) -> None:
        self.prefixes = tuple(normalise_path(p).rstrip("/") or "/" for p in prefixes)

    def __bool__(self) -> bool:
        return bool(self.prefixes)

    def __call__(self, path: str) -> bool:
        prefixes = self.prefixes
        if path.startswith(prefixes) or path.lower().startswith(prefixes):
            return True
        suspicious = "%" in path or ";" in path or "\\" in path or "//" in path or "/." in path
        return suspicious and normalise_path(path).startswith(prefixes)
