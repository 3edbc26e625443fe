"""Flask: ``CognitoGate(app)``, ``current_user``, ``current_caller``, ``@login_required``,
``@require_groups``, ``@require_scopes``.

Needs the ``flask`` extra (``pip install 'cognito-gate[flask]'``)."""

from ..extras import need

need("flask", "flask", "cognito_gate.flask")

from .extension import (  # noqa: E402  (after the one-line message for a missing Flask)
    AuthProblem,
    CognitoGate,
    current_caller,
    current_user,
    login_required,
    require_groups,
    require_scopes,
)

__all__ = [
    "AuthProblem",
    "CognitoGate",
    "current_caller",
    "current_user",
    "login_required",
    "require_groups",
    "require_scopes",
]
