"""Settings for a framework app: its own configuration first, then the environment and ``.env``."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from ..core.config import ENV_NAMES, Settings

__all__ = ["settings_from"]


def settings_from(config: Mapping[str, Any]) -> Settings:
    """``Settings`` from the same variable names (``COGNITO_DOMAIN``, ``APP_URL``…) set in the
    framework's configuration (``app.config``, ``settings.py``), else in the environment."""
    names = {name for variables in ENV_NAMES.values() for name in variables}
    given = {k: str(v) for k, v in config.items() if k in names and v not in (None, "")}
    return Settings.from_env({**os.environ, **given})
