"""Groups through real boto3: CRUD, memberships, listings with pagination, and the errors."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from cognito_gate.local import LocalCognito

from .support import POOL_ID, make_user, new_email


def name() -> str:
    return f"team-{uuid.uuid4().hex[:8]}"


def test_create_get_update_delete_group(idp: Any) -> None:
    group = name()
    made = idp.create_group(UserPoolId=POOL_ID, GroupName=group, Description="First",
                            Precedence=3, RoleArn="arn:aws:iam::123456789012:role/Reader")["Group"]
    assert made["GroupName"] == group
    assert made["Precedence"] == 3
    assert made["UserPoolId"] == POOL_ID
    got = idp.get_group(UserPoolId=POOL_ID, GroupName=group)["Group"]
    assert got["Description"] == "First"
    assert got["RoleArn"].endswith("role/Reader")
    updated = idp.update_group(UserPoolId=POOL_ID, GroupName=group, Description="Second")["Group"]
    assert updated["Description"] == "Second"
    assert updated["Precedence"] == 3  # left out: kept
    idp.delete_group(UserPoolId=POOL_ID, GroupName=group)
    for call in (idp.get_group, idp.update_group, idp.delete_group):
        with pytest.raises(idp.exceptions.ResourceNotFoundException, match="Group not found"):
            call(UserPoolId=POOL_ID, GroupName=group)


def test_group_errors(idp: Any) -> None:
    group = name()
    idp.create_group(UserPoolId=POOL_ID, GroupName=group)
    with pytest.raises(idp.exceptions.GroupExistsException,
                       match="A group with the name already exists"):
        idp.create_group(UserPoolId=POOL_ID, GroupName=group)
    with pytest.raises(idp.exceptions.InvalidParameterException, match="groupName"):
        idp.create_group(UserPoolId=POOL_ID, GroupName="has space")
    with pytest.raises(idp.exceptions.ResourceNotFoundException, match="does not exist"):
        idp.create_group(UserPoolId="eu-west-1_Nope", GroupName=name())


def test_memberships_both_ways(idp: Any, lc: LocalCognito) -> None:
    group = name()
    idp.create_group(UserPoolId=POOL_ID, GroupName=group)
    email = make_user(idp)
    idp.admin_add_user_to_group(UserPoolId=POOL_ID, Username=email, GroupName=group)
    idp.admin_add_user_to_group(UserPoolId=POOL_ID, Username=email, GroupName="readers")
    idp.admin_add_user_to_group(UserPoolId=POOL_ID, Username=email, GroupName=group)  # again: ok
    groups = idp.admin_list_groups_for_user(UserPoolId=POOL_ID, Username=email)["Groups"]
    assert sorted(g["GroupName"] for g in groups) == sorted([group, "readers"])
    members = idp.list_users_in_group(UserPoolId=POOL_ID, GroupName=group)["Users"]
    assert [m["Username"] for m in members] == [lc.user(email).username]
    assert lc.user(email).groups == tuple(sorted([group, "readers"]))  # the hosted UI's view
    idp.admin_remove_user_from_group(UserPoolId=POOL_ID, Username=email, GroupName=group)
    idp.admin_remove_user_from_group(UserPoolId=POOL_ID, Username=email, GroupName=group)
    assert idp.list_users_in_group(UserPoolId=POOL_ID, GroupName=group)["Users"] == []
    idp.admin_add_user_to_group(UserPoolId=POOL_ID, Username=email, GroupName=group)
    idp.delete_group(UserPoolId=POOL_ID, GroupName=group)
    assert lc.user(email).groups == ("readers",)


def test_membership_errors(idp: Any) -> None:
    email = make_user(idp)
    for call in (idp.admin_add_user_to_group, idp.admin_remove_user_from_group):
        with pytest.raises(idp.exceptions.ResourceNotFoundException, match="Group not found"):
            call(UserPoolId=POOL_ID, Username=email, GroupName=name())
        with pytest.raises(idp.exceptions.UserNotFoundException):
            call(UserPoolId=POOL_ID, Username=new_email(), GroupName="readers")
    with pytest.raises(idp.exceptions.UserNotFoundException):
        idp.admin_list_groups_for_user(UserPoolId=POOL_ID, Username=new_email())
    with pytest.raises(idp.exceptions.ResourceNotFoundException):
        idp.list_users_in_group(UserPoolId=POOL_ID, GroupName=name())


def test_list_groups_and_members_paginate(idp: Any) -> None:
    made = [name() for _ in range(3)]
    for group in made:
        idp.create_group(UserPoolId=POOL_ID, GroupName=group)
    pages = list(idp.get_paginator("list_groups").paginate(
        UserPoolId=POOL_ID, PaginationConfig={"PageSize": 2}))
    listed = [g["GroupName"] for page in pages for g in page["Groups"]]
    assert set(made) <= set(listed)
    assert all(len(page["Groups"]) <= 2 for page in pages)
    assert len(listed) == len(set(listed))
    group = made[0]
    for _ in range(3):
        idp.admin_add_user_to_group(UserPoolId=POOL_ID, Username=make_user(idp), GroupName=group)
    first = idp.list_users_in_group(UserPoolId=POOL_ID, GroupName=group, Limit=2)
    rest = idp.list_users_in_group(UserPoolId=POOL_ID, GroupName=group, Limit=2,
                                   NextToken=first["NextToken"])
    assert len(first["Users"]) == 2
    assert len(rest["Users"]) == 1
    assert "NextToken" not in rest
