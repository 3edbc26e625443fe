"""No object that holds a token, key or secret prints it: repr() (and so str(), f"{x!r}",
tracebacks with locals and debuggers) shows ``<redacted>`` in the library, nothing in Local
Cognito, and a field left empty still reads as empty."""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
import re
from typing import Any

import pytest

import cognito_gate
from cognito_gate.asgi.auth import Resolution
from cognito_gate.asgi.sessioncache import Cached, HotEntry
from cognito_gate.core.authenticate import Authenticated
from cognito_gate.core.flow import SignedIn, Transaction
from cognito_gate.core.refresh import Refreshed
from cognito_gate.core.session import SessionData
from cognito_gate.core.tokens import TokenSet
from cognito_gate.core.user import User
from cognito_gate.local import ClientConfig, UserConfig
from cognito_gate.local.sessions import Session
from cognito_gate.local.store import StoredKey
from cognito_gate.local.store import User as LocalUser
from cognito_gate.local.tokens import Issued
from conftest import make_settings

SECRETS = [f"SeCrEt{i}-0123456789abcdefghijklmnopqrstuvwxyz" for i in range(8)]
ID_TOKEN, ACCESS, REFRESH, CLIENT_SECRET, SESSION_SECRET, CSRF, VERIFIER, STATE = SECRETS
USER = User(sub="sub-1", username="ada", email="ada@example.com", email_verified=True,
            groups=("admins",), expires_at=2e9, issuer="https://issuer", claims={"sub": "sub-1"},
            access_claims={"sub": "sub-1"})
SESSION = SessionData("sid-1", ID_TOKEN, ACCESS, REFRESH, 1.8e9)


def assert_redacted(obj: object, *shown: str) -> None:
    text = repr(obj)
    for secret in SECRETS:
        assert secret not in text, f"{type(obj).__name__} prints a secret: {text}"
    for part in shown:
        assert part in text, f"{part!r} missing from {text}"


def test_settings_print_neither_the_client_secret_nor_the_session_secret() -> None:
    settings = make_settings(client_secret=CLIENT_SECRET, session_secret=[SESSION_SECRET])
    assert_redacted(settings, "client_secret=<redacted>", "session_secret=<redacted>",
                    "client_id='testclient123'")
    assert_redacted(str(settings))


def test_session_and_token_response_print_no_token() -> None:
    assert_redacted(SESSION, "id_token=<redacted>", "access_token=<redacted>",
                    "refresh_token=<redacted>", "sid='sid-1'")
    assert_redacted(TokenSet(ID_TOKEN, ACCESS, REFRESH, 3600), "expires_in=3600")
    assert "refresh_token=None" in repr(TokenSet(ID_TOKEN, ACCESS, None, 3600))  # empty shows


def test_objects_holding_a_session_print_no_token() -> None:
    assert_redacted(Refreshed(SESSION, {"sub": "sub-1"}, {"sub": "sub-1"}, "ab12"), "sid='sid-1'")
    assert_redacted(SignedIn(SESSION, USER, "/account"), "return_to='/account'")
    assert_redacted(Authenticated(SESSION, USER, CSRF, 2e9, False), "csrf=<redacted>")


def test_pending_sign_in_prints_neither_state_nor_nonce_nor_pkce_verifier() -> None:
    tx = Transaction(STATE, SECRETS[0], VERIFIER, "/account", 1.8e9)
    assert_redacted(tx, "state=<redacted>", "nonce=<redacted>", "verifier=<redacted>",
                    "return_to='/account'")


def test_hot_path_entry_and_slow_path_outcome_print_no_cookie_or_csrf_token() -> None:
    header = f"__Host-cg.0=1.{ACCESS}".encode()
    assert_redacted(HotEntry(header, USER, CSRF, 2e9), "header=<redacted>", "csrf=<redacted>")
    assert_redacted(Cached(header[12:60], USER, CSRF, 2e9, bytes(32)), "csrf=<redacted>")
    writes = [(b"set-cookie", f"__Host-cg.0=1.{REFRESH}; Path=/".encode())]
    assert_redacted(Resolution(writes=writes), "writes=<redacted>")
    assert "writes=[]" in repr(Resolution())


def test_user_prints_claims_but_holds_no_token() -> None:
    """A decision: ``User`` holds verified claims (who, not a credential), so it prints them."""
    assert_redacted(USER, "sub='sub-1'", "email='ada@example.com'")


def test_local_cognito_objects_print_no_secret_key_password_or_token() -> None:
    assert_redacted(ClientConfig("app", client_secret="LocalSecret1"), "client_id='app'")
    assert "LocalSecret1" not in repr(ClientConfig("app", client_secret="LocalSecret1"))
    assert "Pw-1-secret" not in repr(UserConfig("ada@example.com", "Pw-1-secret"))
    assert "HASH" not in repr(LocalUser("s", "u", "e", "HASH", True, {}, ()))
    assert "PRIVATE" not in repr(StoredKey("kid", "id", "-----BEGIN PRIVATE KEY-----", 0.0,
                                           "active"))
    assert "SID123" not in repr(Session("SID123", LocalUser("s", "u", "e", "h", True, {}, ()), 0))
    assert_redacted(Issued(ACCESS, ID_TOKEN, 3600), "expires_in=3600")


# Field names that hold a credential. A new class with such a field fails here until its repr
# hides it (library: ``redact.secret()``; Local Cognito: ``field(repr=False)``).
CREDENTIAL = re.compile(r"(^|_)(id|access|refresh)_token$|secret$|password|verifier|csrf"
                        r"|^pem$|^session_id$|^header$|^writes$")
NOT_CREDENTIALS = {  # (class, field) named like a credential but not one
    ("ClientConfig", "generate_secret"),  # a flag
    ("TokenFault", "header"),  # a fault switch's JWS header edits
}


# Modules that need a configured Django project to import, and hold no records: the URLconf
# builds its routes from the configured gate; the auth backend and middleware import
# django.contrib.auth's models.
NEED_DJANGO_SETUP = {"cognito_gate.django.urls", "cognito_gate.django.backend",
                     "cognito_gate.django.auth"}


def _record_classes() -> list[tuple[type, list[tuple[str, bool]]]]:
    """Every dataclass and NamedTuple of the package, with (field, hidden from repr?)."""
    found: list[tuple[type, list[tuple[str, bool]]]] = []
    for info in pkgutil.walk_packages(cognito_gate.__path__, "cognito_gate."):
        if info.name in NEED_DJANGO_SETUP:
            continue
        module = importlib.import_module(info.name)
        for obj in vars(module).values():
            # type(obj), not isinstance(): a lazy object (Django's settings) would set itself up
            if not issubclass(type(obj), type) or obj.__module__ != module.__name__:
                continue
            if dataclasses.is_dataclass(obj):
                found.append((obj, [(f.name, bool(f.metadata.get("secret")) or not f.repr)
                                    for f in dataclasses.fields(obj)]))
            elif issubclass(obj, tuple) and hasattr(obj, "_fields"):
                hidden = obj.__repr__ is not tuple.__repr__ and "__repr__" in vars(obj)
                found.append((obj, [(name, hidden) for name in obj._fields]))
    return found


RECORDS = _record_classes()


@pytest.mark.parametrize(("cls", "fields"), RECORDS,
                         ids=[f"{cls.__module__}.{cls.__name__}" for cls, _ in RECORDS])
def test_every_credential_field_is_hidden_from_repr(cls: type, fields: Any) -> None:
    exposed = [name for name, hidden in fields if CREDENTIAL.search(name) and not hidden
               and (cls.__name__, name) not in NOT_CREDENTIALS]
    assert not exposed, f"{cls.__module__}.{cls.__name__} prints {exposed}"
