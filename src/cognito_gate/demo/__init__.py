"""The cognito-gate demo app (FastAPI + Jinja2), run by `cognito-gate demo`."""

from .app import create_app

__all__ = ["create_app"]
