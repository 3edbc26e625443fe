"""Every operation's response, checked against its output shape in botocore's service model.

The ``idp`` fixture checks each successful response it receives (required members present,
no undeclared member, every type right); this module calls all 38 operations once, on a
scenario that fills the optional members too, and proves each was checked.
"""

from __future__ import annotations

from typing import Any

from cognito_gate.local import LocalCognito

from .shapecheck import SHAPES, check_output
from .support import PASSWORD, POOL_ID, make_user, new_email

OPERATIONS = {
    "AdminCreateUser", "AdminGetUser", "AdminDeleteUser", "AdminDisableUser", "AdminEnableUser",
    "AdminUpdateUserAttributes", "AdminDeleteUserAttributes", "AdminSetUserPassword",
    "AdminResetUserPassword", "AdminConfirmSignUp", "ListUsers", "CreateGroup", "GetGroup",
    "UpdateGroup", "DeleteGroup", "ListGroups", "AdminAddUserToGroup", "AdminRemoveUserFromGroup",
    "AdminListGroupsForUser", "ListUsersInGroup", "InitiateAuth", "AdminInitiateAuth",
    "RespondToAuthChallenge", "AdminRespondToAuthChallenge", "SignUp", "ConfirmSignUp",
    "ResendConfirmationCode", "ForgotPassword", "ConfirmForgotPassword", "ChangePassword",
    "GetUser", "UpdateUserAttributes", "GlobalSignOut", "AdminUserGlobalSignOut", "RevokeToken",
    "DescribeUserPool", "DescribeUserPoolClient", "ListUserPoolClients",
    "DescribeResourceServer", "ListResourceServers",
}


def test_the_checker_catches_wrong_shapes() -> None:
    model = SHAPES.operation_model("AdminGetUser")
    assert check_output(model, {"Username": "u", "Enabled": True}) == []
    problems = check_output(model, {"Enabled": "yes", "UserCreateDate": "2024-01-01",
                                    "UserStatus": "HAPPY", "Extra": 1})
    assert len(problems) == 5, problems  # missing Username, 3 wrong types/enum, 1 undeclared


def test_every_operation_answers_in_its_model_shape(idp: Any, lc: LocalCognito,
                                                    checked: list[str]) -> None:
    email = make_user(idp, name="Shape", groups=("readers",))  # create, set password, add
    public = {"ClientId": "api-public"}
    idp.admin_get_user(UserPoolId=POOL_ID, Username=email)
    idp.admin_update_user_attributes(UserPoolId=POOL_ID, Username=email,
                                     UserAttributes=[{"Name": "nickname", "Value": "s"}])
    idp.admin_delete_user_attributes(UserPoolId=POOL_ID, Username=email,
                                     UserAttributeNames=["nickname"])
    idp.admin_disable_user(UserPoolId=POOL_ID, Username=email)
    idp.admin_enable_user(UserPoolId=POOL_ID, Username=email)
    idp.list_users(UserPoolId=POOL_ID, Limit=1)
    group = f"shape-{new_email().split('@')[0]}"
    idp.create_group(UserPoolId=POOL_ID, GroupName=group, Description="d", Precedence=1,
                     RoleArn="arn:aws:iam::123456789012:role/Shape")
    idp.get_group(UserPoolId=POOL_ID, GroupName=group)
    idp.update_group(UserPoolId=POOL_ID, GroupName=group, Description="e")
    idp.list_groups(UserPoolId=POOL_ID, Limit=1)
    idp.admin_list_groups_for_user(UserPoolId=POOL_ID, Username=email)
    idp.list_users_in_group(UserPoolId=POOL_ID, GroupName="readers", Limit=1)
    idp.admin_remove_user_from_group(UserPoolId=POOL_ID, Username=email, GroupName="readers")
    idp.delete_group(UserPoolId=POOL_ID, GroupName=group)
    signed_in = idp.initiate_auth(AuthFlow="USER_PASSWORD_AUTH", **public,
                                  AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD})
    access = signed_in["AuthenticationResult"]["AccessToken"]
    idp.get_user(AccessToken=access)
    idp.update_user_attributes(AccessToken=access,
                               UserAttributes=[{"Name": "name", "Value": "Shaped"}])
    idp.change_password(AccessToken=access, PreviousPassword=PASSWORD,
                        ProposedPassword="Shape-pass-2")
    idp.revoke_token(Token=signed_in["AuthenticationResult"]["RefreshToken"], **public)
    again = idp.admin_initiate_auth(UserPoolId=POOL_ID, AuthFlow="ADMIN_USER_PASSWORD_AUTH",
                                    AuthParameters={"USERNAME": email,
                                                    "PASSWORD": "Shape-pass-2"}, **public)
    idp.global_sign_out(AccessToken=again["AuthenticationResult"]["AccessToken"])
    idp.admin_user_global_sign_out(UserPoolId=POOL_ID, Username=email)
    idp.forgot_password(Username=email, **public)
    idp.confirm_forgot_password(Username=email, ConfirmationCode=lc.last_reset_code(email),
                                Password="Shape-pass-3", **public)
    idp.admin_reset_user_password(UserPoolId=POOL_ID, Username=email)
    idp.admin_delete_user(UserPoolId=POOL_ID, Username=email)

    fresh = new_email()
    idp.sign_up(Username=fresh, Password=PASSWORD, **public)
    idp.resend_confirmation_code(Username=fresh, **public)
    idp.confirm_sign_up(Username=fresh, ConfirmationCode=lc.last_confirmation_code(fresh),
                        **public)
    other = new_email()
    idp.sign_up(Username=other, Password=PASSWORD, **public)
    idp.admin_confirm_sign_up(UserPoolId=POOL_ID, Username=other)

    for admin in (False, True):
        temporary = new_email()
        idp.admin_create_user(UserPoolId=POOL_ID, Username=temporary,
                              TemporaryPassword="Temp-pass-123")
        answer = {"ChallengeName": "NEW_PASSWORD_REQUIRED", **public,
                  "ChallengeResponses": {"USERNAME": temporary, "NEW_PASSWORD": PASSWORD}}
        start = {"AuthParameters": {"USERNAME": temporary, "PASSWORD": "Temp-pass-123"}, **public}
        if admin:
            challenge = idp.admin_initiate_auth(UserPoolId=POOL_ID,
                                                AuthFlow="ADMIN_USER_PASSWORD_AUTH", **start)
            done = idp.admin_respond_to_auth_challenge(UserPoolId=POOL_ID,
                                                       Session=challenge["Session"], **answer)
        else:
            challenge = idp.initiate_auth(AuthFlow="USER_PASSWORD_AUTH", **start)
            done = idp.respond_to_auth_challenge(Session=challenge["Session"], **answer)
        idp.initiate_auth(AuthFlow="REFRESH_TOKEN_AUTH", **public, AuthParameters={
            "REFRESH_TOKEN": done["AuthenticationResult"]["RefreshToken"]})

    idp.describe_user_pool(UserPoolId=POOL_ID)
    idp.describe_user_pool_client(UserPoolId=POOL_ID, ClientId="api-secret")
    idp.list_user_pool_clients(UserPoolId=POOL_ID, MaxResults=2)
    idp.describe_resource_server(UserPoolId=POOL_ID, Identifier="orders")
    idp.list_resource_servers(UserPoolId=POOL_ID, MaxResults=1)
    assert OPERATIONS - set(checked) == set()
    assert len(OPERATIONS) == 40
