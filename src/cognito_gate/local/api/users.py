"""User administration (SigV4 operations, §4.1): create, read, change, disable, delete, list."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import CognitoError
from .filters import user_filter
from .params import Params
from .shapes import paginate, user_type

if TYPE_CHECKING:
    from ..local_cognito import LocalCognito
    from ..store import User

__all__ = ["OPERATIONS"]

Result = dict[str, Any]


def _user(lc: LocalCognito, p: Params) -> User:
    p.pool(lc)
    return lc.accounts.require(p.username())


def admin_create_user(lc: LocalCognito, p: Params) -> Result:
    """A user with a temporary password (given, or generated) in FORCE_CHANGE_PASSWORD; with
    ``MessageAction=RESEND``, a new temporary password for such a user."""
    p.pool(lc)
    username = p.username()
    attributes = p.attributes("UserAttributes")
    temporary = p.optional("TemporaryPassword", max_length=256)
    action = p.optional("MessageAction")
    if action is not None:
        p.choice("MessageAction", ("RESEND", "SUPPRESS"))
    for medium in p.strings("DesiredDeliveryMediums"):
        if medium not in ("SMS", "EMAIL"):
            p.choice("DesiredDeliveryMediums", ("SMS", "EMAIL"))
    if action == "RESEND":
        user = lc.accounts.require(username)
        if user.status != "FORCE_CHANGE_PASSWORD":
            raise CognitoError(
                "UnsupportedUserStateException",
                f"Resend not possible. {user.username} status is not FORCE_CHANGE_PASSWORD.",
            )
        if temporary is None:
            temporary = lc.accounts.new_temporary_password(user.email)
        user = lc.accounts.set_password(user, temporary, permanent=False)
        return {"User": user_type(user)}
    if lc.accounts.find(username) is not None:
        raise CognitoError("UsernameExistsException", "User account already exists")
    user = lc.accounts.create_named(username, temporary, attributes, "FORCE_CHANGE_PASSWORD")
    return {"User": user_type(user)}


def admin_get_user(lc: LocalCognito, p: Params) -> Result:
    user = _user(lc, p)
    shape = user_type(user)
    shape["UserAttributes"] = shape.pop("Attributes")
    return shape


def admin_delete_user(lc: LocalCognito, p: Params) -> Result:
    lc.accounts.delete(_user(lc, p))
    return {}


def admin_disable_user(lc: LocalCognito, p: Params) -> Result:
    lc.accounts.set_enabled(_user(lc, p), False)
    return {}


def admin_enable_user(lc: LocalCognito, p: Params) -> Result:
    lc.accounts.set_enabled(_user(lc, p), True)
    return {}


def admin_update_user_attributes(lc: LocalCognito, p: Params) -> Result:
    user = _user(lc, p)
    lc.accounts.update_attributes(user, p.attributes("UserAttributes", required=True))
    return {}


def admin_delete_user_attributes(lc: LocalCognito, p: Params) -> Result:
    user = _user(lc, p)
    if "UserAttributeNames" not in p.body:
        p.text("UserAttributeNames")  # the "must not be null" error
    lc.accounts.delete_attributes(user, p.strings("UserAttributeNames"))
    return {}


def admin_set_user_password(lc: LocalCognito, p: Params) -> Result:
    user = _user(lc, p)
    password = p.text("Password", max_length=256)
    lc.accounts.set_password(user, password, permanent=p.flag("Permanent"))
    return {}


def admin_reset_user_password(lc: LocalCognito, p: Params) -> Result:
    lc.accounts.admin_reset_password(_user(lc, p))
    return {}


def admin_confirm_sign_up(lc: LocalCognito, p: Params) -> Result:
    lc.accounts.confirm(_user(lc, p))
    return {}


def admin_user_global_sign_out(lc: LocalCognito, p: Params) -> Result:
    lc.accounts.global_sign_out(_user(lc, p))
    return {}


def list_users(lc: LocalCognito, p: Params) -> Result:
    """Oldest first, a page of ``Limit`` (default 60), narrowed by ``Filter``."""
    p.pool(lc)
    only = p.strings("AttributesToGet") if "AttributesToGet" in p.body else None
    limit = p.number("Limit", low=0, high=60)
    keep = user_filter(p.optional("Filter", max_length=256) or "")
    matching = [user for user in lc.store.users() if keep(user)]
    page, token = paginate(matching, p.page("PaginationToken", len(matching)), limit)
    result: Result = {"Users": [user_type(user, only) for user in page]}
    if token is not None:
        result["PaginationToken"] = token
    return result


OPERATIONS = {
    "AdminCreateUser": admin_create_user,
    "AdminGetUser": admin_get_user,
    "AdminDeleteUser": admin_delete_user,
    "AdminDisableUser": admin_disable_user,
    "AdminEnableUser": admin_enable_user,
    "AdminUpdateUserAttributes": admin_update_user_attributes,
    "AdminDeleteUserAttributes": admin_delete_user_attributes,
    "AdminSetUserPassword": admin_set_user_password,
    "AdminResetUserPassword": admin_reset_user_password,
    "AdminConfirmSignUp": admin_confirm_sign_up,
    "AdminUserGlobalSignOut": admin_user_global_sign_out,
    "ListUsers": list_users,
}
