"""What the console's routers share: the services the composition root puts on `app.state`, the
role checks, the audit line of an action, the date and CSV-upload parsing, and the pages.

One copy for every router: a service not (yet) on `app.state` answers 503 with its Chinese name,
a role refused answers 403 with the route's own Chinese sentence, an audit line carries the
client's address, and a page is served as the shared head followed by the page's own part.
"""

from __future__ import annotations

import enum
from collections.abc import Collection
from datetime import date
from pathlib import Path
from typing import Generic, TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse

from console_web.auth import Authenticated, AuthService
from console_web.errors import status_for
from core.access import Principal, Role
from core.errors import BackendUnavailable, HotlineError, InvalidInput, PermissionDenied

STATIC = Path(__file__).resolve().parent / "static"
SHARED_HEAD = STATIC / "lib" / "head.html"

S = TypeVar("S")
E = TypeVar("E", bound=enum.Enum)


class AppService(Generic[S]):
    """The service that the composition root puts on `app.state.<attr>`: called with a request, it
    hands it over, or refuses with `BackendUnavailable(missing)` (503) while it is not there."""

    def __init__(self, attr: str, missing: str) -> None:
        self.attr = attr
        self.missing = missing

    def __call__(self, request: Request) -> S:
        service: S | None = getattr(request.app.state, self.attr, None)
        if service is None:
            raise BackendUnavailable(self.missing)
        return service


def require_role(principal: Principal, roles: Collection[Role], refusal: str) -> None:
    """`PermissionDenied(refusal)` (403) unless the principal has one of `roles`."""
    if principal.role not in roles:
        raise PermissionDenied(refusal)


def parse_day(text: str | None) -> date | None:
    """A `YYYY-MM-DD` query or form value; None when empty; `InvalidInput` (422) when malformed."""
    if not text:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput("日期格式应为 YYYY-MM-DD", date=text) from None


def enum_of(members: type[E], value: str, refusal: str, /, **context: object) -> E:
    """The member of `members` with this value (a form's or a query's); `InvalidInput(refusal,
    **context)` (422) when none has it."""
    try:
        return members(value)
    except ValueError:
        raise InvalidInput(refusal, **context) from None


def decode_csv(raw: bytes) -> str:
    """UTF-8 (with or without BOM), else GB18030: what Excel saves on a Chinese Windows."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError:
        raise InvalidInput("文件编码无法识别，请保存为 UTF-8 编码的 CSV") from None


async def uploaded_csv(request: Request) -> str:
    """The text of the CSV file that is the request's body; an empty upload is refused (422)."""
    raw = await request.body()
    if not raw.strip():
        raise InvalidInput("上传的文件为空")
    return decode_csv(raw)


def import_refused(exc: HotlineError, what: str, errors: list[str]) -> JSONResponse:
    """The answer to a CSV import refused as a whole (all or nothing): every bad line in `errors`."""
    body = exc.to_dict() | {"message": f"{what}有 {len(errors)} 处错误，未导入", "errors": errors}
    return JSONResponse(status_code=status_for(exc), content=body)


def client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


def auth_service(request: Request) -> AuthService:
    service: AuthService = request.app.state.backend.auth
    return service


def audit(
    request: Request,
    auth: Authenticated,
    action: str,
    target: str = "",
    detail: dict[str, object] | None = None,
) -> None:
    """Write one action of the logged-in user to the audit log. A database write: an async route
    runs it off the event loop (`await offload(audit, ...)`)."""
    auth_service(request).record(auth, action, target=target, detail=detail, source_ip=client_ip(request))


def audio_response(path: Path, *, download_name: str | None = None) -> FileResponse:
    """A recorded WAV file (a message, a call's recording), streamed with HTTP Range: the page's
    <audio> seeks with it, a range past the end is answered 416 with the file's length; never
    cached. `download_name`: sent as an attachment of that name instead of played in the page."""
    return FileResponse(
        path,
        media_type="audio/wav",
        headers={"Cache-Control": "no-store"},
        filename=download_name,
        content_disposition_type="attachment" if download_name else "inline",
    )


def page_html(file: str) -> str:
    """A page as it is served: the head every page shares (`static/lib/head.html`: doctype,
    language, charset, viewport, the console's style sheet), then the page's own `static/<file>`,
    which goes on with its title, its own style sheets, and its body."""
    return SHARED_HEAD.read_text(encoding="utf-8") + (STATIC / file).read_text(encoding="utf-8")


def add_page(router: APIRouter, path: str, file: str, *, slash_redirect: bool = False) -> None:
    """Serve the page `file` (`page_html`) at `path` (and redirect `path/` to it if asked)."""

    def page() -> HTMLResponse:
        return HTMLResponse(page_html(file))

    router.add_api_route(path, page, methods=["GET"], include_in_schema=False)
    if slash_redirect:

        async def page_slash() -> RedirectResponse:
            return RedirectResponse(path)

        router.add_api_route(path + "/", page_slash, methods=["GET"], include_in_schema=False)
