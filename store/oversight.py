"""What the supervisors' oversight keeps (issue 16): the admin's per-role rights (table
`role_rights`, `seats.rights.RoleRights`), the seats' queue moves of the day (table
`steer_queue_moves`, `seats.steer.SeatSteering`) and the monitors under way (table
`monitor_sessions`, `seats.monitor.SupervisorMonitor`), so that all outlive an app restart."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime

from sqlalchemy import delete, select

from core.access import Right, Role
from core.ids import SeatId, UserId
from seats.steer import QueueMoves
from store.models import MonitorSessionRow, RoleRightRow, SteerQueueMovesRow
from store.rows import Repo


class RoleRightsRepository(Repo):
    def load(self) -> dict[Role, frozenset[Right]]:
        """The rights the admin saved, per role; a role never saved is absent (its default holds).
        A right or role this version no longer knows is skipped."""
        known_roles = {r.value: r for r in Role}
        known_rights = {r.value: r for r in Right}
        out: dict[Role, frozenset[Right]] = {}
        with self._db.session() as s:
            for row in s.scalars(select(RoleRightRow)):
                role = known_roles.get(row.role)
                if role is not None:
                    out[role] = frozenset(known_rights[v] for v in row.rights if v in known_rights)
        return out

    def save(self, rights: Mapping[Role, frozenset[Right]], *, by: UserId, at: datetime) -> None:
        """Every role of `rights` as given, in one transaction."""
        with self._db.session() as s:
            for role, held in rights.items():
                values = sorted(r.value for r in held)
                s.merge(RoleRightRow(role=role.value, rights=values, updated_at=at, updated_by=by))


class QueueMovesRepository(Repo):
    def all(self) -> list[QueueMoves]:
        with self._db.session() as s:
            return [
                QueueMoves(
                    seat_id=SeatId(r.seat_id),
                    day=date.fromisoformat(r.day),
                    added=set(r.added),
                    removed=set(r.removed),
                )
                for r in s.scalars(select(SteerQueueMovesRow).order_by(SteerQueueMovesRow.seat_id))
            ]

    def save(self, moves: QueueMoves) -> None:
        """The seat's moves as they are now (an empty day's moves are kept: `drop` removes them)."""
        self._merge(
            SteerQueueMovesRow(
                seat_id=moves.seat_id,
                day=moves.day.isoformat(),
                added=sorted(moves.added),
                removed=sorted(moves.removed),
            )
        )

    def drop(self, seat_id: SeatId) -> None:
        with self._db.session() as s:
            s.execute(delete(SteerQueueMovesRow).where(SteerQueueMovesRow.seat_id == seat_id))


class MonitorSessionRepository(Repo):
    def save(self, user_id: UserId, state: Mapping[str, str | None]) -> None:
        self._merge(MonitorSessionRow(user_id=user_id, state=dict(state), updated_at=datetime.now(UTC)))

    def drop(self, user_id: UserId) -> None:
        with self._db.session() as s:
            s.execute(delete(MonitorSessionRow).where(MonitorSessionRow.user_id == user_id))

    def load(self) -> dict[UserId, dict[str, str | None]]:
        with self._db.session() as s:
            return {UserId(r.user_id): dict(r.state) for r in s.scalars(select(MonitorSessionRow))}
