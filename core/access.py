"""Who may see what: the one access model (principal, scope, may-see).

Lists, single reads, pushes and reports all ask one question, `Scope.sees(audience, about_a_call)`,
of one `Scope` built for the principal from the teams and seats (`Scope.of`; `Scopes` caches it per
principal and rebuilds it when the teams or seats may have changed). So what a console user is
pushed live is exactly what they can find afterwards, and the other way round.

* admin and city-wide supervisor (a supervisor with no team and no district): everything.
* scoped supervisor: what carries one of their teams (their own team, every team of their
  district), one of those teams' seats, or their district.
* quality inspector (质检员): as a supervisor of the same scope (city-wide when bound to none).
* seat: only what carries its own seat. (Its lists also show its team's work-order pool and shift
  plan: `Scope.team_ids`, read by the orders and schedule services; those facts are not pushed.)
* everybody: system notices that concern no call (`StateResynced`, `ComponentStatusChanged`).
  A fact about a call that carries no key at all (not yet routed) could be anyone's call: it goes
  to the city-wide roles only.

Facts carry *audience keys* (`seat:<id>`, `team:<id>`, `district:<code>`): events through
`core.events.DomainEvent.audience`, a stored call through `call_keys` (its queue's district, its own
district and its seat), the same keys the events about that call carry.

Caller numbers are masked for every role in everything pushed or served: call-backs are dialled by
the server (Originate), so no console user needs the full number.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from core.ids import SeatId, TeamId, UserId
from core.labels import LabelledEnum

if TYPE_CHECKING:  # core.calls imports core.events, which asks this module for queue districts
    from core.calls import CallRecord


class Role(LabelledEnum):
    SEAT = "seat", "坐席"
    SUPERVISOR = "supervisor", "班长"
    ADMIN = "admin", "管理员"
    INSPECTOR = "inspector", "质检员"


class Right(LabelledEnum):
    """What a role may do in a seat's live call, or to a seat (issue 16). The admin decides each role's
    rights on the console (`seats.rights.RoleRights`); until then a setting
    (`console_web.settings.MonitorSettings`), `DEFAULT_RIGHTS` unless set."""

    MONITOR = "monitor", "监听与耳语"
    BARGE = "barge", "强插与强拆"
    STEER = "steer", "调度坐席（示忙、示闲、签出、调整队列）"  # not in a call: `seats.steer`


DEFAULT_RIGHTS: dict[Role, frozenset[Right]] = {
    Role.SEAT: frozenset(),
    Role.SUPERVISOR: frozenset({Right.MONITOR, Right.BARGE, Right.STEER}),
    Role.ADMIN: frozenset({Right.MONITOR, Right.BARGE, Right.STEER}),
    Role.INSPECTOR: frozenset({Right.MONITOR}),  # 质检员 listen to calls as they happen
}


# Queue names follow `q-<district code>-<category>` (routing/queue_rules.toml); city-wide pools are
# `q-city-<category>`. This is the one place that reads a district out of a queue's name.
_DISTRICT_QUEUE = re.compile(r"^q-(\d{6})-([a-z][a-z_-]*)$")


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


class RosterSeat(SeatLike, Protocol):
    """A seat as the lists show and check it (besides its id and team): the work-order pages and the
    supervisor's board (`seats.models.Seat` satisfies it)."""

    @property
    def name(self) -> str: ...
    @property
    def active(self) -> bool: ...
    @property
    def expert(self) -> bool: ...  # 专家坐席: the supervisor's board marks it


class TeamList(Protocol):
    """Every seat team (`store.repositories.TeamRepository`)."""

    def all(self) -> Sequence[TeamLike]: ...


class SeatList(Protocol):
    """Every seat, active or not (`store.repositories.SeatRepository`)."""

    def all(self) -> Sequence[RosterSeat]: ...


# The roles bound to a team or a district, or city-wide when bound to neither: supervisors, and
# quality inspectors (质检员), who see the calls of that scope as its supervisors do.
SCOPED_ROLES = frozenset({Role.SUPERVISOR, Role.INSPECTOR})
SUPERVISING: tuple[Role, ...] = (Role.SUPERVISOR, Role.ADMIN)
"""Who runs the hotline within their scope (班长, district supervisors, admins): the board, the
offices, the rota, every work order of the scope."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Account:
    """What an account is to the access model: its login and shown name, its role, and what it is
    bound to (a seat user's seat, a scoped supervisor's team or district). The stored account
    (`seats.models.User`, with its id and password hash) and the logged-in `Principal` are both
    accounts: these fields are declared once, here."""

    username: str
    display_name: str
    role: Role
    seat_id: SeatId | None = None
    scope_team_id: TeamId | None = None
    scope_district_code: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Principal(Account):
    """A logged-in user as the access model reads them (`seats.models.User.principal`)."""

    user_id: UserId

    @property
    def supervising(self) -> bool:
        """One of `SUPERVISING`: runs the hotline within their scope."""
        return self.role in SUPERVISING

    @property
    def citywide(self) -> bool:
        return self.role is Role.ADMIN or (
            self.role in SCOPED_ROLES and self.scope_team_id is None and self.scope_district_code is None
        )


def sees_full_numbers(principal: Principal | None) -> bool:
    """Whether full phone numbers may be shown to this principal. Nobody, today (see above): every
    response and push is masked by `core.privacy.mask_phone_numbers`. The one place to change."""
    return False


def require_role(principal: Principal, *roles: Role) -> bool:
    return principal.role in roles


@dataclass(frozen=True, slots=True)
class Scope:
    """What one principal may see: the one decision behind lists, single reads, pushes and reports.

    `team_ids` and `seat_ids` are the teams and seats whose lists they read (a seat: its own team's
    pool and plan); `keys` are the audience keys whose facts they see (a seat: its own seat only).
    """

    citywide: bool
    label: str
    district: str | None
    team_ids: frozenset[str]
    seat_ids: frozenset[str]
    keys: frozenset[str] = frozenset()

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
        seat_ids = frozenset(s.id for s in seats if s.team_id in team_ids)
        keys: set[str] = set()
        if principal.role in SCOPED_ROLES:
            keys |= {f"team:{t}" for t in team_ids} | {f"seat:{s}" for s in seat_ids}
            if district:
                keys.add(f"district:{district}")
        elif principal.role is Role.SEAT and principal.seat_id:
            keys.add(f"seat:{principal.seat_id}")
        return cls(False, label, district, frozenset(team_ids), seat_ids, frozenset(keys))

    def sees(self, audience: Iterable[str], *, about_a_call: bool) -> bool:
        """Whether a fact with these audience keys may be pushed or served to this principal.
        `about_a_call`: the fact concerns a call (a keyless one is then nobody's but city-wide)."""
        if self.citywide:
            return True
        audience = frozenset(audience)
        if not audience:
            return not about_a_call
        return bool(audience & self.keys)

    def sees_keys(self, keys: Iterable[str]) -> bool:
        """Whether a fact about a call with these keys is visible (the live board's filter)."""
        return self.sees(keys, about_a_call=True)

    def sees_call(self, call: CallRecord) -> bool:
        return self.sees_keys(call_keys(call.queue, call.seat_id, call.district_code))

    def sees_team(self, team_id: str | None) -> bool:
        """Whether this team's lists (its work-order pool, its shift plan) are readable."""
        return self.citywide or (team_id is not None and team_id in self.team_ids)


class Scopes:
    """`Scope.of` per principal, cached. The teams and seats are read again (`load`) at most every
    `max_age_s` seconds, and at once after `changed()` (a team or seat was edited in this process;
    the seat import may run in another process, hence the age too)."""

    def __init__(
        self,
        load: Callable[[], tuple[Sequence[TeamLike], Sequence[SeatLike]]],
        *,
        max_age_s: float = 30.0,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self._load = load
        self._max_age_s = max_age_s
        self._now = now
        self._lock = threading.Lock()
        self._loaded_at: float | None = None
        self._cache: dict[Principal, Scope] = {}
        self._teams: Sequence[TeamLike] = ()
        self._seats: Sequence[SeatLike] = ()

    def changed(self) -> None:
        with self._lock:
            self._loaded_at = None

    def of(self, principal: Principal) -> Scope:
        """May read the repositories (blocking): from async code, through `core.blocking.offload`."""
        with self._lock:
            now = self._now()
            if self._loaded_at is None or now - self._loaded_at >= self._max_age_s:
                self._teams, self._seats = self._load()
                self._loaded_at = now
                self._cache.clear()
            scope = self._cache.get(principal)
            if scope is None:
                scope = self._cache[principal] = Scope.of(principal, self._teams, self._seats)
            return scope
