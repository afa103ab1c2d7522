"""Ports: the interfaces through which the domain reaches the outside world.

Adapters implement them (`pbx.ami_control.AmiCallControl` for `CallControl`, the repositories in
`store` for persistence); tests use hand-written fakes. Every `CallControl` method may raise
`core.errors.PbxUnavailable` (no connection, timeout) or `core.errors.PbxActionFailed` (Asterisk
answered `Response: Error`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

Headers = Mapping[str, str]


class CallControl(Protocol):
    """Commands to the PBX. Outcomes come back only as AMI events: Asterisk is the source of truth."""

    async def ping(self) -> None: ...

    async def queue_add(
        self,
        queue: str,
        interface: str,
        *,
        member_name: str,
        state_interface: str | None = None,
        penalty: int = 0,
        paused: bool = False,
    ) -> None: ...

    async def queue_remove(self, queue: str, interface: str) -> None: ...

    async def queue_pause(
        self, interface: str, *, paused: bool, queue: str | None = None, reason: str = ""
    ) -> None: ...

    async def originate(
        self,
        channel: str,
        *,
        context: str,
        exten: str,
        priority: int = 1,
        caller_id: str = "",
        variables: Mapping[str, str] | None = None,
        action_id: str | None = None,
        timeout_ms: int = 30_000,
        application: str | None = None,
        data: str | None = None,
    ) -> None: ...

    async def redirect(self, channel: str, *, context: str, exten: str, priority: int = 1) -> None: ...

    async def set_variable(self, channel: str, variable: str, value: str) -> None: ...

    async def hangup(self, channel: str, *, cause: int | None = None) -> None: ...

    async def queue_status(self, queue: str | None = None) -> Sequence[Headers]: ...

    async def core_show_channels(self) -> Sequence[Headers]: ...


class SmsSender(Protocol):
    async def send(self, number: str, text: str) -> None: ...
