"""``CognitoBackend``: the Cognito user as a ``django.contrib.auth`` user, keyed by (issuer, sub).

Optional: only projects that list it in ``AUTHENTICATION_BACKENDS`` (with
``cognito_gate.django.auth.CognitoAuthenticationMiddleware``) import it, so projects without
``django.contrib.auth`` never do. The key is the user model's own unique ``USERNAME_FIELD``,
set to ``username_for(issuer, sub)`` — never the e-mail address, which a user can change at the
provider and which two users of two pools can share (IDT-23). ARCHITECTURE.md ("Django users")
says why a derived username rather than a table of identities.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db import IntegrityError, transaction
from django.http import HttpRequest

from ..core.user import User

__all__ = ["CognitoBackend", "username_for"]

_PREFIX = "cognito-"


def username_for(issuer: str, sub: str) -> str:
    """The Django username of the Cognito user ``sub`` of the pool ``issuer``: 48 characters,
    the same for the same pair on every server, different for any other pair."""
    digest = hashlib.sha256(f"{len(issuer)}:{issuer}{sub}".encode()).hexdigest()
    return _PREFIX + digest[:40]


class CognitoBackend(ModelBackend):  # type: ignore[misc]
    """Authenticates the verified Cognito user the gate put on the request (never a password);
    permissions are ``ModelBackend``'s, so Django groups and permissions work as usual.

    On each mapping, the ID token's ``email``, ``given_name`` and ``family_name`` are copied to
    the user (a bearer-token request, with no ID token, leaves them). With
    ``COGNITO_STAFF_GROUPS`` / ``COGNITO_SUPERUSER_GROUPS`` in settings, membership of those
    Cognito groups decides ``is_staff`` / ``is_superuser`` (a superuser is staff too); without
    them the flags are left as set in Django. Subclass and override ``attributes`` to map more.
    """

    def authenticate(self, request: HttpRequest | None, cognito_user: User | None = None,
                     **credentials: Any) -> Any:
        if cognito_user is None:
            return None  # a password or another backend's credentials: not ours
        user = self.user_for(cognito_user)
        return user if self.user_can_authenticate(user) else None

    def user_for(self, cognito_user: User) -> Any:
        """The Django user of ``cognito_user``, created on first sight, updated when changed."""
        model = get_user_model()
        manager = model._default_manager
        name = username_for(cognito_user.issuer, cognito_user.sub)
        values = self._fitted(model, self.attributes(cognito_user))
        try:
            user = manager.get_by_natural_key(name)
        except model.DoesNotExist:
            user = model(**{model.USERNAME_FIELD: name}, **values)
            user.set_unusable_password()
            try:
                with transaction.atomic():
                    user.save()
                return user
            except IntegrityError:  # a simultaneous first request created it
                user = manager.get_by_natural_key(name)
        changed = [k for k, v in values.items() if getattr(user, k) != v]
        if changed:
            for key in changed:
                setattr(user, key, values[key])
            user.save(update_fields=changed)
        return user

    def attributes(self, cognito_user: User) -> dict[str, Any]:
        """The user model's fields to set from ``cognito_user`` (missing fields are skipped)."""
        values: dict[str, Any] = {}
        claims = cognito_user.claims
        if claims:  # an ID token: the profile as the provider has it now
            values["email"] = cognito_user.email or ""
            for claim, field in (("given_name", "first_name"), ("family_name", "last_name")):
                value = claims.get(claim)
                values[field] = value if isinstance(value, str) else ""
        staff = _groups("COGNITO_STAFF_GROUPS")
        superuser = _groups("COGNITO_SUPERUSER_GROUPS")
        if staff or superuser:
            member = set(cognito_user.groups)
            values["is_superuser"] = not member.isdisjoint(superuser)
            values["is_staff"] = values["is_superuser"] or not member.isdisjoint(staff)
        return values

    @staticmethod
    def _fitted(model: Any, values: dict[str, Any]) -> dict[str, Any]:
        """``values`` for the fields ``model`` has, strings cut to the field's ``max_length``."""
        fields = {f.name: f for f in model._meta.concrete_fields}
        out = {}
        for key, value in values.items():
            field = fields.get(key)
            if field is None:
                continue
            limit = getattr(field, "max_length", None)
            out[key] = value[:limit] if isinstance(value, str) and limit else value
        return out


def _groups(name: str) -> Collection[str]:
    value = getattr(settings, name, ())
    return frozenset((value,) if isinstance(value, str) else value)
