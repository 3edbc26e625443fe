"""The users, groups and memberships tables of the store (a mixin of :class:`Store`).

One pool, one truth: the hosted UI, the JSON API and the Python test API all read and write
these rows, so a change made through one face is what the next request through another sees.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ADDED_COLUMNS", "Group", "User", "UserTables"]

# Columns added after the first release; store._create_or_migrate adds them to older data files.
ADDED_COLUMNS = (
    ("users", "status", "TEXT"),
    ("users", "enabled", "INTEGER NOT NULL DEFAULT 1"),
    ("users", "created", "REAL NOT NULL DEFAULT 0"),
    ("users", "modified", "REAL NOT NULL DEFAULT 0"),
    ("users", "password_expires", "REAL"),
    ("groups", "precedence", "INTEGER"),
    ("groups", "role_arn", "TEXT"),
    ("groups", "created", "REAL NOT NULL DEFAULT 0"),
    ("groups", "modified", "REAL NOT NULL DEFAULT 0"),
    ("lineages", "api", "INTEGER NOT NULL DEFAULT 0"),
    ("lineages", "resource", "TEXT"),
)
_USER_COLUMNS = (
    "sub, username, email, password_hash, status, attributes, enabled, created, modified, "
    "password_expires"
)
# An address signs in a pool user only; a federated profile with the same address is apart.
_NATIVE = {"email": " AND status != 'EXTERNAL_PROVIDER'"}
_GROUP_COLUMNS = "name, description, precedence, role_arn, created, modified"


@dataclass(frozen=True)
class User:
    """A user of the pool. ``status`` is Cognito's UserStatus: UNCONFIRMED, CONFIRMED,
    FORCE_CHANGE_PASSWORD (holds a temporary password until ``temporary_expires``) or
    RESET_REQUIRED; ``attributes`` holds every attribute but ``sub`` and ``email``."""

    sub: str
    username: str
    email: str
    password_hash: str = field(repr=False)
    status: str
    attributes: dict[str, str]
    groups: tuple[str, ...] = ()
    enabled: bool = True
    created: float = 0.0
    modified: float = 0.0
    temporary_expires: float | None = None

    @property
    def confirmed(self) -> bool:
        return self.status != "UNCONFIRMED"

    @property
    def active(self) -> bool:
        """May hold a session and refresh tokens: enabled and past sign-up confirmation."""
        return self.enabled and self.confirmed


@dataclass(frozen=True)
class Group:
    name: str
    description: str
    precedence: int | None = None
    role_arn: str | None = None
    created: float = 0.0
    modified: float = 0.0


class UserTables:
    """Queries on users, groups and memberships; every write is one transaction."""

    def _tx(self) -> AbstractContextManager[sqlite3.Connection]:
        raise NotImplementedError  # provided by Store: a transaction, for several writes

    def _use(self) -> AbstractContextManager[sqlite3.Connection]:
        raise NotImplementedError  # provided by Store: the connection, for reads and one write

    # users
    def add_user(self, user: User) -> None:
        with self._tx() as db:
            db.execute(
                f"INSERT INTO users (confirmed, {_USER_COLUMNS}) "  # noqa: S608
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (int(user.confirmed), *_user_row(user)),
            )
            for group in user.groups:
                db.execute(
                    "INSERT OR IGNORE INTO groups (name, description) VALUES (?, '')", (group,)
                )
                db.execute("INSERT OR IGNORE INTO memberships VALUES (?, ?)", (user.sub, group))

    def user(
        self, *, email: str | None = None, sub: str | None = None, username: str | None = None
    ) -> User | None:
        """By ``sub``, ``username`` or the sign-in ``email`` (which names no federated user)."""
        given = [(c, v) for c, v in (("email", email), ("sub", sub), ("username", username)) if v]
        if not given:
            return None
        column, value = given[0]
        with self._use() as db:
            row = db.execute(
                f"SELECT {_USER_COLUMNS} FROM users WHERE {column} = ?"  # noqa: S608
                + _NATIVE.get(column, ""),
                (value,),
            ).fetchone()
            return None if row is None else _user(db, row)

    def users(self) -> list[User]:
        """Every user, oldest first (the order ListUsers pages through)."""
        with self._use() as db:
            rows = db.execute(
                f"SELECT {_USER_COLUMNS} FROM users ORDER BY created, rowid"  # noqa: S608
            ).fetchall()
            return [_user(db, row) for row in rows]

    def save_user(self, user: User) -> None:
        """Write back every column of an existing user (groups are kept apart)."""
        with self._use() as db:
            db.execute(
                "UPDATE users SET sub = ?, username = ?, email = ?, password_hash = ?, "
                "status = ?, attributes = ?, enabled = ?, created = ?, modified = ?, "
                "password_expires = ?, confirmed = ? WHERE sub = ?",
                (*_user_row(user), int(user.confirmed), user.sub),
            )

    def delete_user(self, sub: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM memberships WHERE sub = ?", (sub,))
            db.execute("DELETE FROM sessions WHERE sub = ?", (sub,))
            db.execute("DELETE FROM users WHERE sub = ?", (sub,))

    def confirm_user(self, sub: str) -> None:
        """Sign-up confirmed by a code sent to the address: the e-mail is verified too."""
        with self._use() as db:
            row = db.execute("SELECT attributes FROM users WHERE sub = ?", (sub,)).fetchone()
            attributes = {**json.loads(row[0]), "email_verified": "true"}
            db.execute(
                "UPDATE users SET confirmed = 1, status = 'CONFIRMED', attributes = ? "
                "WHERE sub = ?",
                (json.dumps(attributes), sub),
            )

    # groups
    def save_group(self, group: Group) -> None:
        """Create a group, or update an existing one (keeping its creation date)."""
        with self._use() as db:
            db.execute(
                f"INSERT INTO groups ({_GROUP_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?) "  # noqa: S608
                "ON CONFLICT(name) DO UPDATE SET description = excluded.description, "
                "precedence = excluded.precedence, role_arn = excluded.role_arn, "
                "modified = excluded.modified",
                _group_row(group),
            )

    def group(self, name: str) -> Group | None:
        with self._use() as db:
            row = db.execute(
                f"SELECT {_GROUP_COLUMNS} FROM groups WHERE name = ?",  # noqa: S608
                (name,),
            ).fetchone()
        return None if row is None else Group(*row)

    def groups(self) -> list[Group]:
        with self._use() as db:
            rows = db.execute(
                f"SELECT {_GROUP_COLUMNS} FROM groups ORDER BY name"  # noqa: S608
            ).fetchall()
        return [Group(*row) for row in rows]

    def delete_group(self, name: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM memberships WHERE group_name = ?", (name,))
            db.execute("DELETE FROM groups WHERE name = ?", (name,))

    def set_membership(self, sub: str, group: str, member: bool) -> None:
        with self._use() as db:
            if member:
                db.execute("INSERT OR IGNORE INTO memberships VALUES (?, ?)", (sub, group))
            else:
                db.execute("DELETE FROM memberships WHERE sub = ? AND group_name = ?", (sub, group))

    def members(self, group: str) -> list[User]:
        return [user for user in self.users() if group in user.groups]


def _user_row(user: User) -> tuple[Any, ...]:
    return (
        user.sub,
        user.username,
        user.email,
        user.password_hash,
        user.status,
        json.dumps(user.attributes),
        int(user.enabled),
        user.created,
        user.modified,
        user.temporary_expires,
    )


def _group_row(group: Group) -> tuple[Any, ...]:
    return (
        group.name,
        group.description,
        group.precedence,
        group.role_arn,
        group.created,
        group.modified,
    )


def _user(db: sqlite3.Connection, row: tuple[Any, ...]) -> User:
    groups = db.execute(
        "SELECT group_name FROM memberships WHERE sub = ? ORDER BY group_name", (row[0],)
    ).fetchall()
    return User(
        sub=row[0],
        username=row[1],
        email=row[2],
        password_hash=row[3],
        status=row[4],
        attributes=json.loads(row[5]),
        groups=tuple(g[0] for g in groups),
        enabled=bool(row[6]),
        created=row[7],
        modified=row[8],
        temporary_expires=row[9],
    )
