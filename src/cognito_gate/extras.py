"""A missing optional dependency is one line naming the ``pip install`` that adds it."""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["MissingExtra", "need"]


class MissingExtra(ImportError):
    """An extra of cognito-gate is not installed; the message says how to install it."""


def need(module: str, extra: str, what: str) -> ModuleType:
    """Import ``module`` or raise ``MissingExtra`` naming ``pip install 'cognito-gate[extra]'``."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingExtra(f"{what} needs {module}, which is not installed: "
                           f"pip install 'cognito-gate[{extra}]'") from None
