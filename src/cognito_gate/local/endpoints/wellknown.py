"""The issuer endpoints — discovery (exactly the 12 keys Cognito publishes, §8.1) and the
JWKS — plus the static stylesheet and the /error page of the domain."""

from __future__ import annotations

import functools
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ..faults import JwksFault
from ..hosted_ui import stylesheet
from ..keys import KeyRing
from ..responses import json_response
from .context import pool, query_value

ERROR_MESSAGES = {
    "redirect_mismatch": "The redirect URI in the request does not match the ones registered "
    "for this app client.",
    "invalid_client": "The app client in the request does not exist in this user pool.",
    "invalid_request": "Required parameters are missing from the sign-in request.",
}
GENERIC_ERROR = "An error was encountered with the requested page."


def _pool_or_404(request: Request) -> Response | None:
    lc = pool(request)
    if request.path_params.get("pool_id") != lc.pool_id:
        pool_id = request.path_params.get("pool_id")
        return json_response({"message": f"User pool {pool_id} does not exist."}, 404)
    return None


async def discovery(request: Request) -> Response:
    missing = _pool_or_404(request)
    if missing is not None:
        return missing
    lc = pool(request)
    return json_response(
        {
            "authorization_endpoint": f"{lc.base_url}/oauth2/authorize",
            "end_session_endpoint": f"{lc.base_url}/logout",
            "id_token_signing_alg_values_supported": ["RS256"],
            "issuer": lc.issuer,
            "jwks_uri": lc.jwks_url,
            "response_types_supported": ["code", "token"],
            "revocation_endpoint": f"{lc.base_url}/oauth2/revoke",
            "scopes_supported": ["openid", "email", "phone", "profile"],
            "subject_types_supported": ["public"],
            "token_endpoint": f"{lc.base_url}/oauth2/token",
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "userinfo_endpoint": f"{lc.base_url}/oauth2/userInfo",
        }
    )


async def jwks(request: Request) -> Response:
    missing = _pool_or_404(request)
    if missing is not None:
        return missing
    lc = pool(request)
    document: dict[str, list[Any]] = lc.keys.jwks()
    fault: JwksFault | None = lc.faults.take("jwks")
    if fault is not None:
        document["keys"] += [_bad_key(kind, lc.keys) for kind in fault.extra_keys]
    return json_response(document)


def _bad_key(kind: str, keys: KeyRing) -> dict[str, str]:
    """Keys a verifier must skip: an unknown key type, an encryption key, a broken modulus, a
    genuine RSA key of only 1024 bits."""
    if kind == "weak_rsa":
        return keys.weak_key.jwk()
    real = keys.foreign_key.jwk()
    if kind == "unknown_kty":
        return {"kty": "XYZ", "kid": "unknown-kty-key", "use": "sig", "alg": "RS256"}
    if kind == "enc":
        return {**real, "kid": "encryption-key", "use": "enc", "alg": "RSA-OAEP"}
    return {**real, "kid": "broken-rsa-key", "n": "!!not-base64url!!"}


@functools.cache
def _css() -> str:
    return stylesheet()


async def css(request: Request) -> Response:
    return Response(
        _css(), media_type="text/css", headers={"Cache-Control": "public, max-age=3600"}
    )


async def error_page(request: Request) -> Response:
    lc = pool(request)
    error = query_value(request, "error") or ""
    message = ERROR_MESSAGES.get(error, GENERIC_ERROR)
    detail = f"Error code: {error}" if error in ERROR_MESSAGES else None
    return lc.ui.error(request, message, detail=detail)
