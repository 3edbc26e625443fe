"""Synchronous frameworks (WSGI, and Django's sync middleware under ASGI) on the async core.

``SyncGate`` is what the Flask and Django adapters build on; see ARCHITECTURE.md ("Synchronous
frameworks") for the design and its per-request cost."""

from .bridge import Admitted, Answer, SyncGate
from .scope import scope_from_environ

__all__ = ["Admitted", "Answer", "SyncGate", "scope_from_environ"]
