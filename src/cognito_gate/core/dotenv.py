"""A tiny ``.env`` reader (KEY=VALUE lines), so settings need no extra dependency."""

from __future__ import annotations

from pathlib import Path

__all__ = ["parse_dotenv", "read_dotenv"]


def parse_dotenv(text: str) -> dict[str, str]:
    """Parse ``KEY=VALUE`` lines; ``#`` comments, ``export`` and matching quotes are understood."""
    values: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export ") :].lstrip()
        key, sep, value = line.partition("=")
        key = key.strip()
        if not sep or not key:
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        else:
            value = value.split(" #", 1)[0].rstrip()
        values[key] = value
    return values


def read_dotenv(path: str | Path | None) -> dict[str, str]:
    """Read ``path`` if it exists; a missing file is not an error (the environment may suffice)."""
    if path is None:
        return {}
    file = Path(path)
    if not file.is_file():
        return {}
    return parse_dotenv(file.read_text(encoding="utf-8"))
