"""The user-pool JSON API (``cognito-idp``, cognito-json-api.md): ``POST /`` with
``X-Amz-Target: AWSCognitoIdentityProviderService.<Operation>``, one module per group of
operations over the same accounts, tokens and sessions as the hosted UI."""

from .protocol import handle

__all__ = ["handle"]
