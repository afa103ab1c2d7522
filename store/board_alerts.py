"""The board alerts' episodes (table `board_alerts`): `stats.board_alerts.AlertStore`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from core.access import Role
from core.values import copy_fields
from stats.board_alerts import AlertKind, BoardAlert
from store.db import Database
from store.models import BoardAlertRow, UserRow
from store.rows import Repo


def _alert(r: BoardAlertRow) -> BoardAlert:
    return copy_fields(
        BoardAlert, r, kind=AlertKind(r.kind), district=r.district_code, recipients=tuple(r.recipients)
    )


class BoardAlertRepository(Repo):
    def open_alerts(self) -> list[BoardAlert]:
        return self._list(select(BoardAlertRow).where(BoardAlertRow.cleared_at.is_(None)), _alert)

    def all(self) -> list[BoardAlert]:
        return self._list(select(BoardAlertRow).order_by(BoardAlertRow.id), _alert)

    def raise_alert(self, alert: BoardAlert) -> BoardAlert:
        with self._db.session() as s:
            row = BoardAlertRow(
                kind=alert.kind.value,
                district_code=alert.district,
                raised_at=alert.raised_at,
                cleared_at=alert.cleared_at,
                detail=alert.detail[:500],
                recipients=list(alert.recipients),
                channel=alert.channel,
            )
            s.add(row)
            s.flush()
            return _alert(row)

    def clear(self, alert_id: int, at: datetime) -> None:
        with self._db.session() as s:
            s.execute(update(BoardAlertRow).where(BoardAlertRow.id == alert_id).values(cleared_at=at))

    def acknowledge(self, alert_id: int, by: str, at: datetime) -> None:
        with self._db.session() as s:
            s.execute(
                update(BoardAlertRow)
                .where(BoardAlertRow.id == alert_id)
                .values(acknowledged_by=by, acknowledged_at=at)
            )


class SupervisorList:
    """`stats.board_alerts.Supervisors`: the active supervisors, by name, with their district."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def __call__(self) -> list[tuple[str, str | None]]:
        with self._db.session() as s:
            rows = s.execute(
                select(UserRow.display_name, UserRow.scope_district_code).where(
                    UserRow.role == Role.SUPERVISOR.value, UserRow.active.is_(True)
                )
            )
            return [(name, district) for name, district in rows]
