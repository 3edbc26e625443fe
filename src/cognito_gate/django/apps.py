"""The Django app entry: its templates (``cognito_gate/error.html``)."""

from __future__ import annotations

from django.apps import AppConfig


class CognitoGateConfig(AppConfig):  # type: ignore[misc]
    name = "cognito_gate.django"
    label = "cognito_gate"
    verbose_name = "cognito-gate"
