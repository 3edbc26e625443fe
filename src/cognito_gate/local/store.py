"""SQLite persistence for one pool: users, groups, codes, refresh lineages, sessions, keys.

One connection guarded by a lock: Local Cognito is a development server, and a single writer
makes every read-check-write (consuming a code, rotating a refresh token) atomic for free. So a
read, or a method with one write, runs under the lock alone (SQLite makes each statement atomic in
autocommit mode); only methods with several writes pay for an explicit transaction (BEGIN/COMMIT).
Secrets that grant access (refresh tokens, session ids) are stored only as SHA-256 hashes.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from .store_users import ADDED_COLUMNS, Group, User, UserTables

__all__ = ["Grant", "Group", "Lineage", "Store", "StoredKey", "User", "digest"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS clients (client_id TEXT PRIMARY KEY, config TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS users (
    sub TEXT PRIMARY KEY, username TEXT UNIQUE NOT NULL, email TEXT NOT NULL,
    password_hash TEXT NOT NULL, confirmed INTEGER NOT NULL, attributes TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS groups (name TEXT PRIMARY KEY, description TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS memberships (
    sub TEXT NOT NULL, group_name TEXT NOT NULL, PRIMARY KEY (sub, group_name));
CREATE TABLE IF NOT EXISTS codes (
    code TEXT PRIMARY KEY, grant_json TEXT NOT NULL, expires_at REAL NOT NULL,
    used INTEGER NOT NULL DEFAULT 0, origin_jti TEXT);
CREATE TABLE IF NOT EXISTS lineages (
    origin_jti TEXT PRIMARY KEY, client_id TEXT NOT NULL, sub TEXT NOT NULL,
    scopes TEXT NOT NULL, auth_time INTEGER NOT NULL, event_id TEXT NOT NULL,
    expires_at REAL NOT NULL, revoked INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS refresh_tokens (
    token_hash TEXT PRIMARY KEY, origin_jti TEXT NOT NULL, expires_at REAL NOT NULL,
    superseded_at REAL);
CREATE TABLE IF NOT EXISTS sessions (
    id_hash TEXT PRIMARY KEY, kind TEXT NOT NULL, sub TEXT NOT NULL,
    auth_time INTEGER NOT NULL, expires_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS confirmation_codes (
    email TEXT PRIMARY KEY, code TEXT NOT NULL, expires_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS keys (
    kid TEXT PRIMARY KEY, purpose TEXT NOT NULL, pem TEXT NOT NULL, created REAL NOT NULL,
    state TEXT NOT NULL);
"""


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class Grant:
    """What an authorization code stands for; bound at /oauth2/authorize, checked at /token."""

    client_id: str
    redirect_uri: str
    scopes: tuple[str, ...]
    sub: str
    auth_time: int
    nonce: str | None = None
    code_challenge: str | None = None
    resource: str | None = None  # RFC 8707 ``resource``: the access tokens' ``aud``


@dataclass(frozen=True)
class Lineage:
    """One sign-in's chain of refresh tokens; revoking it kills every token it produced."""

    origin_jti: str
    client_id: str
    sub: str
    scopes: tuple[str, ...]
    auth_time: int
    event_id: str
    expires_at: float
    revoked: bool
    api: bool = False  # signed in through the JSON API (InitiateAuth…), not the hosted UI
    resource: str | None = None  # the access tokens' ``aud`` (``resource=`` at authorize)


@dataclass(frozen=True)
class StoredKey:
    kid: str
    purpose: str
    pem: str = field(repr=False)  # the private key
    created: float
    state: str


def _create_or_migrate(db: sqlite3.Connection) -> None:
    """Create the tables, and bring a data file written by an older version up to date."""
    db.executescript(_SCHEMA)
    for table, column, declaration in ADDED_COLUMNS:
        present = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
        if column not in present:
            db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")
    db.execute(
        "UPDATE users SET status = CASE confirmed WHEN 1 THEN 'CONFIRMED' "
        "ELSE 'UNCONFIRMED' END WHERE status IS NULL"
    )
    _free_federated_emails(db)


def _free_federated_emails(db: sqlite3.Connection) -> None:
    """An e-mail address names one pool user, but a federated profile may carry the address
    of a pool user (Cognito keeps them apart until linked), or none: the uniqueness of
    ``email`` holds for the addresses of non-federated users only. Older data files
    declared it on the column: their table is rebuilt once."""
    (table,) = db.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'users'"
    ).fetchone()
    if "email TEXT UNIQUE" in table:
        columns = table[table.index("(") :].replace("email TEXT UNIQUE", "email TEXT")
        steps = (
            "BEGIN",
            "ALTER TABLE users RENAME TO users_old",
            f"CREATE TABLE users {columns}",
            "INSERT INTO users SELECT * FROM users_old",
            "DROP TABLE users_old",
            "COMMIT",
        )
        db.executescript(";\n".join(steps) + ";")
    db.execute("DROP INDEX IF EXISTS users_email")  # a first version's, without ''
    db.execute(
        "CREATE UNIQUE INDEX IF NOT EXISTS users_pool_email ON users (email) "
        "WHERE status != 'EXTERNAL_PROVIDER' AND email != ''"
    )


class _EmptyPool:
    """An empty in-memory database with the current schema, made once per process and copied
    into each new in-memory store with SQLite's backup API: ~0.05 ms instead of ~3 ms of
    CREATE/PRAGMA statements, which a test suite building a pool per test pays every time."""

    _db: sqlite3.Connection | None = None
    _lock = threading.Lock()

    @classmethod
    def copy_into(cls, target: sqlite3.Connection) -> None:
        with cls._lock:
            if cls._db is None:
                cls._db = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
                _create_or_migrate(cls._db)
            cls._db.backup(target)


class Store(UserTables):
    def __init__(self, path: str = ":memory:") -> None:
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        with self._lock:
            if path == ":memory:":
                _EmptyPool.copy_into(self._db)
            else:
                _create_or_migrate(self._db)

    @contextmanager
    def _use(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            yield self._db

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # meta and clients
    def meta(self, key: str) -> str | None:
        with self._use() as db:
            row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        with self._use() as db:
            db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def save_client(self, client_id: str, config: dict[str, object]) -> None:
        with self._use() as db:
            db.execute(
                "INSERT OR REPLACE INTO clients VALUES (?, ?)", (client_id, json.dumps(config))
            )

    def clients(self) -> list[dict[str, object]]:
        with self._use() as db:
            return [json.loads(r[0]) for r in db.execute("SELECT config FROM clients")]

    # authorization codes
    def save_code(self, code: str, grant: Grant, expires_at: float) -> None:
        payload = json.dumps(grant.__dict__)
        with self._use() as db:
            db.execute(
                "INSERT INTO codes (code, grant_json, expires_at) VALUES (?, ?, ?)",
                (code, payload, expires_at),
            )

    def consume_code(
        self, code: str, client_id: str
    ) -> tuple[str, Grant | None, float, str | None]:
        """Atomically use up a code issued to ``client_id``.

        Returns (outcome, grant, expires_at, origin_jti) where outcome is "ok", "unknown"
        (never issued, or issued to another client — left untouched) or "reused".
        """
        with self._use() as db:
            row = db.execute(
                "SELECT grant_json, expires_at, used, origin_jti FROM codes WHERE code = ?", (code,)
            ).fetchone()
            if row is None:
                return "unknown", None, 0.0, None
            data = json.loads(row[0])
            grant = Grant(**{**data, "scopes": tuple(data["scopes"])})
            if grant.client_id != client_id:
                return "unknown", None, 0.0, None
            if row[2]:
                return "reused", grant, row[1], row[3]
            db.execute("UPDATE codes SET used = 1 WHERE code = ?", (code,))
        return "ok", grant, row[1], None

    def link_code(self, code: str, origin_jti: str) -> None:
        with self._use() as db:
            db.execute("UPDATE codes SET origin_jti = ? WHERE code = ?", (origin_jti, code))

    # refresh-token lineages
    def add_lineage(self, lineage: Lineage) -> None:
        with self._use() as db:
            db.execute(
                "INSERT INTO lineages VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    lineage.origin_jti,
                    lineage.client_id,
                    lineage.sub,
                    " ".join(lineage.scopes),
                    lineage.auth_time,
                    lineage.event_id,
                    lineage.expires_at,
                    int(lineage.revoked),
                    int(lineage.api),
                    lineage.resource,
                ),
            )

    def lineage(self, origin_jti: str) -> Lineage | None:
        with self._use() as db:
            row = db.execute(
                "SELECT * FROM lineages WHERE origin_jti = ?", (origin_jti,)
            ).fetchone()
        if row is None:
            return None
        return Lineage(
            row[0],
            row[1],
            row[2],
            tuple(row[3].split()),
            row[4],
            row[5],
            row[6],
            bool(row[7]),
            bool(row[8]),
            row[9],
        )

    def revoke_lineage(self, origin_jti: str) -> None:
        with self._use() as db:
            db.execute("UPDATE lineages SET revoked = 1 WHERE origin_jti = ?", (origin_jti,))

    def revoke_user_lineages(self, sub: str) -> None:
        """Every sign-in of a user ends (global sign-out, disabling, deletion)."""
        with self._use() as db:
            db.execute("UPDATE lineages SET revoked = 1 WHERE sub = ?", (sub,))

    def add_refresh_token(self, token: str, origin_jti: str, expires_at: float) -> None:
        with self._use() as db:
            db.execute(
                "INSERT INTO refresh_tokens VALUES (?, ?, ?, NULL)",
                (digest(token), origin_jti, expires_at),
            )

    def refresh_token(self, token: str) -> tuple[str, float, float | None] | None:
        """(origin_jti, expires_at, superseded_at) of a refresh token, or None."""
        with self._use() as db:
            row = db.execute(
                "SELECT origin_jti, expires_at, superseded_at FROM refresh_tokens "
                "WHERE token_hash = ?",
                (digest(token),),
            ).fetchone()
        return None if row is None else (row[0], row[1], row[2])

    def supersede_refresh_token(self, token: str, at: float) -> None:
        with self._use() as db:
            db.execute(
                "UPDATE refresh_tokens SET superseded_at = ? "
                "WHERE token_hash = ? AND superseded_at IS NULL",
                (at, digest(token)),
            )

    # hosted-UI sessions ("session": the `cognito` cookie; "pending": sign-up awaiting a code)
    def save_session(
        self, session_id: str, kind: str, sub: str, auth_time: int, expires_at: float
    ) -> None:
        with self._use() as db:
            db.execute(
                "INSERT OR REPLACE INTO sessions VALUES (?, ?, ?, ?, ?)",
                (digest(session_id), kind, sub, auth_time, expires_at),
            )

    def session(self, session_id: str, kind: str) -> tuple[str, int, float] | None:
        """(sub, auth_time, expires_at) of a session, or None."""
        with self._use() as db:
            row = db.execute(
                "SELECT sub, auth_time, expires_at FROM sessions WHERE id_hash = ? AND kind = ?",
                (digest(session_id), kind),
            ).fetchone()
        return None if row is None else (row[0], row[1], row[2])

    def delete_session(self, session_id: str) -> None:
        with self._use() as db:
            db.execute("DELETE FROM sessions WHERE id_hash = ?", (digest(session_id),))

    # codes sent "by e-mail": sign-up confirmation (keyed by the address) and password reset
    # (keyed "reset:" + address), so each purpose has its own current code
    def set_confirmation_code(
        self, email: str, code: str, expires_at: float, purpose: str = "signup"
    ) -> None:
        with self._use() as db:
            db.execute(
                "INSERT OR REPLACE INTO confirmation_codes VALUES (?, ?, ?, 0)",
                (_code_key(email, purpose), code, expires_at),
            )

    def confirmation_code(
        self, email: str, purpose: str = "signup"
    ) -> tuple[str, float, int] | None:
        """(code, expires_at, failed attempts) for an e-mail address, or None."""
        with self._use() as db:
            row = db.execute(
                "SELECT code, expires_at, attempts FROM confirmation_codes WHERE email = ?",
                (_code_key(email, purpose),),
            ).fetchone()
        return None if row is None else (row[0], row[1], row[2])

    def count_confirmation_failure(self, email: str, purpose: str = "signup") -> None:
        with self._use() as db:
            db.execute(
                "UPDATE confirmation_codes SET attempts = attempts + 1 WHERE email = ?",
                (_code_key(email, purpose),),
            )

    def delete_confirmation_code(self, email: str, purpose: str = "signup") -> None:
        with self._use() as db:
            db.execute(
                "DELETE FROM confirmation_codes WHERE email = ?", (_code_key(email, purpose),)
            )

    # signing keys
    def add_key(self, key: StoredKey) -> None:
        with self._use() as db:
            db.execute(
                "INSERT INTO keys VALUES (?, ?, ?, ?, ?)",
                (key.kid, key.purpose, key.pem, key.created, key.state),
            )

    def keys(self) -> list[StoredKey]:
        with self._use() as db:
            rows = db.execute("SELECT * FROM keys ORDER BY created, kid").fetchall()
        return [StoredKey(*row) for row in rows]

    def set_key_state(self, old_state: str, new_state: str) -> None:
        with self._use() as db:
            db.execute("UPDATE keys SET state = ? WHERE state = ?", (new_state, old_state))

    # listings for the local console
    def recent_confirmation_codes(self, limit: int) -> list[tuple[str, str, float]]:
        """The newest outstanding sign-up confirmation codes as (email, code, expires_at)."""
        with self._use() as db:
            rows = db.execute(
                "SELECT email, code, expires_at FROM confirmation_codes "
                "WHERE email NOT LIKE 'reset:%' ORDER BY expires_at DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [(row[0], row[1], row[2]) for row in rows]


def _code_key(email: str, purpose: str) -> str:
    return email if purpose == "signup" else f"{purpose}:{email}"
