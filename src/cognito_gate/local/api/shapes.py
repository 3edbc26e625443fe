"""Output shapes shared by several operations: UserType, attribute lists, GroupType,
CodeDeliveryDetails, and pages of a list (epoch-second timestamps as JSON numbers, §1.1)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from ..store import Group, User

__all__ = ["attribute_list", "code_delivery", "group_type", "paginate", "user_type"]

T = TypeVar("T")
DEFAULT_PAGE = 60


def attribute_list(user: User, only: Sequence[str] | None = None) -> list[dict[str, str]]:
    """``sub`` first, then ``email``, then the rest; ``only`` keeps the named ones."""
    every = {"sub": user.sub, **({"email": user.email} if user.email else {}), **user.attributes}
    return [{"Name": k, "Value": v} for k, v in every.items() if only is None or k in only]


def user_type(user: User, only: Sequence[str] | None = None) -> dict[str, Any]:
    """UserType, as ListUsers, ListUsersInGroup and AdminCreateUser return it (``Attributes``)."""
    return {
        "Username": user.username,
        "Attributes": attribute_list(user, only),
        "UserCreateDate": user.created,
        "UserLastModifiedDate": user.modified,
        "Enabled": user.enabled,
        "UserStatus": user.status,
    }


def group_type(group: Group, pool_id: str) -> dict[str, Any]:
    shape: dict[str, Any] = {
        "GroupName": group.name,
        "UserPoolId": pool_id,
        "Description": group.description,
        "LastModifiedDate": group.modified,
        "CreationDate": group.created,
    }
    if group.precedence is not None:
        shape["Precedence"] = group.precedence
    if group.role_arn is not None:
        shape["RoleArn"] = group.role_arn
    return shape


def code_delivery(email: str) -> dict[str, str]:
    """Where a code went, masked as Cognito masks it (``a***@e***``)."""
    local, _, domain = email.partition("@")
    return {
        "Destination": f"{local[:1]}***@{domain[:1]}***",
        "DeliveryMedium": "EMAIL",
        "AttributeName": "email",
    }


def paginate(items: Sequence[T], start: int, limit: int | None) -> tuple[Sequence[T], str | None]:
    """One page and the token of the next (none after the last page)."""
    size = limit or DEFAULT_PAGE
    end = start + size
    return items[start:end], (f"p-{end}" if end < len(items) else None)
