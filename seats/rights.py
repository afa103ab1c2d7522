"""`RoleRights`: which role holds which right in a seat's live call or over a seat (issue 16, item 3):
监听与耳语 (`Right.MONITOR`), 强插与强拆 (`Right.BARGE`), 调度坐席 (`Right.STEER`).

The admin decides, on the console's 权限设置 page. Until the admin saves, each role holds the
settings' rights (`HOTLINE_WEB__MONITOR__*_ROLES`, `core.access.DEFAULT_RIGHTS` unless set); once
saved, the database's (table `role_rights`) hold for every role, and outlive a restart.

`RoleRights` is itself the `Mapping[Role, frozenset[Right]]` that `seats.monitor.SupervisorMonitor`
and `seats.steer.SeatSteering` read at each check: a change applies to the next click, with no
restart and no copy to refresh. It is read on the event loop, so it is held in memory: loaded once
at start (`load`), replaced in place by `change`. (One web process, as the console runs; a second
process would see another admin's change after its own restart.)

Guards: only admins change rights; the seat role (坐席) never holds any of them, whatever the
settings say: a seat listening to its colleagues' calls, or pausing them, is no seat's business.
Every change is audited (`rights.change`: who, each role's rights before and after).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from core.access import Principal, Right, Role
from core.audit import AuditEntry
from core.blocking import offload
from core.clock import Clock
from core.errors import InvalidInput, PermissionDenied
from core.ids import UserId
from seats.monitor import AuditLog

AUDIT_ACTION = "rights.change"
NEVER: frozenset[Role] = frozenset({Role.SEAT})
"""Roles that can hold none of these rights."""


class RightsStore(Protocol):
    """The admin's saved rights (`store.oversight.RoleRightsRepository`). Blocking."""

    def load(self) -> dict[Role, frozenset[Right]]: ...

    def save(self, rights: Mapping[Role, frozenset[Right]], *, by: UserId, at: datetime) -> None: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class RoleRightsLine:
    """One role's rights as the page shows them; `saved`: set by the admin (else the default)."""

    role: Role
    rights: frozenset[Right]
    saved: bool
    editable: bool


class RoleRights(Mapping[Role, frozenset[Right]]):
    def __init__(
        self,
        *,
        defaults: Mapping[Role, frozenset[Right]],
        store: RightsStore,
        audit: AuditLog,
        clock: Clock,
    ) -> None:
        self._defaults = {role: frozenset(defaults.get(role, frozenset())) for role in Role}
        self._store = store
        self._audit = audit
        self._clock = clock
        self._saved: dict[Role, frozenset[Right]] = {}
        self._lock = threading.Lock()

    def load(self) -> None:
        """Read the saved rights (blocking: at start, through `offload`)."""
        saved = self._store.load()
        with self._lock:
            self._saved = saved

    # --- the Mapping the services read -----------------------------------------------------------

    def __getitem__(self, role: Role) -> frozenset[Right]:
        if role in NEVER:
            return frozenset()
        with self._lock:
            held = self._saved.get(role)
        return self._defaults[role] if held is None else held

    def __iter__(self) -> Iterator[Role]:
        return iter(Role)

    def __len__(self) -> int:
        return len(Role)

    # --- the admin's page ------------------------------------------------------------------------

    def require_admin(self, principal: Principal) -> None:
        """`PermissionDenied` unless an admin: before anything of a request is judged."""
        _admin(principal)

    def table(self, principal: Principal) -> list[RoleRightsLine]:
        _admin(principal)
        with self._lock:
            saved = set(self._saved)
        return [
            RoleRightsLine(role=role, rights=self[role], saved=role in saved, editable=role not in NEVER)
            for role in Role
        ]

    async def change(
        self, principal: Principal, wanted: Mapping[Role, frozenset[Right]], source_ip: str = ""
    ) -> list[RoleRightsLine]:
        """The admin sets the rights of the roles in `wanted` (the others keep theirs); saved for
        every role, applied at once, audited with each role's rights before and after."""
        _admin(principal)
        for role, held in wanted.items():
            if role in NEVER and held:
                raise InvalidInput(
                    f"{role.label}角色不能获得监听、耳语、强插、强拆或调度坐席的权限", role=role.value
                )
        before = {role: self[role] for role in Role}
        after = before | {role: frozenset(held) for role, held in wanted.items() if role not in NEVER}
        if after == before:
            raise InvalidInput("权限没有变化，无需保存")
        now = self._clock.now()
        await offload(self._store.save, after, by=principal.user_id, at=now)
        with self._lock:
            self._saved = dict(after)
        changed = [role.value for role in Role if before[role] != after[role]]
        entry = AuditEntry(
            at=now,
            actor=principal.user_id,
            action=AUDIT_ACTION,
            target=",".join(changed),
            detail={
                "roles": changed,
                "before": {role.value: _values(before[role]) for role in Role},
                "after": {role.value: _values(after[role]) for role in Role},
            },
            source_ip=source_ip,
        )
        await offload(self._audit.append, entry)
        return self.table(principal)


def _admin(principal: Principal) -> None:
    if principal.role is not Role.ADMIN:
        raise PermissionDenied("仅管理员可以设置角色权限")


def _values(rights: frozenset[Right]) -> list[str]:
    return [r.value for r in Right if r in rights]
