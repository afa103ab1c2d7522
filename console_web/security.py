"""HTTP hardening that sits in front of every route: body size caps and security headers.

Both are plain ASGI middlewares, so they act before FastAPI parses a body or a route's
dependencies (the session check) run:

* `BodySizeLimit` refuses a request whose `Content-Length` is over the route's cap without
  reading a byte of it, and counts the bytes of a streamed (chunked) body as they arrive, giving
  up as soon as the cap is passed. Either way the answer is 413 with a Chinese message. CSV
  imports get a larger cap than everything else (`HOTLINE_WEB__MAX_IMPORT_BYTES`).
* `MaskPhoneNumbers` runs every JSON response through `core.privacy.mask_phone_numbers` (every
  string, whatever its key), unless the session's role may see full numbers. The office
  directory (`/api/offices`) holds public office numbers that admins edit: it is left as is.
* `SecurityHeaders` adds CSP, nosniff, framing, referrer and permissions policies to every
  response, and HSTS when the request did not come to a loopback host.
* `TrustedProxies` takes the client address from X-Forwarded-For, from configured proxies only.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.privacy import mask_phone_numbers

# The routes that take an uploaded CSV file as their body.
IMPORT_ROUTES = ("/api/offices/import", "/api/schedule/import", "/api/knowledge/import")


def _human(size: int) -> str:
    if size >= 1024 * 1024 and size % (1024 * 1024) == 0:
        return f"{size // (1024 * 1024)} MB"
    if size >= 1024 and size % 1024 == 0:
        return f"{size // 1024} KB"
    return f"{size} 字节"


class _BodyTooLarge(Exception):
    pass


async def _send_json(send: Send, status: int, body: Mapping[str, object]) -> None:
    """A whole JSON response (the connection closed after it), sent by the middleware itself."""
    payload = json.dumps(body, ensure_ascii=False).encode()
    start: Message = {
        "type": "http.response.start",
        "status": status,
        "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(payload)).encode()),
            (b"connection", b"close"),
        ],
    }
    await send(start)
    await send({"type": "http.response.body", "body": payload})


class BodySizeLimit:
    """Caps request bodies at `default` bytes, or at `routes[path]` for the paths listed there."""

    def __init__(self, app: ASGIApp, *, default: int, routes: Mapping[str, int] | None = None) -> None:
        self.app = app
        self.default = default
        self.routes = dict(routes or {})

    def limit_for(self, path: str) -> int:
        return self.routes.get(path.rstrip("/") or "/", self.default)

    async def _refuse(self, send: Send, limit: int) -> None:
        await _send_json(
            send,
            413,
            {"error_id": "request.too_large", "message": f"请求内容过大（上限 {_human(limit)}）"},
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    await _send_json(
                        send, 400, {"error_id": "request.bad_length", "message": "请求头 Content-Length 无效"}
                    )
                    return
                if declared > limit:
                    await self._refuse(send, limit)
                    return
        received = 0
        exceeded = False
        response_started = False

        async def counted_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise _BodyTooLarge
            return message

        async def refuse_once() -> None:
            """The 413, unless a response has gone out already."""
            nonlocal response_started
            if not response_started:
                response_started = True
                await self._refuse(send, limit)

        async def guarded_send(message: Message) -> None:
            nonlocal response_started
            if exceeded:
                # Whatever the application made of the interrupted body (FastAPI turns it into a
                # 400), the client gets the 413 it deserves, once.
                await refuse_once()
                return
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except _BodyTooLarge:
            await refuse_once()


# Public numbers (offices' switchboards) that admins read and edit: never masked.
PUBLIC_NUMBER_ROUTES = ("/api/offices",)
SEES_FULL_NUMBERS = "sees_full_numbers"  # key in the request state, set by the session check


def _header(headers: Iterable[tuple[bytes, bytes]], name: bytes) -> bytes | None:
    for k, v in headers:
        if k.lower() == name:
            return v
    return None


class MaskPhoneNumbers:
    """Masks phone numbers in every JSON response body, at the last moment before it is sent."""

    def __init__(self, app: ASGIApp, *, exempt: tuple[str, ...] = PUBLIC_NUMBER_ROUTES) -> None:
        self.app = app
        self.exempt = exempt

    def _exempt(self, path: str) -> bool:
        return any(path == p or path.startswith(p + "/") for p in self.exempt)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self._exempt(scope["path"]):
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        start: Message | None = None
        chunks: list[bytes] = []

        async def masking_send(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                ctype = _header(message.get("headers", ()), b"content-type") or b""
                if ctype.split(b";")[0].strip() == b"application/json":
                    start = message  # held back until the body is complete
                    return
            elif message["type"] == "http.response.body" and start is not None:
                chunks.append(message.get("body", b""))
                if message.get("more_body", False):
                    return
                body = b"".join(chunks)
                if not state.get(SEES_FULL_NUMBERS, False):
                    body = _masked_json(body)
                headers = [(k, v) for k, v in start.get("headers", ()) if k.lower() != b"content-length"]
                headers.append((b"content-length", str(len(body)).encode()))
                await send({**start, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
            await send(message)

        await self.app(scope, receive, masking_send)


def _masked_json(body: bytes) -> bytes:
    try:
        data = json.loads(body)
    except ValueError:
        return body
    return json.dumps(
        mask_phone_numbers(data), ensure_ascii=False, allow_nan=False, separators=(",", ":")
    ).encode()


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(items: Iterable[str]) -> tuple[Network, ...]:
    """`10.0.0.5`, `10.0.0.0/8`, `::1`: each one a network (a single address is a /32 or /128)."""
    return tuple(ipaddress.ip_network(item.strip(), strict=False) for item in items if item.strip())


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


class TrustedProxies:
    """Replaces the peer address with the client's when the peer is a configured proxy.

    Only a peer inside `trusted` is believed; its X-Forwarded-For is read from the right, skipping
    further trusted proxies, and the first address that is not one of them is the client. A header
    from anyone else is ignored, so a client cannot pick its own address (which would let it
    dodge the login throttle or forge the audit log). With no proxies configured (the default)
    nothing is ever rewritten.
    """

    def __init__(self, app: ASGIApp, *, trusted: Iterable[str]) -> None:
        self.app = app
        self.trusted = parse_networks(trusted)

    def _is_trusted(self, host: str) -> bool:
        addr = _address(host)
        return addr is not None and any(addr in net for net in self.trusted)

    def client_for(self, peer: str, forwarded_for: list[str]) -> str:
        if not self._is_trusted(peer):
            return peer
        hops = [h.strip() for value in forwarded_for for h in value.split(",") if h.strip()]
        for hop in reversed(hops):
            addr = _address(hop)
            if addr is None:
                return peer  # a mangled header: keep the proxy's own address
            if not self._is_trusted(hop):
                return str(addr)
        return peer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.trusted and scope["type"] in ("http", "websocket") and scope.get("client"):
            peer, port = scope["client"]
            values = [v.decode("latin-1") for k, v in scope.get("headers", ()) if k == b"x-forwarded-for"]
            client = self.client_for(peer, values)
            if client != peer:
                scope = dict(scope)
                scope["client"] = (client, port)
        await self.app(scope, receive, send)


# Everything the pages load comes from this server: no inline script or style anywhere (the
# pages keep their scripts and styles in /static), no eval, no plugins, no framing.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), serial=(), bluetooth=(), "
    "midi=(), magnetometer=(), gyroscope=(), accelerometer=(), display-capture=(), interest-cohort=()"
)
HSTS = "max-age=31536000; includeSubDomains"
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})


def _host_name(scope: Scope) -> str:
    host = _header(scope.get("headers", ()), b"host")
    if host is not None:
        text = host.decode("latin-1").strip().lower()
        if text.startswith("["):
            return text.split("]", 1)[0] + "]"
        return text.rsplit(":", 1)[0] if text.count(":") == 1 else text
    server = scope.get("server")
    return str(server[0]).lower() if server else ""


class SecurityHeaders:
    """Adds the security headers to every HTTP response (one the route set itself is kept).

    HSTS goes out only when the browser did not come to a loopback host: the demo runs on plain
    http://127.0.0.1, where pinning HTTPS would lock the browser out of it.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    def headers_for(self, scope: Scope) -> list[tuple[bytes, bytes]]:
        out = [
            (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"no-referrer"),
            (b"permissions-policy", PERMISSIONS_POLICY.encode()),
            (b"cross-origin-opener-policy", b"same-origin"),
        ]
        if _host_name(scope) not in LOCAL_HOSTS:
            out.append((b"strict-transport-security", HSTS.encode()))
        return out

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = self.headers_for(scope)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in extra if k not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


@dataclass(frozen=True, slots=True)
class SecurityConfig:
    """What `install_security` needs; `app.main` builds it from `WebSettings`."""

    max_body_bytes: int = 1024 * 1024
    max_import_bytes: int = 20 * 1024 * 1024
    trusted_proxies: tuple[str, ...] = field(default_factory=tuple)


def install_security(app: FastAPI, config: SecurityConfig) -> None:
    """Adds the middlewares; the last one added runs first."""
    app.add_middleware(MaskPhoneNumbers)
    app.add_middleware(TrustedProxies, trusted=config.trusted_proxies)
    app.add_middleware(
        BodySizeLimit,
        default=config.max_body_bytes,
        routes=dict.fromkeys(IMPORT_ROUTES, config.max_import_bytes),
    )
    app.add_middleware(SecurityHeaders)  # outermost: the 413s above get the headers too
