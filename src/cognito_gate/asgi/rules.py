"""Which requirement guards a path: ``protect={"/admin": groups("admins"), …}``.

A path falls under the rule of the longest prefix it starts with, compared in the same forms as
``ProtectedPaths`` (plain, lower-cased, normalised: CK-09). When the forms land on different
rules (``/admin/..;/orders`` reads as ``/admin/…`` to one router and ``/orders`` to another),
every one of them applies, so a path trick can only ever ask for more.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..core.authz import Machine, Requirement
from ..core.user import User
from .paths import normalise_path

__all__ = ["AccessRules"]


class AccessRules:
    __slots__ = ("_rules",)

    def __init__(self, rules: Mapping[str, Requirement]) -> None:
        normalised = ((normalise_path(p).rstrip("/") or "/", r) for p, r in rules.items())
        self._rules = sorted(normalised, key=lambda rule: -len(rule[0]))

    def _rule(self, form: str) -> Requirement | None:
        for prefix, requirement in self._rules:
            if form.startswith(prefix):
                return requirement
        return None

    def requirements(self, path: str) -> set[Requirement]:
        """Every requirement ``path`` is under, in any of its forms (empty: none)."""
        forms = {path, path.lower(), normalise_path(path)}
        return {r for r in map(self._rule, forms) if r is not None}

    def allows(self, path: str, caller: User | Machine | None) -> bool:
        return all(r.allows(caller) for r in self.requirements(path))
