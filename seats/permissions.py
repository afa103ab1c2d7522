"""Who may see and do what: pure rules over roles and audience keys.

* admin: everything.
* supervisor: a city-wide supervisor (no scope) sees everything; a scoped one sees what carries
  their team or district key, plus system-wide notices that concern no call.
* seat: only what carries its own `seat:<id>` key, plus system-wide notices that concern no call.

Caller numbers are masked for every role in everything pushed or served: call-backs are dialled
by the server (Originate), so no console user needs the full number.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.ids import SeatId, TeamId, UserId
from routing.offices import district_team
from seats.models import Role, User


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
    def of(cls, user: User) -> Principal:
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
