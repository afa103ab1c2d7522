"""Who may see what: the one access model (principal, scope, may-see).

Lists, single reads, pushes and reports all ask this module, so that what a console user is
pushed live is exactly what they can find afterwards.

* admin: everything.
* supervisor: a city-wide supervisor (no scope) sees everything; a scoped one sees what belongs to
  their team or district (its teams, their seats, its queues), plus system-wide notices that
  concern no call.
* seat: only what carries its own seat, plus system-wide notices that concern no call.

Facts carry *audience keys* (`seat:<id>`, `team:<id>`, `district:<code>`); a call's keys come from
its queue's name, its district and its seat (`call_keys`).

Caller numbers are masked for every role in everything pushed or served: call-backs are dialled by
the server (Originate), so no console user needs the full number.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from core.ids import SeatId, TeamId, UserId

if TYPE_CHECKING:  # core.calls imports core.events, which asks this module for queue districts
    from core.calls import CallRecord


class Role(enum.StrEnum):
    SEAT = "seat"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS: dict[Role, str] = {Role.SEAT: "坐席", Role.SUPERVISOR: "班长", Role.ADMIN: "管理员"}

# Queue names follow `q-<district code>-<category>` (routing/queue_rules.toml); city-wide pools are
# `q-city-<category>`. This is the one place that reads a district out of a queue's name.
_DISTRICT_QUEUE = re.compile(r"^q-(\d{6})-([a-z_]+)$")


def queue_district(queue: str | None) -> tuple[str | None, str | None]:
    """(district code, category) from a queue named `q-<district>-<category>`; (None, None) otherwise."""
    match = _DISTRICT_QUEUE.match(queue or "")
    if match is None:
        return None, None
    return match.group(1), match.group(2)


def district_team(district_code: str) -> TeamId:
    """The seat team that serves a district, e.g. `team-310106`."""
    return TeamId(f"team-{district_code}")


def call_keys(
    queue: str | None, seat_id: str | None = None, district_code: str | None = None
) -> frozenset[str]:
    """The audience keys of a call: its queue's district, its own district and its seat."""
    keys: set[str] = set()
    district, _ = queue_district(queue)
    if district:
        keys.add(f"district:{district}")
    if district_code:
        keys.add(f"district:{district_code}")
    if seat_id:
        keys.add(f"seat:{seat_id}")
    return frozenset(keys)


class UserLike(Protocol):
    @property
    def id(self) -> UserId: ...
    @property
    def username(self) -> str: ...
    @property
    def display_name(self) -> str: ...
    @property
    def role(self) -> Role: ...
    @property
    def seat_id(self) -> SeatId | None: ...
    @property
    def scope_team_id(self) -> TeamId | None: ...
    @property
    def scope_district_code(self) -> str | None: ...


class TeamLike(Protocol):
    @property
    def id(self) -> TeamId: ...
    @property
    def name(self) -> str: ...
    @property
    def district_code(self) -> str | None: ...


class SeatLike(Protocol):
    @property
    def id(self) -> SeatId: ...
    @property
    def team_id(self) -> TeamId: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class Principal:
    user_id: UserId
    username: str
    display_name: str
    role: Role
    seat_id: SeatId | None = None
    scope_team_id: TeamId | None = None
    scope_district_code: str | None = None

    @classmethod
    def of(cls, user: UserLike) -> Principal:
        return cls(
            user_id=user.id,
            username=user.username,
            display_name=user.display_name,
            role=user.role,
            seat_id=user.seat_id,
            scope_team_id=user.scope_team_id,
            scope_district_code=user.scope_district_code,
        )

    @property
    def citywide(self) -> bool:
        return self.role is Role.ADMIN or (
            self.role is Role.SUPERVISOR and self.scope_team_id is None and self.scope_district_code is None
        )

    def keys(self) -> frozenset[str]:
        keys = set()
        if self.seat_id:
            keys.add(f"seat:{self.seat_id}")
        if self.scope_team_id:
            keys.add(f"team:{self.scope_team_id}")
        if self.scope_district_code:
            keys.add(f"district:{self.scope_district_code}")
            # Seat and work-order facts name the team; a district's own team is `team-<code>`.
            keys.add(f"team:{district_team(self.scope_district_code)}")
        return frozenset(keys)


def may_see(principal: Principal, audience: frozenset[str], *, about_a_call: bool) -> bool:
    """Whether an event with these audience keys may be pushed to this principal."""
    if principal.citywide:
        return True
    if not audience:
        # Unscoped facts about a call could be anyone's call: only city-wide roles see them.
        return not about_a_call
    if principal.role is Role.SUPERVISOR:
        return bool(audience & (principal.keys() - {f"seat:{principal.seat_id}"}))
    return principal.seat_id is not None and f"seat:{principal.seat_id}" in audience


def sees_full_numbers(principal: Principal | None) -> bool:
    """Whether full phone numbers may be shown to this principal. Nobody, today (see above): every
    response and push is masked by `core.privacy.mask_phone_numbers`. The one place to change."""
    return False


def require_role(principal: Principal, *roles: Role) -> bool:
    return principal.role in roles


@dataclass(frozen=True, slots=True)
class Scope:
    """What a principal's lists and reports cover: the teams, seats and district they may see."""

    citywide: bool
    label: str
    district: str | None
    team_ids: frozenset[str]
    seat_ids: frozenset[str]

    @classmethod
    def of(cls, principal: Principal, teams: Sequence[TeamLike], seats: Sequence[SeatLike]) -> Scope:
        if principal.citywide:
            return cls(True, "全市", None, frozenset(t.id for t in teams), frozenset(s.id for s in seats))
        district = principal.scope_district_code
        team_ids: set[str] = {t.id for t in teams if district and t.district_code == district}
        if principal.scope_team_id:
            team_ids.add(principal.scope_team_id)
        if principal.role is Role.SEAT and principal.seat_id:
            team_ids |= {s.team_id for s in seats if s.id == principal.seat_id}
        names = [t.name for t in teams if t.id in team_ids]
        label = "、".join(names) if names else "（无）"
        if district:
            label = next(
                (t.name.removesuffix("坐席团队") for t in teams if t.district_code == district), label
            )
        return cls(
            False,
            label,
            district,
            frozenset(team_ids),
            frozenset(s.id for s in seats if s.team_id in team_ids),
        )

    def sees_team(self, team_id: str | None) -> bool:
        return self.citywide or (team_id is not None and team_id in self.team_ids)

    def sees_keys(self, keys: Iterable[str]) -> bool:
        if self.citywide:
            return True
        for key in keys:
            kind, _, value = key.partition(":")
            if (
                (kind == "seat" and value in self.seat_ids)
                or (kind == "team" and value in self.team_ids)
                or (kind == "district" and value == self.district)
            ):
                return True
        return False

    def sees_call(self, call: CallRecord) -> bool:
        return self.sees_keys(call_keys(call.queue, call.seat_id, call.district_code))
