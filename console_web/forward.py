"""A web process's forwarding of commands to the telephony process (app role `web`, issue 21).

A web process serves the pages, the sockets and the reads it can answer from what it mirrors (the
seat board, the call views, the supervisor's live board, all followed through Redis) and from the
database. Everything else goes to the one telephony process, which holds the PBX link, the tracker
and the callback service: every command (a seat's 签入, a transfer, a supervisor's 强插, a work
order's 回拨), and the reads that need what only it has (recordings, the reconciliation, alerts,
the report archive, the office registry). Which is which is one table, `LOCAL_READS`, checked by
a test against both processes' answers; what is not in it is forwarded, so a new route is right
by default (served where its state lives) and only gets faster by being listed.

The request goes as it came (method, path, query, body, cookies and the CSRF header, so the
telephony process checks the session and the rights itself), with the client's address in
X-Forwarded-For: list the web processes in the telephony process's `web.trusted_proxies` so that
its login throttle and audit log see the browser, not the web process. The answer comes back as
it is, streamed (a recording plays while it downloads). An unreachable telephony process is a
503 in the house's error shape, never a hang: the page shows 电话进程暂不可达 and may retry.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

import httpx2
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from console_web.errors import status_for
from console_web.security import SEES_FULL_NUMBERS
from core.errors import BackendUnavailable

log = logging.getLogger(__name__)

# (method, path pattern) a web process answers itself; everything else is forwarded. Not here on
# purpose: /api/seat/state (its wrap-up deadline lives with the after-call timer, which pauses
# the member in Asterisk), the seat's queue moves, recordings' audio, alerts, the office registry.
LOCAL_READS: tuple[tuple[str, str], ...] = (
    ("POST", r"/api/login"),
    ("POST", r"/api/logout"),
    ("GET", r"/api/me"),
    ("GET", r"/api/labels"),
    ("GET", r"/healthz"),
    ("GET", r"/api/admin/process"),  # each process's own health
    ("GET", r"/api/seat/today"),
    ("GET", r"/api/seat/calls/[^/]+/(screenpop|transcript)"),
    ("GET", r"/api/calls/recent"),
    ("GET", r"/api/supervisor/(overview|seats|live-groups|breakdown|trends|forecast|districts)"),
    ("GET", r"/api/knowledge/(entries|search)"),
    ("GET", r"/api/knowledge/entries/[^/]+/history"),
    ("GET", r"/api/qc/(form|items|mine|phrases|report|rule)"),
    ("GET", r"/api/qc/items/[^/]+"),
    ("GET", r"/api/schedule(/attendance)?"),
    ("GET", r"/api/transcripts/search"),
)
_LOCAL = [(method, re.compile(pattern + r"/?")) for method, pattern in LOCAL_READS]
_HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"transfer-encoding",
        b"upgrade",
        b"te",
        b"trailer",
        b"host",
        b"content-length",
        b"proxy-authorization",
        b"proxy-connection",
    }
)
UNREACHABLE = "电话进程暂不可达，请稍后重试"


def served_locally(method: str, path: str) -> bool:
    """Whether a web process answers this request itself: the pages and static files (every
    path outside /api), the listed reads, and HEAD as its GET."""
    if not path.startswith("/api/") and path != "/healthz":
        return True
    method = "GET" if method == "HEAD" else method
    return any(m == method and rx.fullmatch(path) for m, rx in _LOCAL)


class ForwardToTelephony:
    """ASGI middleware of a web process: what `local` does not keep goes to `target`."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        target: str,
        local: Callable[[str, str], bool] = served_locally,
        timeout_s: float = 30.0,
    ) -> None:
        self.app = app
        self.target = target.rstrip("/")
        self.local = local
        self._timeout = timeout_s
        self._client: httpx2.AsyncClient | None = None
        self.forwarded = 0

    def _http(self) -> httpx2.AsyncClient:
        # Made on first use, inside the server's loop; kept alive (connection reuse) for the life
        # of the process.
        if self._client is None:
            self._client = httpx2.AsyncClient(
                base_url=self.target,
                timeout=httpx2.Timeout(self._timeout, connect=3.0),
                limits=httpx2.Limits(max_connections=200, max_keepalive_connections=50),
            )
        return self._client

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, receive, self._closing(send))
            return
        if scope["type"] != "http" or self.local(scope["method"], scope["path"]):
            await self.app(scope, receive, send)
            return
        self.forwarded += 1
        # The telephony process masked the answer for the user already (or showed the numbers
        # that user may see): this process's MaskPhoneNumbers must leave it as it comes.
        scope.setdefault("state", {})[SEES_FULL_NUMBERS] = True
        body = await _read_body(receive)
        # The client as this process's TrustedProxies made it out: the telephony process, which
        # trusts this one, takes it from here; whatever the browser sent is not passed on.
        skip = _HOP_BY_HOP | {b"x-forwarded-for"}
        headers = [(k, v) for k, v in scope["headers"] if k.lower() not in skip]
        client = scope.get("client")
        if client:
            headers.append((b"x-forwarded-for", str(client[0]).encode("latin-1")))
        path = scope.get("raw_path") or scope["path"].encode()
        url = path.decode("latin-1") + (
            ("?" + scope["query_string"].decode("latin-1")) if scope["query_string"] else ""
        )
        http = self._http()
        request = http.build_request(scope["method"], url, headers=headers, content=body)
        try:
            response = await http.send(request, stream=True)
        except httpx2.HTTPError as exc:
            log.warning("forwarding %s %s to the telephony process failed: %r", scope["method"], url, exc)
            error = BackendUnavailable(UNREACHABLE, target=self.target)
            await JSONResponse(error.to_dict(), status_code=status_for(error))(scope, receive, send)
            return
        try:
            out = [(k.lower(), v) for k, v in response.headers.raw if k.lower() not in _HOP_BY_HOP]
            await send({"type": "http.response.start", "status": response.status_code, "headers": out})
            async for chunk in response.aiter_raw():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            await response.aclose()

    def _closing(self, send: Send) -> Send:
        """The server stops: its connections to the telephony process are closed with it."""

        async def closing_send(message: Message) -> None:
            if message["type"] == "lifespan.shutdown.complete":
                await self.aclose()
            await send(message)

        return closing_send

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None


async def _read_body(receive: Receive) -> bytes:
    parts: list[bytes] = []
    while True:
        message: Message = await receive()
        if message["type"] == "http.disconnect":
            break
        parts.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(parts)
