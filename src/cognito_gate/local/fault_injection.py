"""Middleware applying the endpoint fault switches (``faults.set(endpoint, ...)``): slow,
failing, garbled, redirected or dropped answers, optionally after the real endpoint has run."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING

import httpx
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .faults import ENDPOINTS, EndpointFault

if TYPE_CHECKING:
    from .local_cognito import LocalCognito

__all__ = ["ENDPOINT_KEY", "DroppedConnection", "FaultInjection"]

ENDPOINT_KEY = "cognito_gate.local.endpoint"  # set by the Guard: which endpoint a request is for

HTML_ERROR = (
    b"<!DOCTYPE html><html><head><title>Service Unavailable</title></head>"
    b"<body><h1>Service Unavailable</h1><p>Please try again later.</p></body></html>"
)
Answer = tuple[int, list[tuple[bytes, bytes]], bytes]


class DroppedConnection(httpx.RemoteProtocolError):
    """Raised after the response has started, so the connection ends without an answer.

    On a real socket uvicorn then closes the connection; in-process (httpx's ASGI transport)
    the client sees this error — an httpx transport error, as a dropped connection would be.
    """

    def __init__(self) -> None:
        super().__init__("Local Cognito dropped the connection (fault switch)")


def _synthetic(fault: EndpointFault, endpoint: str) -> Answer:
    if fault.redirect is not None:
        return fault.status or 302, [(b"location", fault.redirect.encode())], b""
    if fault.error is not None:
        status = fault.status or (
            401 if (endpoint, fault.error) == ("revoke", "invalid_client") else 400
        )
        body = json.dumps({"error": fault.error}).encode()
        return status, [(b"content-type", b"application/json;charset=UTF-8")], body
    status = fault.status or 200
    kinds = {
        "html": (b"text/html; charset=utf-8", HTML_ERROR),
        "invalid_json": (b"application/json", b'{"keys": [{"kty": "RSA",'),
        "huge": (b"application/json", b'{"keys":[],"padding":"' + b"x" * 5_000_000 + b'"}'),
        "empty": (b"application/json", b""),
    }
    if isinstance(fault.body, bytes):
        return status, [], fault.body
    if fault.body is None:
        error = (
            "server_error" if status >= 500 else "too_many_requests" if status == 429 else "fault"
        )
        kind = (b"application/json;charset=UTF-8", json.dumps({"error": error}).encode())
    else:
        kind = kinds.get(fault.body, (b"text/plain; charset=utf-8", fault.body.encode()))
    return status, [(b"content-type", kind[0])], kind[1]


class FaultInjection:
    def __init__(self, app: ASGIApp, lc: LocalCognito) -> None:
        self.app, self.lc = app, lc

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        endpoint = scope.get(ENDPOINT_KEY)
        fault: EndpointFault | None = (
            self.lc.faults.take(f"endpoint:{endpoint}") if endpoint in ENDPOINTS else None
        )
        if fault is None:
            await self.app(scope, receive, send)
            return
        answer: Answer | None = None
        if fault.after or not (fault.replaces_response or fault.drop):
            answer = await self._run(scope, receive)
        if fault.delay:
            await asyncio.sleep(fault.delay)
        if fault.drop:
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"content-length", b"4096")],
                }
            )
            raise DroppedConnection()
        if fault.replaces_response or answer is None:
            answer = _synthetic(fault, str(endpoint))
        await _send(send, answer, fault)

    async def _run(self, scope: Scope, receive: Receive) -> Answer:
        status, headers, body = 500, [], bytearray()

        async def capture(message: Message) -> None:
            nonlocal status, headers
            if message["type"] == "http.response.start":
                status, headers = message["status"], list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                body.extend(message.get("body", b""))

        await self.app(scope, receive, capture)
        return status, headers, bytes(body)


async def _send(send: Send, answer: Answer, fault: EndpointFault) -> None:
    status, headers, body = answer
    headers = [(k, v) for k, v in headers if k.lower() != b"content-length"]
    headers.append((b"content-length", str(len(body)).encode()))
    if fault.retry_after is not None:
        headers.append((b"retry-after", str(fault.retry_after).encode()))
    if fault.headers:
        given = fault.header_pairs()
        names = {name for name, _ in given}
        headers = [(k, v) for k, v in headers if k.lower() not in names] + given
    await send({"type": "http.response.start", "status": status, "headers": headers})
    if not fault.trickle:
        await send({"type": "http.response.body", "body": body})
        return
    for i in range(len(body)):
        await send({"type": "http.response.body", "body": body[i : i + 1], "more_body": True})
        await asyncio.sleep(fault.trickle)
    await send({"type": "http.response.body", "body": b""})
