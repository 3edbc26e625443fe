"""Groups of the pool and their members: the one implementation under the JSON API's group
operations, the TOML ``[[groups]]`` and the Python test API (cognito-json-api.md §4.2)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import TYPE_CHECKING

from .errors import CognitoError
from .store import Group, User

if TYPE_CHECKING:
    from .local_cognito import LocalCognito

__all__ = ["Groups"]


class Groups:
    def __init__(self, lc: LocalCognito) -> None:
        self._store, self._clock = lc.store, lc.clock

    def require(self, name: str) -> Group:
        group = self._store.group(name)
        if group is None:
            raise CognitoError("ResourceNotFoundException", "Group not found.")
        return group

    def create(
        self,
        name: str,
        description: str = "",
        *,
        precedence: int | None = None,
        role_arn: str | None = None,
    ) -> Group:
        if self._store.group(name) is not None:
            raise CognitoError("GroupExistsException", "A group with the name already exists.")
        now = self._clock.now()
        group = Group(name, description, precedence, role_arn, now, now)
        self._store.save_group(group)
        return group

    def update(self, group: Group, **changes: object) -> Group:
        """Change the given fields; the ones left out are kept."""
        updated = dataclasses.replace(group, **changes, modified=self._clock.now())  # type: ignore[arg-type]
        self._store.save_group(updated)
        return updated

    def delete(self, group: Group) -> None:
        """The group leaves every member's ``cognito:groups`` from their next tokens on."""
        self._store.delete_group(group.name)

    def set_member(self, user: User, group: Group, member: bool) -> None:
        """Membership reaches the user's next tokens (``cognito:groups``), not the current ones."""
        self._store.set_membership(user.sub, group.name, member)

    def set_groups(self, user: User, names: Iterable[str]) -> None:
        """Exactly these (existing) groups."""
        wanted = [self.require(name) for name in names]
        for name in user.groups:
            self._store.set_membership(user.sub, name, False)
        for group in wanted:
            self.set_member(user, group, True)
