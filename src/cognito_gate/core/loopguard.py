"""Redirect-loop breaker (FT-10): count automatic sign-in redirects per browser in a window."""

from __future__ import annotations

import re

__all__ = ["RedirectBudget"]

_NUMBER = re.compile(r"[0-9]{1,12}")  # ASCII digits, short: not "²", not 5,000 digits for int()


class RedirectBudget:
    """Allows ``limit`` automatic redirects per ``window`` seconds; the state is a tiny cookie
    value ``"<count>.<window start>"`` (tampering only hurts the tamperer's own browser; anything
    but two short ASCII numbers is a fresh count, and the count written back stays small).

    The count restarts when the window ends or when the browser comes back with a working
    session (the middleware clears the cookie then) — not at the callback, whose success means
    nothing if the browser then drops the session cookie."""

    __slots__ = ("limit", "window")

    def __init__(self, limit: int = 3, window: int = 60) -> None:
        self.limit = limit
        self.window = window

    def spend(self, value: str | None, now: float) -> tuple[bool, str]:
        """(may redirect automatically, the new cookie value)."""
        count, start = 0, now
        head, _, tail = (value or "").partition(".")
        if (_NUMBER.fullmatch(head) and _NUMBER.fullmatch(tail)
                and 0 <= now - int(tail) < self.window):
            count, start = min(int(head), self.limit), int(tail)
        count += 1
        return count <= self.limit, f"{count}.{int(start)}"
