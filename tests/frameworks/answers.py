"""What the test apps' scope-gated API answers, the same in Flask and Django."""

from __future__ import annotations

from typing import Any

from cognito_gate import Machine


def caller_of(caller: Any) -> dict[str, str]:
    """Which kind of caller passed, and who: a machine's client id, a user's ``sub``."""
    if isinstance(caller, Machine):
        return {"kind": "machine", "who": caller.client_id}
    return {"kind": "user", "who": caller.sub}
