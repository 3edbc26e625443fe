"""Groups and memberships (SigV4 operations, §4.2). Membership changes reach the member's next
tokens (``cognito:groups``), never the ones already issued."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .params import NAME, Params
from .shapes import group_type, paginate, user_type

if TYPE_CHECKING:
    from ..local_cognito import LocalCognito
    from ..store import Group

__all__ = ["OPERATIONS"]

Result = dict[str, Any]
MAX_PRECEDENCE = 2**31 - 1


def _group(lc: LocalCognito, p: Params) -> Group:
    p.pool(lc)
    return lc.groups.require(p.text("GroupName", pattern=NAME, max_length=128))


def _settings(p: Params) -> dict[str, Any]:
    """The members given (left-out ones are kept by UpdateGroup)."""
    settings: dict[str, Any] = {}
    if "Description" in p.body:
        settings["description"] = p.optional("Description", max_length=2048) or ""
    if "Precedence" in p.body:
        settings["precedence"] = p.number("Precedence", low=0, high=MAX_PRECEDENCE)
    if "RoleArn" in p.body:
        settings["role_arn"] = p.optional("RoleArn", max_length=2048)
    return settings


def create_group(lc: LocalCognito, p: Params) -> Result:
    p.pool(lc)
    name = p.text("GroupName", pattern=NAME, max_length=128)
    group = lc.groups.create(name, **_settings(p))
    return {"Group": group_type(group, lc.pool_id)}


def get_group(lc: LocalCognito, p: Params) -> Result:
    return {"Group": group_type(_group(lc, p), lc.pool_id)}


def update_group(lc: LocalCognito, p: Params) -> Result:
    group = lc.groups.update(_group(lc, p), **_settings(p))
    return {"Group": group_type(group, lc.pool_id)}


def delete_group(lc: LocalCognito, p: Params) -> Result:
    lc.groups.delete(_group(lc, p))
    return {}


def _page(p: Params, key: str, items: list[Any], token_member: str = "NextToken") -> Result:
    limit = p.number("Limit", low=0, high=60)
    page, token = paginate(items, p.page(token_member, len(items)), limit)
    result: Result = {key: page}
    if token is not None:
        result[token_member] = token
    return result


def list_groups(lc: LocalCognito, p: Params) -> Result:
    p.pool(lc)
    return _page(p, "Groups", [group_type(g, lc.pool_id) for g in lc.store.groups()])


def _membership(lc: LocalCognito, p: Params, member: bool) -> Result:
    group = _group(lc, p)
    user = lc.accounts.require(p.username())
    lc.groups.set_member(user, group, member)
    return {}


def admin_add_user_to_group(lc: LocalCognito, p: Params) -> Result:
    return _membership(lc, p, True)


def admin_remove_user_from_group(lc: LocalCognito, p: Params) -> Result:
    return _membership(lc, p, False)


def admin_list_groups_for_user(lc: LocalCognito, p: Params) -> Result:
    p.pool(lc)
    user = lc.accounts.require(p.username())
    groups = [lc.groups.require(name) for name in user.groups]
    return _page(p, "Groups", [group_type(g, lc.pool_id) for g in groups])


def list_users_in_group(lc: LocalCognito, p: Params) -> Result:
    group = _group(lc, p)
    return _page(p, "Users", [user_type(u) for u in lc.store.members(group.name)])


OPERATIONS = {
    "CreateGroup": create_group,
    "GetGroup": get_group,
    "UpdateGroup": update_group,
    "DeleteGroup": delete_group,
    "ListGroups": list_groups,
    "AdminAddUserToGroup": admin_add_user_to_group,
    "AdminRemoveUserFromGroup": admin_remove_user_from_group,
    "AdminListGroupsForUser": admin_list_groups_for_user,
    "ListUsersInGroup": list_users_in_group,
}
