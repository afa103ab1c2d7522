"""`PbxOffline`: the `core.ports.CallControl` used while the AMI link is not configured."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, NoReturn

from core.errors import PbxUnavailable


class PbxOffline:
    """Every `CallControl` command is refused with `PbxUnavailable` (the console answers 503)."""

    def __getattr__(self, command: str) -> Callable[..., Coroutine[Any, Any, NoReturn]]:
        if command.startswith("_"):
            raise AttributeError(command)

        async def refuse(*args: object, **kwargs: object) -> NoReturn:
            raise PbxUnavailable("电话系统未连接，暂时无法操作", command=command)

        return refuse
