"""AWS JSON 1.1 on the wire: route on ``X-Amz-Target``, read the JSON object, answer with
``application/x-amz-json-1.1`` and, on failure, ``{"__type", "message"}`` plus AWS's headers, so
boto3 raises the same ``client.exceptions.<Name>`` as against Cognito (§1.3).

SigV4 signatures are accepted without being checked: there are no IAM credentials to check them
against, and the public operations are unsigned anyway (§1.2).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from ..errors import CognitoError
from . import auth, groups, pool, providers, selfservice, users
from .params import Params

if TYPE_CHECKING:
    from ..local_cognito import LocalCognito

__all__ = ["OPERATIONS", "error_response", "handle"]

CONTENT_TYPE = "application/x-amz-json-1.1"
TARGET_PREFIX = "AWSCognitoIdentityProviderService."
MAX_BODY = 1 << 20
Operation = Callable[["LocalCognito", Params], dict[str, Any]]
OPERATIONS: dict[str, Operation] = {
    **users.OPERATIONS,
    **groups.OPERATIONS,
    **auth.OPERATIONS,
    **selfservice.OPERATIONS,
    **pool.OPERATIONS,
    **providers.OPERATIONS,
}
_CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "x-amzn-RequestId,x-amzn-ErrorType,x-amzn-ErrorMessage,Date",
}


def _answer(body: dict[str, Any], status: int, headers: dict[str, str]) -> Response:
    content = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
    request_id = {"x-amzn-RequestId": str(uuid.uuid4())}
    return Response(content, status, {**request_id, **_CORS, **headers}, media_type=CONTENT_TYPE)


def error_response(error: CognitoError) -> Response:
    headers = {
        "x-amzn-ErrorType": f"{error.kind}:",
        "x-amzn-ErrorMessage": error.message.encode("ascii", "replace").decode().strip(),
    }
    return _answer({"__type": error.kind, "message": error.message}, error.status, headers)


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise CognitoError("SerializationException", "Request body too large")
    try:
        body = json.loads(raw or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise CognitoError(
            "SerializationException", "Start of structure or map found where not expected."
        ) from None
    if not isinstance(body, dict):
        raise CognitoError(
            "SerializationException", "Start of structure or map found where not expected."
        )
    return body


async def handle(request: Request) -> Response:
    """``POST /``: one JSON API call."""
    lc: LocalCognito = request.app.state.lc
    target = request.headers.get("x-amz-target", "")
    operation = (
        OPERATIONS.get(target.removeprefix(TARGET_PREFIX))
        if target.startswith(TARGET_PREFIX)
        else None
    )
    try:
        if operation is None:
            raise CognitoError("UnknownOperationException", f"Unknown operation {target}")
        result = operation(lc, Params(await _body(request)))
    except CognitoError as exc:
        return error_response(exc)
    return _answer(result, 200, {})
