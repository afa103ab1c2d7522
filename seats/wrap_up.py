"""How far a seat may stretch its wrap-up while it finishes a consultation record.

A seat still typing when its wrap-up runs out would be offered the next caller mid-sentence. So
the seat (or its console, when the lawyer is typing in the record form) may extend the wrap-up,
`step_s` at a time, up to `max_s` in all from the moment the call ended. The two numbers are a
service policy that supervisors set (`console_web.supervisor_api`), kept by the store so that they
survive a restart; until a supervisor sets them, `WrapUpPolicy()`'s defaults apply.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from core.access import Principal, Role
from core.blocking import offload
from core.clock import Clock
from core.errors import InvalidInput, PermissionDenied

STEP_RANGE_S = (10, 600)
MAX_RANGE_S = (0, 3600)


@dataclass(frozen=True, slots=True, kw_only=True)
class WrapUpPolicy:
    step_s: int = 60  # one extension (延长一次)
    max_s: int = 300  # the wrap-up's whole length with its extensions, from the call's end; 0: none

    def checked(self) -> WrapUpPolicy:
        """This policy, or `InvalidInput` naming what is out of range (in Chinese)."""
        problems: dict[str, str] = {}
        lo, hi = STEP_RANGE_S
        if not lo <= self.step_s <= hi:
            problems["step_s"] = f"每次延长的秒数应在 {lo}–{hi} 秒之间"
        lo, hi = MAX_RANGE_S
        if not lo <= self.max_s <= hi:
            problems["max_s"] = f"话后整理最长时长应在 {lo}–{hi} 秒之间"
        if problems:
            raise InvalidInput("；".join(problems.values()), fields=",".join(problems))
        return self


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredWrapUpPolicy:
    policy: WrapUpPolicy
    updated_at: datetime | None = None  # None: never set, the defaults
    updated_by: str = ""


class WrapUpPolicies(Protocol):
    """Where the policy is kept (`store.policies.ServicePolicyRepository`). Blocking."""

    def wrap_up(self) -> StoredWrapUpPolicy: ...

    def set_wrap_up(self, policy: WrapUpPolicy, *, by: str, at: datetime) -> StoredWrapUpPolicy: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class WrapUpExtended:
    """What an extension left: the wrap-up now ends at `until`; `left_s` more may still be added."""

    until: datetime
    extended_s: float  # how much this request added (less than a step at the cap)
    left_s: float
    max_s: int


def may_set_policy(principal: Principal) -> bool:
    """The city's supervisors and admins set the hotline's policy; a district's or team's
    supervisor reads it."""
    if principal.role is Role.ADMIN:
        return True
    return principal.role is Role.SUPERVISOR and not (
        principal.scope_district_code or principal.scope_team_id
    )


class WrapUpPolicyService:
    """Reading and setting the policy (the supervisors' console)."""

    def __init__(self, store: WrapUpPolicies, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    async def current(self) -> StoredWrapUpPolicy:
        return await offload(self._store.wrap_up)

    async def set(self, principal: Principal, policy: WrapUpPolicy) -> StoredWrapUpPolicy:
        if not may_set_policy(principal):
            raise PermissionDenied("仅市级班长和管理员可以修改话后整理延长规则")
        policy.checked()
        return await offload(self._store.set_wrap_up, policy, by=principal.username, at=self._clock.now())
