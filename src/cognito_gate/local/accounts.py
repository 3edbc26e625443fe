"""Users and groups of the pool: the one implementation under the JSON API, the hosted UI and
the Python test API (cognito-json-api.md §3, §4.1–4.2), so the three faces cannot disagree.

Every refusal is a :class:`CognitoError` named and worded as Cognito's API answers it.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import secrets
import string
import uuid
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from .config import STANDARD_ATTRIBUTES
from .errors import CognitoError, UserExistsError
from .passwords import hash_password, policy_violation, verify_password
from .store import User

if TYPE_CHECKING:
    from .local_cognito import LocalCognito

__all__ = ["STANDARD_ATTRIBUTES", "Accounts", "normalize_email", "valid_email"]

log = logging.getLogger("cognito_gate.local")

TEMPORARY_PASSWORD_DAYS = 7
CONFIRMATION_TTL = 24 * 3600
RESET_TTL = 3600
MAX_CODE_ATTEMPTS = 5
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_USERNAME = re.compile(r"^\S{1,128}$")
NOT_FOUND = "User does not exist."
INCORRECT = "Incorrect username or password."
DISABLED = "User is disabled."
CANNOT_RESET = "User password cannot be reset in the current state."
TEMPORARY_EXPIRED = "Temporary password has expired and must be reset by an administrator."
ATTEMPTS = "Attempt limit exceeded, please try after some time."


def normalize_email(email: str) -> str:
    return email.strip().lower()


def valid_email(email: str) -> bool:
    return len(email) <= 254 and bool(_EMAIL.match(email))


def _invalid(message: str) -> CognitoError:
    return CognitoError("InvalidParameterException", message)


def _schema_error(name: str, problem: str) -> CognitoError:
    return _invalid(f"Attributes did not conform to the schema: {name}: {problem}\n")


def _require_unconfirmed(user: User) -> None:
    if user.status != "UNCONFIRMED":
        message = f"User cannot be confirmed. Current status is {user.status}"
        raise CognitoError("NotAuthorizedException", message)


class Accounts:
    def __init__(self, lc: LocalCognito) -> None:
        self._lc = lc
        self._store = lc.store
        self.temporary_passwords: dict[str, str] = {}  # email -> last generated (tests read it)

    def _now(self) -> float:
        return self._lc.clock.now()

    # finding users
    def find(self, name: str) -> User | None:
        """By e-mail (the sign-in alias, any case), internal username, or ``sub``."""
        if not name:
            return None
        return (
            self._store.user(email=normalize_email(name))
            or self._store.user(username=name)
            or self._store.user(sub=name)
        )

    def require(self, name: str) -> User:
        user = self.find(name)
        if user is None:
            raise CognitoError("UserNotFoundException", NOT_FOUND)
        return user

    def save(self, user: User, **changes: object) -> User:
        updated = dataclasses.replace(user, **changes, modified=self._now())  # type: ignore[arg-type]
        self._store.save_user(updated)
        return updated

    # creating and deleting
    def create(
        self,
        email: str,
        password: str | None,
        *,
        username: str | None = None,
        attributes: Mapping[str, str] | None = None,
        groups: Iterable[str] = (),
        status: str = "CONFIRMED",
        check_policy: bool = True,
    ) -> User:
        """A new user. In an e-mail sign-in pool its username is its ``sub``, as Cognito names
        them (§3.1); in a pool of real usernames ``username`` is required and kept, the e-mail
        an alias. ``FORCE_CHANGE_PASSWORD`` users hold a temporary password, generated when
        ``password`` is None."""
        email, sub = normalize_email(email), str(uuid.uuid4())
        if self._lc.config.email_usernames:
            if not valid_email(email):
                raise _invalid("Username should be an email.")
            username = sub
        else:
            username = self._new_username(username)
            if not email:
                raise _schema_error("email", "The attribute is required")
            if not valid_email(email):
                raise _invalid("Invalid email address format.")
        if self.find(email) is not None:
            raise UserExistsError()
        attrs = self.checked_attributes(attributes or {})
        attrs.pop("email", None)
        attrs.setdefault("email_verified", "true" if status == "CONFIRMED" else "false")
        if password is None:
            password = self.new_temporary_password(email)
        elif check_policy:
            self.check_policy(password)
        now = self._now()
        user = User(
            sub=sub,
            username=username,
            email=email,
            password_hash=hash_password(password, self._lc.password_cost),
            status=status,
            attributes=attrs,
            groups=tuple(groups),
            created=now,
            modified=now,
            temporary_expires=self._temporary_expiry()
            if status == "FORCE_CHANGE_PASSWORD"
            else None,
        )
        self._store.add_user(user)
        return user

    def create_named(
        self, name: str, password: str | None, attributes: Mapping[str, str], status: str
    ) -> User:
        """A user from the JSON API's ``Username`` (AdminCreateUser, SignUp): the e-mail in an
        e-mail pool, the username in a pool of real usernames (the e-mail then from
        ``attributes``, required by Local Cognito's schema)."""
        if self._lc.config.email_usernames:
            return self.create(name, password, attributes=attributes, status=status)
        email = attributes.get("email", "")
        return self.create(email, password, username=name, attributes=attributes, status=status)

    def _new_username(self, username: str | None) -> str:
        """``username`` in a pool of real usernames, checked as Cognito checks it (no
        whitespace, 1-128 characters, not e-mail shaped, unused)."""
        if not username or not _USERNAME.match(username):
            raise _invalid("Username must be 1-128 characters with no spaces.")
        if valid_email(username):
            raise _invalid(
                "Username cannot be of email format, since user pool is configured for email alias."
            )
        if self._store.user(username=username) is not None:
            raise UserExistsError("User account already exists")
        return username

    def delete(self, user: User) -> None:
        self._store.revoke_user_lineages(user.sub)
        self._store.delete_user(user.sub)

    # attributes
    def checked_attributes(self, attributes: Mapping[str, str]) -> dict[str, str]:
        """Attributes as Cognito's schema allows them (standard names, ``custom:*``), as strings."""
        checked = {}
        for name, value in attributes.items():
            if name == "sub":
                raise _schema_error(name, "Attribute cannot be updated.")
            if (
                name != "email"
                and name not in STANDARD_ATTRIBUTES
                and not name.startswith(("custom:", "dev:custom:"))
            ):
                raise _schema_error(name, "Attribute does not exist in the schema.")
            checked[name] = str(value)
        return checked

    def update_attributes(self, user: User, attributes: Mapping[str, str]) -> User:
        """Set attributes; an empty value deletes one. A new e-mail address replaces the sign-in
        alias at once and is unverified unless ``email_verified`` says otherwise."""
        changes = self.checked_attributes(attributes)
        attrs, email = dict(user.attributes), user.email
        if "email" in changes:
            email = normalize_email(changes.pop("email"))
            if not valid_email(email):
                raise _invalid("Invalid email address format.")
            holder = self._store.user(email=email)
            if holder is not None and holder.sub != user.sub:
                raise CognitoError(
                    "AliasExistsException", "An account with the given email already exists."
                )
            if email != user.email:
                attrs["email_verified"] = "false"
        for name, value in changes.items():
            if value:
                attrs[name] = value
            else:
                attrs.pop(name, None)
        return self.save(user, email=email, attributes=attrs)

    def delete_attributes(self, user: User, names: Iterable[str]) -> User:
        attrs = dict(user.attributes)
        for name in names:
            if name in ("email", "sub"):
                raise _invalid(f"Cannot delete the required attribute {name}.")
            self.checked_attributes({name: ""})
            attrs.pop(name, None)
        return self.save(user, attributes=attrs)

    # passwords and states
    def check_policy(self, password: str) -> None:
        problem = policy_violation(password)
        if problem is not None:
            raise CognitoError("InvalidPasswordException", problem)

    def set_password(self, user: User, password: str, *, permanent: bool) -> User:
        """``permanent``: CONFIRMED; otherwise a temporary password (FORCE_CHANGE_PASSWORD).
        A federated user (EXTERNAL_PROVIDER) becomes a pool user, its e-mail a sign-in alias:
        refused while another pool user signs in with that address."""
        self.check_policy(password)
        holder = self._store.user(email=user.email) if user.email else None
        if holder is not None and holder.sub != user.sub:
            raise CognitoError(
                "AliasExistsException", "An account with the given email already exists."
            )
        status = "CONFIRMED" if permanent else "FORCE_CHANGE_PASSWORD"
        expires = None if permanent else self._temporary_expiry()
        return self.save(
            user,
            password_hash=hash_password(password, self._lc.password_cost),
            status=status,
            temporary_expires=expires,
        )

    def change_password(self, user: User, previous: str, proposed: str) -> User:
        if not verify_password(previous, user.password_hash):
            raise CognitoError("NotAuthorizedException", INCORRECT)
        return self.set_password(user, proposed, permanent=True)

    def confirm(self, user: User) -> User:
        """AdminConfirmSignUp: UNCONFIRMED → CONFIRMED, no code, e-mail left unverified."""
        _require_unconfirmed(user)
        return self.save(user, status="CONFIRMED")

    def set_enabled(self, user: User, enabled: bool) -> User:
        """Disabling also revokes every token the user holds (refresh, access, ID)."""
        if not enabled:
            self._store.revoke_user_lineages(user.sub)
        return self.save(user, enabled=enabled)

    def global_sign_out(self, user: User) -> None:
        """Every refresh token of the user, and the access tokens minted from them, stop working.
        The hosted-UI ``cognito`` cookie is left alone, as Cognito does."""
        self._store.revoke_user_lineages(user.sub)

    def password_sign_in(self, name: str, password: str, *, hide_users: bool = False) -> User:
        """A password sign-in's checks, in Cognito's order (cognito-json-api.md §3.3); returns
        the user, whose status says whether a new password is needed first. ``hide_users``
        (PreventUserExistenceErrors=ENABLED): an unknown user gets the wrong-password answer."""
        user = self.find(name)
        if user is None:
            verify_password(
                password, None, self._lc.password_cost
            )  # the same work whether or not the user exists
            if hide_users:
                raise CognitoError("NotAuthorizedException", INCORRECT)
            raise CognitoError("UserNotFoundException", NOT_FOUND)
        if user.status == "UNCONFIRMED":
            raise CognitoError("UserNotConfirmedException", "User is not confirmed.")
        if user.status == "RESET_REQUIRED":
            raise CognitoError(
                "PasswordResetRequiredException", "Password reset required for the user"
            )
        if not verify_password(password, user.password_hash):
            raise CognitoError("NotAuthorizedException", INCORRECT)
        if not user.enabled:
            raise CognitoError("NotAuthorizedException", DISABLED)
        if user.status == "FORCE_CHANGE_PASSWORD" and (user.temporary_expires or 0) <= self._now():
            raise CognitoError("NotAuthorizedException", TEMPORARY_EXPIRED)
        return user

    def complete_new_password(
        self, user: User, password: str, attributes: Mapping[str, str] | None = None
    ) -> User:
        """The answer to NEW_PASSWORD_REQUIRED (the API challenge or the hosted-UI page)."""
        self.check_policy(password)
        if attributes:
            user = self.update_attributes(user, attributes)
        return self.set_password(user, password, permanent=True)

    # codes
    def send_code(self, user: User, purpose: str) -> str:
        """A fresh 6-digit code "sent" by writing it to the log (codes are not secrets here)."""
        code = f"{secrets.randbelow(10**6):06d}"
        ttl = CONFIRMATION_TTL if purpose == "signup" else RESET_TTL
        self._store.set_confirmation_code(user.email, code, self._now() + ttl, purpose)
        what = "confirmation code" if purpose == "signup" else "password reset code"
        log.info("%s for %s: %s", what, user.email, code)
        return code

    def check_code(self, user: User, purpose: str, presented: str) -> None:
        """Use up the right code, or count a wrong one: CodeMismatch, ExpiredCode, LimitExceeded."""
        stored = self._store.confirmation_code(user.email, purpose)
        if stored is None or stored[1] <= self._now():
            raise CognitoError(
                "ExpiredCodeException", "Invalid code provided, please request a code again."
            )
        if stored[2] >= MAX_CODE_ATTEMPTS:
            raise CognitoError("LimitExceededException", ATTEMPTS)
        if not secrets.compare_digest(presented.strip(), stored[0]):
            self._store.count_confirmation_failure(user.email, purpose)
            raise CognitoError(
                "CodeMismatchException", "Invalid verification code provided, please try again."
            )
        self._store.delete_confirmation_code(user.email, purpose)

    def confirm_sign_up(self, user: User, code: str) -> User:
        _require_unconfirmed(user)
        self.check_code(user, "signup", code)
        self._store.confirm_user(user.sub)
        return self.require(user.sub)

    def forgot_password(self, user: User) -> str:
        """Send a reset code to the user's verified e-mail address."""
        if user.status == "FORCE_CHANGE_PASSWORD":
            raise CognitoError("NotAuthorizedException", CANNOT_RESET)
        if not user.enabled:
            raise CognitoError("NotAuthorizedException", DISABLED)
        if user.attributes.get("email_verified") != "true":
            raise _invalid(
                "Cannot reset password for the user as there is no registered/verified email "
                "or phone_number"
            )
        return self.send_code(user, "reset")

    def admin_reset_password(self, user: User) -> User:
        """CONFIRMED → RESET_REQUIRED: the password stops working and a reset code is sent."""
        self.forgot_password(user)
        return self.save(user, status="RESET_REQUIRED")

    def confirm_forgot_password(self, user: User, code: str, password: str) -> User:
        self.check_policy(password)
        self.check_code(user, "reset", code)
        return self.save(
            user,
            password_hash=hash_password(password, self._lc.password_cost),
            status="CONFIRMED",
            temporary_expires=None,
        )

    # helpers
    def _temporary_expiry(self) -> float:
        return self._now() + TEMPORARY_PASSWORD_DAYS * 86400

    def new_temporary_password(self, email: str) -> str:
        """A generated temporary password meeting the policy; never sent or logged, tests read
        it with ``lc.last_temporary_password(email)``."""
        password = _generate_password()
        self.temporary_passwords[email] = password
        return password


def _generate_password() -> str:
    """A random password with every character class the default policy asks for."""
    pools = (string.ascii_uppercase, string.ascii_lowercase, string.digits, "!#%+-=?@")
    chars = [secrets.choice(p) for p in pools]
    chars += [secrets.choice(string.ascii_letters + string.digits) for _ in range(8)]
    secrets.SystemRandom().shuffle(chars)
    return "".join(chars)
