"""User administration through real boto3: AdminCreateUser … ListUsers, success and each
documented error, asserted on boto3's parsed results and exception classes."""

from __future__ import annotations

from typing import Any

import pytest

from cognito_gate.local import LocalCognito

from .support import PASSWORD, POOL_ID, make_user, new_email


def attrs(items: list[dict[str, str]]) -> dict[str, str]:
    return {a["Name"]: a["Value"] for a in items}


def test_admin_create_user_holds_a_temporary_password(idp: Any, lc: LocalCognito) -> None:
    email = new_email()
    out = idp.admin_create_user(
        UserPoolId=POOL_ID, Username=email, TemporaryPassword="Temp-pass-123",
        UserAttributes=[{"Name": "name", "Value": "Ada"}], MessageAction="SUPPRESS",
    )["User"]
    assert out["UserStatus"] == "FORCE_CHANGE_PASSWORD"
    assert out["Enabled"] is True
    assert out["Username"] != email  # an e-mail sign-in pool: the username is a UUID
    got = attrs(out["Attributes"])
    assert got["email"] == email
    assert got["name"] == "Ada"
    assert got["sub"]
    assert out["UserCreateDate"].year >= 2024  # boto3 parsed the epoch number
    assert lc.user(email).status == "FORCE_CHANGE_PASSWORD"  # the hosted UI's user, too


def test_admin_create_user_generates_a_temporary_password(idp: Any, lc: LocalCognito) -> None:
    email = new_email()
    idp.admin_create_user(UserPoolId=POOL_ID, Username=email)
    temporary = lc.last_temporary_password(email)
    assert temporary is not None
    out = idp.admin_initiate_auth(
        UserPoolId=POOL_ID, ClientId="api-public", AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": temporary},
    )
    assert out["ChallengeName"] == "NEW_PASSWORD_REQUIRED"


def test_admin_create_user_errors(idp: Any) -> None:
    email = make_user(idp)
    with pytest.raises(idp.exceptions.UsernameExistsException, match=r"account already exists"):
        idp.admin_create_user(UserPoolId=POOL_ID, Username=email)
    with pytest.raises(idp.exceptions.InvalidPasswordException,
                       match=r"Password did not conform with policy: Password not long enough"):
        idp.admin_create_user(UserPoolId=POOL_ID, Username=new_email(), TemporaryPassword="Sh0rt!")
    with pytest.raises(idp.exceptions.InvalidParameterException, match=r"should be an email"):
        idp.admin_create_user(UserPoolId=POOL_ID, Username="not-an-email")
    with pytest.raises(idp.exceptions.InvalidParameterException,
                       match=r"shoe_size: Attribute does not exist in the schema"):
        idp.admin_create_user(UserPoolId=POOL_ID, Username=new_email(),
                              UserAttributes=[{"Name": "shoe_size", "Value": "9"}])
    with pytest.raises(idp.exceptions.UserNotFoundException, match=r"User does not exist."):
        idp.admin_create_user(UserPoolId=POOL_ID, Username=new_email(), MessageAction="RESEND")
    with pytest.raises(idp.exceptions.UnsupportedUserStateException):
        idp.admin_create_user(UserPoolId=POOL_ID, Username=email, MessageAction="RESEND")


def test_admin_create_user_resend_issues_a_new_temporary_password(
        idp: Any, lc: LocalCognito) -> None:
    email = new_email()
    first = idp.admin_create_user(UserPoolId=POOL_ID, Username=email,
                                  TemporaryPassword="Temp-pass-123")["User"]
    again = idp.admin_create_user(UserPoolId=POOL_ID, Username=email, MessageAction="RESEND",
                                  TemporaryPassword="Temp-pass-456")["User"]
    assert again["Username"] == first["Username"]
    assert attrs(again["Attributes"])["sub"] == attrs(first["Attributes"])["sub"]
    with pytest.raises(idp.exceptions.NotAuthorizedException):
        idp.admin_initiate_auth(
            UserPoolId=POOL_ID, ClientId="api-public", AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": email, "PASSWORD": "Temp-pass-123"})


def test_unknown_pool_and_bad_pool_id(idp: Any) -> None:
    with pytest.raises(idp.exceptions.ResourceNotFoundException,
                       match=r"User pool eu-west-1_Other does not exist."):
        idp.admin_get_user(UserPoolId="eu-west-1_Other", Username="x@example.com")
    with pytest.raises(idp.exceptions.InvalidParameterException,
                       match=r"Value 'nope' at 'userPoolId' failed to satisfy constraint: Member "
                             r"must satisfy regular expression pattern"):
        idp.admin_get_user(UserPoolId="nope", Username="x@example.com")


def test_admin_get_user_by_email_username_or_sub(idp: Any) -> None:
    email = make_user(idp, name="Grace")
    by_email = idp.admin_get_user(UserPoolId=POOL_ID, Username=email)
    sub = attrs(by_email["UserAttributes"])["sub"]
    by_sub = idp.admin_get_user(UserPoolId=POOL_ID, Username=sub)
    by_name = idp.admin_get_user(UserPoolId=POOL_ID, Username=by_email["Username"])
    assert by_email["Username"] == by_sub["Username"] == by_name["Username"]
    assert by_email["UserStatus"] == "CONFIRMED"
    assert by_email["Enabled"] is True
    assert attrs(by_email["UserAttributes"])["name"] == "Grace"
    with pytest.raises(idp.exceptions.UserNotFoundException, match=r"User does not exist."):
        idp.admin_get_user(UserPoolId=POOL_ID, Username=new_email())


def test_admin_delete_user(idp: Any, lc: LocalCognito) -> None:
    email = make_user(idp, groups=("readers",))
    idp.admin_delete_user(UserPoolId=POOL_ID, Username=email)
    assert lc.user(email) is None
    with pytest.raises(idp.exceptions.UserNotFoundException):
        idp.admin_delete_user(UserPoolId=POOL_ID, Username=email)


def test_admin_disable_and_enable_user(idp: Any) -> None:
    email = make_user(idp)
    idp.admin_disable_user(UserPoolId=POOL_ID, Username=email)
    idp.admin_disable_user(UserPoolId=POOL_ID, Username=email)  # twice: still fine
    assert idp.admin_get_user(UserPoolId=POOL_ID, Username=email)["Enabled"] is False
    with pytest.raises(idp.exceptions.NotAuthorizedException, match=r"User is disabled."):
        idp.admin_initiate_auth(
            UserPoolId=POOL_ID, ClientId="api-public", AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD})
    idp.admin_enable_user(UserPoolId=POOL_ID, Username=email)
    assert idp.admin_get_user(UserPoolId=POOL_ID, Username=email)["Enabled"] is True
    for call in (idp.admin_disable_user, idp.admin_enable_user):
        with pytest.raises(idp.exceptions.UserNotFoundException):
            call(UserPoolId=POOL_ID, Username=new_email())


def test_admin_update_and_delete_user_attributes(idp: Any, lc: LocalCognito) -> None:
    email = make_user(idp, name="Old", nickname="nick")
    new = new_email("moved")
    idp.admin_update_user_attributes(
        UserPoolId=POOL_ID, Username=email,
        UserAttributes=[{"Name": "name", "Value": "New"}, {"Name": "nickname", "Value": ""},
                        {"Name": "custom:tenant", "Value": "acme"},
                        {"Name": "email", "Value": new}],
    )
    got = attrs(idp.admin_get_user(UserPoolId=POOL_ID, Username=new)["UserAttributes"])
    assert got["name"] == "New"
    assert got["custom:tenant"] == "acme"
    assert "nickname" not in got
    assert got["email"] == new
    assert got["email_verified"] == "false"
    assert lc.user(email) is None
    assert lc.user(new) is not None
    idp.admin_delete_user_attributes(UserPoolId=POOL_ID, Username=new,
                                     UserAttributeNames=["name", "custom:tenant"])
    got = attrs(idp.admin_get_user(UserPoolId=POOL_ID, Username=new)["UserAttributes"])
    assert "name" not in got
    assert "custom:tenant" not in got
    other = make_user(idp)
    with pytest.raises(idp.exceptions.AliasExistsException):
        idp.admin_update_user_attributes(UserPoolId=POOL_ID, Username=other,
                                         UserAttributes=[{"Name": "email", "Value": new}])
    with pytest.raises(idp.exceptions.InvalidParameterException, match=r"Invalid email address"):
        idp.admin_update_user_attributes(UserPoolId=POOL_ID, Username=other,
                                         UserAttributes=[{"Name": "email", "Value": "bad"}])
    with pytest.raises(idp.exceptions.InvalidParameterException, match=r"schema"):
        idp.admin_update_user_attributes(UserPoolId=POOL_ID, Username=other,
                                         UserAttributes=[{"Name": "sub", "Value": "x"}])
    with pytest.raises(idp.exceptions.UserNotFoundException):
        idp.admin_update_user_attributes(UserPoolId=POOL_ID, Username=new_email(),
                                         UserAttributes=[{"Name": "name", "Value": "x"}])
    with pytest.raises(idp.exceptions.UserNotFoundException):
        idp.admin_delete_user_attributes(UserPoolId=POOL_ID, Username=new_email(),
                                         UserAttributeNames=["name"])


def test_admin_set_user_password(idp: Any) -> None:
    email = make_user(idp)
    idp.admin_set_user_password(UserPoolId=POOL_ID, Username=email, Password="Temp-pass-789")
    assert idp.admin_get_user(UserPoolId=POOL_ID, Username=email)["UserStatus"] == \
        "FORCE_CHANGE_PASSWORD"
    idp.admin_set_user_password(UserPoolId=POOL_ID, Username=email, Password="Perm-pass-789",
                                Permanent=True)
    assert idp.admin_get_user(UserPoolId=POOL_ID, Username=email)["UserStatus"] == "CONFIRMED"
    with pytest.raises(idp.exceptions.InvalidPasswordException,
                       match=r"Password must have symbol characters"):
        idp.admin_set_user_password(UserPoolId=POOL_ID, Username=email, Password="NoSymbols123")
    with pytest.raises(idp.exceptions.UserNotFoundException):
        idp.admin_set_user_password(UserPoolId=POOL_ID, Username=new_email(),
                                    Password="Perm-pass-789")


def test_admin_reset_user_password(idp: Any, lc: LocalCognito) -> None:
    email = make_user(idp)
    idp.admin_reset_user_password(UserPoolId=POOL_ID, Username=email)
    assert idp.admin_get_user(UserPoolId=POOL_ID, Username=email)["UserStatus"] == \
        "RESET_REQUIRED"
    assert lc.last_reset_code(email) is not None
    with pytest.raises(idp.exceptions.PasswordResetRequiredException):
        idp.admin_initiate_auth(
            UserPoolId=POOL_ID, ClientId="api-public", AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD})
    temporary = new_email()
    idp.admin_create_user(UserPoolId=POOL_ID, Username=temporary)
    with pytest.raises(idp.exceptions.NotAuthorizedException,
                       match=r"User password cannot be reset in the current state."):
        idp.admin_reset_user_password(UserPoolId=POOL_ID, Username=temporary)
    disabled = make_user(idp)
    idp.admin_disable_user(UserPoolId=POOL_ID, Username=disabled)
    with pytest.raises(idp.exceptions.NotAuthorizedException, match=r"User is disabled."):
        idp.admin_reset_user_password(UserPoolId=POOL_ID, Username=disabled)
    unverified = make_user(idp, email_verified="false")
    with pytest.raises(idp.exceptions.InvalidParameterException, match=r"no registered/verified"):
        idp.admin_reset_user_password(UserPoolId=POOL_ID, Username=unverified)
    with pytest.raises(idp.exceptions.UserNotFoundException):
        idp.admin_reset_user_password(UserPoolId=POOL_ID, Username=new_email())


def test_admin_confirm_sign_up(idp: Any, lc: LocalCognito) -> None:
    email = new_email()
    lc.add_user(email, PASSWORD, confirmed=False)
    idp.admin_confirm_sign_up(UserPoolId=POOL_ID, Username=email)
    assert idp.admin_get_user(UserPoolId=POOL_ID, Username=email)["UserStatus"] == "CONFIRMED"
    with pytest.raises(idp.exceptions.NotAuthorizedException,
                       match=r"User cannot be confirmed. Current status is CONFIRMED"):
        idp.admin_confirm_sign_up(UserPoolId=POOL_ID, Username=email)
    with pytest.raises(idp.exceptions.UserNotFoundException):
        idp.admin_confirm_sign_up(UserPoolId=POOL_ID, Username=new_email())


def test_list_users_filters(idp: Any) -> None:
    tag = new_email("flt").split("@")[0]
    first = make_user(idp, email=f"{tag}-a@example.com", given_name='Ada "the" First')
    second = make_user(idp, email=f"{tag}-b@example.com")
    idp.admin_disable_user(UserPoolId=POOL_ID, Username=second)

    def emails(flt: str) -> list[str]:
        users = idp.list_users(UserPoolId=POOL_ID, Filter=flt)["Users"]
        return sorted(attrs(u["Attributes"])["email"] for u in users)

    assert emails(f'email ^= "{tag}"') == [first, second]
    assert emails(f'email = "{first.upper()}"') == [first]
    assert emails('given_name = "Ada \\"the\\" First"') == [first]
    sub = attrs(idp.admin_get_user(UserPoolId=POOL_ID, Username=first)["UserAttributes"])["sub"]
    assert emails(f'sub="{sub}"') == [first]
    assert second in emails('status = "Disabled"')
    assert first not in emails('status = "Disabled"')
    assert first in emails('cognito:user_status = "confirmed"')
    assert len(idp.list_users(UserPoolId=POOL_ID)["Users"]) >= 2
    for bad, message in (('custom:tenant = "x"', "Invalid search attribute"),
                         ("email = unquoted", "Error while parsing filter")):
        with pytest.raises(idp.exceptions.InvalidParameterException, match=message):
            idp.list_users(UserPoolId=POOL_ID, Filter=bad)


def test_list_users_pagination_and_attributes_to_get(idp: Any) -> None:
    tag = new_email("page").split("@")[0]
    made = sorted(make_user(idp, email=f"{tag}-{i}@example.com") for i in range(5))
    flt = f'email ^= "{tag}"'
    pages = idp.get_paginator("list_users").paginate(
        UserPoolId=POOL_ID, Filter=flt, AttributesToGet=["email"],
        PaginationConfig={"PageSize": 2})
    sizes, seen = [], []
    for page in pages:
        sizes.append(len(page["Users"]))
        seen += [attrs(u["Attributes"]) for u in page["Users"]]
    assert sizes == [2, 2, 1]
    assert sorted(a["email"] for a in seen) == made
    assert all(set(a) == {"email"} for a in seen)
    with pytest.raises(idp.exceptions.InvalidParameterException, match=r"less than or equal to 60"):
        idp.list_users(UserPoolId=POOL_ID, Limit=61)
    with pytest.raises(idp.exceptions.InvalidParameterException, match=r"pagination token"):
        idp.list_users(UserPoolId=POOL_ID, PaginationToken="forged")
